#!/usr/bin/env python3
"""C4's line rules in plain Python (no numpy, no nltk): the peer that
scripts/bench.sh times beside dechrome, documents per second on one core.

usage: c4_filter.py [--page-rules] [--text-key KEY] FILE.jsonl[.gz] > OUT.jsonl

Each JSONL record's text is split into lines and a line is kept when, after
stripping it, as in datatrove's C4QualityFilter (which follows the C4 paper,
Raffel et al. 2020, and TFDS c4_utils):
  - no word is longer than 1,000 characters;
  - with Wikipedia-style citations ([1], [edit], [citation needed]) removed,
    it ends in terminal punctuation (. ? ! " ') and not in an ellipsis (...);
  - it has at least 3 words;
  - it does not contain "javascript" (any case);
  - it contains none of the policy phrases ("terms of use", "privacy policy",
    "cookie policy", "uses cookies", "use of cookies", "use cookies").
The record is written with its text replaced by the kept lines; every other
field is kept. These are the line rules the development set's README compares
("C4 line rules"). --page-rules adds C4's page rules: a page with "lorem
ipsum" or "{" in a kept line, or with fewer than 5 sentences left, is
dropped (sentences counted by terminal punctuation followed by a space or the
line's end, a plain-Python stand-in for nltk's sentence splitter).
"""
import gzip
import json
import re
import sys

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
MIN_WORDS_PER_LINE = 3
MAX_WORD_LENGTH = 1000
MIN_SENTENCES = 5


def clean(text, page_rules):
    """The kept lines of `text` joined by newlines, or None to drop the page."""
    kept = []
    sentences = 0
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if any(len(w) > MAX_WORD_LENGTH for w in words):
            continue
        line = CITATION.sub("", line)
        if not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS):
            continue
        if len(words) < MIN_WORDS_PER_LINE:
            continue
        lower = line.lower()
        if page_rules and "lorem ipsum" in lower:
            return None
        if "javascript" in lower:
            continue
        if page_rules and "{" in line:
            return None
        if any(p in lower for p in POLICY_SUBSTRINGS):
            continue
        if page_rules:
            sentences += max(1, len(SENTENCE_END.findall(line)))
        kept.append(line)
    if page_rules and sentences < MIN_SENTENCES:
        return None
    return "\n".join(kept)


def main():
    args = sys.argv[1:]
    page_rules = "--page-rules" in args
    args = [a for a in args if a != "--page-rules"]
    key = "text"
    if "--text-key" in args:
        i = args.index("--text-key")
        key = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    path = args[0]
    source = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    out = sys.stdout
    docs = dropped = 0
    with source:
        for raw in source:
            record = json.loads(raw)
            docs += 1
            text = clean(record[key], page_rules)
            if text is None:
                dropped += 1
                continue
            record[key] = text
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
    print(f"c4_filter: {docs} documents, {dropped} dropped", file=sys.stderr)


if __name__ == "__main__":
    main()
