#!/usr/bin/env bash
# The Redis checkpoint store on one primary against Redis Cluster (issue 23): checkpoint commits
# per second and commit latency with many concurrent sessions, the CPU each side spends per
# commit, and the Redis memory each stored session takes.
#
#   bench/redis-cluster.sh [--seconds N] [--sessions 1,64,1024] [--rounds 3]
#                          [--targets single,cluster3,cluster2,cluster3r] [--memory 100000]
#
# Targets, each its own redis-server processes on free loopback ports, all with `appendonly yes`,
# `appendfsync always`, `save ""` and `maxmemory-policy noeviction`, their data on the disk under
# the checkout (benchmarks/target/redis-bench):
#   single     one primary, redis://127.0.0.1:P (the store's single-node key layout)
#   cluster3   three primaries, no replicas, redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...
#   cluster2   two primaries, no replicas (how the rate grows with primaries)
#   cluster3r  three primaries and three replicas, the store with waitForReplicas(1, 1 s)
#   single-lp  one primary with hash-max-listpack-value 256 (Redis's default, 64, is below the
#              100-byte state and attributes, so each record is a hashtable instead of a compact
#              listpack); measured for memory always, for the rate when named in --targets
# Every round runs every target once, in the order given (single, cluster3, ..., single, ...),
# each in a fresh JVM: dev.lifeline.store.bench.RedisStoreBenchmark (benchmarks module, test
# sources) runs, per session count, a closed loop (each session keeps one commit of a 100-byte
# state in flight) for 2 s of warm-up and --seconds measured (default 8). Printed: medians over
# the rounds, and each round's rate. CPU: Redis's from INFO cpu of every node of the target
# (replicas included; AOF-rewrite children included), the client's from its JVM, both over the
# measured window, in % of one core; "machine" is all cores busy from /proc/stat (everyone's
# processes; 200% = both cores of two).
# Then --memory sessions (default 100,000; 0 skips it) of realistic size (32 B secret, 40 B
# identity, 100 B attributes, 100 B state) are stored once per target: used_memory of the
# primaries before and after. Needs redis-server and redis-cli (Debian's redis-server package)
# and the Maven repository (built offline when the classes are missing or older than a source).
# Traffic: 127.0.0.1 only. KEEP=1 keeps the Redis data and logs. BENCH_JVM_ARGS adds options to
# the benchmark's JVM (e.g. -XX:StartFlightRecording=filename=DIR/ for a profile of each run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh

seconds=8
sessions=1,64,1024
rounds=3
targets=single,cluster3,cluster2,cluster3r
memory=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/redis-cluster.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for tool in redis-server redis-cli java mvn; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server)" >&2; exit 1; }
done

# The Redis data lives on the checkout's disk (what a deployment's AOF fsyncs to), not /tmp.
data=$root/benchmarks/target/redis-bench
bench_setup_work
cleanup() {
  cleanup_bench
  if [ -z "${KEEP:-}" ]; then rm -rf "$data"; else echo "# kept $data" >&2; fi
}
trap cleanup EXIT INT TERM
rm -rf "$data"
mkdir -p "$data"

cp_file=benchmarks/target/redis-bench-classpath.txt
if [ ! -f benchmarks/target/test-classes/dev/lifeline/store/bench/RedisStoreBenchmark.class ] \
    || [ ! -s "$cp_file" ] || [ -n "$(find benchmarks/src store/src store-redis/src \
      benchmarks/pom.xml -newer "$cp_file" -type f | head -1)" ]; then
  mvn -q -B -o -pl benchmarks -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cp_file" -Dlifeline.skipToolCheck >&2
fi
cp="benchmarks/target/test-classes:$(cat "$cp_file")"
cat > "$work/logback.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="io.netty" level="WARN"/>
  <logger name="io.lettuce" level="WARN"/>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
EOF

# Starts one redis-server (extra arguments after the name); sets redis_port. Not in a $(...):
# its pid must reach this shell's pids for the trap.
start_redis() { # NAME [ARGS...]
  local name=$1 port dir
  shift
  port=$(if [ "${1:-}" = --cluster-enabled ]; then cluster_free_port; else free_port; fi)
  dir=$data/$name-$port
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
    --appendfsync always --save "" --maxmemory-policy noeviction --protected-mode no \
    --daemonize no --logfile "$dir/redis.log" "$@" > /dev/null 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 200); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && { redis_port=$port; return; }
    sleep 0.05
  done
  echo "redis-server $name on $port did not start:" >&2; tail "$dir/redis.log" >&2; exit 1
}

# A cluster node also listens on its port + 10000 (the cluster bus), so both must be free and the
# port at most 55535: a random pair in 20000-30000 (10000-20000 and the bus's 30000-40000 stay
# below the kernel's ephemeral range).
cluster_free_port() {
  python3 -c '
import random, socket
for _ in range(100):
    p = random.randint(20000, 29999)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass'
}

# Starts a cluster of PRIMARIES primaries with REPLICAS replicas each and waits until every node
# reports cluster_state:ok (and every replica is in sync). Sets cluster_ports.
start_cluster() { # NAME PRIMARIES REPLICAS
  local name=$1 n=$(($2 * (1 + $3))) i p addrs=()
  cluster_ports=()
  for i in $(seq 1 "$n"); do
    start_redis "$name-$i" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 5000
    cluster_ports+=("$redis_port")
    addrs+=("127.0.0.1:$redis_port")
  done
  if [ "$2" -ge 3 ]; then
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$3" --cluster-yes \
      > "$data/$name-create.log" 2>&1 || { cat "$data/$name-create.log" >&2; exit 1; }
  else
    # redis-cli refuses fewer than three primaries; the same by hand: equal slot ranges, MEET.
    local per=$((16384 / $2)) first
    for i in $(seq 0 $(($2 - 1))); do
      first=$((i * per))
      redis-cli -p "${cluster_ports[$i]}" cluster addslotsrange "$first" \
        "$(if [ "$i" = $(($2 - 1)) ]; then echo 16383; else echo $((first + per - 1)); fi)" > /dev/null
      [ "$i" = 0 ] || redis-cli -p "${cluster_ports[0]}" cluster meet 127.0.0.1 "${cluster_ports[$i]}" > /dev/null
    done
  fi
  for p in "${cluster_ports[@]}"; do
    for i in $(seq 1 600); do
      redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' \
        && { redis-cli -p "$p" info replication | grep -q 'role:master' \
          || redis-cli -p "$p" info replication | grep -q 'master_link_status:up'; } && break
      [ "$i" = 600 ] && { echo "cluster $name: node $p not ready" >&2; exit 1; }
      sleep 0.1
    done
  done
}

# Per target: URI, the nodes INFO is read from, and the benchmark's extra options.
declare -A uri nodes extra
memory_targets=$targets
if [ "$memory" -gt 0 ] && [[ ",$targets," != *,single-lp,* ]]; then memory_targets+=,single-lp; fi
for t in ${memory_targets//,/ }; do
  case "$t" in
    single)
      start_redis single
      uri[$t]=redis://127.0.0.1:$redis_port; nodes[$t]=127.0.0.1:$redis_port; extra[$t]= ;;
    single-lp)
      start_redis single-lp --hash-max-listpack-value 256
      uri[$t]=redis://127.0.0.1:$redis_port; nodes[$t]=127.0.0.1:$redis_port; extra[$t]= ;;
    cluster2|cluster3|cluster3r)
      primaries=${t:7:1}; replicas=0; [ "$t" = cluster3r ] && replicas=1
      start_cluster "$t" "$primaries" "$replicas"
      seeds=$(printf '127.0.0.1:%s,' "${cluster_ports[@]:0:$primaries}")
      all=$(printf '127.0.0.1:%s,' "${cluster_ports[@]}")
      uri[$t]=redis-cluster://${seeds%,}; nodes[$t]=${all%,}
      extra[$t]=; [ "$replicas" = 1 ] && extra[$t]="--wait-replicas 1" ;;
    *) echo "unknown target '$t' (expected: single, single-lp, cluster2, cluster3, cluster3r)" >&2
       exit 2 ;;
  esac
done

bench() { # TARGET MODE [OPTIONS...]
  local t=$1 mode=$2
  shift 2
  # shellcheck disable=SC2086  # extra and BENCH_JVM_ARGS hold words
  java -Xms1g -Xmx1g ${BENCH_JVM_ARGS:-} -Dlogback.configurationFile="$work/logback.xml" -cp "$cp" \
    dev.lifeline.store.bench.RedisStoreBenchmark "$mode" --label "$t" --uri "${uri[$t]}" \
    --nodes "${nodes[$t]}" ${extra[$t]} "$@" 2>> "$work/$t.log" || {
      echo "RedisStoreBenchmark $mode against $t failed; last log lines:" >&2
      tail -20 "$work/$t.log" >&2; exit 1; }
}
# The disk's own rate: 256-byte appends, each synced (O_DSYNC), as an AOF append of one commit.
disk_rate() {
  dd if=/dev/zero of="$data/dd.test" bs=256 count=2000 oflag=dsync 2>&1 \
    | awk '/copied/ {for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) t = $(i - 1); printf "%.0f", 2000 / t}'
  rm -f "$data/dd.test"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(redis-server --version | cut -d' ' -f3), $(java -version 2>&1 | head -1)"
echo "# data on $(df --output=source "$data" | tail -1) under $data; load before: $(uptime | sed 's/.*average: //')"
echo "# disk: $(disk_rate) synced 256 B appends/s (dd oflag=dsync) before"
for r in $(seq 1 "$rounds"); do
  for t in ${targets//,/ }; do
    echo "# round $r: $t, load $(load1)" >&2
    bench "$t" rate --sessions "$sessions" --seconds "$seconds" | sed "s/^RATE /RATE round=$r /" \
      | tee -a "$work/rate.txt" >&2
  done
done
echo "# disk: $(disk_rate) synced 256 B appends/s after; load after: $(uptime | sed 's/.*average: //')"

field() { sed -E "s/.* $1=([^ ]+).*/\\1/"; }
echo
echo "| target | sessions | commits/s | each round | p50 ms | p99 ms | Redis CPU µs/commit | client CPU µs/commit | Redis CPU % | client CPU % | machine busy % |"
echo "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in ${sessions//,/ }; do
  for t in ${targets//,/ }; do
    rows=$(grep " label=$t sessions=$s " "$work/rate.txt" || true)
    med() { echo "$rows" | field "$1" | tr '\n' ' ' | median; }
    each=$(echo "$rows" | field ops | paste -sd/ -)
    echo "| $t | $s | $(med ops) | $each | $(med p50) | $(med p99) | $(med redis_us) | $(med client_us) | $(med redis_pct) | $(med client_pct) | $(med machine_pct) |"
  done
done

if [ "$memory" -gt 0 ]; then
  echo
  echo "| target | primaries | sessions | used_memory delta MiB | bytes per session | sessions per GiB |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for t in ${memory_targets//,/ }; do
    line=$(bench "$t" memory --count "$memory")
    echo "$line" >&2
    echo "| $t | $(echo "$line" | field primaries) | $memory | $(awk -v b="$(echo "$line" | field used_bytes)" 'BEGIN {printf "%.1f", b / 1048576}') | $(echo "$line" | field bytes_per_session) | $(echo "$line" | field sessions_per_gib) |"
  done
fi
