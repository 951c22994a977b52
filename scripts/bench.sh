#!/usr/bin/env bash
# Whole-process benchmark (issue 5): dechrome -j1 and -j2 beside the scan's
# own limit (a raw Aho-Corasick count), wc -w, cat, and two Python peers (C4's
# line rules; jusText on a sample), on the same bytes, in one run, as ratios.
#
# usage: scripts/bench.sh [WORK_DIR]        (default: a new temporary directory)
#
# Environment (defaults in brackets):
#   DEVSET        the development set [../shared/devset]
#   SIZE_MB       corpus size, MB of JSONL [100]
#   SMALL_FILES   files of the many-small-files case [10000]
#   SMALL_KB      their size, KB [10]
#   JUSTEXT_DOCS  documents of the jusText sample [300]
#   REPEAT        rounds; each command's best wall time is kept [3]
#   MEMORY_FS     a memory file system (tmpfs) for a second run of the
#                 many-small-files case, without the disk's cost of making
#                 files [/dev/shm; empty to skip]
#
# Needs cargo, python3 (with venv), /usr/bin/time, gzip and zstd; installs
# `time` and `zstd` with apt-get when missing, and jusText 3.0.2 (with
# lxml_html_clean) into WORK_DIR/venv with pip (its row is skipped if that fails).
# Results: a table on stdout, WORK_DIR/results.tsv and WORK_DIR/results.md.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# Relative paths given by the caller are relative to where it runs; the
# default development set is beside the repository.
devset=${DEVSET:-$repo/../shared/devset}
size_mb=${SIZE_MB:-100}
small_files=${SMALL_FILES:-10000}
small_kb=${SMALL_KB:-10}
justext_docs=${JUSTEXT_DOCS:-300}
repeat=${REPEAT:-3}
memory_fs=${MEMORY_FS-/dev/shm}
work=${1:-$(mktemp -d -t dechrome-bench.XXXXXX)}
[ -d "$devset" ] || { echo "bench.sh: no development set at $devset (set DEVSET)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
devset=$(cd "$devset" && pwd)
cd "$repo"
log() { printf '== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v zstd > /dev/null || missing+=(zstd)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" > /dev/null
fi
venv=$work/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import justext' 2> /dev/null; then
  log "installing jusText into $venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q justext==3.0.2 lxml_html_clean > /dev/null 2>&1 ||
    log "jusText could not be installed: its row is skipped"
fi

log "building release binaries"
cargo build --release --quiet --bins --examples
revision="$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src rules Cargo.toml 2> /dev/null)" ]; then
  revision="$revision + uncommitted changes to $(git status --porcelain -- src rules Cargo.toml | awk '{print $2}' | paste -sd, -)"
fi
# Copies, so that a rebuild in the repository during the run changes nothing.
mkdir -p "$work/bin"
cp "$repo/target/release/dechrome" "$repo/target/release/examples/ac_count" "$work/bin/"
dechrome=$work/bin/dechrome
ac_count=$work/bin/ac_count

# --- corpus ------------------------------------------------------------------
shard=$work/corpus.jsonl
if [ ! -f "$shard" ]; then
  log "building a ${size_mb} MB JSONL shard"
  python3 scripts/make-shard.py "$devset" "$shard.tmp" "$size_mb" >&2
  mv "$shard.tmp" "$shard"
fi
[ -f "$shard.gz" ] || gzip -1 -c "$shard" > "$shard.gz"
[ -f "$shard.zst" ] || zstd -q -3 -c "$shard" > "$shard.zst"
# Text files, the same documents as the shard; the jusText sample, spread
# evenly over the first pass; the many-small-files case and its JSONL twin.
python3 - "$devset" "$shard" "$work" "$justext_docs" "$small_files" "$small_kb" << 'EOF'
import json, os, sys
devset, shard, work, sample_n, small_n, small_kb = sys.argv[1:4] + [int(a) for a in sys.argv[4:]]
txt = os.path.join(work, "txt")
if not os.path.isdir(txt):
    with open(shard, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            path = os.path.join(txt + ".tmp", rec["id"] + ".txt")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(rec["text"])
    os.rename(txt + ".tmp", txt)
pages = []
for folder in sorted(os.listdir(devset)):
    d = os.path.join(devset, folder)
    if os.path.isdir(d):
        pages += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".page.txt")]
sample = os.path.join(work, "sample.jsonl")
if not os.path.exists(sample):
    with open(shard, encoding="utf-8") as f:
        first = [line for _, line in zip(range(len(pages)), f)]
    with open(sample, "w", encoding="utf-8") as out:
        out.writelines(first[i * len(first) // sample_n] for i in range(min(sample_n, len(first))))
small = os.path.join(work, "small")
if not os.path.isdir(small):
    lines = []
    for p in pages:
        with open(p, encoding="utf-8", errors="replace") as f:
            lines += f.read().splitlines(keepends=True)
    with open(os.path.join(work, "small.jsonl"), "w", encoding="utf-8") as jsonl:
        i = k = 0
        while k < small_n:
            chunk, size = [], 0
            while size < small_kb * 1024:
                line = lines[i % len(lines)]
                i += 1
                chunk.append(line)
                size += len(line.encode("utf-8"))
            text = "".join(chunk)
            path = os.path.join(small + ".tmp", f"{k // 100:03d}", f"{k:05d}.txt")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
            jsonl.write(json.dumps({"id": f"{k:05d}", "text": text}, ensure_ascii=False) + "\n")
            k += 1
    os.rename(small + ".tmp", small)
EOF
printf '[settings]\nclassifier = off\n' > "$work/rules-only.rules"
# One page per call, as a script calling dechrome for each document would:
# start-up (compiling the rules and loading the model) and one page.
head -n 1 "$work/sample.jsonl" > "$work/one.jsonl"
calls=100

bytes_of() { find "$@" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }
shard_docs=$(wc -l < "$shard")
shard_bytes=$(bytes_of "$shard")
txt_bytes=$(bytes_of "$work/txt")
sample_docs=$(wc -l < "$work/sample.jsonl")
sample_bytes=$(bytes_of "$work/sample.jsonl")
small_bytes=$(bytes_of "$work/small")
small_jsonl_bytes=$(bytes_of "$work/small.jsonl")
one_bytes=$(bytes_of "$work/one.jsonl")
log "corpus: $shard_bytes bytes, $shard_docs documents (JSONL; gz $(bytes_of "$shard.gz"), zst $(bytes_of "$shard.zst")); text files $txt_bytes bytes"

# --- the commands --------------------------------------------------------------
# Each: NAME|INPUT|BYTES|DOCS|CORES|COMMAND (bytes and docs are the input's,
# uncompressed; the command is run with eval).
q() { printf '%q' "$1"; }
out=$work/out
commands=(
  "dechrome -j1|JSONL|$shard_bytes|$shard_docs|1|$(q "$dechrome") -j1 $(q "$shard") > /dev/null"
  "dechrome -j2|JSONL|$shard_bytes|$shard_docs|2|$(q "$dechrome") -j2 $(q "$shard") > /dev/null"
  "dechrome -j1 rules only|JSONL|$shard_bytes|$shard_docs|1|$(q "$dechrome") -j1 -r $(q "$work/rules-only.rules") $(q "$shard") > /dev/null"
  "dechrome -j1|JSONL.gz|$shard_bytes|$shard_docs|1|$(q "$dechrome") -j1 $(q "$shard.gz") > /dev/null"
  "dechrome -j2|JSONL.gz|$shard_bytes|$shard_docs|2|$(q "$dechrome") -j2 $(q "$shard.gz") > /dev/null"
  "dechrome -j1|JSONL.zst|$shard_bytes|$shard_docs|1|$(q "$dechrome") -j1 $(q "$shard.zst") > /dev/null"
  "dechrome -j2|JSONL.zst|$shard_bytes|$shard_docs|2|$(q "$dechrome") -j2 $(q "$shard.zst") > /dev/null"
  "dechrome -j1 -o|text files|$txt_bytes|$shard_docs|1|$(q "$dechrome") -j1 -o $(q "$out") $(q "$work/txt")"
  "dechrome -j2 -o|text files|$txt_bytes|$shard_docs|2|$(q "$dechrome") -j2 -o $(q "$out") $(q "$work/txt")"
  "ac_count|JSONL|$shard_bytes|$shard_docs|1|$(q "$ac_count") $(q "$shard") > $(q "$work/ac_count.txt") 2>&1"
  "wc -w|JSONL|$shard_bytes|$shard_docs|1|wc -w $(q "$shard") > /dev/null"
  "cat|JSONL|$shard_bytes|$shard_docs|1|cat $(q "$shard") > /dev/null"
  "C4 line rules (Python)|JSONL|$shard_bytes|$shard_docs|1|python3 $(q "$repo/scripts/peers/c4_filter.py") $(q "$shard") > /dev/null"
  "dechrome -j1 -o|small files|$small_bytes|$small_files|1|$(q "$dechrome") -j1 -o $(q "$out") $(q "$work/small")"
  "dechrome -j1 -o|small JSONL|$small_jsonl_bytes|$small_files|1|$(q "$dechrome") -j1 -o $(q "$out") $(q "$work/small.jsonl")"
  "dechrome -j1 -o rules only|small files|$small_bytes|$small_files|1|$(q "$dechrome") -j1 -r $(q "$work/rules-only.rules") -o $(q "$out") $(q "$work/small")"
  "dechrome -j1 -o rules only|small JSONL|$small_jsonl_bytes|$small_files|1|$(q "$dechrome") -j1 -r $(q "$work/rules-only.rules") -o $(q "$out") $(q "$work/small.jsonl")"
  "cp -r (the file system's floor)|small files|$small_bytes|$small_files|1|cp -r $(q "$work/small") $(q "$out")"
  "dechrome -j1 rules only, to stdout|small files|$small_bytes|$small_files|1|$(q "$dechrome") -j1 -r $(q "$work/rules-only.rules") $(q "$work/small") > /dev/null"
  "dechrome -j1 rules only, to stdout|small JSONL|$small_jsonl_bytes|$small_files|1|$(q "$dechrome") -j1 -r $(q "$work/rules-only.rules") $(q "$work/small.jsonl") > /dev/null"
  "dechrome -j1, $calls calls|one page a call|$((calls * one_bytes))|$calls|1|bash -c $(q "for i in \$(seq $calls); do $(q "$dechrome") -j1 $(q "$work/one.jsonl"); done > /dev/null")"
  "dechrome, $calls calls|one page a call|$((calls * one_bytes))|$calls|$(nproc)|bash -c $(q "for i in \$(seq $calls); do $(q "$dechrome") $(q "$work/one.jsonl"); done > /dev/null")"
)
# The many-small-files case again on a memory file system: what the files
# cost dechrome itself, apart from what the disk charges for making them.
if [ -n "$memory_fs" ] && [ -d "$memory_fs" ] && [ -w "$memory_fs" ]; then
  mem=$(mktemp -d "$memory_fs/dechrome-bench.XXXXXX")
  trap 'rm -rf "$mem"' EXIT
  cp -r "$work/small" "$work/small.jsonl" "$mem/"
  commands+=(
    "dechrome -j1 -o, on tmpfs|small files|$small_bytes|$small_files|1|$(q "$dechrome") -j1 -o $(q "$mem/out") $(q "$mem/small")"
    "dechrome -j1 -o, on tmpfs|small JSONL|$small_jsonl_bytes|$small_files|1|$(q "$dechrome") -j1 -o $(q "$mem/out") $(q "$mem/small.jsonl")"
    "cp -r, on tmpfs|small files|$small_bytes|$small_files|1|cp -r $(q "$mem/small") $(q "$mem/out")"
  )
fi
if "$venv/bin/python" -c 'import justext' 2> /dev/null; then
  commands+=("jusText (Python)|sample JSONL|$sample_bytes|$sample_docs|1|$(q "$venv/bin/python") $(q "$repo/scripts/peers/justext_peer.py") $(q "$work/sample.jsonl") > /dev/null")
fi

log "warming the page cache"
cat "$shard" "$shard.gz" "$shard.zst" "$work/sample.jsonl" "$work/small.jsonl" > /dev/null
find "$work/txt" "$work/small" -type f -exec cat {} + > /dev/null

# Rounds over all commands (so a burst of load elsewhere hits every command
# alike); per command, the best wall time (with its CPU time) and the highest
# peak RSS are kept.
declare -A wall cpu rss
for ((round = 1; round <= repeat; round++)); do
  for spec in "${commands[@]}"; do
    IFS='|' read -r name input _ _ _ cmd <<< "$spec"
    key="$name|$input"
    log "round $round/$repeat: $name on $input"
    rm -rf "$out" "${mem:-$out}/out"
    if ! eval "/usr/bin/time -f '%e %M %U %S' -o $(q "$work/time.txt") $cmd" 2> "$work/stderr.txt"; then
      echo "bench.sh: failed: $cmd" >&2
      cat "$work/stderr.txt" >&2
      exit 1
    fi
    read -r w m u s < <(tail -n 1 "$work/time.txt")
    c=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
    if [ -z "${wall[$key]:-}" ] || awk -v a="$w" -v b="${wall[$key]}" 'BEGIN {exit !(a < b)}'; then
      wall[$key]=$w
      cpu[$key]=$c
    fi
    [ "${rss[$key]:-0}" -ge "$m" ] || rss[$key]=$m
  done
done
rm -rf "$out"

results=$work/results.tsv
printf 'command\tinput\tbytes\tdocs\tcores\twall_s\tcpu_s\tpeak_rss_kb\n' > "$results"
for spec in "${commands[@]}"; do
  IFS='|' read -r name input bytes docs cores _ <<< "$spec"
  key="$name|$input"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$input" "$bytes" "$docs" "$cores" \
    "${wall[$key]}" "${cpu[$key]}" "${rss[$key]}" >> "$results"
done

# --- the table and the ratios ------------------------------------------------------
python3 - "$results" "$work/results.md" "$repeat" "$small_files" "$revision" << 'EOF'
import csv, sys
path, md_path, repeat, small_n, revision = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
import os, platform
machine = f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f} at the end"
rows = {}
order = []
with open(path) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        for k in ("bytes", "docs", "cores", "peak_rss_kb"):
            r[k] = int(r[k])
        for k in ("wall_s", "cpu_s"):
            r[k] = float(r[k])
        wall = max(r["wall_s"], 0.01)
        r["mb_s"] = r["bytes"] / 1e6 / wall
        r["docs_s"] = r["docs"] / wall
        r["docs_s_core"] = r["docs_s"] / r["cores"]
        rows[(r["command"], r["input"])] = r
        order.append(r)
def rate(r, key, fmt):
    # /usr/bin/time counts in 10 ms steps: a faster run is only a lower bound.
    return ("≥ " if r["wall_s"] <= 0.01 else "") + format(r[key], fmt)
lines = [
    "| command | input | MB | docs | wall s | CPU s | MB/s | docs/s | docs/s per core | peak RSS MB |",
    "|---|---|---|---|---|---|---|---|---|---|",
]
for r in order:
    lines.append(
        f"| {r['command']} | {r['input']} | {r['bytes'] / 1e6:.1f} | {r['docs']:,} | {r['wall_s']:.2f} | "
        f"{r['cpu_s']:.2f} | {rate(r, 'mb_s', '.1f')} | {rate(r, 'docs_s', ',.0f')} | "
        f"{rate(r, 'docs_s_core', ',.0f')} | "
        f"{r['peak_rss_kb'] / 1000:.1f} |"
    )
def get(cmd, inp):
    return rows.get((cmd, inp))
j1, j2 = get("dechrome -j1", "JSONL"), get("dechrome -j2", "JSONL")
ratios = []
def ratio(label, a, b, key, target, unit="x"):
    if a and b:
        value = a[key] / b[key]
        met = "met" if value >= target else "NOT met"
        ratios.append(f"| {label} | {value:.3g}{unit} | >= {target}{unit} | {met} |")
ratio("dechrome -j1 / wc -w (MB/s, JSONL)", j1, get("wc -w", "JSONL"), "mb_s", 1.0)
ratio("dechrome -j1 / ac_count (MB/s, JSONL)", j1, get("ac_count", "JSONL"), "mb_s", 0.8)
ratio("dechrome -j2 / -j1 (MB/s, JSONL)", j2, j1, "mb_s", 1.7)
ratio("dechrome -j1 / jusText (docs/s per core)", j1, get("jusText (Python)", "sample JSONL"), "docs_s_core", 300)
ratio("dechrome -j1 / C4 Python (docs/s per core)", j1, get("C4 line rules (Python)", "JSONL"), "docs_s_core", 30)
# Per-file overhead: the difference of two long runs, so noisy on a shared
# machine; the rules-only pair (classifier off) has far less work to hide it.
for command, label in (
    ("dechrome -j1 -o", "default, -o"),
    ("dechrome -j1 -o, on tmpfs", "default, -o, on tmpfs: dechrome's own share"),
    ("dechrome -j1 -o rules only", "rules only, -o"),
    ("dechrome -j1 rules only, to stdout", "rules only, to stdout: reading side only"),
):
    files, twin = get(command, "small files"), get(command, "small JSONL")
    if files and twin:
        overhead = (files["wall_s"] - twin["wall_s"]) / small_n * 1e6
        cpu = (files["cpu_s"] - twin["cpu_s"]) / small_n * 1e6
        met = ("met" if overhead < 50 else "NOT met") if label.startswith("default") else "(information)"
        ratios.append(
            f"| per-file overhead ({label}): {small_n:,} files vs the same bytes as one JSONL shard, "
            f"wall (CPU) | {overhead:.0f} µs ({cpu:.0f} µs) | < 50 µs | {met} |"
        )
# For scale: what copying the same files costs (read, create, write each),
# the file system's share of any per-file output.
for command, where in (("cp -r (the file system's floor)", ""), ("cp -r, on tmpfs", ", on tmpfs")):
    copy = get(command, "small files")
    if copy:
        floor = copy["wall_s"] / small_n * 1e6
        ratios.append(
            f"| cp -r of the {small_n:,} files{where}, per file (read, create, write), wall (CPU) | "
            f"{floor:.0f} µs ({copy['cpu_s'] / small_n * 1e6:.0f} µs) | (information) | |"
        )
for calls in (r for r in order if r["input"] == "one page a call"):
    threads = "-j1" if "-j1" in calls["command"] else "default threads"
    ratios.append(
        f"| one call on one page (start-up, one page, exit), {threads}, wall (CPU) | "
        f"{calls['wall_s'] / calls['docs'] * 1e3:.1f} ms ({calls['cpu_s'] / calls['docs'] * 1e3:.1f} ms) | (information) | |"
    )
rules_only = get("dechrome -j1 rules only", "JSONL")
if j1 and rules_only:
    share = (j1["cpu_s"] - rules_only["cpu_s"]) / j1["cpu_s"]
    ratios.append(f"| classifier's share of dechrome -j1 CPU time (default vs rules only) | {share:.0%} | (information) | |")
    for peer in ("wc -w", "ac_count"):
        if get(peer, "JSONL"):
            value = rules_only["mb_s"] / get(peer, "JSONL")["mb_s"]
            ratios.append(f"| dechrome -j1 rules only / {peer} (MB/s, JSONL) | {value:.3g}x | (information) | |")
lines += ["", "| ratio | measured | target | |", "|---|---|---|---|"] + ratios
text = "\n".join(lines)
print(f"\nbest of {repeat} rounds per command; MB = 10^6 bytes of uncompressed input\n")
print(f"dechrome at {revision}; {machine}\n")
print(text)
with open(md_path, "w") as f:
    f.write(f"dechrome at {revision}; {machine}\n\n" + text + "\n")
EOF
echo
echo "ac_count: $(tail -n 1 "$work/ac_count.txt")"
echo "results: $results, $work/results.md"
