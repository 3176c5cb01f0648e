#!/bin/sh
# Rebuilds the test programs' .wasm files (committed, so tests never need clang).
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32:
#   apt-get install clang lld wasi-libc libclang-rt-dev-wasm32
set -eu
cd "$(dirname "$0")"
for src in *.c; do
    out="${src%.c}.wasm"
    # -Wl,--strip-debug drops DWARF but keeps the name section for backtraces.
    clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$out" "$src"
    echo "built $out ($(wc -c < "$out") bytes)"
done
