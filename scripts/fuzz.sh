#!/usr/bin/env bash
# Runs one of Baton's cargo-fuzz targets (see fuzz/ and the README's
# "Robustness" section).
#
#   scripts/fuzz.sh [TARGET] [SECONDS]
#
# TARGET is `validate_translate` (default) or `differential`; SECONDS defaults
# to 600. Installs cargo-fuzz from crates.io if it is missing and builds with
# the nightly toolchain (libFuzzer needs -Zsanitizer flags). Extra libFuzzer
# options can be passed in FUZZ_ARGS, e.g. FUZZ_ARGS="-max_len=8192".
# Findings land in fuzz/artifacts/TARGET/, the corpus in fuzz/corpus/TARGET/.
set -euo pipefail

target="${1:-validate_translate}"
seconds="${2:-600}"
case "$target" in
    validate_translate | differential) ;;
    *)
        echo "usage: $0 [validate_translate|differential] [SECONDS]" >&2
        exit 2
        ;;
esac

cd "$(dirname "$0")/../fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz from crates.io..." >&2
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz keeps its build in fuzz/target (gitignored); a CARGO_TARGET_DIR
# from the environment would send it elsewhere.
unset CARGO_TARGET_DIR

mkdir -p "corpus/$target"
# -timeout: a single input running longer than this is a hang (a finding);
# -rss_limit_mb: a memory blow-up is a finding too.
exec cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_ARGS:-}
