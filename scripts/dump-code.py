#!/usr/bin/env python3
"""Pretty-prints Baton's threaded code for debugging the translator.

Usage: BATON_DUMP=1 target/release/baton run ... 2> dump.txt
       scripts/dump-code.py target/release/baton dump.txt [FUNC_INDEX]

Each cell that holds the address of a handler starts a new line; the cells
after it are its immediates (slot indices, constants, branch targets).

With `--counts handler-stats.txt` (written by a `handler-stats` build run
with BATON_DUMP=1 in the same process) every line starts with the number of
times its handler ran, and `--hot N` prints only the functions that ran at
least N handlers, hottest first.
"""
import re
import subprocess
import sys

args, counts, hot = sys.argv[1:], None, None
while "--counts" in args or "--hot" in args:
    k = args.index("--counts") if "--counts" in args else args.index("--hot")
    if args[k] == "--counts":
        counts = {}
        for line in open(args[k + 1]):
            if line.startswith("cell "):
                _, a, n = line.split()
                counts[int(a, 16)] = int(n)
    else:
        hot = int(args[k + 1])
    del args[k : k + 2]
binary, dump = args[0], args[1]
only = int(args[2]) if len(args) > 2 else None
syms = {}
out = subprocess.run(["nm", "-C", binary], capture_output=True, text=True).stdout
for line in out.splitlines():
    parts = line.split(" ", 2)
    if len(parts) == 3 and "baton::exec::handlers::" in parts[2]:
        syms[int(parts[0], 16)] = parts[2].split("::")[-1]
copy_addr = next(a for a, n in syms.items() if n == "copy")
def field_str(c, base, n):
    """An immediate: a branch target into this function as `@cell`; a cell
    below 2^48 also as the three 16-bit slot fields it may pack."""
    if base is not None and base <= c < base + 8 * n and (c - base) % 8 == 0:
        return f"@{(c - base) // 8}"
    if c < 1 << 16 or c >= 1 << 48:
        return str(c) if c < 1 << 32 else hex(c)
    return f"{c}=[{c & 0xFFFF},{c >> 16 & 0xFFFF},{c >> 32 & 0xFFFF}]"


funcs = []
for line in open(dump):
    m = re.match(r"baton-dump func=(\d+) copy=([0-9a-f]+)(?: base=([0-9a-f]+))? cells=(.*)", line)
    if not m:
        continue
    func = int(m.group(1))
    if only is not None and func != only:
        continue
    slide = int(m.group(2), 16) - copy_addr
    base = int(m.group(3), 16) if m.group(3) else None
    cells = [int(c, 16) for c in m.group(4).split(",")]
    out, total = [f"func {func}:"], 0
    row = None
    for i, c in enumerate(cells):
        name = syms.get(c - slide)
        if name:
            if row:
                out.append("  " + " ".join(row))
            n = counts.get(base + 8 * i, 0) if counts is not None and base is not None else None
            total += n or 0
            row = ([f"{n:9}"] if n is not None else []) + [f"{i:5}: {name}"]
        else:
            row = (row or [f"{i:5}: ?"]) + [field_str(c, base, len(cells))]
    if row:
        out.append("  " + " ".join(row))
    if counts is not None:
        out[0] = f"func {func}: {total} dispatches"
    funcs.append((total, out))
if hot is not None:
    funcs = sorted((f for f in funcs if f[0] >= hot), key=lambda f: -f[0])
for _, out in funcs:
    print("\n".join(out))
