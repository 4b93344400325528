#!/usr/bin/env bash
# Client-side cost of a Lifeline download and upload under different ways of launching the
# client, side by side in one run (issue 6: JVM flags, CDS, launcher scripts, other jars).
#
#   bench/client-variants.sh [--size MIB] [--runs N] [--cases down,up] [--server-cmd CMD] \
#       LABEL='COMMAND PREFIX' [LABEL='COMMAND PREFIX' ...]
#
# COMMAND PREFIX is what runs in front of the client arguments, e.g.
#   base='java -jar client-demo/target/client-demo.jar'
#   serial='java -XX:+UseSerialGC -jar client-demo/target/client-demo.jar'
#   launcher='bin/lifeline-client'
# One server (default: `java -jar server-demo/target/server-demo.jar`, --server-cmd to change)
# serves every run; one untimed warm-up download first. Each run does every variant once, the
# order rotated per run. Measured per client command: wall seconds, the client's CPU (user +
# system of the process tree, /usr/bin/time) and the server's CPU over the same interval
# (/proc/PID/stat). Prints medians and the raw values.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=1024
runs=3
cases=down,up
server_cmd='java -jar server-demo/target/server-demo.jar'
labels=()
cmds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --server-cmd) server_cmd=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) labels+=("${1%%=*}"); cmds+=("${1#*=}"); shift ;;
    *) echo "client-variants.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#labels[@]} -gt 0 ] || { echo "client-variants.sh: give at least one LABEL='COMMAND'" >&2; exit 2; }
want() { [[ ",$cases," == *",$1,"* ]]; }

work=$(mktemp -d /tmp/lifeline-variants.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

tck=$(getconf CLK_TCK)
proc_cpu() { awk -v k="$tck" '{printf "%.2f", ($14 + $15) / k}' "/proc/$1/stat"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
$server_cmd --port "$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log"; exit 1; }
ca=$work/data/tls/ca.pem
mkdir -p "$work/data/files"
src=$work/data/files/bench.bin
head -c $((size_mib << 20)) /dev/urandom > "$src"
sync

declare -A W C S
one() { # LABEL COMMAND CASE
  local label=$1 cmd=$2 what=$3 s0 s1 t
  rm -rf "$work/state" "$work/out.bin" "$work/data/files/up.bin"
  s0=$(proc_cpu "$server_pid")
  if [ "$what" = down ]; then
    # shellcheck disable=SC2086
    /usr/bin/time -o "$work/time" -f '%e %U %S' $cmd download bench.bin --to "$work/out.bin" \
      --server "127.0.0.1:$port" --ca "$ca" --state "$work/state" --json > "$work/out.json" \
      || { echo "$label $what failed"; cat "$work/out.json"; exit 1; }
    cmp -s "$src" "$work/out.bin" || { echo "$label: download MISMATCH"; exit 1; }
  else
    # shellcheck disable=SC2086
    /usr/bin/time -o "$work/time" -f '%e %U %S' $cmd upload "$src" --name up.bin \
      --server "127.0.0.1:$port" --ca "$ca" --state "$work/state" --json > "$work/out.json" \
      || { echo "$label $what failed"; cat "$work/out.json"; exit 1; }
    cmp -s "$src" "$work/data/files/up.bin" || { echo "$label: upload MISMATCH"; exit 1; }
  fi
  s1=$(proc_cpu "$server_pid")
  t=$(tail -1 "$work/time")
  W[$label/$what]+="$(echo "$t" | awk '{print $1}') "
  C[$label/$what]+="$(echo "$t" | awk '{printf "%.2f", $2 + $3}') "
  S[$label/$what]+="$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}') "
  rm -rf "$work/out.bin" "$work/data/files/up.bin"
  sync
}

echo "# $(nproc) cores, $(java -version 2>&1 | head -1), ${size_mib} MiB, $runs runs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
one warmup "${cmds[0]}" down
n=${#labels[@]}
for r in $(seq 1 "$runs"); do
  for i in $(seq 0 $((n - 1))); do
    j=$(( (i + r - 1) % n ))
    want down && one "${labels[$j]}" "${cmds[$j]}" down
    want up && one "${labels[$j]}" "${cmds[$j]}" up
  done
  echo "# run $r done, load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| variant | case | wall s | client CPU s | server CPU s | both ends CPU s |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for what in down up; do
  want "$what" || continue
  for i in $(seq 0 $((n - 1))); do
    k=${labels[$i]}/$what
    both=$(paste -d' ' <(echo "${C[$k]}" | tr ' ' '\n' | grep -v '^$') <(echo "${S[$k]}" | tr ' ' '\n' | grep -v '^$') | awk '{printf "%.2f ", $1 + $2}')
    echo "| ${labels[$i]} | $what | $(echo "${W[$k]}" | median) | $(echo "${C[$k]}" | median) | $(echo "${S[$k]}" | median) | $(echo "$both" | median) |"
  done
done
echo
for what in down up; do
  want "$what" || continue
  for i in $(seq 0 $((n - 1))); do
    k=${labels[$i]}/$what
    echo "raw ${labels[$i]} $what: wall [${W[$k]% }] client CPU [${C[$k]% }] server CPU [${S[$k]% }]"
  done
done
