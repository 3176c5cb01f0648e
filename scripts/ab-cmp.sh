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
. "$(dirname "$0")/cmp-time.sh"
best_a="" best_b=""
for _ in $(seq "$k"); do
    best_a=$(min_of "$(ms "$a" "$@")" "$best_a")
    best_b=$(min_of "$(ms "$b" "$@")" "$best_b")
done
awk -v a="$best_a" -v b="$best_b" 'BEGIN { printf "A %.3f ms  B %.3f ms  A/B %.3f\n", a, b, a / b }'
