#!/usr/bin/env python3
"""stage_40 check: sr deid on the invented documents (test/docs), HIPAA token recall per
split against floors that guard against regressions, and the fail-closed layer's cost
side by side (the same documents with --no-fail-closed). Scored by test/docs/score_phi.py,
written independently of the rules. Then: no span's "source" quotes a word its text masks.
Prints no document text.

usage: phi_docs_check.py WORKDIR   (WORKDIR/docs_{dev,held}.jsonl and *_nofc.jsonl)
"""
import json
import re
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

# A span's "source" may name the context word that triggered its rule ("rule:relative/wife").
# That word is written out with the spans, so it must never be a word the output masks:
# quoting the name beside a middle initial, or the postcode beside a town, would write the
# PHI that the mask hides. The word quoted must be one that stands unmasked somewhere in the
# text (the trigger itself is never masked).
leaks, quoted = [], 0
for split in ("dev", "held"):
    texts = {}
    for line in open("test/docs/%s.jsonl" % split, encoding="utf-8"):
        rec = json.loads(line)
        texts[rec["id"]] = rec["text"]
    for line in open("%s/docs_%s.jsonl" % (w, split), encoding="utf-8"):
        rec = json.loads(line)
        text = texts[rec["id"]]
        cover = [False] * len(text)
        for s in rec["spans"]:
            for k in range(s["start"], s["end"]):
                cover[k] = True
        unmasked = set(m.group(0).lower() for m in re.finditer(r"[^\W_]+", text) if not any(cover[m.start():m.end()]))
        for s in rec["spans"]:
            src = s.get("source", "")
            if "/" not in src or not re.fullmatch(r"[^\W_]+", src.split("/", 1)[1]):
                continue  # no context word, or a punctuation mark (rule:region/,)
            quoted += 1
            word = src.split("/", 1)[1]
            if word not in unmasked:
                leaks.append("%s %s" % (rec["id"], src.split("/", 1)[0]))
print(("PASS" if quoted and not leaks else "FAIL") +
      " phi-docs: no span's source quotes a masked word (%d sources with a context word; %d quote one%s)" %
      (quoted, len(leaks), (": " + ", ".join(sorted(set(leaks))[:5])) if leaks else ""))
