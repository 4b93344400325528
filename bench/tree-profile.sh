#!/usr/bin/env bash
# Where a tree transfer's time goes (bench/trees.sh's tree A, 1,000 files of 64 KiB): one
# upload and one download, each once plainly and once under `strace -f -c -w` (wall time spent
# in each kind of system call: fsync and friends, renames, reads and writes; futex and epoll
# waits are left out, idle threads fill them), on the client and, attached
# to it, on server-demo. Also the client's own "seconds" against the wall clock (JVM start).
#
#   bench/tree-profile.sh [COUNT] [KIB]          (defaults 1000 64)
#
# strace slows what it watches; read its times as shares, and the plain runs for totals.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir=$(pwd)/bench
count=${1:-1000}
kib=${2:-64}
read -r -a client_cmd <<< "${LIFELINE_CLIENT:-bin/lifeline-client}"
java_opts=()
pids=()
work=$(mktemp -d /tmp/lifeline-tprof.XXXXXX)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:"; cat "$1"; exit 1
}
now() { date +%s.%N; }
. "$bench_dir/tree-servers.sh"
start_lifeline
python3 "$bench_dir/tree-gen.py" "$work/src" "$count" $((kib * 1024))
sync
client() { "${client_cmd[@]}" "$@" --server "127.0.0.1:$ll_port" --ca "$ca" --json --state "$work/state"; }
syscalls='trace=fsync,fdatasync,sync_file_range,rename,renameat,renameat2,openat,write,pwrite64,read,pread64'

# Untimed warm-up: the launcher's archive, the server's JIT.
client upload "$work/src" --name warm > /dev/null; rm -rf "$work/state"
client download warm/ --to "$work/warm" > /dev/null; rm -rf "$work/state" "$work/warm"; sync

echo "# uptime: $(uptime)"
n=0
for job in upload download; do
  for traced in plain strace; do
    n=$((n + 1))
    if [ "$job" = upload ]; then args=(upload "$work/src" --name "p$n"); else args=(download warm/ --to "$work/out$n"); fi
    pre=()
    if [ "$traced" = strace ]; then
      strace -f -c -w -e "$syscalls" -o "$work/server.strace" -p "${ll_pids[0]}" 2>/dev/null &
      spid=$!
      sleep 1   # strace attaches to every thread of the server before the transfer starts
      pre=(strace -f -c -w -e "$syscalls" -o "$work/client.strace")
    fi
    t0=$(now)
    json=$("${pre[@]}" "${client_cmd[@]}" "${args[@]}" --server "127.0.0.1:$ll_port" --ca "$ca" --json --state "$work/state" | tail -1)
    t1=$(now)
    echo "## $job, $traced: wall $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s; client: $json"
    if [ "$traced" = strace ]; then
      kill -INT "$spid"; wait "$spid" || true
      echo "### client system calls (wall time, strace -f -c -w)"; head -14 "$work/client.strace"
      echo "### server-demo system calls over the same transfer"; head -14 "$work/server.strace"
    fi
    rm -rf "$work/state" "$work/out$n"; sync
  done
done
