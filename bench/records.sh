#!/usr/bin/env bash
# Exactly-once records, Lifeline against MQTT (issue 20, "Measured"), every row in one run.
#
#   bench/records.sh [--runs 3] [--rows mqtt,lifeline,shipper] [--mqtt-records 10000]
#                    [--records 2000000] [--shipper-records 200000] [--low-rate 2500] [--strace]
#
# Rows, each 200-byte records, one sender, loopback TLS, --runs runs each:
#   mqtt:     mosquitto (started here: TLS listener on a free 127.0.0.1 port, a CA and server
#             certificate made with openssl, `persistence true` in a temp dir) and the Eclipse
#             Paho Java client (dev.lifeline.bench.records.RecordsMqttBench): QoS 1 and QoS 2,
#             Paho's MqttDefaultFilePersistence, and MemoryPersistence as a second row; records/s
#             from the first publish until every record is acknowledged (PUBACK / PUBCOMP). The
#             broker queues every record for a persistent subscriber registered first (without
#             one mosquitto acknowledges and drops). MQTT_CONF adds lines to mosquitto.conf;
#             MQTT_INFLIGHT (default 1000, the best found; the issue used 65535) is Paho's maxInflight; MQTT_SUBSCRIBER=none
#             measures without the queued subscriber.
#   lifeline: RecordsLifelineBench: LifelineServer and LifelineClient in one warm JVM, each with
#             a FileCheckpointStore; the server acknowledges only through durable checkpoints (its
#             sink appends to a file and fsyncs before each checkpoint), the client keeps a
#             durable outbox when the build has one. Sustained records/s over --records after a
#             warm-up, then the latency from send to its future completing at half that rate,
#             and at --low-rate records/s (about MQTT's best rate here: the latency floor).
#             LIFELINE_OPTS adds options (e.g. "--checkpoint-every 4096 --replay-mib 64").
#   shipper:  examples/target/lifeline-examples.jar shipper-server, then shipper-client
#             --records N, two JVM starts, timed from the client's start to its exit 0
#             (skipped when the jar is not built).
# --strace: one extra QoS 1 and QoS 2 run each with mosquitto and the Paho JVM under
#   `strace -f -c -e trace=fsync,fdatasync,msync`, printing how many syncs each side made.
# Results: Markdown on stdout; logs in the work dir (KEEP=1 keeps it). Traffic: 127.0.0.1 only.
# Needs mosquitto, openssl (and strace for --strace): apt-get install -y mosquitto openssl strace
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 rows=mqtt,lifeline,shipper mqtt_records=10000 records=2000000 shipper_records=200000
low_rate=2500
strace_runs=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --mqtt-records) mqtt_records=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --shipper-records) shipper_records=$2; shift 2 ;;
    --low-rate) low_rate=$2; shift 2 ;;
    --strace) strace_runs=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
has_row() { [[ ",$rows," == *",$1,"* ]]; }

work=$(mktemp -d /tmp/lifeline-records.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "# kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# The harnesses are main classes of the benchmarks module (public API only): compile them and
# the modules they use, and write their class path.
cp_file=benchmarks/target/records-classpath.txt
if [ ! -s "$cp_file" ] || [ -n "$(find benchmarks/src/main core/src/main store/src/main \
    benchmarks/pom.xml -newer "$cp_file" -type f | head -1)" ]; then
  # Up to test-compile with tests skipped: the reactor then resolves the modules' test-jars (test
  # scope in the benchmarks pom, which build-classpath resolves) to their test output
  # directories without compiling any test source.
  mvn -q -B -pl benchmarks -am test-compile dependency:build-classpath -Dmaven.test.skip=true \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/$cp_file" -Dlifeline.skipToolCheck >&2
fi
cp="benchmarks/target/classes:$(cat "$cp_file")"
cat > "$work/logback.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="io.netty" level="WARN"/>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
EOF
java_run() { java -Dlogback.configurationFile="$work/logback.xml" -cp "$cp" "$@"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Prints the median of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
range() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s–%s", lo, hi}'; }

# ---------------------------------------------------------------------------------------- MQTT
mqtt_setup() {
  command -v mosquitto >/dev/null || { echo "mosquitto missing: apt-get install -y mosquitto" >&2; exit 1; }
  local t=$work/tls
  mkdir -p "$t" "$work/mosq"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=records-bench-ca -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 2 -extfile "$t/ext" -out "$t/server.pem" 2>/dev/null
  chmod 644 "$t"/*
}

# Starts mosquitto with a fresh persistence directory; sets mqtt_port and mqtt_pid.
# $1: a command prefix (e.g. strace ...), may be empty.
mqtt_start() {
  local prefix=${1:-}
  mqtt_port=$(free_port)
  local d=$work/mosq/$mqtt_port
  mkdir -p "$d"
  chmod 777 "$d"
  cat > "$d/mosquitto.conf" <<EOF
per_listener_settings false
user $(id -un)
allow_anonymous true
persistence true
persistence_location $d/
autosave_interval 1800
max_inflight_messages 0
max_queued_messages 0
log_dest file $d/mosquitto.log
listener $mqtt_port 127.0.0.1
cafile $work/tls/ca.pem
certfile $work/tls/server.pem
keyfile $work/tls/server.key
${MQTT_CONF:-}
EOF
  $prefix mosquitto -c "$d/mosquitto.conf" > "$d/out.log" 2>&1 &
  mqtt_pid=$!
  pids+=("$mqtt_pid")
  for _ in $(seq 100); do
    (echo > /dev/tcp/127.0.0.1/$mqtt_port) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "mosquitto did not start; $d/out.log:" >&2
  cat "$d/out.log" "$d/mosquitto.log" >&2 2>/dev/null || true
  exit 1
}

mqtt_stop() {
  kill "$mqtt_pid" 2>/dev/null || true
  wait "$mqtt_pid" 2>/dev/null || true
}

# One publisher run against a fresh broker; prints its records/s. $1 qos, $2 file|memory,
# $3 a command prefix for the Paho JVM (may be empty).
mqtt_run() {
  local qos=$1 persistence=$2 prefix=${3:-}
  local out=$work/mqtt-$qos-$persistence-$RANDOM.out
  $prefix java -Dlogback.configurationFile="$work/logback.xml" -cp "$cp" \
    dev.lifeline.bench.records.RecordsMqttBench --uri "ssl://127.0.0.1:$mqtt_port" \
    --ca "$work/tls/ca.pem" --qos "$qos" --records "$mqtt_records" \
    --inflight "${MQTT_INFLIGHT:-1000}" --persistence "$persistence" \
    --dir "$work/paho-$RANDOM" --subscriber "${MQTT_SUBSCRIBER:-queue}" > "$out" 2> "$out.err" \
    || { echo "RecordsMqttBench failed:" >&2; tail -20 "$out.err" >&2; exit 1; }
  grep '^result' "$out" >&2
  sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$out"
}

mqtt_rows() {
  mqtt_setup
  echo "| row | records | runs: records/s | median |"
  echo "| --- | ---: | --- | ---: |"
  for persistence in file memory; do
    for qos in 1 2; do
      local rates=()
      for _ in $(seq "$runs"); do
        mqtt_start
        rates+=("$(mqtt_run "$qos" "$persistence")")
        mqtt_stop
      done
      printf '| MQTT QoS %s, Paho %s persistence, mosquitto persistence | %s | %s | %s |\n' \
        "$qos" "$persistence" "$mqtt_records" "$(printf '%s\n' "${rates[@]}" | range)" \
        "$(printf '%s\n' "${rates[@]}" | median)"
    done
  done
}

# What each side fsyncs: the broker and the Paho JVM each under strace -c.
mqtt_strace() {
  command -v strace >/dev/null || { echo "strace missing: apt-get install -y strace" >&2; return; }
  for qos in 1 2; do
    local s=$work/strace-broker-$qos s2=$work/strace-paho-$qos
    mqtt_start "strace -f -c -e trace=fsync,fdatasync,msync,sync_file_range -o $s"
    mqtt_run "$qos" file "strace -f -c -e trace=fsync,fdatasync,msync,sync_file_range -o $s2" \
      > /dev/null
    # mosquitto (strace's child) saves its database and exits on SIGINT; strace then reports.
    kill -INT $(pgrep -P "$mqtt_pid") 2>/dev/null || true
    wait "$mqtt_pid" 2>/dev/null || true
    echo "# QoS $qos, $mqtt_records records: mosquitto's sync calls (until it exited):"
    grep -E 'fsync|fdatasync|msync|sync_file|total' "$s" | sed 's/^/#   /' || true
    echo "# QoS $qos: the Paho JVM's sync calls:"
    grep -E 'fsync|fdatasync|msync|sync_file|total' "$s2" | sed 's/^/#   /' || true
  done
}

# ------------------------------------------------------------------------------------ Lifeline
lifeline_rows() {
  local rates=() p50s=() p99s=() p999s=() lows=() config=
  for i in $(seq "$runs"); do
    local out=$work/lifeline-$i.out
    # LIFELINE_JVM_ARGS: e.g. a JFR recording (-XX:StartFlightRecording=filename=rec.jfr)
    java -Xms2g -Xmx2g ${LIFELINE_JVM_ARGS:-} -Dlogback.configurationFile="$work/logback.xml" \
      -cp "$cp" dev.lifeline.bench.records.RecordsLifelineBench --dir "$work/lifeline-$i" \
      --records "$records" --low-rate "$low_rate" ${LIFELINE_OPTS:-} > "$out" 2> "$out.err" \
      || { echo "RecordsLifelineBench failed:" >&2; cat "$out" >&2; tail -20 "$out.err" >&2; exit 1; }
    grep '^result' "$out" | sed 's/^/# /' >&2
    config=$(sed -n 's/^result config //p' "$out")
    rates+=("$(sed -n 's/^result rate .* rate=\([0-9]*\).*/\1/p' "$out")")
    p50s+=("$(sed -n 's/^result latency .* p50-ms=\([0-9.]*\).*/\1/p' "$out")")
    p99s+=("$(sed -n 's/^result latency .* p99-ms=\([0-9.]*\).*/\1/p' "$out")")
    p999s+=("$(sed -n 's/^result latency .* p999-ms=\([0-9.]*\).*/\1/p' "$out")")
    lows+=("$(sed -n 's/^result latency-low .* p99-ms=\([0-9.]*\).*/\1/p' "$out")")
    rm -rf "$work/lifeline-$i"
  done
  echo
  echo "Lifeline, one warm JVM ($config):"
  echo
  echo "| row | records | runs: records/s | median | p50 ms | p99 ms | p999 ms |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: |"
  printf '| Lifeline, durable checkpoints, warm | %s | %s | %s | %s | %s | %s |\n' "$records" \
    "$(printf '%s\n' "${rates[@]}" | range)" "$(printf '%s\n' "${rates[@]}" | median)" \
    "$(printf '%s\n' "${p50s[@]}" | median)" "$(printf '%s\n' "${p99s[@]}" | median)" \
    "$(printf '%s\n' "${p999s[@]}" | median)"
  echo "(latency: at half each run's rate, from when a record was due to its future completing;"
  echo "at $low_rate records/s, the p99 of the three runs: $(printf '%s ' "${lows[@]}")ms)"
}

# ------------------------------------------------------------------------- the shipper example
shipper_rows() {
  local jar=examples/target/lifeline-examples.jar
  if [ ! -f "$jar" ]; then
    echo
    echo "(shipper row skipped: $jar not built; mvn -q -DskipTests package)"
    return
  fi
  local rates=() secs=()
  for i in $(seq "$runs"); do
    local d=$work/shipper-$i port
    mkdir -p "$d"
    port=$(free_port)
    java -jar "$jar" shipper-server --port "$port" --data-dir "$d/server" --out "$d/out.txt" \
      > "$d/server.log" 2>&1 &
    local spid=$!
    pids+=("$spid")
    for _ in $(seq 300); do
      grep -q '^listening on' "$d/server.log" 2>/dev/null && break
      kill -0 "$spid" 2>/dev/null \
        || { echo "shipper-server exited:" >&2; tail -20 "$d/server.log" >&2; exit 1; }
      sleep 0.1
    done
    local ca
    ca=$(find "$d/server" -name ca.pem | head -1)
    local t0 t1
    t0=$(date +%s.%N)
    java -jar "$jar" shipper-client --server "127.0.0.1:$port" --ca "$ca" --state "$d/client" \
      --records "$shipper_records" > "$d/client.log" 2>&1 \
      || { echo "shipper-client failed:" >&2; tail -20 "$d/client.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    local lines
    lines=$(wc -l < "$d/out.txt")
    [ "$lines" -eq "$shipper_records" ] \
      || { echo "shipper: $lines lines stored, expected $shipper_records" >&2; exit 1; }
    secs+=("$(echo "$t1 - $t0" | bc)")
    rates+=("$(echo "$shipper_records / ($t1 - $t0)" | bc)")
    rm -rf "$d"
  done
  echo
  echo "| row | records | runs: seconds | runs: records/s | median records/s |"
  echo "| --- | ---: | --- | --- | ---: |"
  printf '| shipper-server + shipper-client (JVM start included) | %s | %s | %s | %s |\n' \
    "$shipper_records" "$(printf '%.2f\n' "${secs[@]}" | range)" \
    "$(printf '%s\n' "${rates[@]}" | range)" "$(printf '%s\n' "${rates[@]}" | median)"
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(uname -r), $(mosquitto -h 2>/dev/null | head -1 || true)"
uptime | sed 's/^/# load before: /'
has_row mqtt && mqtt_rows
if [ -n "$strace_runs" ]; then
  [ -f "$work/tls/ca.pem" ] || mqtt_setup
  mqtt_strace
fi
has_row lifeline && lifeline_rows
has_row shipper && shipper_rows
uptime | sed 's/^/# load after: /'
