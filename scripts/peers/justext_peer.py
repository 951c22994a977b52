#!/usr/bin/env python3
"""jusText on JSONL records, each line of a record's text given as a paragraph
(how the development set's README compared it): the peer that
scripts/bench.sh times beside dechrome, documents per second on one core.

usage: justext_peer.py [--language English] [--text-key KEY] FILE.jsonl > OUT.jsonl

Needs `pip install justext`. Each record is written with its text replaced by
the paragraphs jusText does not call boilerplate, one per line.
"""
import html
import json
import sys

import justext


def main():
    args = sys.argv[1:]
    options = {"--language": "English", "--text-key": "text"}
    for name in list(options):
        if name in args:
            i = args.index(name)
            options[name] = args[i + 1]
            del args[i : i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    key = options["--text-key"]
    stoplist = justext.get_stoplist(options["--language"])
    out = sys.stdout
    docs = 0
    with open(args[0], "rb") as source:
        for raw in source:
            record = json.loads(raw)
            docs += 1
            lines = [line for line in record[key].splitlines() if line.strip()]
            page = "<html><body>%s</body></html>" % "".join(
                "<p>%s</p>" % html.escape(line) for line in lines
            )
            paragraphs = justext.justext(page, stoplist) if lines else []
            record[key] = "\n".join(p.text for p in paragraphs if not p.is_boilerplate)
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
    print(f"justext_peer: {docs} documents", file=sys.stderr)


if __name__ == "__main__":
    main()
