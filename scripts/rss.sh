#!/usr/bin/env bash
# Peak memory while streaming JSONL.gz shards of two sizes built from the
# development set: if memory is bounded, the 1 GB figure is close to the 10 MB one.
# usage: scripts/rss.sh [DEVSET_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
devset=${1:-../shared/devset}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cargo build --release --quiet
for size in 10 1000; do
  shard="$work/shard-${size}m.jsonl.gz"
  [ -f "$shard" ] || python3 scripts/make-shard.py "$devset" "$shard" "$size"
  rm -rf "$work/out"
  /usr/bin/time -f "${size} MB shard: %e s wall, peak RSS %M KB" \
    ./target/release/dechrome -j2 -o "$work/out" "$shard"
done
