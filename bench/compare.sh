#!/usr/bin/env bash
# Lifeline's demo jars side by side with curl against nginx (issue 6, cases 1 and 2), on loopback.
#
#   bench/compare.sh [SIZE_MIB] [RUNS]      (defaults: 1024 MiB, 3 runs; medians reported)
#
# Case 1, fault-free download of one file of random bytes:
#   Lifeline: `client-demo download` from `server-demo` (TLS 1.3, BoringSSL; SHA-256 verified end
#             to end by the client; fsync'd checkpoints on both sides; the output file is fsync'd).
#   curl:     `curl --cacert ca.pem -o OUT https://127.0.0.1:PORT/FILE` from nginx (TLS 1.3 only,
#             the same certificate and key as server-demo, sendfile on), then
#             `openssl dgst -sha256 OUT` (uses SHA-NI; coreutils sha256sum is ~6x slower here)
#             compared with the source's hash, timed together. No fsync on this side.
# Case 2, the same with the connection reset after a random 50-150 MB, over and over:
#   Lifeline: `--chaos cut=50M..150M,mode=rst` (the client resets its own connection and resumes).
#   curl:     a bounded shell loop re-running `curl -C - ...` until the file is complete, through
#             bench/cutproxy.py, a loopback proxy that resets each connection after a random
#             50-150 MB server->client; then `openssl dgst -sha256`, all timed together.
#   Extra row: Lifeline through the same proxy (no --chaos), so both sides pay the proxy hop.
# Times are wall clock around the whole command (JVM start included for Lifeline). Each
# measurement is followed by an untimed `sync`; sides alternate, order swapped on even runs.
# Needs root only to install nginx/curl (Debian packages) when missing. Traffic: 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
bench_dir=$(pwd)/bench

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

work=$(mktemp -d /tmp/lifeline-compare.XXXXXX)
chmod 755 "$work"          # nginx workers (user nobody) read the www dir below
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN
  for _ in $(seq 1 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:"; cat "$1"; exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }

# --- Lifeline server --------------------------------------------------------------------------
ll_port=$(free_port)
java -jar server-demo/target/server-demo.jar --port "$ll_port" --data-dir "$work/data" \
  > "$work/server.log" 2>&1 &
pids+=($!)
wait_for "$work/server.log" "listening on"
ca=$work/data/tls/ca.pem

name=compare.bin
src=$work/data/files/$name
mkdir -p "$work/data/files"
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$src"
expected=$(openssl dgst -sha256 -r "$src" | cut -d' ' -f1)
sync   # write the source out now, not during the first measurement

# --- nginx: own prefix, own config, same certificate, TLS 1.3 only ----------------------------
ng=$work/nginx
mkdir -p "$ng/www" "$ng/logs" "$ng/tmp"
chmod -R 755 "$ng"
ln "$src" "$ng/www/$name"
chmod 644 "$src"
ng_port=$(free_port)
cat > "$ng/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:$ng_port ssl;
    ssl_certificate $work/data/tls/server.pem;
    ssl_certificate_key $work/data/tls/server.key;
    ssl_protocols TLSv1.3;
    root $ng/www;
  }
}
EOF
"$nginx_bin" -p "$ng" -c "$ng/nginx.conf" > "$ng/logs/stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sS -o /dev/null --cacert "$ca" -r 0-0 "https://127.0.0.1:$ng_port/$name" 2>/dev/null && break
  sleep 0.1
done
curl -sS -o /dev/null --cacert "$ca" -r 0-0 "https://127.0.0.1:$ng_port/$name" \
  || { cat "$ng/logs/error.log"; exit 1; }

# --- reset proxies: one in front of nginx, one in front of server-demo -------------------------
lo=$((50 * 1000 * 1000)); hi=$((150 * 1000 * 1000))
px_ng=$(free_port)
python3 "$bench_dir/cutproxy.py" "$px_ng" "$ng_port" "$lo" "$hi" > "$work/px-ng.log" 2>&1 &
pids+=($!)
px_ll=$(free_port)
python3 "$bench_dir/cutproxy.py" "$px_ll" "$ll_port" "$lo" "$hi" > "$work/px-ll.log" 2>&1 &
pids+=($!)
wait_for "$work/px-ng.log" "proxy listening"
wait_for "$work/px-ll.log" "proxy listening"

# --- the two sides -----------------------------------------------------------------------------
out=$work/out.bin
declare -A T X J C   # T[case]="secs secs ..."; X[case]="reconnects/attempts ..."

lifeline() { # CASE PORT [client args...]
  local c=$1 port=$2; shift 2
  rm -rf "$out" "$work/state"
  local t0 t1 json
  t0=$(now)
  json=$(java -jar client-demo/target/client-demo.jar download "$name" --to "$out" \
    --server "127.0.0.1:$port" --ca "$ca" --state "$work/state" --json "$@" | tail -1)
  t1=$(now)
  cmp -s "$src" "$out" || { echo "Lifeline MISMATCH ($c)"; exit 1; }
  T[$c]+="$(elapsed "$t0" "$t1") "
  X[$c]+="$(echo "$json" | sed -E 's/.*"reconnects":([0-9]+).*/\1/') "
  J[$c]+="$(echo "$json" | sed -E 's/.*"seconds":([0-9.]+).*/\1/') "
  rm -f "$out"; sync
}

curl_side() { # CASE PORT
  local c=$1 port=$2 t0 tm t1 n=0 size
  rm -f "$out"
  t0=$(now)
  while [ "$n" -lt 200 ]; do
    n=$((n + 1))
    curl -sS --cacert "$ca" -C - -o "$out" "https://127.0.0.1:$port/$name" 2>>"$work/curl.err" && break
    size=$(stat -c %s "$out" 2>/dev/null || echo 0)
    [ "$size" -ge $((size_mib * 1024 * 1024)) ] && break
  done
  tm=$(now)
  got=$(openssl dgst -sha256 -r "$out" | cut -d' ' -f1)
  t1=$(now)
  [ "$got" = "$expected" ] || { echo "curl MISMATCH ($c) after $n attempts"; exit 1; }
  T[$c]+="$(elapsed "$t0" "$t1") "
  X[$c]+="$((n - 1)) "
  C[$c]+="$(elapsed "$t0" "$tm") "
  rm -f "$out"; sync
}

uptime | sed 's/^/# load before: /'
for r in $(seq 1 "$runs"); do
  if [ $((r % 2)) -eq 1 ]; then
    lifeline ll-clean "$ll_port"; curl_side curl-clean "$ng_port"
    lifeline ll-cut "$ll_port" --chaos cut=50M..150M,mode=rst; curl_side curl-cut "$px_ng"
    lifeline ll-proxy "$px_ll"
  else
    curl_side curl-clean "$ng_port"; lifeline ll-clean "$ll_port"
    lifeline ll-proxy "$px_ll"
    curl_side curl-cut "$px_ng"; lifeline ll-cut "$ll_port" --chaos cut=50M..150M,mode=rst
  fi
  echo "# run $r: $(for k in ll-clean curl-clean ll-cut curl-cut ll-proxy; do printf '%s=%s ' "$k" "$(echo ${T[$k]} | awk "{print \$NF}")"; done)" >&2
done
uptime | sed 's/^/# load after: /'

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
med() { echo "${T[$1]}" | median; }
mbs() { awk -v s="$1" -v n="$size_mib" 'BEGIN {printf "%.0f", n * 1.048576 / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo
echo "| case ($size_mib MiB, median of $runs) | Lifeline s (MB/s) | curl + nginx s (MB/s) | Lifeline time / curl time | reconnects (Lifeline) / curl re-runs |"
echo "| --- | ---: | ---: | ---: | --- |"
l=$(med ll-clean); c=$(med curl-clean)
echo "| 1. download, fault-free | $l ($(mbs "$l")) | $c ($(mbs "$c")) | $(ratio "$l" "$c") | ${X[ll-clean]}/ ${X[curl-clean]}|"
l=$(med ll-cut); c=$(med curl-cut)
echo "| 2. download, reset every 50–150 MB (Lifeline --chaos; curl -C - loop via proxy) | $l ($(mbs "$l")) | $c ($(mbs "$c")) | $(ratio "$l" "$c") | ${X[ll-cut]}/ ${X[curl-cut]}|"
l=$(med ll-proxy)
echo "| 2b. download, reset every 50–150 MB, both through bench/cutproxy.py | $l ($(mbs "$l")) | $c ($(mbs "$c")) | $(ratio "$l" "$c") | ${X[ll-proxy]}/ ${X[curl-cut]}|"
echo
echo "Lifeline with resets vs its own fault-free time: --chaos $(ratio "$(med ll-cut)" "$(med ll-clean)")x, via proxy $(ratio "$(med ll-proxy)" "$(med ll-clean)")x"
echo "Lifeline client's own \"seconds\" (no JVM start), medians: fault-free $(echo "${J[ll-clean]}" | median), --chaos $(echo "${J[ll-cut]}" | median), via proxy $(echo "${J[ll-proxy]}" | median)"
echo "curl side without the hash (transfer only), medians: fault-free $(echo "${C[curl-clean]}" | median), with resets $(echo "${C[curl-cut]}" | median)"
echo "Raw seconds: $(for k in ll-clean curl-clean ll-cut curl-cut ll-proxy; do printf '%s=[%s] ' "$k" "${T[$k]% }"; done)"
