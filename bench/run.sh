#!/usr/bin/env bash
# Lifeline side by side with what a user would pick instead: curl against nginx (issue 6).
#
#   bench/run.sh [--cases 1,2,3,4,5] [--size MIB] [--runs N] [--warmup N | --no-warmup]
#                [--baseline CMD]
#
# Defaults: all cases, a 1024 MiB file, 3 runs per case; medians and ratios printed as Markdown.
# Everything runs on 127.0.0.1. Needs root only to install nginx/curl (Debian packages) when
# missing. LIFELINE_JAVA_OPTS adds JVM options to both Lifeline JVMs (default: none).
# LIFELINE_CLIENT is the command that runs client-demo (default: bin/lifeline-client, the
# launcher with SerialGC and a class-data-sharing archive; its first run, the untimed warm-up,
# creates the archive). LIFELINE_CLIENT='java -jar client-demo/target/client-demo.jar' measures
# the plain jar. --baseline CMD adds a second Lifeline client (e.g. the plain jar, or a jar
# built from an older commit) to cases 1 and 3, run right after the first in every round against
# the same server (before it on even rounds), for before/after comparisons in one run (rows "1b"
# and "3b").
#
# Case 1, fault-free download of one file of random bytes:
#   Lifeline: `bin/lifeline-client download NAME --to OUT ...` (client-demo.jar, see above) from
#             `server-demo` (TLS 1.3, BoringSSL; SHA-256 computed while receiving and checked
#             end to end; fsync'd checkpoints on both sides; the output file fsync'd before it
#             is renamed into place).
#   curl:     `curl --cacert ca.pem -o OUT https://127.0.0.1:PORT/NAME` from nginx (TLS 1.3 only,
#             the same certificate and key as server-demo), then `openssl dgst -sha256 OUT`
#             compared with the source's hash, timed together. No fsync on this side.
#   Extra row "1d": the same curl download followed by `sync OUT` (coreutils: fsync of that
#             file), timed together: the output is on disk when the command ends, as Lifeline's.
#   Extra row "1n": Lifeline with `--no-fsync` (its output left in the page cache, as curl's)
#             against curl as in row 1.
# Case 2, the same with the connection reset after a random 50-150 MB, over and over, by
#   bench/cutproxy.py (a loopback proxy; SO_LINGER 0 close, so both ends see RST):
#   Lifeline: the same download through the proxy; the client reconnects and resumes by itself.
#   curl:     a bounded shell loop re-running `curl -C - ...` through the proxy until the file is
#             complete, then `openssl dgst -sha256`, all timed together.
#   Extra row: Lifeline with `--chaos cut=50M..150M,mode=rst` instead (it resets its own
#   connection; no proxy hop).
# Case 3, upload of the same file:
#   Lifeline: `bin/lifeline-client upload FILE --name NAME ...` (durable checkpoints every
#             16 MiB or second on the server, SHA-256 verified end to end by both sides).
#   curl:     `curl --cacert ca.pem -T FILE https://127.0.0.1:PORT/up/NAME` to nginx's WebDAV PUT
#             (nginx writes the body to a temp file and renames it; no fsync, no verification),
#             then `openssl dgst -sha256` of the stored copy, timed together.
#   Extra row "3d": the same PUT followed by `sync` of the stored copy, timed together (nginx's
#             copy on disk when the command ends, as Lifeline's server's).
# Cases 4 and 5 (handshakes per second, 10,000 idle sessions) are bench/handshakes.sh and
#   bench/idle-sessions.sh; this script runs them when they exist.
#
# Method: one server-demo and one nginx serve all runs (as a long-running server would); first
# --warmup N (default 3) untimed rounds of a download from each (and an upload to each when case
# 3 runs): the server's checksum of the file, the page cache, and the server JVM's JIT, which
# still compiles and recompiles the transfer path through the second and third GiB served (server
# CPU per download 3.9, 3.5, 1.7, 1.2 s for the first four; docs/benchmarks.md). --no-warmup is
# --warmup 0. Each measured run alternates the two sides, order swapped on even runs, with an untimed
# `sync` after each measurement. Times are wall clock around the whole client command, so
# Lifeline's include JVM start (the client's own "seconds" are printed beside them). "CPU s" is
# user + system time of both ends: the client command (with openssl dgst on the curl side) plus
# the server process (server-demo, or nginx master + worker); the proxy is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench_dir=$root/bench

cases=1,2,3,4,5
size_mib=1024
runs=3
warmup=3
baseline=
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --size) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-warmup) warmup=0; shift ;;
    --warmup) warmup=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    -h|--help) sed -n '2,57p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$cases," == *",$1,"* ]]; }
case "$size_mib" in ''|*[!0-9]*) echo "--size: a number of MiB" >&2; exit 2 ;; esac
case "$runs" in ''|*[!0-9]*|0) echo "--runs: a number >= 1" >&2; exit 2 ;; esac
case "$warmup" in ''|*[!0-9]*) echo "--warmup: a number of rounds >= 0" >&2; exit 2 ;; esac
read -r -a java_opts <<< "${LIFELINE_JAVA_OPTS:-}"
read -r -a client_cmd <<< "${LIFELINE_CLIENT:-bin/lifeline-client}"
# JVM options go after `java`; the launcher reads LIFELINE_JAVA_OPTS from the environment itself.
if [ "${client_cmd[0]}" = java ]; then client_cmd=(java "${java_opts[@]}" "${client_cmd[@]:1}"); fi

if want 1 || want 2 || want 3; then
  if ! command -v nginx >/dev/null || ! command -v curl >/dev/null; then
    PATH=$PATH:/usr/sbin
    if ! command -v nginx >/dev/null || ! command -v curl >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx curl
    fi
  fi
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  if [ ! -f server-demo/target/server-demo.jar ] || [ ! -f client-demo/target/client-demo.jar ]; then
    mvn -q -B -DskipTests package
  fi
fi

pids=()
work=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:"; cat "$1"; exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
mbs() { awk -v s="$1" -v n="$size_mib" 'BEGIN {if (s > 0) printf "%.0f", n * 1.048576 / s; else print "-"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/"; }
# Sets CHILD_CPU to the CPU seconds (user + system) of this shell's finished children so far
# (bash's `times`, which must run in this shell, not in a $(...) subshell).
child_cpu() {
  times > "$work/.times"
  CHILD_CPU=$(awk 'NR == 2 {split($1,a,/[ms]/); split($2,b,/[ms]/); printf "%.2f", a[1]*60+a[2]+b[1]*60+b[2]}' "$work/.times")
}
tck=$(getconf CLK_TCK)
# CPU seconds of running processes so far (PIDs...), from /proc/PID/stat.
proc_cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; awk -v t="$t" -v k="$tck" 'BEGIN {printf "%.2f", t / k}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }

declare -A T X J C U # per key: wall seconds; reconnects or re-runs; client "seconds"; curl
                     # transfer only; CPU seconds of both ends (client + server, proxy excluded)

if want 1 || want 2 || want 3; then
  work=$(mktemp -d /tmp/lifeline-bench.XXXXXX)
  chmod 755 "$work"          # nginx workers (user nobody) read and write below
  size=$((size_mib * 1024 * 1024))

  # --- Lifeline server ----------------------------------------------------------------------
  ll_port=$(free_port)
  java "${java_opts[@]}" -jar server-demo/target/server-demo.jar --port "$ll_port" \
    --data-dir "$work/data" > "$work/server.log" 2>&1 &
  pids+=($!)
  ll_pid=$!
  wait_for "$work/server.log" "listening on"
  ca=$work/data/tls/ca.pem

  name=bench.bin
  src=$work/src/$name
  mkdir -p "$work/src" "$work/data/files"
  head -c "$size" /dev/urandom > "$src"
  expected=$(openssl dgst -sha256 -r "$src" | cut -d' ' -f1)
  ln "$src" "$work/data/files/$name"
  chmod 644 "$src"
  sync   # write the source out now, not during the first measurement

  # --- nginx: own prefix and config, the same certificate, TLS 1.3 only, WebDAV PUT under /up/
  . "$bench_dir/nginx.sh"
  start_bench_nginx
  ln "$src" "$ng/www/$name"

  # --- reset proxies: one in front of nginx, one in front of server-demo ----------------------
  lo=$((50 * 1000 * 1000)); hi=$((150 * 1000 * 1000))
  px_ng=$(free_port)
  python3 "$bench_dir/cutproxy.py" "$px_ng" "$ng_port" "$lo" "$hi" > "$work/px-ng.log" 2>&1 &
  pids+=($!)
  px_ll=$(free_port)
  python3 "$bench_dir/cutproxy.py" "$px_ll" "$ll_port" "$lo" "$hi" > "$work/px-ll.log" 2>&1 &
  pids+=($!)
  wait_for "$work/px-ng.log" "proxy listening"
  wait_for "$work/px-ll.log" "proxy listening"
  out=$work/out.bin
fi

client() { # ARGS...: one client-demo run with a fresh state directory; prints its JSON line
  rm -rf "$work/state"
  local cmd=("${client_cmd[@]}")
  if [ "${use_baseline:-0}" = 1 ]; then read -r -a cmd <<< "$baseline"; fi
  "${cmd[@]}" "$@" --ca "$ca" \
    --state "$work/state" --json | tail -1
}

ll_down() { # KEY PORT [client args...]
  local k=$1 port=$2; shift 2
  rm -f "$out"
  local t0 t1 json c0 s0
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "$ll_pid")
  t0=$(now)
  json=$(client download "$name" --to "$out" --server "127.0.0.1:$port" "$@")
  t1=$(now)
  child_cpu
  U[$k]+="$(add "$(sub "$c0" "$CHILD_CPU")" "$(sub "$s0" "$(proc_cpu "$ll_pid")")") "
  cmp -s "$src" "$out" || { echo "Lifeline download MISMATCH ($k)"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  X[$k]+="$(echo "$json" | json_field reconnects) "
  J[$k]+="$(echo "$json" | json_field seconds) "
  rm -f "$out"; sync
}

curl_down() { # KEY PORT [sync]: with "sync", the output is fsync'd before the hash (row 1d)
  local k=$1 port=$2 durable=${3:-} t0 tm t1 n=0 got c0 s0
  rm -f "$out"
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "${ng_pids[@]}")
  t0=$(now)
  while [ "$n" -lt 200 ]; do
    n=$((n + 1))
    curl -sS --cacert "$ca" -C - -o "$out" "https://127.0.0.1:$port/$name" 2>>"$work/curl.err" && break
    [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -ge "$size" ] && break
  done
  [ "$durable" = sync ] && sync "$out"
  tm=$(now)
  got=$(openssl dgst -sha256 -r "$out" | cut -d' ' -f1)
  t1=$(now)
  child_cpu
  U[$k]+="$(add "$(sub "$c0" "$CHILD_CPU")" "$(sub "$s0" "$(proc_cpu "${ng_pids[@]}")")") "
  [ "$got" = "$expected" ] || { echo "curl download MISMATCH ($k) after $n attempts"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  X[$k]+="$((n - 1)) "
  C[$k]+="$(elapsed "$t0" "$tm") "
  rm -f "$out"; sync
}

up_seq=0
ll_up() { # KEY
  local k=$1 t0 t1 json upname c0 s0
  up_seq=$((up_seq + 1)); upname=up-$up_seq.bin
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "$ll_pid")
  t0=$(now)
  json=$(client upload "$src" --name "$upname" --server "127.0.0.1:$ll_port")
  t1=$(now)
  child_cpu
  U[$k]+="$(add "$(sub "$c0" "$CHILD_CPU")" "$(sub "$s0" "$(proc_cpu "$ll_pid")")") "
  cmp -s "$src" "$work/data/files/$upname" || { echo "Lifeline upload MISMATCH"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  X[$k]+="$(echo "$json" | json_field reconnects) "
  J[$k]+="$(echo "$json" | json_field seconds) "
  rm -f "$work/data/files/$upname"; sync
}

curl_up() { # KEY [sync]: with "sync", nginx's stored copy is fsync'd before the hash (row 3d)
  local k=$1 durable=${2:-} t0 tm t1 got upname c0 s0
  up_seq=$((up_seq + 1)); upname=up-$up_seq.bin
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "${ng_pids[@]}")
  t0=$(now)
  curl -sS --fail --cacert "$ca" -T "$src" "https://127.0.0.1:$ng_port/up/$upname" -o /dev/null
  [ "$durable" = sync ] && sync "$ng/www/up/$upname"
  tm=$(now)
  got=$(openssl dgst -sha256 -r "$ng/www/up/$upname" | cut -d' ' -f1)
  t1=$(now)
  child_cpu
  U[$k]+="$(add "$(sub "$c0" "$CHILD_CPU")" "$(sub "$s0" "$(proc_cpu "${ng_pids[@]}")")") "
  [ "$got" = "$expected" ] || { echo "curl upload MISMATCH"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  X[$k]+="0 "
  C[$k]+="$(elapsed "$t0" "$tm") "
  rm -f "$ng/www/up/$upname"; sync
}

last() { echo "${T[$1]}" | awk '{print $NF}'; }

if want 1 || want 2 || want 3; then
  echo "# machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB," \
    "$(java -version 2>&1 | head -1), $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), $(curl --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)"
  echo "# file: $size_mib MiB of random bytes; $runs runs per case; client: ${client_cmd[*]}${baseline:+; baseline client: $baseline}; LIFELINE_JAVA_OPTS='${LIFELINE_JAVA_OPTS:-}'"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for _ in $(seq 1 "$warmup"); do
    ll_down warm "$ll_port"; curl_down warm "$ng_port"
    if want 3; then ll_up warm; curl_up warm; fi
    if [ -n "$baseline" ]; then use_baseline=1; ll_down warmb "$ll_port"; use_baseline=0; fi
  done
  echo "# warm-up: $warmup untimed round(s); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq 1 "$runs"); do
    order=(ll curl); [ $((r % 2)) -eq 0 ] && order=(curl ll)
    for side in "${order[@]}"; do
      if want 1; then
        if [ "$side" = ll ]; then
          if [ -n "$baseline" ] && [ $((r % 2)) -eq 0 ]; then use_baseline=1; ll_down ll1b "$ll_port"; use_baseline=0; fi
          ll_down ll1 "$ll_port"
          ll_down ll1n "$ll_port" --no-fsync
          if [ -n "$baseline" ] && [ $((r % 2)) -eq 1 ]; then use_baseline=1; ll_down ll1b "$ll_port"; use_baseline=0; fi
        else
          curl_down curl1 "$ng_port"
          curl_down curl1d "$ng_port" sync
        fi
      fi
      if want 2; then
        if [ "$side" = ll ]; then
          ll_down ll2 "$px_ll"
          ll_down ll2c "$ll_port" --chaos cut=50M..150M,mode=rst
        else
          curl_down curl2 "$px_ng"
        fi
      fi
      if want 3; then
        if [ "$side" = ll ]; then
          if [ -n "$baseline" ] && [ $((r % 2)) -eq 0 ]; then use_baseline=1; ll_up ll3b; use_baseline=0; fi
          ll_up ll3
          if [ -n "$baseline" ] && [ $((r % 2)) -eq 1 ]; then use_baseline=1; ll_up ll3b; use_baseline=0; fi
        else
          curl_up curl3
          curl_up curl3d sync
        fi
      fi
    done
    echo "# run $r (load $(cut -d' ' -f1 /proc/loadavg)):$(for k in ll1 ll1n ll1b curl1 curl1d ll2 curl2 ll2c ll3 ll3b curl3 curl3d; do [ -n "${T[$k]:-}" ] && printf ' %s=%s' "$k" "$(last "$k")"; done)"
  done
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  med() { echo "${T[$1]:-}" | median; }
  echo
  echo "| case ($size_mib MiB, median of $runs) | Lifeline s (MB/s) | curl + nginx s (MB/s) | Lifeline / curl time | CPU s Lifeline / curl + nginx | reconnects (Lifeline) / re-runs (curl) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  row() { # LABEL LKEY CKEY
    local l c; l=$(med "$2"); c=$(med "$3")
    echo "| $1 | $l ($(mbs "$l")) | $c ($(mbs "$c")) | **$(ratio "$l" "$c")** | $(echo "${U[$2]:-}" | median) / $(echo "${U[$3]:-}" | median) | ${X[$2]:-}/ ${X[$3]:-}|"
  }
  want 1 && row "1. download, fault-free" ll1 curl1
  want 1 && row "1n. as 1, Lifeline \`--no-fsync\` (both in the page cache at the end)" ll1n curl1
  want 1 && row "1d. as 1, curl's output fsync'd too (\`sync OUT\`: both on disk at the end)" ll1 curl1d
  want 2 && row "2. download, reset every 50–150 MB by bench/cutproxy.py (curl: \`-C -\` loop)" ll2 curl2
  want 2 && row "2b. as 2, Lifeline resetting its own connection (\`--chaos\`, no proxy)" ll2c curl2
  want 1 && [ -n "$baseline" ] && row "1b. download, fault-free, baseline client" ll1b curl1
  want 3 && row "3. upload (curl: \`-T\` to WebDAV PUT)" ll3 curl3
  want 3 && row "3d. as 3, nginx's stored copy fsync'd too (\`sync FILE\`)" ll3 curl3d
  want 3 && [ -n "$baseline" ] && row "3b. upload, baseline client" ll3b curl3
  [ -n "$baseline" ] && echo "Baseline client (rows 1b, 3b): $baseline"
  echo
  if want 2 && want 1; then
    echo "Case 2 targets: curl loop / Lifeline = $(ratio "$(med curl2)" "$(med ll2)")x (target >= 1.5);" \
      "Lifeline with resets / fault-free = $(ratio "$(med ll2)" "$(med ll1)")x via proxy," \
      "$(ratio "$(med ll2c)" "$(med ll1)")x with --chaos (target <= 1.15)"
  fi
  if want 3 && want 1; then
    echo "Case 3 target: Lifeline upload throughput / download throughput = $(ratio "$(med ll1)" "$(med ll3)") (target >= 0.8)"
  fi
  echo "Lifeline client's own \"seconds\" (no JVM start), medians:$(for k in ll1 ll1n ll1b ll2 ll2c ll3 ll3b; do [ -n "${J[$k]:-}" ] && printf ' %s=%s' "$k" "$(echo "${J[$k]}" | median)"; done)"
  echo "curl side without the hash (transfer, plus the fsync in 1d and 3d), medians:$(for k in curl1 curl1d curl2 curl3 curl3d; do [ -n "${C[$k]:-}" ] && printf ' %s=%s' "$k" "$(echo "${C[$k]}" | median)"; done)"
  echo "CPU seconds (client + server; the proxy not counted):$(for k in ll1 ll1n ll1b curl1 curl1d ll2 curl2 ll2c ll3 ll3b curl3 curl3d; do [ -n "${U[$k]:-}" ] && printf ' %s=[%s]' "$k" "${U[$k]% }"; done)"
  echo "Raw seconds:$(for k in ll1 ll1n ll1b curl1 curl1d ll2 curl2 ll2c ll3 ll3b curl3 curl3d; do [ -n "${T[$k]:-}" ] && printf ' %s=[%s]' "$k" "${T[$k]% }"; done)"
fi

# --- cases 4 and 5: separate scripts --------------------------------------------------------
for c in 4 5; do
  want $c || continue
  s=$bench_dir/handshakes.sh; [ $c = 5 ] && s=$bench_dir/idle-sessions.sh
  if [ -x "$s" ] || [ -f "$s" ]; then
    echo; echo "# case $c: $s"
    bash "$s"
  else
    echo; echo "# case $c: $(basename "$s") not present; skipped"
  fi
done
