#!/usr/bin/env bash
# 10,000 concurrent idle sessions in one Lifeline server (issue 6, case 5): heap per idle session,
# and the time until every session has resumed after every connection is cut at once.
#
#   bench/idle-sessions.sh [SESSIONS] [extra IdleSessionsBench options]   (default 10000)
#
# Warm-up: by default 200 sessions are cut and resumed 5 times first (1,000 resumes: the JIT is
# still compiling the resume path during the measured storm, as on a server just started). For a
# server that has been up and served many resumes, warm it up with 20,000:
#   bench/idle-sessions.sh 10000 --warmup 1000 --warmup-storms 20
# Key exchange: the TLS default (BoringSSL: X25519MLKEM768); classical X25519 on both sides with
#   bench/idle-sessions.sh 10000 --tls-groups x25519
# (the run prints the groups the storm's handshakes used).
# The server runs in its own JVM, the clients in this one: their CPU is measured apart.
# Before/after: run an older checkout's own copy of this script right before or after this one.
#
# Runs dev.lifeline.bench.IdleSessionsBench (benchmarks module, test sources): the server (LifelineServer with
# default limits, FileCheckpointStore, development certificate, echoing each message) in a child
# JVM, the clients in this one (2 LifelineClients with defaults - one I/O thread each, default
# reconnect pacing - sessions spread over them; --clients N to change).
# Each session sends one 8-byte message and gets its echo; the server's heap after GC is taken
# before and after the measured sessions. Then `ss -K` destroys every established connection on
# the server's port (the kernel resets the client side: a real RST storm), every session queues a
# second message, and the time until all have their second echo back is measured. Each session
# must get exactly its two echoes, in order, and at least one reconnect; otherwise this exits 1.
# Needs root for `ss -K` (and to raise the open-file limit). Traffic: 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-10000}
shift || true

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((sessions + 1000))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || {
    echo "open-file limit $(ulimit -n) is below $need (one descriptor per connection per JVM)" >&2
    exit 1
  }
fi
if ! command -v ss >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi

# -am runs build-classpath in every module it builds, each writing the same file; the benchmarks
# module is built last, so its class path (the other modules' classes and test-jars as
# directories, then the libraries) is the one left.
cp_file=benchmarks/target/bench-classpath.txt
if [ ! -f benchmarks/target/test-classes/dev/lifeline/bench/IdleSessionsBench.class ] \
    || [ ! -s "$cp_file" ] || [ -n "$(find benchmarks/src core/src store/src testing/src \
      transfer/src -newer "$cp_file" -name '*.java' | head -1)" ]; then
  mvn -q -B -pl benchmarks -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$(pwd)/$cp_file" >&2
fi
cp="benchmarks/target/test-classes:$(cat "$cp_file")"

work=$(mktemp -d /tmp/lifeline-idle.XXXXXX)
[ -n "${KEEP:-}" ] && echo "# keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
cat > "$work/logback.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="io.netty" level="WARN"/>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
EOF

uptime | sed 's/^/# load before: /' >&2
set +e
# CLIENT_JVM_ARGS / SERVER_JVM_ARGS: extra JVM options (e.g. a JFR recording) for either side.
java -Xms2g -Xmx2g ${CLIENT_JVM_ARGS:-} -Dbench.server.jvmArgs="${SERVER_JVM_ARGS:-}" -Dlogback.configurationFile="$work/logback.xml" -cp "$cp" \
  dev.lifeline.bench.IdleSessionsBench run --sessions "$sessions" --dir "$work/run" "$@" \
  2> "$work/client.log"
rc=$?
set -e
uptime | sed 's/^/# load after: /' >&2
grep '^#' "$work/client.log" >&2 || true
if [ "$rc" -ne 0 ]; then
  echo "IdleSessionsBench failed (exit $rc); last client log lines:" >&2
  grep -v '^#' "$work/client.log" | tail -20 >&2
  echo "last server log lines:" >&2
  tail -20 "$work/run/server.log" >&2 2>/dev/null || true
fi
exit "$rc"
