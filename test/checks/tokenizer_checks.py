#!/usr/bin/env python3
"""tokenizer_checks.py - stage 10's small checks of `sr tokenize` (stdlib only).

  tokenizer_checks.py batch OUT.jsonl
      `sr tokenize --jsonl` output of the stage's five-line batch (a good line, a broken
      line, an id that is a list, invalid UTF-8, a record without an id): the ids echoed
      (the line index when there is none), error records naming file:line and invalid
      UTF-8, [CLS]/[SEP]/[MASK] and their code-point offsets; exit 0 when all hold, an
      AssertionError (exit 1) naming the first that does not
  tokenizer_checks.py fuzz-corpus GOLDEN_IN.jsonl DIR
      libFuzzer seeds: DIR/gNNN for each golden input line, one selector byte (the line
      index mod 8) before the line's text in UTF-8
"""
import json
import sys


def batch(argv):
    r = [json.loads(l) for l in open(argv[1])]
    assert [x["id"] for x in r] == ["a", "b", ["x", 1], "c", 4], [x["id"] for x in r]
    assert "error" in r[1] and "batch.jsonl:2:" in r[1]["error"], r[1]
    assert "error" in r[3] and "invalid UTF-8" in r[3]["error"], r[3]
    assert r[0]["tokens"][0] == "[CLS]" and r[0]["tokens"][-1] == "[SEP]" and r[0]["offsets"][-2] == [10, 11], r[0]
    assert r[2]["tokens"][-2] == "[MASK]" and r[2]["offsets"][-2] == [3, 9], r[2]
    assert r[4]["offsets"] == [[0, 0], [0, 2], [3, 5], [0, 0]], r[4]


def fuzz_corpus(argv):
    for i, l in enumerate(open(argv[1])):
        open("%s/g%03d" % (argv[2], i), "wb").write(bytes([i % 8]) + json.loads(l)["text"].encode())


COMMANDS = {"batch": batch, "fuzz-corpus": fuzz_corpus}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
