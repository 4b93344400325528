#!/usr/bin/env python3
"""Top frames by CPU samples per thread group of a JFR recording.

    bench/jfr-top.py RECORDING.jfr [TOP_N] [EVENT]

Runs `jfr print --events EVENT --stack-depth 1` (default jdk.ExecutionSample) and counts the
top frame of each sample, per thread group: the thread's name with its numbers replaced by '#'
("lifeline-io-3-1" -> "lifeline-io-#-#"), so a pool reads as one line. Prints Markdown: per
group its share of all samples, then its TOP_N (default 8) frames with their share of the group.

jdk.ExecutionSample only sees threads running Java code. Time in native code (BoringSSL's
encryption through netty-tcnative, socket reads and writes, fsync) is only in
jdk.NativeMethodSample, which also counts threads that wait in a native call (epoll_wait,
a blocked read): those frames (WAITING below) are left out and counted apart, the rest read
as "where threads in native code were", close to but not quite CPU.
"""
import collections
import re
import subprocess
import sys

# Native frames where a thread waits rather than works.
WAITING = re.compile(r"epollWait|Unsafe\.park|Object\.wait|accept0|poll0|Thread\.sleep")


def samples(recording, event):
    out = subprocess.run(
        ["jfr", "print", "--events", event, "--stack-depth", "1", recording],
        check=True, capture_output=True, text=True).stdout
    thread = None
    want_frame = False
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("sampledThread = "):
            m = re.match(r'sampledThread = "(.*)" \(', line)
            thread = m.group(1) if m else line[len("sampledThread = "):]
        elif line.startswith("stackTrace = ["):
            want_frame = True
        elif want_frame:
            want_frame = False
            frame = re.sub(r"\s+line: \d+.*$", "", line)
            yield thread or "?", frame


def main():
    recording = sys.argv[1]
    top_n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    event = sys.argv[3] if len(sys.argv) > 3 else "jdk.ExecutionSample"
    groups = collections.defaultdict(collections.Counter)
    total = 0
    waiting = 0
    for thread, frame in samples(recording, event):
        if WAITING.search(frame):
            waiting += 1
            continue
        groups[re.sub(r"\d+", "#", thread)][frame] += 1
        total += 1
    if total == 0:
        print("(no %s events)" % event)
        return
    print("%d samples (%s)%s" % (total, event,
                                  ", %d more waiting (left out)" % waiting if waiting else ""))
    print()
    print("| thread group | samples | top frame | share of the group |")
    print("| --- | ---: | --- | ---: |")
    for group, frames in sorted(groups.items(), key=lambda g: -sum(g[1].values())):
        n = sum(frames.values())
        first = True
        for frame, c in frames.most_common(top_n):
            head = "%s | %d (%.0f%%)" % (group, n, 100.0 * n / total) if first else " | "
            print("| %s | `%s` | %.0f%% |" % (head, frame, 100.0 * c / n))
            first = False


if __name__ == "__main__":
    main()
