#!/usr/bin/env bash
# The Lifeline reconnect demo, start to finish in a few minutes:
#   1. builds the two demo jars if they are missing or older than the sources,
#   2. starts server-demo on a free loopback port with a fresh data directory,
#   3. uploads a 256 MiB random file through 6 chaos cuts (reset, close, black hole),
#      and kills the server with SIGKILL in the middle, then restarts it on the same data,
#   4. downloads the file back, again through chaos cuts,
#   5. checks with sha256sum that both files are identical and prints what happened.
# Everything lives in a temporary directory that is removed on exit, with the processes
# (KEEP_DEMO_DIR=1 ./demo.sh keeps it, to read the logs).
# Details: docs/demo.md.
set -euo pipefail

cd "$(dirname "$0")"
readonly SERVER_JAR=server-demo/target/server-demo.jar
readonly CLIENT_JAR=client-demo/target/client-demo.jar
readonly SIZE_MIB=256
readonly KILL_AT_MIB=96            # kill the server once this much of the upload arrived
readonly CHAOS=cut=8M..32M,mode=mix,count=6
readonly IDLE=2s

SERVER_PID=
CLIENT_PID=
WORK=

step() { printf '%s  %s\n' "$(date +%T)" "$*"; }
die() {
  echo "demo.sh: $*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  for pid in $CLIENT_PID $SERVER_PID; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $WORK ]]; then
    if [[ $rc -ne 0 && $rc -ne 130 && $rc -ne 143 && -d $WORK ]]; then
      # The logs are the only clue to what went wrong; show their ends before removing them.
      for log in "$WORK"/*.log; do
        [[ -s $log ]] && { echo "--- last lines of $(basename "$log"):" >&2; tail -n 15 "$log" >&2; }
      done
    fi
    if [[ -n ${KEEP_DEMO_DIR:-} ]]; then
      echo "demo.sh: kept $WORK (logs, data, files)" >&2
    else
      rm -rf "$WORK"
    fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check_tools() {
  command -v java >/dev/null || die "java not found (Java 17 or newer is needed)"
  command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
  local version
  version=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${version%%.*} -ge 17 ]] 2>/dev/null || die "Java 17 or newer is needed (found ${version:-unknown})"
}

# Builds the jars when one is missing or any source or pom is newer than it.
build_if_needed() {
  local stale=
  if [[ ! -f $SERVER_JAR || ! -f $CLIENT_JAR ]]; then
    stale="jars missing"
  else
    local oldest=$SERVER_JAR
    [[ $CLIENT_JAR -ot $oldest ]] && oldest=$CLIENT_JAR
    if [[ -n $(find . -path ./.git -prune -o -path '*/target' -prune -o -path ./docs -prune \
        -o -type f \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
        -newer "$oldest" -print -quit) ]]; then
      stale="sources changed"
    fi
  fi
  if [[ -n $stale ]]; then
    command -v mvn >/dev/null || die "mvn not found (Maven 3.8+ is needed to build the jars)"
    step "building the demo jars ($stale): mvn -q -B -DskipTests package"
    local build_log
    build_log=$(mktemp "${TMPDIR:-/tmp}/lifeline-demo-build.XXXXXX")
    if ! mvn -q -B -DskipTests package >"$build_log" 2>&1; then
      tail -n 40 "$build_log" >&2
      rm -f "$build_log"
      die "build failed"
    fi
    rm -f "$build_log"
  fi
}

# Starts server-demo on port $1 (0: any free port) and waits for its 'listening on' line.
start_server() {
  : >"$WORK/server.out"
  java -jar "$SERVER_JAR" --port "$1" --data-dir "$WORK/server" --idle-timeout "$IDLE" \
    >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    if grep -q '^listening on ' "$WORK/server.out"; then
      ADDRESS=$(sed -n 's/^listening on //p' "$WORK/server.out" | head -n 1)
      PORT=${ADDRESS##*:}
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "server-demo exited before it was ready"
    sleep 0.1
  done
  die "server-demo was not ready within 60 s"
}

# Bytes of the upload on the server's disk so far (files/ holds the partial upload).
uploaded_bytes() {
  find "$WORK/server/files" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# Runs client-demo in the background: $1 = log name, rest = its arguments.
start_client() {
  local name=$1
  shift
  java -jar "$CLIENT_JAR" "$@" --server "$ADDRESS" --ca "$WORK/server/tls/ca.pem" \
    --state "$WORK/client-state" --idle-timeout "$IDLE" --chaos "$CHAOS" --json -v \
    >"$WORK/$name.json" 2>"$WORK/$name.log" &
  CLIENT_PID=$!
}

# Waits for the client; fails the demo with its last message if it did not succeed.
await_client() {
  local name=$1 rc=0
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=
  [[ $rc -eq 0 ]] || die "$name failed with exit code $rc: $(grep '^client-demo:' "$WORK/$name.log" | tail -n 1)"
}

# A field of a --json line: json_field FILE NAME
json_field() {
  sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$1"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# "6 chaos cuts (3 blackhole, 2 rst, 1 fin)", from the client's -v log.
cuts() {
  local total kinds
  total=$(sed -n 's/^client-demo: chaos cut the connection \([0-9]*\) time.*/\1/p' "$1")
  kinds=$(grep -o 'chaos: cutting .* by [A-Z]*' "$1" | awk '{ print tolower($NF) }' | sort | uniq -c |
    sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
  echo "${total:-0} chaos cuts${kinds:+ ($kinds)}"
}

summary() {
  local name=$1 json=$WORK/$1.json
  printf '  %-8s %s in %s s; %s; %s reconnects; TLS handshakes %s full, %s resumed\n' \
    "$name" "$(mib "$(json_field "$json" bytes)")" \
    "$(awk -v s="$(json_field "$json" seconds)" 'BEGIN { printf "%.1f", s }')" \
    "$(cuts "$WORK/$name.log")" "$(json_field "$json" reconnects)" \
    "$(json_field "$json" tlsFull)" "$(json_field "$json" tlsResumed)"
}

main() {
  check_tools
  build_if_needed
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-demo.XXXXXX")
  local started=$SECONDS

  start_server 0
  step "server-demo listening on $ADDRESS (data in $WORK/server)"

  step "creating a $SIZE_MIB MiB random file"
  head -c $((SIZE_MIB << 20)) /dev/urandom >"$WORK/random.bin"

  step "uploading it with --chaos $CHAOS"
  start_client upload upload "$WORK/random.bin"
  local killed=
  while kill -0 "$CLIENT_PID" 2>/dev/null; do
    if [[ -z $killed && $(uploaded_bytes) -ge $((KILL_AT_MIB << 20)) ]]; then
      kill -9 "$SERVER_PID"
      wait "$SERVER_PID" 2>/dev/null || true
      killed=$(uploaded_bytes)
      step "kill -9 server-demo with $(mib "$killed") of the upload on its disk"
      start_server "$PORT"
      step "server-demo restarted on $ADDRESS, same data directory"
    fi
    sleep 0.05
  done
  await_client upload
  [[ -n $killed ]] || step "note: the upload finished before the server could be killed"
  step "upload complete, SHA-256 verified end to end by client and server"

  step "downloading it back with --chaos $CHAOS"
  start_client download download random.bin --to "$WORK/copy.bin"
  await_client download
  step "download complete"

  local original copy
  original=$(sha256sum <"$WORK/random.bin" | cut -d' ' -f1)
  copy=$(sha256sum <"$WORK/copy.bin" | cut -d' ' -f1)
  [[ $original == "$copy" ]] || die "the downloaded file differs: $original != $copy"
  [[ $(json_field "$WORK/upload.json" sha256) == "$original" ]] || die "upload reported another SHA-256"

  echo
  echo "Lifeline demo: OK in $((SECONDS - started)) s"
  summary upload
  printf '  %-8s %s sent again after cuts (replayed from the client'"'"'s buffer)\n' "" \
    "$(mib "$(json_field "$WORK/upload.json" resentBytes)")"
  if [[ -n $killed ]]; then
    # The server logs where it continued the restored upload: its last durable checkpoint.
    local from
    from=$(sed -n 's/.*continuing ".*" from byte \([0-9]*\).*/\1/p' "$WORK/server.log" | tail -n 1)
    printf '  %-8s server killed (kill -9) at %s; restarted, it resumed the upload from its\n' "" \
      "$(mib "$killed")"
    printf '  %-8s last durable checkpoint, byte %s (%s), not from zero\n' "" "${from:-?}" \
      "$(mib "${from:-0}")"
  fi
  summary download
  echo "  sha256sum: both files $original"
}

main "$@"
