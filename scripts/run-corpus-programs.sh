#!/usr/bin/env bash
# Runs the corpus benchmark programs through the `baton` CLI (release build) and
# checks each result against what ../shared/corpus/RUNSPECS.json expects:
# CoreMark (WASI build), coremark-minimal (+ the wasmi-benchmarks variant) with
# the host clock, and every Rust benchmark kernel's setup/run/verify sequence.
#
# Usage: scripts/run-corpus-programs.sh [FILTER]    (FILTER: substring of a case name)
# Env:   CORPUS=path/to/corpus   BATON=path/to/baton (skips the cargo build)
# Exits non-zero on any mismatch; skips (exit 0) when the corpus is absent.
# Takes minutes: CoreMark alone runs >= 10 s by design.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${CORPUS:-$root/../shared/corpus}"
if [ ! -d "$corpus/bench" ]; then
    echo "skip: corpus not found at $corpus"
    exit 0
fi
corpus="$(cd "$corpus" && pwd)"
if [ -z "${BATON:-}" ]; then
    (cd "$root" && cargo build --release -q -p baton-cli) || exit 1
    BATON="${CARGO_TARGET_DIR:-$root/target}/release/baton"
fi
filter="${1:-}"
rb="$corpus/bench/rust-benchmarks"
res="$rb/res"
fail=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# run NAME CHECK EXPECTED -- baton args...
#   CHECK: eq (last line == EXPECTED), gt (last line > EXPECTED, numerically),
#          grep (EXPECTED, a regex, matches some line), any (exit 0 is enough)
run() {
    local name="$1" check="$2" expected="$3"
    shift 4
    case "$name" in *"$filter"*) ;; *) return ;; esac
    local start end out status got ok=no
    start=$(date +%s.%N)
    out="$("$BATON" "$@" 2>"$tmp/err")"
    status=$?
    printf '%s\n' "$out" >"$tmp/out"
    end=$(date +%s.%N)
    got="$(printf '%s\n' "$out" | tail -n 1)"
    if [ $status -eq 0 ]; then
        case "$check" in
            eq) [ "$got" = "$expected" ] && ok=yes ;;
            gt) awk -v a="$got" -v b="$expected" 'BEGIN { exit !(a + 0 > b + 0) }' && ok=yes ;;
            grep) printf '%s\n' "$out" | grep -Eq "$expected" && ok=yes ;;
            any) ok=yes ;;
        esac
    fi
    [ "$check" = grep ] && got="$(printf '%s\n' "$out" | grep -E "$expected" | head -n 1)"
    printf '%-22s %-4s %8.2fs  expected %-4s %-22s got %s\n' "$name" \
        "$([ $ok = yes ] && echo ok || echo FAIL)" "$(echo "$end - $start" | bc)" "$check" "$expected" "$got"
    if [ $ok != yes ]; then
        fail=1
        sed 's/^/    stderr: /' "$tmp/err" | head -n 5
    fi
}

# CoreMark, WASI command build: prints its standard report, validated, with a score.
run coremark-wasi grep '^Correct operation validated' -- "$corpus/bench/coremark/coremark.wasm"
case coremark-wasi in *"$filter"*)
    score="$(grep -E '^CoreMark 1\.0 : [0-9.]+' "$tmp/out" | head -n 1)"
    if [ -n "$score" ]; then
        echo "coremark-wasi          ok   score line: ${score%% / *}"
    else
        echo "coremark-wasi          FAIL no 'CoreMark 1.0 : <score>' line"
        fail=1
    fi ;;
esac
# coremark-minimal: env.clock_ms () -> i64 is provided by the CLI; run() -> f32 score > 1.
run coremark-minimal gt 1 -- run --invoke run "$corpus/bench/coremark/coremark-minimal.wasm"
if [ -f "$corpus/bench/wasmi-benchmarks/wasm/coremark.wasm" ]; then
    run coremark-wasmi-i32clk gt 1 -- run --invoke run "$corpus/bench/wasmi-benchmarks/wasm/coremark.wasm"
fi

c="$rb/cases"
alice="$res/alice29.txt"
rcin="$c/reverse-complement/input.txt"
run sort any - -- run --invoke 'setup 1000000' --invoke 'run @1' --invoke 'teardown @1' "$c/sort/out.wasm"
run sort-dyn any - -- run --invoke 'setup 400000' --invoke 'run @1' --invoke 'teardown @1' "$c/sort-dyn/out.wasm"
run prime-sieve-count eq 664579 -- run --invoke 'setup 10000000' --invoke 'run @1' \
    --invoke 'len_primes @1' "$c/prime-sieve/out.wasm"
run prime-sieve-largest eq 9999991 -- run --invoke 'setup 10000000' --invoke 'run @1' \
    --invoke 'largest_prime @1' "$c/prime-sieve/out.wasm"
run matrix-mul any - -- run --invoke 'setup 400' --invoke 'run @1' --invoke 'output @1' "$c/matrix-mul/out.wasm"
run nbody any - -- run --invoke 'setup 400' --invoke 'run @1' --invoke 'result @1' "$c/nbody/out.wasm"
run argon2 eq 8516746375935431256 -- run --invoke 'setup 3000' --invoke 'run @1' --invoke 'output @1' \
    "$c/argon2/out.wasm"
run tiny-keccak any - -- run --invoke 'setup' --invoke 'run @1' --invoke 'teardown @1' "$c/tiny-keccak/out.wasm"
run mandelbrot eq 5595328 -- run --invoke 'setup 150' --invoke 'run @1' --invoke 'output @1' "$c/mandelbrot/out.wasm"
run spectralnorm eq 1.2742241159529095 -- run --invoke 'setup 500' --invoke 'run @1' --invoke 'output @1' \
    "$c/spectralnorm/out.wasm"
run compression eq 97649 -- run --invoke "setup size:$alice" --invoke 'input_ptr @1' --write-memory "@2:$alice" \
    --invoke 'run @1' --invoke 'len_compressed @1' "$c/compression/out.wasm"
run word-count-unique eq 2213 -- run --invoke "setup size:$alice" --invoke 'input_ptr @1' \
    --write-memory "@2:$alice" --invoke 'run @1' --invoke 'len_unique_words @1' "$c/word-count/out.wasm"
run word-count-special eq 6314 -- run --invoke "setup size:$alice" --invoke 'input_ptr @1' \
    --write-memory "@2:$alice" --invoke 'run @1' --invoke 'len_special_chars @1' "$c/word-count/out.wasm"
run json-parse eq 37778 -- run --invoke "setup size:$res/citm_catalog.json" --invoke 'input_ptr @1' \
    --write-memory "@2:$res/citm_catalog.json" --invoke 'run @1' --invoke 'node_count @1' "$c/json-parse/out.wasm"
run reverse-complement any - -- run --invoke "setup size:$rcin" --invoke 'input_ptr @1' --write-memory "@2:$rcin" \
    --invoke 'run @1' --invoke 'output_ptr @1' --read-memory "@5:size:$rcin:$tmp/rc.out" \
    "$c/reverse-complement/out.wasm"
case reverse-complement in *"$filter"*)
    if cmp -s "$tmp/rc.out" "$c/reverse-complement/output.txt"; then
        echo "reverse-complement     ok   output matches output.txt"
    else
        echo "reverse-complement     FAIL output differs from output.txt"
        fail=1
    fi ;;
esac
run regex-redux eq 2 -- run --invoke "setup size:$rcin" --invoke 'input_ptr @1' --write-memory "@2:$rcin" \
    --invoke 'run @1' --invoke 'output @1' "$c/regex-redux/out.wasm"

if [ $fail -ne 0 ]; then
    echo "FAILED: some programs did not produce the expected results"
    exit 1
fi
echo "all corpus programs ok"
