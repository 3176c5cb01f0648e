#!/usr/bin/env bash
# A/B of translator fusions in one binary: runs the `cmp` example (Baton
# only) K times for each BATON_NOFUSE setting, alternating, and prints the
# best time of each. One binary means one code placement, so this sees
# changes that an A/B of two builds (scripts/ab-cmp.sh) cannot: placement
# alone moves a workload by 5-20 % between builds on these machines.
#
#   scripts/ab-nofuse.sh K CMP_BIN "SETTING..." -- CMP_ARGS...
#   e.g. scripts/ab-nofuse.sh 6 target/release/examples/cmp "none add_cmp" -- sort 1000000 3
#
# A setting is a comma-separated list of fusion names (see translate::nofuse);
# "none" turns nothing off.
set -euo pipefail
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
    echo "usage: $0 K CMP_BIN \"SETTING...\" -- CMP_ARGS..." >&2
    exit 2
fi
k=$1 bin=$2 settings=$3
shift 4
. "$(dirname "$0")/cmp-time.sh"
declare -A best
for _ in $(seq "$k"); do
    for s in $settings; do
        best[$s]=$(min_of "$(BATON_NOFUSE=$s ms "$bin" "$@")" "${best[$s]:-}")
    done
done
for s in $settings; do
    printf '%-30s %.4f ms\n' "$s" "${best[$s]}"
done
