#!/usr/bin/env bash
# Lifeline and curl through the same emulated long fat pipe (issue 22).
#
#   bench/latency.sh [--delays 0,10,40,100] [--sizes 256,1024] [--runs N] [--warmup N]
#                    [--inflight MIB] [--inflight-far MIB] [--no-cuts | --cuts-only]
#
# Each delay D (one-way, ms; the round trip is 2D) puts bench/delayline.c in front of
# server-demo and in front of nginx, with the same settings: every byte held D ms in each
# direction, at most --inflight MiB (default 16) queued per direction, --inflight-far MiB
# (default 64) for D > 40 (the issue's set-up: 16 MiB up to RTT 80 ms, 64 MiB at RTT 200 ms).
# tc netem is not used: this kernel has no netem qdisc. Defaults: D = 0, 10, 40, 100 ms,
# files of 256 and 1024 MiB, 3 runs; about 12 minutes on 2 cores (--sizes 256: about 4).
#
# Rows, fault-free (--cuts-only leaves them out):
#   Lifeline:  `bin/lifeline-client download NAME --to OUT --server DELAYLINE ...` (fresh
#              client process and state; SHA-256 checked end to end, fsync'd checkpoints).
#   curl:      `curl --cacert ca.pem -o OUT https://127.0.0.1:DELAYLINE/NAME` from nginx (TLS 1.3,
#              the same certificate), then `openssl dgst -sha256 OUT` compared, timed together
#              (as bench/run.sh case 1).
#   raw curl:  the same curl without the hash: the transfer alone.
# Rows with cuts (--no-cuts leaves them out): a second pair of delay lines with the same delay
# and window also resets each connection (SO_LINGER 0, RST to both ends) after a random 50-150 MB
# sent to the client. Lifeline reconnects and resumes by itself; curl is a bounded loop of
# `curl -C -` until the file is complete, then `openssl dgst -sha256` (as run.sh case 2).
#
# Method: one server-demo and one nginx serve every run; first --warmup N (default 2) untimed
# downloads of the largest file from each, directly (the server JVM's JIT, the page cache).
# Runs alternate the two tools, order swapped on even runs, an untimed `sync` after each. Times
# are wall clock around the whole client command (Lifeline's include JVM start; its own
# "seconds" from --json are printed beside them). "Latency cost" is a row's median at D minus
# its median at D = 0 (when 0 is among --delays). LIFELINE_CLIENT and LIFELINE_JAVA_OPTS as in
# bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh
# shellcheck source=bench/nginx.sh
. bench/nginx.sh

delays=0,10,40,100
sizes=256,1024
runs=3
warmup=2
inflight=16
inflight_far=64
fault_free=1
cuts=1
while [ $# -gt 0 ]; do
  case "$1" in
    --delays) delays=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --inflight) inflight=$2; shift 2 ;;
    --inflight-far) inflight_far=$2; shift 2 ;;
    --no-cuts) cuts=0; shift ;;
    --cuts-only) fault_free=0; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/latency.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
numbers() { [[ "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "$1: comma-separated numbers, not '$2'" >&2; exit 2; }; }
numbers --delays "$delays"; numbers --sizes "$sizes"
for v in "$runs" "$inflight" "$inflight_far"; do
  case "$v" in ''|*[!0-9]*|0) echo "--runs, --inflight, --inflight-far: numbers >= 1" >&2; exit 2 ;; esac
done
case "$warmup" in ''|*[!0-9]*) echo "--warmup: a number of rounds >= 0" >&2; exit 2 ;; esac
[ "$fault_free$cuts" = 00 ] && { echo "--no-cuts and --cuts-only: nothing left to run" >&2; exit 2; }
IFS=, read -r -a delay_list <<< "$delays"
IFS=, read -r -a size_list <<< "$sizes"
read -r -a client_cmd <<< "${LIFELINE_CLIENT:-bin/lifeline-client}"
if [ "${client_cmd[0]}" = java ]; then
  read -r -a java_opts <<< "${LIFELINE_JAVA_OPTS:-}"
  client_cmd=(java "${java_opts[@]}" "${client_cmd[@]:1}")
fi

ensure_tools
trap cleanup_bench EXIT INT TERM
bench_setup_work
start_server_demo
start_bench_nginx
build_delayline
largest=0
for s in "${size_list[@]}"; do
  make_source_file "f$s.bin" "$s"
  ln "$work/src/f$s.bin" "$ng/www/f$s.bin"
  if [ "$s" -gt "$largest" ]; then largest=$s; fi
done
sync   # write the sources out now, not during the first measurement
out=$work/out.bin
lo=$((50 * 1000 * 1000)); hi=$((150 * 1000 * 1000))

declare -A T J X R # per key: wall seconds; client "seconds"; reconnects or re-runs; resent bytes

ll_down() { # KEY SIZE PORT
  local k=$1 s=$2 port=$3 t0 t1 json
  rm -rf "$out" "$work/state"
  t0=$(now)
  json=$("${client_cmd[@]}" download "f$s.bin" --to "$out" --server "127.0.0.1:$port" \
    --ca "$ca" --state "$work/state" --json | tail -1)
  t1=$(now)
  cmp -s "$work/src/f$s.bin" "$out" || { echo "Lifeline download MISMATCH ($k)"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  J[$k]+="$(echo "$json" | json_field seconds) "
  X[$k]+="$(echo "$json" | json_field reconnects) "
  R[$k]+="$(echo "$json" | json_field resentBytes) "
  rm -f "$out"; sync
}

curl_down() { # KEY SIZE PORT [raw]: without "raw", the output's SHA-256 is checked, timed too
  local k=$1 s=$2 port=$3 raw=${4:-} t0 t1 n=0 bytes=$(($2 * 1024 * 1024))
  rm -f "$out"
  t0=$(now)
  while [ "$n" -lt 200 ]; do
    n=$((n + 1))
    curl -sS --cacert "$ca" -C - -o "$out" "https://127.0.0.1:$port/f$s.bin" 2>>"$work/curl.err" && break
    [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -ge "$bytes" ] && break
  done
  if [ "$raw" != raw ]; then
    [ "$(openssl dgst -sha256 -r "$out" | cut -d' ' -f1)" = "$(cat "$work/src/f$s.bin.sha256")" ] \
      || { echo "curl download MISMATCH ($k) after $n attempts"; exit 1; }
  fi
  t1=$(now)
  [ "$(stat -c %s "$out")" -eq "$bytes" ] || { echo "curl download short ($k)"; exit 1; }
  T[$k]+="$(elapsed "$t0" "$t1") "
  X[$k]+="$((n - 1)) "
  rm -f "$out"; sync
}

machine_line
echo "# delays (one-way ms): $delays; sizes (MiB): $sizes; $runs runs; in flight per direction: $inflight MiB (D <= 40), $inflight_far MiB (D > 40); client: ${client_cmd[*]}; LIFELINE_JAVA_OPTS='${LIFELINE_JAVA_OPTS:-}'"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$warmup"); do
  ll_down warm "$largest" "$ll_port"; curl_down warm "$largest" "$ng_port"
done
echo "# warm-up: $warmup untimed round(s) of $largest MiB; load now: $(cut -d' ' -f1-3 /proc/loadavg)"

for d in "${delay_list[@]}"; do
  win=$inflight; [ "$d" -gt 40 ] && win=$inflight_far
  win_bytes=$((win * 1024 * 1024))
  start_delayline "$ll_port" "$d" "$win_bytes"; dl_ll=$DL_PORT; dl_pids=("$DL_PID")
  start_delayline "$ng_port" "$d" "$win_bytes"; dl_ng=$DL_PORT; dl_pids+=("$DL_PID")
  if [ "$cuts" = 1 ]; then
    start_delayline "$ll_port" "$d" "$win_bytes" "$lo" "$hi"; cut_ll=$DL_PORT; dl_pids+=("$DL_PID")
    start_delayline "$ng_port" "$d" "$win_bytes" "$lo" "$hi"; cut_ng=$DL_PORT; dl_pids+=("$DL_PID")
  fi
  for s in "${size_list[@]}"; do
    for r in $(seq 1 "$runs"); do
      order=(ll curl); [ $((r % 2)) -eq 0 ] && order=(curl ll)
      for side in "${order[@]}"; do
        if [ "$side" = ll ]; then
          if [ "$fault_free" = 1 ]; then ll_down "$d/$s/ll" "$s" "$dl_ll"; fi
          if [ "$cuts" = 1 ]; then ll_down "$d/$s/llc" "$s" "$cut_ll"; fi
        else
          if [ "$fault_free" = 1 ]; then
            curl_down "$d/$s/curl" "$s" "$dl_ng"
            curl_down "$d/$s/raw" "$s" "$dl_ng" raw
          fi
          if [ "$cuts" = 1 ]; then curl_down "$d/$s/curlc" "$s" "$cut_ng"; fi
        fi
      done
      echo "# D=$d ms, $s MiB, run $r (load $(load1)):$(for k in ll curl raw llc curlc; do
        v=${T[$d/$s/$k]:-}; [ -n "$v" ] && printf ' %s=%s' "$k" "$(echo "$v" | awk '{print $NF}')"; done)"
    done
  done
  for p in "${dl_pids[@]}"; do stop_delayline "$p"; done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

med() { echo "${T[$1]:-}" | median; }
cost() { # D SIZE ROW: median at D minus median at D = 0
  if [[ ",$delays," == *",0,"* ]] && [ -n "${T[0/$2/$3]:-}" ]; then sub "$(med "0/$2/$3")" "$(med "$1/$2/$3")"; else echo -; fi
}
cell() { local m; m=$(med "$1/$2/$3"); echo "$m ($(mbs "$m" "$2"))"; }
echo
if [ "$fault_free" = 1 ]; then
  echo "Fault-free, medians of $runs (wall s, MB/s in brackets; latency cost: s more than at D = 0):"
  echo
  echo "| RTT ms | MiB | Lifeline | curl + sha256 | raw curl | Lifeline / curl | Lifeline / raw curl | latency cost Lifeline / curl / raw curl | Lifeline's own s |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for d in "${delay_list[@]}"; do
    for s in "${size_list[@]}"; do
      echo "| $((2 * d)) | $s | $(cell "$d" "$s" ll) | $(cell "$d" "$s" curl) | $(cell "$d" "$s" raw)" \
        "| **$(ratio "$(med "$d/$s/ll")" "$(med "$d/$s/curl")")** | $(ratio "$(med "$d/$s/ll")" "$(med "$d/$s/raw")")" \
        "| $(cost "$d" "$s" ll) / $(cost "$d" "$s" curl) / $(cost "$d" "$s" raw) | $(echo "${J[$d/$s/ll]}" | median) |"
    done
  done
  echo
fi
if [ "$cuts" = 1 ]; then
  echo "With a reset every 50-150 MB (delay line cuts), medians of $runs:"
  echo
  echo "| RTT ms | MiB | Lifeline | curl -C - loop + sha256 | curl loop / Lifeline | latency cost Lifeline / curl | Lifeline's own s | reconnects (Lifeline) | resent bytes (Lifeline) | re-runs (curl) |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
  for d in "${delay_list[@]}"; do
    for s in "${size_list[@]}"; do
      echo "| $((2 * d)) | $s | $(cell "$d" "$s" llc) | $(cell "$d" "$s" curlc)" \
        "| **$(ratio "$(med "$d/$s/curlc")" "$(med "$d/$s/llc")")** | $(cost "$d" "$s" llc) / $(cost "$d" "$s" curlc)" \
        "| $(echo "${J[$d/$s/llc]}" | median) | ${X[$d/$s/llc]% } | ${R[$d/$s/llc]% } | ${X[$d/$s/curlc]% } |"
    done
  done
  echo
fi
echo "Raw seconds:$(for d in "${delay_list[@]}"; do for s in "${size_list[@]}"; do for k in ll curl raw llc curlc; do
  v=${T[$d/$s/$k]:-}; [ -n "$v" ] && printf ' %s=[%s]' "$d/$s/$k" "${v% }"; done; done; done)"
