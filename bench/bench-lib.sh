# shellcheck shell=bash disable=SC2034  # globals set here are read by the sourcing scripts
# Sourced by bench/latency.sh and bench/onecore.sh (issue 22): the set-up bench/run.sh does
# inline (tools, server-demo, its certificate, the file, nginx) as functions, plus the delay line.
# Expects `set -euo pipefail`, the current directory at the repository's root, and the caller's
# `pids` array and `work` directory (created by bench_setup_work); cleanup_bench kills and
# reaps what pids holds and removes work (install it with `trap cleanup_bench EXIT INT TERM`).

pids=()
work=
cleanup_bench() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$work" ]; then rm -rf "$work"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:"; cat "$1"; exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a != "-" && b > 0) printf "%.2f", a / b; else print "-"}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-") print "-"; else printf "%.2f", b - a}'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }
mbs() { awk -v s="$1" -v n="$2" 'BEGIN {if (s != "-" && s > 0) printf "%.0f", n * 1.048576 / s; else print "-"}'; } # SECONDS MIB
json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# Sets CHILD_CPU to the CPU seconds (user + system) of this shell's finished children so far
# (bash's `times`, which must run in this shell, not in a $(...) subshell).
child_cpu() {
  times > "$work/.times"
  CHILD_CPU=$(awk 'NR == 2 {split($1,a,/[ms]/); split($2,b,/[ms]/); printf "%.2f", a[1]*60+a[2]+b[1]*60+b[2]}' "$work/.times")
}
# CPU seconds of running processes so far (PIDs...), from /proc/PID/stat.
proc_cpu() {
  local t=0 p tck
  tck=$(getconf CLK_TCK)
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  awk -v t="$t" -v k="$tck" 'BEGIN {printf "%.2f", t / k}'
}

# nginx and curl (Debian packages, installed when missing: the only step that needs root),
# the demo jars (built when missing). Sets nginx_bin.
ensure_tools() {
  if ! command -v nginx >/dev/null || ! command -v curl >/dev/null; then
    PATH=$PATH:/usr/sbin
    if ! command -v nginx >/dev/null || ! command -v curl >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx curl
    fi
  fi
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  if [ ! -f server-demo/target/server-demo.jar ] || [ ! -f client-demo/target/client-demo.jar ]; then
    mvn -q -B -DskipTests package -pl client-demo,server-demo -am
  fi
}

bench_setup_work() {
  work=$(mktemp -d /tmp/lifeline-bench.XXXXXX)
  chmod 755 "$work"          # nginx workers (user nobody) read below
}

# Starts server-demo on a free port with its data directory under $work, prefixed by the
# command words given (e.g. taskset -c 0) and LIFELINE_JAVA_OPTS plus LIFELINE_SERVER_OPTS
# after `java`. Sets ll_port, ll_pid, ca.
start_server_demo() { # [PREFIX...]
  local java_opts server_opts
  read -r -a java_opts <<< "${LIFELINE_JAVA_OPTS:-}"
  read -r -a server_opts <<< "${LIFELINE_SERVER_OPTS:-}"
  ll_port=$(free_port)
  "$@" java "${java_opts[@]}" "${server_opts[@]}" -jar server-demo/target/server-demo.jar \
    --port "$ll_port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
  ll_pid=$!
  pids+=("$ll_pid")
  wait_for "$work/server.log" "listening on"
  ca=$work/data/tls/ca.pem
}

# Writes SIZE_MIB MiB of random bytes as $work/src/NAME (its SHA-256 in NAME.sha256), linked
# into server-demo's files; the caller links it into nginx's $ng/www once nginx runs.
make_source_file() { # NAME SIZE_MIB
  local f=$work/src/$1
  mkdir -p "$work/src" "$work/data/files"
  head -c "$(($2 * 1024 * 1024))" /dev/urandom > "$f"
  openssl dgst -sha256 -r "$f" | cut -d' ' -f1 > "$f.sha256"
  chmod 644 "$f"
  ln "$f" "$work/data/files/$1"
}

# The delay line (bench/delayline.c), compiled into bench/target/ when missing or older than
# its source. Sets delayline_bin.
build_delayline() {
  local dir=bench/target
  mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || dir=$work
  delayline_bin=$dir/delayline
  if [ ! -x "$delayline_bin" ] || [ bench/delayline.c -nt "$delayline_bin" ]; then
    gcc -O2 -pthread -o "$delayline_bin" bench/delayline.c
  fi
}

# Starts a delay line in front of TARGET_PORT on a free port. Sets DL_PORT, DL_PID (also
# appended to pids) and DL_LOG (its cut lines).
start_delayline() { # TARGET_PORT DELAY_MS MAX_INFLIGHT_BYTES [CUT_MIN CUT_MAX]
  local log
  log=$(mktemp "$work/delayline.XXXXXX")
  "$delayline_bin" 0 "$@" > "$log" 2>&1 &
  DL_PID=$!
  pids+=("$DL_PID")
  wait_for "$log" "proxy listening"
  DL_PORT=$(sed -n 's/^proxy listening on //p' "$log" | head -1)
  DL_LOG=$log
}
stop_delayline() { # PID
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

machine_line() {
  echo "# machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB," \
    "$(java -version 2>&1 | head -1), $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), $(curl --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)"
}
