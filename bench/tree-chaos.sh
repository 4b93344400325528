# The set under faults, sourced by bench/trees.sh after its table: tree A uploaded with the
# connection cut every 2-5 MB (--chaos cut=2M..5M,count=$chaos_count) and the client SIGKILLed
# once, when about 40% of the files are stored, then the same command run again with the same
# --state. The second run must exit 0 with the tree complete. Its --json summary (skipped,
# resentBytes, reconnects) and the server's log (every file stored once) show that no finished
# file was sent twice. Needs from trees.sh: work, client, manifest, ll_pids, now, sub.

chaos_tree=A
chaos_name=chaos-$chaos_tree-$$
chaos_dest=$work/data/files/$chaos_name
chaos_state=$work/chaos-state
chaos_spec="cut=2M..5M,count=$chaos_count"
chaos_total=$(wc -l < "$work/list.$chaos_tree")
chaos_kill_at=$((chaos_total * 2 / 5))
stored_now() { find "$chaos_dest" -type f -not -path '*/.*' 2>/dev/null | wc -l; }

echo
echo "# the set under faults: tree $chaos_tree uploaded with --chaos $chaos_spec, client SIGKILLed once at >= $chaos_kill_at of $chaos_total files stored, then the same command again"
rm -rf "$chaos_state"
log_mark=$(wc -l < "$work/server.log")
t0=$(now)
client upload "$work/src/$chaos_tree" --name "$chaos_name" --state "$chaos_state" \
  --chaos "$chaos_spec" > "$work/chaos1.out" 2> "$work/chaos1.err" &
chaos_pid=$!
# The launcher execs java, so $chaos_pid is the client JVM (its first, archive-making run is a
# shell with a java child: the warm-up has made the archive by now, but kill a child too).
while kill -0 "$chaos_pid" 2>/dev/null && [ "$(stored_now)" -lt "$chaos_kill_at" ]; do sleep 0.05; done
for p in $(ps -o pid= --ppid "$chaos_pid" 2>/dev/null) "$chaos_pid"; do kill -KILL "$p" 2>/dev/null || true; done
rc1=0; wait "$chaos_pid" || rc1=$?
# The server goes on storing what it had received before the connection died: wait until the
# count stops moving (unchanged for a second) before taking stock.
prev=-1; for _ in $(seq 1 60); do n=$(stored_now); [ "$n" = "$prev" ] && break; prev=$n; sleep 1; done
# Every file in place after the kill, with its inode and change time: a file sent again would be
# written again and renamed into place (a new inode or change time), whatever the logs say.
stamp() { (cd "$chaos_dest" 2>/dev/null && find . -type f -not -path '*/.*' -printf '%P %i %C@\n' | sort); }
stamp > "$work/chaos-before"
killed_at=$(wc -l < "$work/chaos-before")
t1=$(now)
partial=$(find "$work/data/files/.partial" -type f 2>/dev/null | wc -l)
echo "# first run: exit $rc1 after $(sub "$t0" "$t1") s, $killed_at of $chaos_total files stored," \
  "$(grep -c '"file"' "$work/chaos1.out" || true) per-file lines printed, $partial partial file(s) on the server"
rc2=0
client upload "$work/src/$chaos_tree" --name "$chaos_name" --state "$chaos_state" \
  --chaos "$chaos_spec" > "$work/chaos2.out" 2> "$work/chaos2.err" || rc2=$?
t2=$(now)
summary=$(tail -1 "$work/chaos2.out")
echo "# second run (the same command): exit $rc2 after $(sub "$t1" "$t2") s; total $(sub "$t0" "$t2") s"
echo "# its --json summary: $summary"
if [ "$rc2" -ne 0 ]; then echo "# stderr: $(tail -c 600 "$work/chaos2.err")"; fi
if manifest "$chaos_dest" | cmp -s - "$work/manifest.$chaos_tree"; then
  echo "# the stored tree matches the source: $chaos_total files, names and SHA-256"
else
  echo "# MISMATCH: the stored tree differs from the source"
fi
stamp > "$work/chaos-after"
echo "# files in place at the kill and rewritten since: $(join "$work/chaos-before" "$work/chaos-after" | awk '$2 != $4 || $3 != $5' | wc -l) of $killed_at (same inode and change time for the rest)"
# Per-file outcomes of the second run, from its --json lines.
for s in transferred skipped failed; do
  printf '# second run, files %s: %s\n' "$s" "$(grep -c "\"status\":\"$s\"" "$work/chaos2.out" || true)"
done
# The server's log since the first run: how often each file of the set was stored.
tail -n +"$((log_mark + 1))" "$work/server.log" > "$work/chaos-server.log"
{ grep -oE "stored $chaos_name/[^ ]+" "$work/chaos-server.log" || true; } | sort | uniq -c \
  | awk '{print $1}' | sort -n | uniq -c | awk '{printf "# server log: %d file(s) stored %d time(s)\n", $1, $2}'
echo "# server log lines per kind (since the first run):"
sed -E 's/^[^ ]+ [^ ]+ //; s/session [^:]+: //; s/[0-9a-f]{64}/HASH/g; s/[0-9]+/N/g' "$work/chaos-server.log" \
  | sed -E "s#$chaos_name/[^ ]+#NAME#g" | sort | uniq -c | sort -rn | head -15 | sed 's/^/#   /' || true
echo "reconnects=$(echo "$summary" | json_field reconnects) resentBytes=$(echo "$summary" | json_field resentBytes)" \
  "skipped=$(echo "$summary" | json_field skipped) failed=$(echo "$summary" | json_field failed) files=$(echo "$summary" | json_field files) killed_with=$killed_at"
