#!/usr/bin/env python3
"""Builds a JSONL shard from the development set's pages, repeated until it
holds at least SIZE_MB megabytes of JSON (before compression).

usage: make-shard.py DEVSET_DIR OUT.jsonl[.gz|.zst] SIZE_MB

Each record is {"id", "url", "text"} with a unique id per copy; the order is
deterministic. `.gz` output uses gzip level 1 (fast); `.zst` needs the `zstd`
command on PATH.
"""
import gzip
import json
import os
import subprocess
import sys


def pages(devset):
    for folder in sorted(os.listdir(devset)):
        path = os.path.join(devset, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith(".page.txt"):
                with open(os.path.join(path, name), encoding="utf-8", errors="replace") as f:
                    yield folder, name[: -len(".page.txt")], f.read()


def main():
    devset, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    docs = list(pages(devset))
    if not docs:
        sys.exit(f"no pages under {devset}")
    target = size_mb * 1_000_000
    if out.endswith(".gz"):
        sink = gzip.open(out, "wb", compresslevel=1)
    elif out.endswith(".zst"):
        proc = subprocess.Popen(["zstd", "-q", "-f", "-3", "-o", out], stdin=subprocess.PIPE)
        sink = proc.stdin
    else:
        sink = open(out, "wb")
    written = 0
    copy = 0
    while written < target:
        for folder, page_id, text in docs:
            line = json.dumps(
                {"id": f"{folder}/{page_id}/{copy}", "url": f"https://{folder}.example/{page_id}", "text": text},
                ensure_ascii=False,
            ).encode("utf-8") + b"\n"
            sink.write(line)
            written += len(line)
            if written >= target:
                break
        copy += 1
    sink.close()
    if out.endswith(".zst"):
        proc.wait()
    print(f"{out}: {written} bytes of JSONL, {copy} passes over {len(docs)} pages")


if __name__ == "__main__":
    main()
