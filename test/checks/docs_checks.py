#!/usr/bin/env python3
"""docs_checks.py - stage 45's checks of the invented test documents (test/docs) and their
scorer (stdlib only). Each prints PASS/FAIL lines.

  docs_checks.py size DOCS
      DOCS/dev.jsonl and DOCS/held.jsonl together: >= 56 documents, >= 28 kinds in each
      split, >= 25,000 words
  docs_checks.py scorer SCORER WORK
      SCORER (test/docs/score_phi.py) on a case counted by hand (WORK/g.jsonl, p.jsonl:
      recall, precision, span recall, all and HIPAA, per type), then refusing a lost
      record, a span past the text, an unknown record and a record given twice (exit 1,
      one line naming the file)
"""
import json
import subprocess
import sys


def size(argv):
    recs = {s: [json.loads(l) for l in open("%s/%s.jsonl" % (argv[1], s), encoding="utf-8")] for s in ("dev", "held")}
    docs = sum(len(r) for r in recs.values())
    kinds = min(len({x["kind"] for x in r}) for r in recs.values())
    words = sum(len(x["text"].split()) for r in recs.values() for x in r)
    ok = docs >= 56 and kinds >= 28 and words >= 25000
    print("%s docs size: %d documents, %d kinds per split, %d words" % ("PASS" if ok else "FAIL", docs, kinds, words))


# the hand-counted case:
#    text tokens: Dr Ann Lee saw 12 03 2021 at St Mary Hospital (11)
#    gold: DOCTOR "Ann Lee", DATE "12/03/2021", HOSPITAL "St Mary Hospital"
#    pred: "An" (part of Ann), "saw", "12/03/2021", "Mary Hospital"
#    found: 12 03 2021 Mary Hospital = 5 of 8 (HIPAA 3 of 5); hit: + Ann = 6 (HIPAA 4);
#    false positives: saw = 1; spans found: DATE only = 1 of 3 (HIPAA 1 of 2)
def scorer_check(argv):
    scorer, w = argv[1], argv[2]
    text = "Dr Ann Lee saw 12/03/2021 at St Mary Hospital."
    def at(s): i = text.index(s); return i, i + len(s)
    gold = {"id": "t/1", "text": text, "phi": [
        dict(zip(("start", "end"), at("Ann Lee")), type="DOCTOR"),
        dict(zip(("start", "end"), at("12/03/2021")), type="DATE"),
        dict(zip(("start", "end"), at("St Mary Hospital")), type="HOSPITAL")]}
    a, _ = at("Ann")
    pred = {"id": "t/1", "spans": [{"start": a, "end": a + 2, "type": "NAME"},
                                   dict(zip(("start", "end"), at("saw")), type="NAME"),
                                   dict(zip(("start", "end"), at("12/03/2021")), type="DATE"),
                                   dict(zip(("start", "end"), at("Mary Hospital")), type="HOSPITAL")]}
    open(w + "/g.jsonl", "w").write(json.dumps(gold) + "\n")
    open(w + "/p.jsonl", "w").write(json.dumps(pred) + "\n")
    out = subprocess.run([sys.executable, scorer, w + "/g.jsonl", w + "/p.jsonl", "--json"],
                         capture_output=True, text=True)
    want = {("all", "token_recall"): 0.625, ("all", "token_precision"): 0.8571,
            ("all", "span_recall"): 0.3333, ("hipaa", "token_recall"): 0.6,
            ("hipaa", "token_precision"): 0.8, ("hipaa", "span_recall"): 0.5}
    try:
        res = json.loads(out.stdout)
        bad = ["%s.%s=%s (want %s)" % (k[0], k[1], res[k[0]][k[1]], v) for k, v in want.items() if res[k[0]][k[1]] != v]
        if res["tokens"] != {"phi": 8, "non_phi": 3, "false_positives": 1}: bad.append("tokens %s" % res["tokens"])
        if res["per_type"]["DOCTOR"]["token_recall"] != 0.0 or res["per_type"]["HOSPITAL"]["token_recall"] != 0.6667:
            bad.append("per type %s" % res["per_type"])
    except (ValueError, KeyError) as e:
        bad = ["no result (%s): %s" % (e, out.stderr[:300])]
    print("PASS docs scorer hand-counted case" if not bad else "FAIL docs scorer: " + "; ".join(bad))

    def refused(name, pred_lines):
        open(w + "/bad.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in pred_lines))
        r = subprocess.run([sys.executable, scorer, w + "/g.jsonl", w + "/bad.jsonl"], capture_output=True, text=True)
        ok = r.returncode == 1 and r.stderr.count("\n") == 1 and "bad.jsonl" in r.stderr
        print(("PASS docs scorer refuses %s" % name) if ok else ("FAIL docs scorer accepts %s: rc=%d %s" % (name, r.returncode, r.stderr[:200])))
    refused("a lost record", [])
    refused("a span past the text", [{"id": "t/1", "spans": [{"start": 40, "end": 99}]}])
    refused("an unknown record", [pred, {"id": "t/2", "spans": []}])
    refused("a record twice", [pred, pred])


COMMANDS = {"size": size, "scorer": scorer_check}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
