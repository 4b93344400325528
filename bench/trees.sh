#!/usr/bin/env bash
# Whole trees, side by side in one run (issue 21, "Measured"): client-demo against a curl loop
# from nginx and against rsync over ssh, each command a fresh process as a user runs it.
#
#   bench/trees.sh [--runs N] [--loop-runs N] [--trees A,B] [--dirs up,down] [--rows ROWS]
#                  [--no-chaos] [--no-single] [--chaos-count N]
#
# Trees (bench/tree-gen.py, seeded random bytes, two directory levels ten wide):
#   A: 1,000 files of 64 KiB (62.5 MiB)      B: 50 files of 256 KiB (12.5 MiB)
# Rows (--rows, default all), each timed as one command, wall clock, median of --runs (3):
#   ll      client-demo upload DIR --name P / client-demo download P/ --to DIR (one process;
#           SHA-256 verified end to end, files and checkpoints fsync'd)
#   llnf    the download with --no-fsync (files left in the page cache, as curl's and rsync's)
#   curl    a curl loop: one `curl` process per file, GET from nginx (TLS 1.3, server-demo's
#           certificate) / PUT to nginx WebDAV (create_full_put_path); the slowest row by far:
#           --loop-runs N runs it in the first N runs only (default: every run)
#   curlk   one curl process for the whole list (-K config: one connection reused, in turn)
#   curlz   one curl process with -Z (up to 50 connections in parallel)
#   rsync   rsync -a over ssh to an OpenSSH server of its own on 127.0.0.1 (whole-file
#           checksum verified by rsync; no fsync)
#   rsyncf  rsync -a --fsync (every written file fsync'd, as Lifeline's)
# CPU s: user + system of both ends (this shell's children for the client side; the server's
# process with its reaped children for nginx, sshd and server-demo). Every result is compared
# with the source (names and SHA-256, untimed) after each command; an untimed `sync` follows.
# Then (unless --no-chaos) tree A is uploaded with the connection cut every 2-5 MB
# (`--chaos cut=2M..5M,count=N`) and the client SIGKILLed once mid-set, then the same command is
# run again: it must complete; its --json summary and the server's log show what was sent again.
# Last (unless --no-single) one 1 MiB download and upload against curl: bench/startup.sh if it
# exists, else bench/run.sh --cases 1,3 --size 1.
# LIFELINE_CLIENT is the command that runs client-demo (default bin/lifeline-client, with the
# class-data-sharing archive the build ships). LIFELINE_JAVA_OPTS: JVM options of server-demo.
# An untimed warm-up round of the cheaper rows warms server-demo's JIT, its SHA-256 sidecars
# of the served trees and the page cache. LIFELINE_BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir=$(pwd)/bench

runs=3
loop_runs=
trees=A,B
dirs=up,down
rows=ll,llnf,curl,curlk,curlz,rsync,rsyncf
chaos=1
single=1
chaos_count=40
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --loop-runs) loop_runs=$2; shift 2 ;;
    --trees) trees=$2; shift 2 ;;
    --dirs) dirs=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --no-chaos) chaos=0; shift ;;
    --no-single) single=0; shift ;;
    --chaos-count) chaos_count=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "bench/trees.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "--runs: a number >= 1" >&2; exit 2 ;; esac
in_list() { [[ ",$2," == *",$1,"* ]]; }
read -r -a java_opts <<< "${LIFELINE_JAVA_OPTS:-}"
read -r -a client_cmd <<< "${LIFELINE_CLIENT:-bin/lifeline-client}"

pids=()
work=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$work" ] && [ -n "${LIFELINE_BENCH_KEEP:-}" ]; then echo "# kept $work" >&2
  elif [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:"; cat "$1"; exit 1
}
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "-"}'; }
median() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
json_field() { sed -nE "s/.*\"$1\":\"?([^,\"}]*).*/\\1/p"; }
child_cpu() { # sets CHILD_CPU: CPU seconds of this shell's finished children (must run in this shell)
  times > "$work/.times"
  CHILD_CPU=$(awk 'NR == 2 {split($1,a,/[ms]/); split($2,b,/[ms]/); printf "%.2f", a[1]*60+a[2]+b[1]*60+b[2]}' "$work/.times")
}
tck=$(getconf CLK_TCK)
# CPU seconds of running PIDs, their reaped children included (sshd forks one per connection).
proc_cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; awk -v t="$t" -v k="$tck" 'BEGIN {printf "%.2f", t / k}'; }
# Names and SHA-256 of every regular file under DIR, hidden names (server sidecars) left out.
manifest() { (cd "$1" && find . -type f -not -path '*/.*' -printf '%P\0' | sort -z | xargs -0 -r sha256sum); }

. "$bench_dir/tree-servers.sh"
tree_tools
if [ ! -f server-demo/target/server-demo.jar ] || [ ! -f client-demo/target/client-demo.jar ]; then
  mvn -q -B -DskipTests package
fi
work=$(mktemp -d /tmp/lifeline-trees.XXXXXX)
start_lifeline
start_nginx
start_sshd
me=$(id -un)

# --- the trees: one copy, hard-linked where each server serves it from -------------------------
declare -A tree_count tree_kib
tree_count[A]=1000; tree_kib[A]=64
tree_count[B]=50; tree_kib[B]=256
gen=$trees; [ "$chaos" = 1 ] && ! in_list A "$trees" && gen=$trees,A   # the faults use tree A
for t in ${gen//,/ }; do
  src=$work/src/$t
  python3 "$bench_dir/tree-gen.py" "$src" "${tree_count[$t]}" $((tree_kib[$t] * 1024))
  manifest "$src" > "$work/manifest.$t"
  (cd "$src" && find . -type f -printf '%P\n' | sort) > "$work/list.$t"
  mkdir -p "$work/data/files" "$ng/www/t"
  cp -al "$src" "$work/data/files/t$t"
  cp -al "$src" "$ng/www/t/$t"
done
chmod -R a+rX "$work/src" "$ng/www/t"
sync

# --- one command per row -------------------------------------------------------------------------
client() { "${client_cmd[@]}" "$@" --server "127.0.0.1:$ll_port" --ca "$ca" --json; }
curl_base=(curl -sS --fail --cacert "$ca")
ng_url=https://127.0.0.1:$ng_port

# The curl config for one process over the whole list: DIRECTION TREE DEST
curl_config() {
  local rel
  while read -r rel; do
    if [ "$1" = down ]; then
      printf 'url = "%s/t/%s/%s"\noutput = "%s/%s"\n' "$ng_url" "$2" "$rel" "$3" "$rel"
    else
      printf 'upload-file = "%s/src/%s/%s"\nurl = "%s/up/%s/%s"\noutput = "/dev/null"\n' \
        "$work" "$2" "$rel" "$ng_url" "$3" "$rel"
    fi
  done < "$work/list.$2"
}

# Runs ROW in DIRECTION for TREE into DEST (a local directory for down, a remote name for up).
run_row() { # ROW DIRECTION TREE DEST
  local row=$1 dir=$2 t=$3 dest=$4 rel
  case "$row-$dir" in
    ll-up)     client upload "$work/src/$t" --name "$dest" --state "$work/state" ;;
    ll-down)   client download "t$t/" --to "$dest" --state "$work/state" ;;
    llnf-down) client download "t$t/" --to "$dest" --state "$work/state" --no-fsync ;;
    curl-up)   while read -r rel; do
                 "${curl_base[@]}" -T "$work/src/$t/$rel" -o /dev/null "$ng_url/up/$dest/$rel" || return
               done < "$work/list.$t" ;;
    curl-down) while read -r rel; do
                 "${curl_base[@]}" --create-dirs -o "$dest/$rel" "$ng_url/t/$t/$rel" || return
               done < "$work/list.$t" ;;
    curlk-*)   "${curl_base[@]}" --create-dirs -K "$work/curl.cfg" ;;
    curlz-*)   "${curl_base[@]}" --create-dirs -Z -K "$work/curl.cfg" ;;
    rsync-up)  rsync -a -e "$ssh_cmd" "$work/src/$t/" "$me@127.0.0.1:$work/rsync-up/$dest/" ;;
    rsync-down) rsync -a -e "$ssh_cmd" "$me@127.0.0.1:$work/src/$t/" "$dest/" ;;
    rsyncf-up) rsync -a --fsync -e "$ssh_cmd" "$work/src/$t/" "$me@127.0.0.1:$work/rsync-up/$dest/" ;;
    rsyncf-down) rsync -a --fsync -e "$ssh_cmd" "$me@127.0.0.1:$work/src/$t/" "$dest/" ;;
    *) return 99 ;;
  esac
}

# Where ROW's upload lands on its server, and which processes are that server.
landed() { # ROW DEST
  case "$1" in
    ll*) echo "$work/data/files/$2" ;;
    curl*) echo "$ng/www/up/$2" ;;
    rsync*) echo "$work/rsync-up/$2" ;;
  esac
}
server_pids() {
  case "$1" in ll*) echo "${ll_pids[*]}" ;; curl*) echo "${ng_pids[*]}" ;; rsync*) echo "${ssh_pids[*]}" ;; esac
}

# per KEY (TREE-DIR-ROW): wall seconds; CPU seconds of both ends, the client, the server;
# failures; the client's own "seconds" (client-demo's JSON)
declare -A T U UC US F J
seq_no=0
measure() { # TREE DIRECTION ROW: one timed command, then the untimed check and clean-up
  local t=$1 dir=$2 row=$3 k=$1-$2-$3 dest rc=0 t0 t1 c0 s0 cc sc out got
  seq_no=$((seq_no + 1))
  if [ "$dir" = up ]; then dest=u$t-$seq_no; got=$(landed "$row" "$dest"); else dest=$work/down/$seq_no; got=$dest; fi
  [ "${row:0:4}" = curl ] && [ "$row" != curl ] && curl_config "$dir" "$t" "$dest" > "$work/curl.cfg"
  rm -rf "$work/state"; mkdir -p "$work/down" "$work/rsync-up"
  read -r -a sp <<< "$(server_pids "$row")"
  out=$work/out.$k
  child_cpu; c0=$CHILD_CPU; s0=$(proc_cpu "${sp[@]}")
  t0=$(now)
  run_row "$row" "$dir" "$t" "$dest" > "$out" 2> "$work/err" || rc=$?
  t1=$(now)
  child_cpu
  if [ "$rc" -eq 0 ] && ! manifest "$got" 2>/dev/null | cmp -s - "$work/manifest.$t"; then rc=mismatch; fi
  if [ "$rc" != 0 ]; then
    F[$k]+="$rc "
    echo "# $k failed ($rc): $(tail -c 300 "$work/err" | tr '\n' ' ')" >&2
  else
    T[$k]+="$(sub "$t0" "$t1") "
    cc=$(sub "$c0" "$CHILD_CPU"); sc=$(sub "$s0" "$(proc_cpu "${sp[@]}")")
    U[$k]+="$(add "$cc" "$sc") "; UC[$k]+="$cc "; US[$k]+="$sc "
    [ "${row:0:2}" = ll ] && J[$k]+="$(tail -1 "$out" | json_field seconds) "
  fi
  rm -rf "$got" "$work/state"
  sync
}

# --- the run -------------------------------------------------------------------------------------
java_v=$(java -version 2>&1 | head -1)
echo "# machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB, $java_v,"
echo "#   $(nginx -v 2>&1 | sed 's/.*: //'), $(curl --version | head -1 | cut -d' ' -f1-2), $(rsync --version | head -1 | awk '{print $1, $3}'), $(ssh -V 2>&1 | cut -d, -f1), $(openssl version | cut -d' ' -f1-2)"
echo "# trees: $(for t in ${trees//,/ }; do printf '%s=%s x %s KiB ' "$t" "${tree_count[$t]}" "${tree_kib[$t]}"; done); $runs runs; client: ${client_cmd[*]}; git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# uptime before: $(uptime)"
all_rows=()
for row in ${rows//,/ }; do all_rows+=("$row"); done
# Warm-up, untimed: server-demo's JIT and SHA-256 sidecars, ssh, the page cache (and the
# launcher's archive where the build shipped none). The curl processes have nothing to warm.
for t in ${trees//,/ }; do
  for dir in ${dirs//,/ }; do
    for row in "${all_rows[@]}"; do
      [ "$row" = llnf ] && [ "$dir" = up ] && continue
      case "$row" in curl|curlz|rsyncf) continue ;; esac
      measure "$t" "$dir" "$row"
    done
  done
done
unset T U UC US F J; declare -A T U UC US F J
echo "# warm-up done; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$runs"); do
  # Rotate the order of the rows each run so no tool always follows the same one.
  n=${#all_rows[@]}; order=()
  for i in $(seq 0 $((n - 1))); do order+=("${all_rows[$(( (i + r - 1) % n ))]}"); done
  for t in ${trees//,/ }; do
    for dir in ${dirs//,/ }; do
      for row in "${order[@]}"; do
        [ "$row" = llnf ] && [ "$dir" = up ] && continue
        [ "$row" = curl ] && [ "$r" -gt "${loop_runs:-$runs}" ] && continue
        measure "$t" "$dir" "$row"
      done
    done
  done
  echo "# run $r done; load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "# uptime after: $(uptime)"

label() {
  case "$1" in
    ll) echo "client-demo (one command)" ;; llnf) echo "client-demo --no-fsync" ;;
    curl) echo "curl loop (a process per file)" ;; curlk) echo "curl, one process (-K list)" ;;
    curlz) echo "curl -Z, one process, parallel" ;; rsync) echo "rsync -a over ssh" ;;
    rsyncf) echo "rsync -a --fsync over ssh" ;;
  esac
}
echo
echo "| tree, direction | tool | median s | CPU s both ends (client + server) | time / client-demo's |"
echo "| --- | --- | ---: | ---: | ---: |"
raw=
for t in ${trees//,/ }; do
  for dir in ${dirs//,/ }; do
    base=$(echo "${T[$t-$dir-ll]:-}" | median)
    first="$t $(printf "%'d" "${tree_count[$t]}") x ${tree_kib[$t]} KiB, $dir"
    for row in "${all_rows[@]}"; do
      k=$t-$dir-$row
      [ -z "${T[$k]:-}${F[$k]:-}" ] && continue
      m=$(echo "${T[$k]:-}" | median)
      n=$(echo "${T[$k]:-}" | wc -w)
      note=; [ "$n" -ne "$runs" ] && note=" ($n of $runs runs)"
      note+=${F[$k]:+ (failed: ${F[$k]% })}
      by=$(ratio "$m" "$base"); [ "$by" != - ] && by="${by}x"
      case "$row" in ll) by=1; m="**$m**" ;; curl|rsync) by="**$by**" ;; esac
      cpu="$(echo "${U[$k]:-}" | median) ($(echo "${UC[$k]:-}" | median) + $(echo "${US[$k]:-}" | median))"
      echo "| $first | $(label "$row")$note | $m | $cpu | $by |"
      first=
      raw+=" $k=[${T[$k]% }]"
    done
  done
done
echo
echo "Raw seconds:$raw"
echo
for t in ${trees//,/ }; do
  for dir in ${dirs//,/ }; do
    l=$(echo "${T[$t-$dir-ll]:-}" | median)
    echo "Targets, tree $t $dir: curl loop / client-demo = $(ratio "$(echo "${T[$t-$dir-curl]:-}" | median)" "$l")x (target >= 5);" \
      "rsync / client-demo = $(ratio "$(echo "${T[$t-$dir-rsync]:-}" | median)" "$l")x (target >= 1);" \
      "client-demo's own \"seconds\" (no JVM start): $(echo "${J[$t-$dir-ll]:-}" | median)"
  done
done

[ "$chaos" = 1 ] && . "$bench_dir/tree-chaos.sh"
if [ "$single" = 1 ]; then
  echo
  if [ -f "$bench_dir/startup.sh" ]; then
    echo "# one 1 MiB download and upload: bench/startup.sh"
    bash "$bench_dir/startup.sh"
  else
    echo "# one 1 MiB download and upload: bench/run.sh --cases 1,3 --size 1 --runs 5"
    bash "$bench_dir/run.sh" --cases 1,3 --size 1 --runs 5
  fi
fi
