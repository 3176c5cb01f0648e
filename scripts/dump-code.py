#!/usr/bin/env python3
"""Pretty-prints Baton's threaded code for debugging the translator.

Usage: BATON_DUMP=1 target/release/baton run ... 2> dump.txt
       scripts/dump-code.py target/release/baton dump.txt [FUNC_INDEX]

Each cell that holds the address of a handler starts a new line; the cells
after it are its immediates (slot indices, constants, branch targets).
"""
import re
import subprocess
import sys

binary, dump = sys.argv[1], sys.argv[2]
only = int(sys.argv[3]) if len(sys.argv) > 3 else None
syms = {}
out = subprocess.run(["nm", "-C", binary], capture_output=True, text=True).stdout
for line in out.splitlines():
    parts = line.split(" ", 2)
    if len(parts) == 3 and "baton::exec::handlers::" in parts[2]:
        syms[int(parts[0], 16)] = parts[2].split("::")[-1]
copy_addr = next(a for a, n in syms.items() if n == "copy")
for line in open(dump):
    m = re.match(r"baton-dump func=(\d+) copy=([0-9a-f]+) cells=(.*)", line)
    if not m:
        continue
    func = int(m.group(1))
    if only is not None and func != only:
        continue
    slide = int(m.group(2), 16) - copy_addr
    cells = [int(c, 16) for c in m.group(3).split(",")]
    print(f"func {func}:")
    row = None
    for i, c in enumerate(cells):
        name = syms.get(c - slide)
        if name:
            if row:
                print("  " + " ".join(row))
            row = [f"{i:5}: {name}"]
        else:
            row = (row or [f"{i:5}: ?"]) + [str(c) if c < 1 << 32 else hex(c)]
    if row:
        print("  " + " ".join(row))
