#!/usr/bin/env bash
# Handshakes per second, full and resumed, Lifeline's server-demo vs nginx (issue 6, case 4), on
# loopback, driven by the same client: `openssl s_time` (one process, sequential connections).
#
#   bench/handshakes.sh [SECONDS] [RUNS]     (defaults: 5 s per measurement, 3 runs; medians)
#
# Environment:
#   WARMUP=S             seconds of warm-up per protocol and mode on Lifeline before measuring
#                        (default 5: a few thousand connections in all, the JIT still compiling;
#                        WARMUP=60 gives a server that has served tens of thousands)
#   BASELINE_JAR=FILE    a second server-demo jar (e.g. an older build) run beside this one, same
#                        warm-up, measured in the same rounds: "before" and "after" side by side
#   WWW_PATH=/PATH       what s_time requests (default /hs: a few hundred bytes from both)
#
# Both servers use the same certificate and key (server-demo's development EC P-256 certificate
# under DATA_DIR/tls), TLS 1.3 and TLS 1.2, session tickets on (nginx: its own random ticket key,
# 1 worker process; server-demo: its ticket key ring, BoringSSL, default I/O threads).
# Every connection: TCP connect, TLS handshake, `GET /hs HTTP/1.0` (s_time -www /hs), read until
# the server closes, close. s_time offers no ALPN, so server-demo serves it HTTP/1.1 (its HTTP
# frontend: no ALPN means HTTP): a 404 of about 200 bytes; nginx answers a 2-byte page. (With
# `-www /` server-demo would send its 10 KB status page, and the comparison would be of pages.)
# The -www request matters for TLS 1.3: its session tickets arrive after the handshake, and
# s_time only reads them when it reads the response (without -www, `-reuse` never resumes).
#   full:    s_time -new    (a fresh session every connection)
#   resumed: s_time -reuse  (one full handshake, then every connection offers that session)
# Server CPU = utime+stime of the whole server process tree (all threads: I/O, JIT, GC, logging)
# from /proc/PID/stat over the measurement, divided by the connections made. For Lifeline also
# the CPU of its own threads only (lifeline-accept/-io/-app/-timer: without JIT compiler and GC
# threads), from /proc/PID/task/*/stat. Each server is warmed up first (JIT: WARMUP s per protocol
# and mode for Lifeline) and the servers alternate, order swapped on even runs.
# Prints a markdown table. Exits non-zero if a server fails, or if a "resumed" run did not
# resume (s_time marks each connection '*' full or 'r' reused; counted here).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
runs=${2:-3}
warmup=${WARMUP:-5}
www=${WWW_PATH:-/hs}
baseline=${BASELINE_JAR:-}
if [ -n "$baseline" ] && [ ! -f "$baseline" ]; then
  echo "BASELINE_JAR $baseline: no such file" >&2; exit 2
fi

PATH=$PATH:/usr/sbin
if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl
fi
nginx_bin=$(command -v nginx)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

if [ ! -f server-demo/target/server-demo.jar ]; then
  mvn -q -B -DskipTests package
fi

work=$(mktemp -d /tmp/lifeline-handshakes.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1:" >&2; cat "$1" >&2; exit 1
}
now() { date +%s.%N; }
tck=$(getconf CLK_TCK)
# CPU ticks of a process and its direct children (nginx master + worker).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

# CPU ticks of the Lifeline server's own threads (names lifeline-*), not the JVM's.
own_ticks() {
  local total=0 t
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      lifeline-*) total=$((total + $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}'))) ;;
    esac
  done
  echo "$total"
}

# --- Lifeline server ---------------------------------------------------------------------------
ll_port=$(free_port)
java -jar server-demo/target/server-demo.jar --port "$ll_port" --data-dir "$work/data" \
  > "$work/server.log" 2>&1 &
ll_pid=$!
pids+=("$ll_pid")
wait_for "$work/server.log" "listening on"
sides="ll ng"
if [ -n "$baseline" ]; then
  # The baseline gets a copy of the same certificate and key (made by the first server), so both
  # Lifeline servers and nginx present the same certificate.
  mkdir -p "$work/data0"
  cp -r "$work/data/tls" "$work/data0/tls"
  lb_port=$(free_port)
  java -jar "$baseline" --port "$lb_port" --data-dir "$work/data0" > "$work/server0.log" 2>&1 &
  lb_pid=$!
  pids+=("$lb_pid")
  wait_for "$work/server0.log" "listening on"
  sides="lb ll ng"
fi

# --- nginx: own prefix, same certificate and key, TLS 1.2 + 1.3, tickets on -------------------
ng=$work/nginx
mkdir -p "$ng/logs" "$ng/tmp"
ng_port=$(free_port)
cat > "$ng/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  server {
    listen 127.0.0.1:$ng_port ssl;
    ssl_certificate $work/data/tls/server.pem;
    ssl_certificate_key $work/data/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    location / { return 200 "ok"; }
  }
}
EOF
"$nginx_bin" -p "$ng" -c "$ng/nginx.conf" > "$ng/logs/stdout.log" 2>&1 &
ng_pid=$!
pids+=("$ng_pid")
for _ in $(seq 1 100); do
  echo | openssl s_client -connect "127.0.0.1:$ng_port" -brief >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.3

# --- one measurement ---------------------------------------------------------------------------
declare -A R C O  # R[key]="rate ..."  C[key]="cpu-us-per-handshake ..." O: own threads only
measure() { # SERVER(ll|ng) PROTO(tls1_3|tls1_2) MODE(new|reuse) SECONDS [record]
  local side=$1 proto=$2 mode=$3 t=$4 port pid c0 c1 o0 o1 t0 t1 out n full reused
  case $side in
    ll) port=$ll_port; pid=$ll_pid ;;
    lb) port=$lb_port; pid=$lb_pid ;;
    *) port=$ng_port; pid=$ng_pid ;;
  esac
  o0=$(own_ticks "$pid"); c0=$(cpu_ticks "$pid"); t0=$(now)
  out=$(openssl s_time -connect "127.0.0.1:$port" "-$proto" "-$mode" -www "$www" -time "$t" 2>&1) || {
    echo "s_time failed against $side ($proto $mode):" >&2; echo "$out" | tail -5 >&2; exit 1; }
  t1=$(now); c1=$(cpu_ticks "$pid"); o1=$(own_ticks "$pid")
  n=$(echo "$out" | grep -E '^[0-9]+ connections in [0-9.]+s' | tail -1 | awk '{print $1}')
  # s_time prints one '*' per full and one 'r' per resumed handshake.
  full=$(echo "$out" | grep -E '^[*r]+$' | tr -cd '*' | wc -c)
  reused=$(echo "$out" | grep -E '^[*r]+$' | tr -cd 'r' | wc -c)
  if [ -z "$n" ] || [ "$n" -lt 10 ]; then
    echo "too few connections against $side ($proto $mode):" >&2; echo "$out" | tail -5 >&2; exit 1
  fi
  if [ "$mode" = reuse ] && [ "$reused" -lt $((n - 1)) ]; then
    echo "$side $proto: only $reused of $n connections resumed" >&2; exit 1
  fi
  if [ "$mode" = new ] && [ "$reused" -ne 0 ]; then
    echo "$side $proto: $reused of $n 'new' connections resumed" >&2; exit 1
  fi
  if [ "${5:-}" = record ]; then
    local key="$side-$proto-$mode"
    R[$key]+="$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}') "
    C[$key]+="$(awk -v d="$((c1 - c0))" -v n="$n" -v hz="$tck" 'BEGIN {printf "%.0f", d * 1e6 / hz / n}') "
    O[$key]+="$(awk -v d="$((o1 - o0))" -v n="$n" -v hz="$tck" 'BEGIN {printf "%.0f", d * 1e6 / hz / n}') "
    echo "# $key: $n connections ($full full, $reused resumed) in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s, server CPU $((c1 - c0)) ticks" >&2
  fi
}

echo "# warm-up (JIT): $warmup s per protocol and mode on Lifeline, 1 s on nginx" >&2
for proto in tls1_3 tls1_2; do
  for mode in new reuse; do
    for side in $sides; do
      if [ "$side" = ng ]; then measure ng "$proto" "$mode" 1; else measure "$side" "$proto" "$mode" "$warmup"; fi
    done
  done
done

uptime | sed 's/^/# load before: /' >&2
load_before=$(uptime | sed 's/.*load average: //')
for r in $(seq 1 "$runs"); do
  for proto in tls1_3 tls1_2; do
    for mode in new reuse; do
      order=$sides
      if [ $((r % 2)) -eq 0 ]; then order=$(echo "$sides" | tr ' ' '\n' | tac | tr '\n' ' '); fi
      for side in $order; do measure "$side" "$proto" "$mode" "$secs" record; done
    done
  done
done
load_after=$(uptime | sed 's/.*load average: //')

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

if [ -n "$baseline" ]; then
  echo
  echo "Side by side (before = BASELINE_JAR $baseline):"
  echo
  echo "| protocol | handshake | before: handshakes/s | after: handshakes/s | nginx handshakes/s | before: server CPU µs per handshake (own threads) | after: server CPU µs per handshake (own threads) | nginx server CPU µs | after / before CPU | after / nginx rate |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for proto in tls1_3 tls1_2; do
    for mode in new reuse; do
      label=$([ "$mode" = new ] && echo "full (-new)" || echo "resumed (-reuse)")
      pname=$([ "$proto" = tls1_3 ] && echo "TLS 1.3" || echo "TLS 1.2")
      br=$(echo "${R[lb-$proto-$mode]}" | median); lr=$(echo "${R[ll-$proto-$mode]}" | median)
      nr=$(echo "${R[ng-$proto-$mode]}" | median)
      bc=$(echo "${C[lb-$proto-$mode]}" | median); lc=$(echo "${C[ll-$proto-$mode]}" | median)
      nc=$(echo "${C[ng-$proto-$mode]}" | median)
      bo=$(echo "${O[lb-$proto-$mode]}" | median); lo=$(echo "${O[ll-$proto-$mode]}" | median)
      echo "| $pname | $label | $br | $lr | $nr | $bc ($bo) | $lc ($lo) | $nc | $(ratio "$lc" "$bc") | $(ratio "$lr" "$nr") |"
    done
  done
  for proto in tls1_3 tls1_2; do
    pname=$([ "$proto" = tls1_3 ] && echo "TLS 1.3" || echo "TLS 1.2")
    echo "$pname before: resumed / full server CPU = $(ratio "$(echo "${C[lb-$proto-reuse]}" | median)" "$(echo "${C[lb-$proto-new]}" | median)")"
  done
fi
echo
echo "| protocol | handshake | Lifeline handshakes/s | nginx handshakes/s | Lifeline / nginx rate | Lifeline server CPU µs per handshake (own threads only) | nginx server CPU µs per handshake | Lifeline / nginx CPU |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for proto in tls1_3 tls1_2; do
  for mode in new reuse; do
    lr=$(echo "${R[ll-$proto-$mode]}" | median); nr=$(echo "${R[ng-$proto-$mode]}" | median)
    lc=$(echo "${C[ll-$proto-$mode]}" | median); nc=$(echo "${C[ng-$proto-$mode]}" | median)
    label=$([ "$mode" = new ] && echo "full (-new)" || echo "resumed (-reuse)")
    pname=$([ "$proto" = tls1_3 ] && echo "TLS 1.3" || echo "TLS 1.2")
    lo=$(echo "${O[ll-$proto-$mode]}" | median)
    echo "| $pname | $label | $lr | $nr | $(ratio "$lr" "$nr") | $lc ($lo) | $nc | $(ratio "$lc" "$nc") |"
  done
done
echo
for proto in tls1_3 tls1_2; do
  pname=$([ "$proto" = tls1_3 ] && echo "TLS 1.3" || echo "TLS 1.2")
  for side in ll ng; do
    sname=$([ "$side" = ll ] && echo "Lifeline" || echo "nginx")
    echo "$pname $sname: resumed / full server CPU = $(ratio "$(echo "${C[$side-$proto-reuse]}" | median)" "$(echo "${C[$side-$proto-new]}" | median)")$([ "$side" = ll ] && echo ", own threads only $(ratio "$(echo "${O[$side-$proto-reuse]}" | median)" "$(echo "${O[$side-$proto-new]}" | median)")")"
  done
done
echo "Medians of $runs runs of $secs s each (warm-up $warmup s per protocol and mode, path $www); load average before: $load_before, after: $load_after"
echo "Raw rates: $(for k in "${!R[@]}"; do printf '%s=[%s] ' "$k" "${R[$k]% }"; done)"
echo "Raw CPU µs: $(for k in "${!C[@]}"; do printf '%s=[%s] ' "$k" "${C[$k]% }"; done)"
echo "Raw Lifeline own-thread CPU µs: $(for k in "${!O[@]}"; do printf '%s=[%s] ' "$k" "${O[$k]% }"; done)"
