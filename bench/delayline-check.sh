#!/usr/bin/env bash
# Checks bench/delayline.c before its numbers are trusted (issue 22):
#
#   bench/delayline-check.sh [--size MIB] [--runs N]
#
# 1. It is not the bottleneck: curl downloads a --size MiB file (default 1024) from nginx
#    (TLS 1.3, to /dev/null) directly and through the delay line at DELAY 0, alternating, --runs
#    times each (default 5); medians, and the delay line's CPU seconds per download.
# 2. The delay is what it says: through delay lines of D = 0, 10, 40, 100 ms a small HTTPS
#    request; curl's time_starttransfer - time_appconnect is one round trip (the request out,
#    the first byte back), which should be 2D plus what it is directly. Medians of 5.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh
# shellcheck source=bench/nginx.sh
. bench/nginx.sh

size_mib=1024
runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/delayline-check.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

ensure_tools
trap cleanup_bench EXIT INT TERM
bench_setup_work
start_server_demo   # only for its certificate, as the other scripts use it
start_bench_nginx
build_delayline
make_source_file f.bin "$size_mib"
ln "$work/src/f.bin" "$ng/www/f.bin"
echo small > "$ng/www/small.bin"
sync

start_delayline "$ng_port" 0 $((16 * 1024 * 1024))
dl0=$DL_PORT; dl0_pid=$DL_PID
get() { curl -sS --fail --cacert "$ca" -o /dev/null "https://127.0.0.1:$1/f.bin"; }
get "$ng_port"; get "$dl0"   # the page cache, nginx's first connection
declare -A T P
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$runs"); do
  order=(direct line); [ $((r % 2)) -eq 0 ] && order=(line direct)
  for side in "${order[@]}"; do
    if [ "$side" = direct ]; then
      t0=$(now); get "$ng_port"; T[direct]+="$(elapsed "$t0" "$(now)") "
    else
      c0=$(proc_cpu "$dl0_pid"); t0=$(now); get "$dl0"
      T[line]+="$(elapsed "$t0" "$(now)") "; P[line]+="$(sub "$c0" "$(proc_cpu "$dl0_pid")") "
    fi
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
d=$(echo "${T[direct]}" | median); l=$(echo "${T[line]}" | median)
echo
echo "| curl, $size_mib MiB from nginx, median of $runs | wall s (MB/s) | delay line CPU s |"
echo "| --- | ---: | ---: |"
echo "| direct | $d ($(mbs "$d" "$size_mib")) | - |"
echo "| through delayline, DELAY 0 | $l ($(mbs "$l" "$size_mib")) | $(echo "${P[line]}" | median) |"
echo "Raw seconds: direct=[${T[direct]% }] line=[${T[line]% }]; delay line CPU s: [${P[line]% }]"

echo
echo "| one-way delay ms | round trip measured ms (median of 5) | expected ms (2D + direct) |"
echo "| ---: | ---: | ---: |"
rtt() { # PORT: a request's round trip in ms, median of 5
  for _ in 1 2 3 4 5; do
    curl -sS --fail --cacert "$ca" -o /dev/null -w '%{time_starttransfer} %{time_appconnect}\n' \
      "https://127.0.0.1:$1/small.bin" | awk '{printf "%.1f ", ($1 - $2) * 1000}'
  done | median
}
base=$(rtt "$ng_port")
echo "| direct | $base | - |"
for dms in 0 10 40 100; do
  start_delayline "$ng_port" "$dms" $((16 * 1024 * 1024))
  echo "| $dms | $(rtt "$DL_PORT") | $(awk -v d="$dms" -v b="$base" 'BEGIN {printf "%.1f", 2 * d + b}') |"
  stop_delayline "$DL_PID"
done
