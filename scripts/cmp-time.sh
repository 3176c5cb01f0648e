# Sourced by scripts/ab-cmp.sh and scripts/ab-nofuse.sh: timing one run of
# the `cmp` example.

# `ms CMP_BIN CMP_ARGS...` prints one run's Baton time in milliseconds.
ms() {
    CMP_ONLY=baton "$1" "${@:2}" | sed -E 's/.*baton ([0-9.]+)(ms|µs|ns|s).*/\1 \2/' |
        awk '{ v = $1; if ($2 == "µs") v /= 1e3; if ($2 == "ns") v /= 1e6; if ($2 == "s") v *= 1e3; print v }'
}

# `min_of T BEST` prints the smaller of a new time and the best so far (empty
# before the first run).
min_of() {
    printf '%s\n%s\n' "$1" "${2:-$1}" | sort -g | head -1
}
