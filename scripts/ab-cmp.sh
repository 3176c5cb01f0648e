#!/usr/bin/env bash
# A/B timing of two builds of the `cmp` example on one workload, Baton only
# (CMP_ONLY=baton): alternates the two binaries K times and prints the best
# time of each and their ratio. The best of alternating runs is what survives
# this machine's switches between a fast and a slow state.
#
#   scripts/ab-cmp.sh K BIN_A BIN_B -- CMP_ARGS...
#   e.g. scripts/ab-cmp.sh 5 /tmp/base/release/examples/cmp target/release/examples/cmp -- mandelbrot 150 5
set -euo pipefail
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
    echo "usage: $0 K BIN_A BIN_B -- CMP_ARGS..." >&2
    exit 2
fi
k=$1 a=$2 b=$3
shift 4
ms() { # prints one run's Baton time in milliseconds
    CMP_ONLY=baton "$1" "${@:2}" | sed -E 's/.*baton ([0-9.]+)(ms|µs|ns|s).*/\1 \2/' |
        awk '{ v = $1; if ($2 == "µs") v /= 1e3; if ($2 == "ns") v /= 1e6; if ($2 == "s") v *= 1e3; print v }'
}
best_a="" best_b=""
for _ in $(seq "$k"); do
    ta=$(ms "$a" "$@")
    tb=$(ms "$b" "$@")
    best_a=$(printf '%s\n%s\n' "$ta" "${best_a:-$ta}" | sort -g | head -1)
    best_b=$(printf '%s\n%s\n' "$tb" "${best_b:-$tb}" | sort -g | head -1)
done
awk -v a="$best_a" -v b="$best_b" 'BEGIN { printf "A %.3f ms  B %.3f ms  A/B %.3f\n", a, b, a / b }'
