#!/usr/bin/env python3
"""Names and ranks the handler counts written by the `handler-stats` feature.

usage: scripts/handler-stats.py BINARY STATS_FILE [TOP]

Build and run, e.g.:
  CARGO_TARGET_DIR=/work/target-stats cargo run --release -p baton-bench \
      --features handler-stats --example cmp -- nbody 50 1
  scripts/handler-stats.py /work/target-stats/release/examples/cmp handler-stats.txt
"""
import collections, subprocess, sys

binary, stats = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
syms = {}
for line in subprocess.run(["nm", "-C", binary], capture_output=True, text=True).stdout.splitlines():
    parts = line.split(" ", 2)
    if len(parts) == 3 and parts[1] in "tT":
        name = parts[2]
        if "baton::exec::handlers::" in name:
            syms.setdefault(int(parts[0], 16), name.split("baton::exec::handlers::")[1])
            if name.endswith("handlers::exit"):
                exit_addr = int(parts[0], 16)
pairs = []
with open(stats) as f:
    base = int(f.readline().split()[1], 16) - exit_addr
    for line in f:
        if line.startswith("cell "):
            continue
        n, a, b = line.split()
        pairs.append((int(n), int(a, 16), int(b, 16)))
name = lambda a: "-" if a == 0 else syms.get(a - base, hex(a))
single = collections.Counter()
for n, _, b in pairs:
    single[name(b)] += n
total = sum(single.values())
print(f"{total} dispatches")
print("\n# handlers")
for h, n in single.most_common(top):
    print(f"{n / total * 100:6.2f}%  {h}")
print("\n# pairs (prev -> next)")
for n, a, b in sorted(pairs, reverse=True)[:top]:
    print(f"{n / total * 100:6.2f}%  {name(a)} -> {name(b)}")
