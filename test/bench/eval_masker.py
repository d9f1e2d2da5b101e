#!/usr/bin/python3
"""eval_masker.py - what the Masker (no models) does to ../shared/deid-dev (a development
measurement, not a test: it needs ../shared and prints numbers only, never note text).

    /usr/bin/python3 test/bench/eval_masker.py [NER_TEST_BIN] [NOTES.jsonl]

Tokens are alphanumeric runs [A-Za-z0-9]+ (as ../shared/README.md). Each token's fate:
PHI (masked as PHI: every character inside PHI spans), PROTECT, ELIGIBLE, NONE. For gold
PHI tokens the rules missed, PROTECT and NONE mean the original stays in the letter;
ELIGIBLE means it is replaced when the ratio draw picks it.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "out", "ner_test")
notes = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "..", "shared", "deid-dev", "notes.jsonl")
r = subprocess.run([binary, "jsonl", notes], capture_output=True, text=True, check=True)
print(r.stderr.strip())
gold_fate, other_fate = {}, {}
by_type = {}
n_notes = 0
for line, out in zip(open(notes, encoding="utf-8"), r.stdout.splitlines()):
    rec = json.loads(line)
    n_notes += 1
    text = rec["text"]
    act = [None] * len(text)
    for a, s, e, _ in json.loads(out):
        for i in range(s, e):
            act[i] = a
    gold = [None] * len(text)
    for p in rec["phi"]:
        for i in range(p["start"], p["end"]):
            gold[i] = p["type"]
    for m in re.finditer(r"[A-Za-z0-9]+", text):
        a, b = m.start(), m.end()
        acts = set(act[a:b])
        if acts == {"PHI"}:
            fate = "PHI"
        elif "PROTECT" in acts:
            fate = "PROTECT"
        elif "ELIGIBLE" in acts:
            fate = "ELIGIBLE"
        elif "PHI" in acts:
            fate = "PHI-partial"
        else:
            fate = "NONE"
        t = next((g for g in gold[a:b] if g), None)
        if t:
            gold_fate[fate] = gold_fate.get(fate, 0) + 1
            by_type.setdefault(t, {})
            by_type[t][fate] = by_type[t].get(fate, 0) + 1
        else:
            other_fate[fate] = other_fate.get(fate, 0) + 1


def show(name, d):
    n = sum(d.values())
    print("%s (%d tokens): %s" % (name, n, ", ".join("%s %d (%.1f%%)" % (k, v, 100.0 * v / n)
                                                     for k, v in sorted(d.items(), key=lambda kv: -kv[1]))))


print("%d notes" % n_notes)
show("gold PHI tokens", gold_fate)
show("other tokens", other_fate)
for t, d in sorted(by_type.items()):
    show("  PHI " + t, d)
