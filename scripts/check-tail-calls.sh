#!/usr/bin/env bash
# Lists interpreter handlers whose dispatch is an indirect `call` instead of a
# tail `jmp` (see crates/baton/src/exec/handlers.rs). Prints nothing when all
# handlers tail-call. Usage: scripts/check-tail-calls.sh [BINARY]
# (default: target/release/baton, built with `cargo build --release -p baton-cli`).
set -euo pipefail
bin="${1:-target/release/baton}"
objdump -d --no-show-raw-insn "$bin" | awk '
/^[0-9a-f]+ <_ZN5baton4exec8handlers/ { name = $2; next }
/^$/ { name = "" }
name != "" && /call +\*%r|call +\*\(%r|call +\*0x[0-9a-f]+\(%r[a-z0-9]+\)/ && !/%rip/ { print name ": " $0 }' |
    grep -v "host_trampoline\|call_host\|3run17" | sort -u || true
