#!/usr/bin/env bash
# What one small transfer costs a fresh client process: client-demo against curl and nginx
# (issue 21, "Start-up"), side by side in one run.
#
#   bench/startup.sh [--runs N] [--kib K] [--cases down,up] [LABEL='COMMAND PREFIX' ...]
#
# One file of K KiB (default 1024) of random bytes, served by one server-demo and by nginx
# (TLS 1.3 only, the same development certificate, WebDAV PUT under /up/). Each run does every
# row once, order rotated per run, each command a fresh process with a fresh --state directory:
#   curl      curl --cacert ca.pem -o OUT https://127.0.0.1:PORT/NAME   (upload: -T FILE .../up/)
#   jar       java -jar client-demo/target/client-demo.jar download NAME --to OUT ...
#   launcher  bin/lifeline-client download NAME --to OUT ...  (the archive packaged by the build)
# LABEL='COMMAND PREFIX' adds a row (or replaces one of the same label): COMMAND PREFIX is what
# runs in front of the client's arguments, e.g. tier1='java -XX:TieredStopAtLevel=1 -jar ...'.
# Measured per command with /usr/bin/time: wall seconds and the client's CPU (user + system).
# Prints medians, the ratio of each row's median wall time to curl's, and the raw values.
# Needs nginx and curl (installed from Debian packages when missing and run as root) and the
# jars (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=11
kib=1024
cases=down,up
labels=(jar launcher)
declare -A cmd=([jar]='java -jar client-demo/target/client-demo.jar' [launcher]='bin/lifeline-client')
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --kib) kib=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) l=${1%%=*}; [ -n "${cmd[$l]+x}" ] || labels+=("$l"); cmd[$l]=${1#*=}; shift ;;
    *) echo "startup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$cases," == *",$1,"* ]]; }

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] || ! command -v curl >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "startup.sh: needs nginx and curl" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx curl
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -f client-demo/target/client-demo.jar ] && [ -f server-demo/target/server-demo.jar ] \
  || mvn -B -q -DskipTests package -pl client-demo,server-demo -am

work=$(mktemp -d /tmp/lifeline-startup.XXXXXX)
chmod 755 "$work"   # nginx's worker (user nobody) reads and writes below
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

# --- server-demo and the file ---------------------------------------------------------------
port=$(free_port)
java -jar server-demo/target/server-demo.jar --port "$port" --data-dir "$work/data" \
  > "$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log"; exit 1; }
ca=$work/data/tls/ca.pem
name=small.bin
src=$work/src/$name
mkdir -p "$work/src" "$work/data/files" "$work/out"
head -c $((kib * 1024)) /dev/urandom > "$src"
chmod 644 "$src"
ln "$src" "$work/data/files/$name"

# --- nginx: its own prefix, the same certificate, TLS 1.3 only, WebDAV PUT under /up/ -------
. bench/nginx.sh   # cwd is the repository (above)
start_bench_nginx
ln "$src" "$ng/www/$name"

# --- the rows ---------------------------------------------------------------------------------
declare -A W C   # per "case/label": wall seconds and CPU seconds, space separated
timed() { # KEY COMMAND...: runs it under /usr/bin/time, fails loudly on a non-zero exit
  local key=$1; shift
  if ! /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > "$work/cmd.out" 2> "$work/cmd.err"; then
    echo "startup.sh: $key failed: $*" >&2; cat "$work/cmd.out" "$work/cmd.err" "$work/time" >&2; exit 1
  fi
  read -r wall user sys < <(tail -1 "$work/time")
  W[$key]+="$wall "
  C[$key]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') "
}
one() { # CASE LABEL RUN
  local c=$1 l=$2 r=$3 out=$work/out/$1-$2-$3.bin
  local state=$work/state-$c-$l-$r
  if [ "$l" = curl ]; then
    if [ "$c" = down ]; then timed "$c/$l" curl -sS --cacert "$ca" -o "$out" "https://127.0.0.1:$ng_port/$name"
    else timed "$c/$l" curl -sS --cacert "$ca" -T "$src" "https://127.0.0.1:$ng_port/up/$c-$l-$r.bin"; fi
  else
    local prefix
    read -r -a prefix <<< "${cmd[$l]}"
    if [ "$c" = down ]; then
      timed "$c/$l" "${prefix[@]}" download "$name" --to "$out" --server "127.0.0.1:$port" \
        --ca "$ca" --state "$state"
    else
      timed "$c/$l" "${prefix[@]}" upload "$src" --name "$c-$l-$r.bin" --server "127.0.0.1:$port" \
        --ca "$ca" --state "$state"
    fi
  fi
  rm -rf "$out" "$state"
}
rows=(curl "${labels[@]}")
# One untimed round first: the server is long-running, and the page cache holds the jars.
for c in down up; do want $c || continue; for l in "${rows[@]}"; do one $c "$l" 0 > /dev/null; done; done
W=(); C=()
for r in $(seq 1 "$runs"); do
  n=${#rows[@]}
  for i in $(seq 0 $((n - 1))); do
    l=${rows[$(( (i + r) % n ))]}
    for c in down up; do want $c && one $c "$l" "$r"; done
  done
done

echo
echo "$(java -version 2>&1 | head -1), $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), $(curl --version | head -1 | cut -d' ' -f1-2); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| job ($kib KiB, fresh process, median of $runs) | client | wall s | CPU s | wall / curl's |"
echo "| --- | --- | ---: | ---: | ---: |"
for c in down up; do
  want $c || continue
  job=$([ $c = down ] && echo download || echo "upload (curl: WebDAV PUT)")
  base=$(echo "${W[$c/curl]}" | median)
  for l in "${rows[@]}"; do
    w=$(echo "${W[$c/$l]}" | median)
    echo "| $job | $l | $w | $(echo "${C[$c/$l]}" | median) | $(awk -v a="$w" -v b="$base" 'BEGIN {printf "%.1fx", a / b}') |"
  done
done
echo
for l in "${rows[@]}"; do
  [ "$l" = curl ] || echo "$l = ${cmd[$l]}"
done
echo
echo "raw (wall / CPU):"
for c in down up; do
  want $c || continue
  for l in "${rows[@]}"; do echo "  $c $l: ${W[$c/$l]}/ ${C[$c/$l]}"; done
done
