#!/usr/bin/env bash
# Before/after for issue 22's "no regression in resume latency, idle-session memory or the
# handshake figures": runs the in-JVM benchmarks of docs/benchmarks.md in two checkouts,
# alternating BEFORE, AFTER, BEFORE, AFTER (on a shared machine only alternating runs compare),
# keeps every run's table with the load, and prints each figure side by side with its medians.
#
#   bench/regress22.sh BEFORE_DIR AFTER_DIR [ROUNDS]     (default 2 rounds)
#   e.g. git worktree add --detach /work/wt/before 886f7e1
#        bench/regress22.sh /work/wt/before "$PWD" 2
#
# environment: WHAT="session handshake" (which benchmarks; "idle" adds bench/idle-sessions.sh
#   IDLE_SESSIONS=2000, once per side per round), OUT=DIR (default /tmp/regress22),
#   RESUMES=300, SESSIONS=2000 (SessionBenchmark), SECONDS_PER_ROW=5 (HandshakeBenchmark),
#   FIRST_ROUND=1 (to add rounds to an earlier run's OUT: FIRST_ROUND=3 numbers them from 3)
# Offline Maven (-o); the two checkouts' builds never run at once.
set -euo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
rounds=${3:-2}
what=${WHAT:-session handshake}
out=${OUT:-/tmp/regress22}
mkdir -p "$out"
summary=$(cd "$(dirname "$0")" && pwd)/regress22-summary.py

mvn_bench() { # DIR TEST EXTRA...
  local dir=$1 test=$2
  shift 2
  (cd "$dir" && mvn -B -o -pl benchmarks -am test -Dtest="$test" \
    -Dsurefire.failIfNoSpecifiedTests=false -Dlifeline.bench=true -Dlifeline.skipToolCheck "$@")
}

run_one() { # SIDE DIR ROUND BENCH
  local side=$1 dir=$2 round=$3 bench=$4 tag="$4-$1-$3"
  echo "# $(date -u +%H:%M:%S) $tag in $dir ($(git -C "$dir" rev-parse --short HEAD))" >&2
  { echo "side $side round $round commit $(git -C "$dir" rev-parse --short HEAD)"
    echo "load before: $(uptime)"; } > "$out/$tag.load"
  case $bench in
    session)
      rm -f "$dir"/benchmarks/target/benchmarks/session-*.md
      mvn_bench "$dir" SessionBenchmark -Dlifeline.bench.resumes="${RESUMES:-300}" \
        -Dlifeline.bench.sessions="${SESSIONS:-2000}" > "$out/$tag.log" 2>&1
      cat "$dir"/benchmarks/target/benchmarks/session-resume-latency.md \
        "$dir"/benchmarks/target/benchmarks/session-memory.md > "$out/$tag.md" ;;
    handshake)
      rm -f "$dir"/benchmarks/target/benchmarks/tls-handshakes.md
      mvn_bench "$dir" HandshakeBenchmark -Dlifeline.bench.seconds="${SECONDS_PER_ROW:-5}" \
        > "$out/$tag.log" 2>&1
      cp "$dir"/benchmarks/target/benchmarks/tls-handshakes.md "$out/$tag.md" ;;
    idle)
      # The class path idle-sessions.sh would otherwise build with an online Maven.
      (cd "$dir" && mvn -q -B -o -pl benchmarks -am test-compile dependency:build-classpath \
        -Dmdep.includeScope=test -Dlifeline.skipToolCheck \
        -Dmdep.outputFile="$dir/benchmarks/target/bench-classpath.txt") > "$out/$tag.log" 2>&1
      (cd "$dir" && bench/idle-sessions.sh "${IDLE_SESSIONS:-2000}") > "$out/$tag.md" \
        2>> "$out/$tag.log" ;;
  esac
  echo "load after: $(uptime)" >> "$out/$tag.load"
}

first=${FIRST_ROUND:-1}
for round in $(seq "$first" $((first + rounds - 1))); do
  for bench in $what; do
    run_one before "$before" "$round" "$bench"
    run_one after "$after" "$round" "$bench"
  done
done
python3 "$summary" "$out"
