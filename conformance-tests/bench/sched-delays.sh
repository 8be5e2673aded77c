#!/usr/bin/env bash
# Where the tail latency goes: records the kernel's scheduler events for a few seconds while a bench
# load runs, and lists wake-ups that waited long for a CPU: which thread waited, and what ran on its
# CPU (and on the other CPUs) when it was woken. Needs `perf` and permission to trace (root, or
# kernel.perf_event_paranoid <= -1). A diagnostic, not part of `make bench`.
#
#   conformance-tests/bench/sched-delays.sh [SECONDS (4)] [THRESHOLD_US (300)]
#
# Start it while a fixed-rate load runs, e.g. loadgen.sh --rate 2000 --duration 20 against the gateway.
set -euo pipefail
seconds=${1:-4}
threshold=${2:-300}
command -v perf >/dev/null || { echo "sched-delays: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "sched-delays: python3 is needed for the summary" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sched-delays.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
perf sched record -a -o "$tmp/sched.data" -- sleep "$seconds" >/dev/null 2>&1
perf script -i "$tmp/sched.data" -F cpu,time,event,trace 2>/dev/null > "$tmp/events.txt"
python3 - "$tmp/events.txt" "$threshold" <<'PY'
import collections, re, sys
events, threshold_us = sys.argv[1], float(sys.argv[2])
running = {}                 # cpu -> name of the thread on it
pending = {}                 # pid -> [woken at, target cpu, thread name, what ran on each cpu then]
woken = collections.Counter()
late = collections.Counter()
behind = collections.Counter()
switch = re.compile(r'next_comm=(.*?) next_pid=(\d+)')
waking = re.compile(r'comm=(.*?) pid=(\d+) prio=\d+ target_cpu=(\d+)')
migrate = re.compile(r'pid=(\d+) prio=\d+ orig_cpu=\d+ dest_cpu=(\d+)')
line_re = re.compile(r'\[(\d+)\]\s+([\d.]+):\s+sched:(\w+): (.*)')
for line in open(events):
    m = line_re.match(line)
    if not m:
        continue
    cpu, t, event, rest = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
    if event == 'sched_waking':
        w = waking.search(rest)
        if w:
            target = int(w.group(3))
            pending[int(w.group(2))] = [t, target, w.group(1), dict(running)]
    elif event == 'sched_migrate_task':
        g = migrate.search(rest)
        if g and int(g.group(1)) in pending:
            pending[int(g.group(1))][1] = int(g.group(2))
    elif event == 'sched_switch':
        s = switch.search(rest)
        if not s:
            continue
        pid = int(s.group(2))
        running[cpu] = s.group(1) if pid != 0 else 'idle'
        if pid in pending:
            at, target, name, then = pending.pop(pid)
            woken[name] += 1
            if (t - at) * 1e6 > threshold_us:
                late[name] += 1
                others = ', '.join(sorted(v for c, v in then.items() if c != target)) or '-'
                behind[(then.get(target, 'idle'), others)] += 1
total = sum(late.values())
print(f'wake-ups that waited more than {threshold_us:.0f} µs for a CPU: {total}')
print('\nthread woken                 late / all wake-ups')
for name, n in late.most_common(12):
    print(f'  {name:<26} {n:>5} / {woken[name]}')
print('\non its CPU when woken -> on the other CPUs        count')
for (mine, others), n in behind.most_common(15):
    print(f'  {mine:<22} -> {others:<26} {n:>5}')
PY
