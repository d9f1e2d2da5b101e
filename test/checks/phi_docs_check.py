#!/usr/bin/env python3
"""stage_40 check: sr deid on the invented documents (test/docs), HIPAA token recall per
split against floors that guard against regressions, and the fail-closed layer's cost
side by side (the same documents with --no-fail-closed). Scored by test/docs/score_phi.py,
written independently of the rules. Prints no document text.

usage: phi_docs_check.py WORKDIR   (WORKDIR/docs_{dev,held}.jsonl and *_nofc.jsonl)
"""
import json
import subprocess
import sys

w = sys.argv[1]


def score(gold, pred):
    out = subprocess.run([sys.executable, "test/docs/score_phi.py", "--json", gold, pred], capture_output=True, text=True)
    return json.loads(out.stdout)


# regression floors; dev holds 47 documents since 2026-12-07 (nine new kinds written as
# development material, recall 0.969 on them all when they came; 0.990 on the first 38)
floors = {"dev": 0.965, "held": 0.93}
ok, msg = True, []
for split in ("dev", "held"):
    a = score("test/docs/%s.jsonl" % split, "%s/docs_%s.jsonl" % (w, split))
    b = score("test/docs/%s.jsonl" % split, "%s/docs_%s_nofc.jsonl" % (w, split))
    r, p = a["hipaa"]["token_recall"], a["hipaa"]["token_precision"]
    r0, p0 = b["hipaa"]["token_recall"], b["hipaa"]["token_precision"]
    ok &= r >= floors[split] and r >= r0 and p >= 0.85
    msg.append("%s HIPAA recall %.4f precision %.4f (without the fail-closed layer %.4f / %.4f; floor %.3f)" %
               (split, r, p, r0, p0, floors[split]))
print(("PASS" if ok else "FAIL") + " phi-docs: " + "; ".join(msg))
