"""Clean documents from Python through one long-lived dechrome process.

dechrome runs once, with --line-buffered, and answers each JSONL record as
soon as it is written: no start-up per document (about 10 ms a call), no
temporary files, and the embedded rules and classifier compiled once.

    from coprocess import Dechrome

    with Dechrome() as dechrome:                  # dechrome on PATH, or DECHROME=...
        text = dechrome.clean("Skip Navigation\\nThe council voted on Tuesday.")
        text = dechrome.clean(page_text, url="https://example.com/a")  # host-scoped rules

Extra arguments go to dechrome: Dechrome("-r", "site.rules", "--bias", "0.5").
A record dechrome cannot read is reported on standard error and comes back
unchanged, so every call gets one answer. A call cut short (an exception,
Ctrl-C, a timeout) would leave its answer in the pipe, to be taken for the
next call's: the process is then stopped, and later calls raise. Run as a
script, it cleans the UTF-8 files it is given, line endings kept:

    python3 examples/coprocess.py examples/news-page.txt
"""

import json
import os
import subprocess
import sys


class Dechrome:
    """One dechrome process, asked one document at a time."""

    def __init__(self, *args, binary=None):
        binary = binary or os.environ.get("DECHROME", "dechrome")
        command = [binary, "--line-buffered", "--format", "jsonl", *args, "-"]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            encoding="utf-8",
        )
        self._broken = False

    def clean(self, text, url=None):
        """The cleaned text of one document (url: for host-scoped rules)."""
        if self._broken:
            raise RuntimeError("an earlier call was cut short: start a new Dechrome")
        record = {"text": text}
        if url is not None:
            record["url"] = url
        try:
            self._process.stdin.write(json.dumps(record) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        except BaseException:
            # The answer may still come: it must not pair with another call.
            self._broken = True
            self._process.kill()
            raise
        if not answer:
            self._broken = True
            raise RuntimeError(f"dechrome exited with {self._process.wait()}")
        return json.loads(answer)["text"]

    def close(self):
        """Ends the process; returns its exit code."""
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        code = self._process.wait()
        self._process.stdout.close()
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    with Dechrome() as dechrome:
        for path in sys.argv[1:]:
            with open(path, encoding="utf-8", newline="") as f:
                sys.stdout.buffer.write(dechrome.clean(f.read()).encode("utf-8"))
