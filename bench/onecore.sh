#!/usr/bin/env bash
# One core per side, as on two machines (issue 22): servers on CPU 0, clients on CPU 1.
#
#   bench/onecore.sh [--size MIB] [--runs N] [--warmup N] [--profile] [--server-cpu C] [--client-cpu C]
#
# server-demo and nginx run pinned to CPU 0 (`taskset -c 0`; nginx's master and worker with
# `taskset -a -cp` once started), every client command to CPU 1. A --size MiB (default 1024)
# file of random bytes, fault-free, on 127.0.0.1. Rows:
#   raw curl:          `curl --cacert ca.pem -o OUT https://127.0.0.1:PORT/NAME` from nginx (TLS 1.3,
#                      the same certificate and key as server-demo)
#   curl + sha256sum:  the same, then `sha256sum OUT` compared with the source's, timed together
#   Lifeline:          `bin/lifeline-client download NAME --to OUT ...` (the defaults: SHA-256
#                      verified end to end, fsync'd checkpoints, the output fsync'd)
#   Lifeline no fsync: the same with `--no-fsync`
# Extra columns: CPU seconds of the client side (user + system of the client command: curl and
# sha256sum, or the client JVM) and of the server side (server-demo's, or nginx master +
# worker's, from /proc/PID/stat before and after).
#
# Method as bench/run.sh: one server-demo and one nginx serve all runs; --warmup N (default 3)
# untimed rounds of a download from each first (the server JVM's JIT, the page cache); runs
# alternate Lifeline and curl, order swapped on even runs, an untimed `sync` after each;
# medians of --runs (default 3). LIFELINE_CLIENT and LIFELINE_JAVA_OPTS as in bench/run.sh.
#
# --profile: afterwards one more Lifeline download with Java Flight Recorder on both sides (the
# server's recording started and stopped with jcmd around it, the client's with
# -XX:StartFlightRecording), then the top frames by CPU samples per thread group of each side
# (bench/jfr-top.py): Java code (jdk.ExecutionSample) and native code (jdk.NativeMethodSample,
# waits left out). The recordings are kept as /tmp/onecore-{server,client}.jfr. Where `perf`
# works (root, or perf_event_paranoid <= 1), one more download under `perf record` on both
# sides (Java frames named through perf maps: jcmd Compiler.perfmap on the server,
# -XX:+DumpPerfMapAtExit on the client): CPU by library (kernel, libjvm, netty-tcnative's
# BoringSSL, JIT-compiled Java) and the top symbols, which JFR does not see.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh
# shellcheck source=bench/nginx.sh
. bench/nginx.sh

size_mib=1024
runs=3
warmup=3
profile=0
scpu=0
ccpu=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    --server-cpu) scpu=$2; shift 2 ;;
    --client-cpu) ccpu=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/onecore.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$size_mib" in ''|*[!0-9]*|0) echo "--size: a number of MiB >= 1" >&2; exit 2 ;; esac
case "$runs" in ''|*[!0-9]*|0) echo "--runs: a number >= 1" >&2; exit 2 ;; esac
case "$warmup" in ''|*[!0-9]*) echo "--warmup: a number of rounds >= 0" >&2; exit 2 ;; esac
read -r -a java_opts <<< "${LIFELINE_JAVA_OPTS:-}"
read -r -a client_cmd <<< "${LIFELINE_CLIENT:-bin/lifeline-client}"
if [ "${client_cmd[0]}" = java ]; then client_cmd=(java "${java_opts[@]}" "${client_cmd[@]:1}"); fi

ensure_tools
trap cleanup_bench EXIT INT TERM
bench_setup_work
start_server_demo taskset -c "$scpu"
start_bench_nginx
for p in "${ng_pids[@]}"; do taskset -a -cp "$scpu" "$p" > /dev/null; done
name=f.bin
make_source_file "$name" "$size_mib"
src=$work/src/$name
expected=$(cat "$src.sha256")
ln "$src" "$ng/www/$name"
sync
out=$work/out.bin
on_client=(taskset -c "$ccpu")

declare -A T J CC SC # per key: wall s; client "seconds"; client CPU s; server CPU s

measure_start() { # SERVER_PIDS...
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "$@"); t0=$(now)
}
measure_end() { # KEY SERVER_PIDS...
  local k=$1; shift
  t1=$(now)
  child_cpu
  T[$k]+="$(elapsed "$t0" "$t1") "
  CC[$k]+="$(sub "$c0" "$CHILD_CPU") "
  SC[$k]+="$(sub "$s0" "$(proc_cpu "$@")") "
}

ll_down() { # KEY [client args...]
  local k=$1 json; shift
  rm -rf "$out" "$work/state"
  measure_start "$ll_pid"
  json=$("${on_client[@]}" "${client_cmd[@]}" download "$name" --to "$out" \
    --server "127.0.0.1:$ll_port" --ca "$ca" --state "$work/state" --json "$@" | tail -1)
  measure_end "$k" "$ll_pid"
  cmp -s "$src" "$out" || { echo "Lifeline download MISMATCH ($k)"; exit 1; }
  J[$k]+="$(echo "$json" | json_field seconds) "
  rm -f "$out"; sync
}

curl_down() { # KEY [sha]: with "sha", `sha256sum OUT` runs after curl, timed too
  local k=$1 check=${2:-} got
  rm -f "$out"
  measure_start "${ng_pids[@]}"
  "${on_client[@]}" curl -sS --fail --cacert "$ca" -o "$out" "https://127.0.0.1:$ng_port/$name"
  if [ "$check" = sha ]; then
    got=$("${on_client[@]}" sha256sum "$out" | cut -d' ' -f1)
    [ "$got" = "$expected" ] || { echo "curl download MISMATCH ($k)"; exit 1; }
  fi
  measure_end "$k" "${ng_pids[@]}"
  [ "$(stat -c %s "$out")" -eq $((size_mib * 1024 * 1024)) ] || { echo "curl download short ($k)"; exit 1; }
  rm -f "$out"; sync
}

machine_line
echo "# file: $size_mib MiB of random bytes; $runs runs; servers on CPU $scpu, clients on CPU $ccpu; client: ${client_cmd[*]}; LIFELINE_JAVA_OPTS='${LIFELINE_JAVA_OPTS:-}'"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$warmup"); do ll_down warm; curl_down warm; done
echo "# warm-up: $warmup untimed round(s); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
keys=(raw sha ll lln)
for r in $(seq 1 "$runs"); do
  order=(ll curl); [ $((r % 2)) -eq 0 ] && order=(curl ll)
  for side in "${order[@]}"; do
    if [ "$side" = ll ]; then
      ll_down ll; ll_down lln --no-fsync
    else
      curl_down raw; curl_down sha sha
    fi
  done
  echo "# run $r (load $(load1)):$(for k in "${keys[@]}"; do printf ' %s=%s' "$k" "$(echo "${T[$k]}" | awk '{print $NF}')"; done)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

med() { echo "${T[$1]:-}" | median; }
echo
echo "| one core per side, $size_mib MiB, median of $runs | wall s (MB/s) | / raw curl | curl + sha256sum / this | client CPU s | server CPU s | Lifeline's own s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row() { # LABEL KEY
  local m; m=$(med "$2")
  echo "| $1 | $m ($(mbs "$m" "$size_mib")) | **$(ratio "$m" "$(med raw)")** | **$(ratio "$(med sha)" "$m")**" \
    "| $(echo "${CC[$2]}" | median) | $(echo "${SC[$2]}" | median) | $(echo "${J[$2]:-}" | median) |"
}
row "raw curl" raw
row "curl + sha256sum" sha
row "Lifeline (SHA-256, fsync'd checkpoints)" ll
row "Lifeline --no-fsync" lln
echo
echo "Raw seconds:$(for k in "${keys[@]}"; do printf ' %s=[%s]' "$k" "${T[$k]% }"; done)"
echo "Client CPU s:$(for k in "${keys[@]}"; do printf ' %s=[%s]' "$k" "${CC[$k]% }"; done)"
echo "Server CPU s:$(for k in "${keys[@]}"; do printf ' %s=[%s]' "$k" "${SC[$k]% }"; done)"

perf_report() { # DATA: CPU by library, then the top symbols (self time)
  perf report -i "$1" --stdio --no-children -g none --sort dso --percent-limit 1 \
    > "$work/report.txt" 2>/dev/null || true
  grep -v '^#' "$work/report.txt" | grep -v '^$' | head -12 || true
  echo "top symbols:"
  perf report -i "$1" --stdio --no-children -g none --sort dso,sym --percent-limit 0.8 \
    > "$work/report.txt" 2>/dev/null || true
  grep -v '^#' "$work/report.txt" | grep -v '^$' | head -25 || true
}

perf_profile() {
  local map_opts="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" perf_pid client_pid
  perf record -q -F 499 -p "$ll_pid" -o "$work/server.perf" > /dev/null 2>&1 &
  perf_pid=$!
  sleep 0.5   # perf attached before the download starts
  on_client=(taskset -c "$ccpu" perf record -q -F 499 -o "$work/client.perf" --)
  if [ "${client_cmd[0]}" = java ]; then
    read -r -a mo <<< "$map_opts"
    client_cmd=(java "${mo[@]}" "${client_cmd[@]:1}")
    ll_down perf
  else
    LIFELINE_JAVA_OPTS="${LIFELINE_JAVA_OPTS:-} $map_opts" ll_down perf
  fi
  on_client=(taskset -c "$ccpu")
  jcmd "$ll_pid" Compiler.perfmap > /dev/null
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  echo
  echo "perf, one more download: $(echo "${T[perf]}" | awk '{print $NF}') s wall. Server (server-demo), CPU samples by library:"
  echo
  perf_report "$work/server.perf"
  echo
  echo "Client (client-demo JVM), CPU samples by library:"
  echo
  perf_report "$work/client.perf"
  # The JVMs' perf maps, written to /tmp by the JVM itself (the client's named in perf's report
  # of it, which perf_report just left in report.txt).
  client_pid=$(grep -oE '\[JIT\] tid [0-9]+' "$work/report.txt" | head -1 | awk '{print $3}' || true)
  rm -f "/tmp/perf-$ll_pid.map" ${client_pid:+"/tmp/perf-$client_pid.map"}
}

if [ "$profile" = 1 ]; then
  jfr_opt="-XX:StartFlightRecording=filename=$work/client.jfr,settings=profile"
  jcmd "$ll_pid" JFR.start name=onecore settings=profile > /dev/null
  if [ "${client_cmd[0]}" = java ]; then
    client_cmd=(java "$jfr_opt" "${client_cmd[@]:1}")
    ll_down prof
  else
    LIFELINE_JAVA_OPTS="${LIFELINE_JAVA_OPTS:-} $jfr_opt" ll_down prof
  fi
  jcmd "$ll_pid" JFR.stop name=onecore filename="$work/server.jfr" > /dev/null
  cp "$work/server.jfr" /tmp/onecore-server.jfr
  cp "$work/client.jfr" /tmp/onecore-client.jfr
  echo
  echo "Profiled download (JFR profile settings on both sides): $(echo "${T[prof]}" | awk '{print $NF}') s wall," \
    "client CPU $(echo "${CC[prof]}" | awk '{print $NF}') s, server CPU $(echo "${SC[prof]}" | awk '{print $NF}') s"
  echo
  echo "Server (server-demo, CPU $scpu), top frames by CPU samples per thread group:"
  echo
  python3 bench/jfr-top.py "$work/server.jfr"
  echo
  echo "Client (client-demo, CPU $ccpu), top frames by CPU samples per thread group:"
  echo
  python3 bench/jfr-top.py "$work/client.jfr"
  echo
  echo "Server, native code (BoringSSL, sockets, file I/O):"
  echo
  python3 bench/jfr-top.py "$work/server.jfr" 6 jdk.NativeMethodSample
  echo
  echo "Client, native code:"
  echo
  python3 bench/jfr-top.py "$work/client.jfr" 6 jdk.NativeMethodSample
  if perf record -q -o "$work/probe.perf" -- true > /dev/null 2>&1; then
    perf_profile
  else
    echo; echo "(perf not usable here: no perf profile)"
  fi
fi
