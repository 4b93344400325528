#!/usr/bin/env bash
# Throughput of a large upload and download on loopback, fault-free and with a connection cut
# every 50-150 MB, using the demo jars exactly as a user runs them.
#
#   bench/transfer.sh [SIZE_MIB] [RUNS]      (defaults: 1024 MiB, 3 runs; medians reported)
#
# Prints a Markdown table (seconds and MB/s per case, median of RUNS) for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}

if [ ! -f server-demo/target/server-demo.jar ] || [ ! -f client-demo/target/client-demo.jar ]; then
  mvn -q -B -DskipTests package
fi

work=$(mktemp -d /tmp/lifeline-bench.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
java -jar server-demo/target/server-demo.jar --port "$port" --data-dir "$work/data" \
  > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" && break
  sleep 0.1
done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log"; exit 1; }

head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src.bin"
client() {
  java -jar client-demo/target/client-demo.jar "$@" --server "127.0.0.1:$port" \
    --ca "$work/data/tls/ca.pem" --state "$work/state" --json
}
seconds() { sed -E 's/.*"seconds":([0-9.]+).*/\1/'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A results
for r in $(seq 1 "$runs"); do
  for mode in clean cut; do
    chaos=()
    [ "$mode" = cut ] && chaos=(--chaos "cut=50M..150M,mode=rst")
    name="f-$mode-$r.bin"
    up=$(client upload "$work/src.bin" --name "$name" "${chaos[@]}" | tail -1)
    down=$(client download "$name" --to "$work/back-$mode.bin" "${chaos[@]}" | tail -1)
    cmp -s "$work/src.bin" "$work/back-$mode.bin" || { echo "MISMATCH in $mode run $r"; exit 1; }
    results[up-$mode]+="$(echo "$up" | seconds) "
    results[down-$mode]+="$(echo "$down" | seconds) "
    rm -f "$work/back-$mode.bin" "$work/data/files/$name"
  done
done

echo "| case | median s | MB/s |"
echo "| --- | ---: | ---: |"
for k in up-clean down-clean up-cut down-cut; do
  m=$(echo "${results[$k]}" | tr ' ' '\n' | grep -v '^$' | median)
  mbs=$(awk -v s="$m" -v n="$size_mib" 'BEGIN {printf "%.0f", n * 1.048576 / s}')
  echo "| $k ($size_mib MiB) | $m | $mbs |"
done
