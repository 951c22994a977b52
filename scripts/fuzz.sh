#!/usr/bin/env bash
# Fuzz every target in fuzz/ for a fixed time, keeping the corpus in the repo.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 300 seconds each, every target
#
# Targets (fuzz/src/lib.rs): rules (the rules-file parser), clean (the cleaner on
# arbitrary bytes with arbitrary rules), jsonl, warc, decompress (gzip/zstd).
#
# With a nightly toolchain and cargo-fuzz (both installed here if missing and
# installable), each target runs under libFuzzer; new inputs that reach new code
# go to fuzz/corpus/TARGET/, which is then minimised (see `minimise`) so the
# repository keeps a small corpus. A crash is saved under fuzz/artifacts/TARGET/
# and the script exits non-zero; reproduce with
#   (cd fuzz && cargo +nightly fuzz run TARGET artifacts/TARGET/crash-...)
# then fix, and copy the input into fuzz/corpus/TARGET/ as a regression seed.
#
# Without nightly (a machine that cannot fetch one), the stable random-input
# driver runs instead: `cargo test --release -- --ignored fuzz_` mutates the
# saved corpus for the same total time. Every `cargo test` replays the saved
# corpus through the same target functions (fuzz_corpus_replays_cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."

each=${1:-300}
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=(rules clean jsonl warc decompress)
fi

have_nightly() { rustup run nightly rustc --version >/dev/null 2>&1; }

if ! have_nightly; then
    echo "fuzz.sh: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal >&2 || true
fi
if have_nightly && ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked >&2 || true
fi

if ! have_nightly || ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain or cargo-fuzz here; running the stable random-input driver" >&2
    total=$((each * ${#targets[@]}))
    status=0
    for target in "${targets[@]}"; do
        FUZZ_SECONDS=$each FUZZ_TARGET=$target \
            cargo test --release --test integration -- --ignored fuzz_ --nocapture || status=1
    done
    echo "fuzz.sh: stable driver ran ${total}s in all; exit $status" >&2
    exit $status
fi

cd fuzz

# Keeps the corpus small enough for the repository: the named seeds (anything
# not named by its SHA-1, as libFuzzer names what it finds) stay as they are;
# of the inputs found, only those that reach code the others do not (edges
# alone, no hit counts), cut to 256 bytes, are kept.
minimise() {
    local target=$1 kept
    kept=$(mktemp -d)
    find "corpus/$target" -type f | { grep -Ev '/[0-9a-f]{40}$' || true; } | xargs -r cp -t "$kept"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$kept" "corpus/$target" -- \
        -merge=1 -use_counters=0 -use_value_profile=0 -max_len=256 >/dev/null 2>&1; then
        echo "fuzz.sh: could not minimise the $target corpus; left as it is" >&2
        rm -rf "$kept"
        return
    fi
    rm -rf "corpus/$target"
    mv "$kept" "corpus/$target"
    chmod 755 "corpus/$target"
}

# The crate has no unsafe code: AddressSanitizer would find nothing safe Rust
# does not already check, and halves the speed. Debug assertions and overflow
# checks stay on (cargo fuzz builds with them).
flags=(--sanitizer none)
cargo +nightly fuzz build "${flags[@]}" >&2
status=0
for target in "${targets[@]}"; do
    echo "fuzz.sh: $target for ${each}s" >&2
    mkdir -p "corpus/$target"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1; then
        echo "fuzz.sh: $target FAILED; see fuzz/artifacts/$target/" >&2
        status=1
        continue
    fi
    minimise "$target"
    echo "fuzz.sh: $target ok; corpus $(find "corpus/$target" -type f | wc -l) files," \
        "$(du -s --apparent-size --block-size=1K "corpus/$target" | cut -f1) KB" >&2
done
exit $status
