#!/usr/bin/env python3
"""Score PHI predictions against gold annotations (stdlib only).

usage: eval_phi.py GOLD.jsonl PRED.jsonl [--show-errors N] [--held-out]

GOLD lines: {"id": ..., "text": "...", "phi": [{"start", "end", "type"}, ...]}
            (deid-dev format; "spans" is accepted instead of "phi")
PRED lines: {"id": ..., "spans": [{"start", "end", "type"}, ...]}  (sr deid --jsonl)
Offsets are code-point indices, end exclusive; records are matched by id.

Measures (as in ../shared/README.md):
  tokens = alphanumeric runs [A-Za-z0-9]+ of the gold text;
  a gold PHI token (any character inside a gold span) is FOUND when every character is
  masked; a non-PHI token is a FALSE POSITIVE when any character is masked;
  token recall = found / gold tokens, token precision = found / (found + FP);
  span recall (lenient) = gold spans overlapped by any predicted span.
Reported overall, per gold type, and overall without DateYear (a year alone is not a
HIPAA identifier; sr masks years only as an extra). False positives are counted per
predicted type.

--show-errors N prints up to N missed gold tokens and N false positives with context.
That prints PHI: use it on a terminal while developing, never in test output or logs
that are committed.

--held-out splits deid-dev by patient: the patients with pid % 5 == 0 are kept out of
sight while rules are written (their errors are never shown) and are scored apart from
the rest ("held" and "dev" blocks, each with its own OVERALL line).
"""
import json
import re
import sys
from collections import Counter, defaultdict

TOKEN = re.compile(r"[A-Za-z0-9]+")


def load(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                sys.exit("%s:%d: %s" % (path, n, e))
            out[json.dumps(rec.get("id"))] = rec
    return out


def main(argv):
    args = [a for a in argv[1:]]
    show = 0
    held_out = "--held-out" in args
    if held_out:
        args.remove("--held-out")
    if "--show-errors" in args:
        k = args.index("--show-errors")
        show = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    gold, pred = load(args[0]), load(args[1])
    missing = [k for k in gold if k not in pred]
    if missing:
        sys.exit("%d gold records have no prediction (first id %s)" % (len(missing), missing[0]))
    bad = [k for k in gold if "error" in pred[k]]
    if bad:
        sys.exit("%d predictions are errors (first id %s: %s)" % (len(bad), bad[0], pred[bad[0]]["error"]))

    if held_out:
        held = [k for k in gold if gold[k].get("pid", 1) % 5 == 0]
        dev = [k for k in gold if gold[k].get("pid", 1) % 5 != 0]
        print("== held (pid %% 5 == 0: %d records, errors never shown)" % len(held))
        score(gold, pred, held, 0)
        print("== dev (the other %d records)" % len(dev))
        score(gold, pred, dev, show)
    else:
        score(gold, pred, list(gold), show)


def score(gold, pred, keys, show):
    tok_gold = Counter()      # gold type -> gold tokens
    tok_found = Counter()     # gold type -> found tokens
    span_gold = Counter()
    span_found = Counter()
    fp_by_pred = Counter()    # predicted type -> false-positive tokens
    fp = 0
    misses, fps = [], []
    for key in keys:
        g = gold[key]
        text = g["text"]
        n = len(text)
        gtype = [None] * n
        for s in g.get("phi", g.get("spans", [])):
            for c in range(max(0, s["start"]), min(n, s["end"])):
                gtype[c] = s["type"]
        masked = [None] * n
        pspans = pred[key].get("spans", [])
        for s in pspans:
            for c in range(max(0, s["start"]), min(n, s["end"])):
                masked[c] = s["type"]
        for m in TOKEN.finditer(text):
            a, b = m.start(), m.end()
            types = [gtype[c] for c in range(a, b) if gtype[c]]
            if types:
                t = types[0]
                tok_gold[t] += 1
                if all(masked[c] for c in range(a, b)):
                    tok_found[t] += 1
                elif len(misses) < show:
                    misses.append((t, text[max(0, a - 50):a] + "[[" + text[a:b] + "]]" + text[b:b + 30]))
            else:
                mt = [masked[c] for c in range(a, b) if masked[c]]
                if mt:
                    fp += 1
                    fp_by_pred[mt[0]] += 1
                    if len(fps) < show:
                        fps.append((mt[0], text[max(0, a - 50):a] + "<<" + text[a:b] + ">>" + text[b:b + 30]))
        for s in g.get("phi", g.get("spans", [])):
            span_gold[s["type"]] += 1
            if any(p["start"] < s["end"] and s["start"] < p["end"] for p in pspans):
                span_found[s["type"]] += 1

    def ratio(a, b):
        return a / b if b else float("nan")

    G, F = sum(tok_gold.values()), sum(tok_found.values())
    print("records %d, gold spans %d, gold tokens %d" % (len(gold), sum(span_gold.values()), G))
    print("%-20s %8s %8s %8s %12s" % ("gold type", "tokens", "found", "recall", "span recall"))
    for t in sorted(tok_gold, key=lambda t: -tok_gold[t]):
        print("%-20s %8d %8d %8.3f %12.3f" % (t, tok_gold[t], tok_found[t], ratio(tok_found[t], tok_gold[t]),
                                             ratio(span_found[t], span_gold[t])))
    print("false-positive tokens by predicted type: " +
          ", ".join("%s %d" % (t, c) for t, c in fp_by_pred.most_common()))
    SG, SF = sum(span_gold.values()), sum(span_found.values())
    print("OVERALL token recall %.4f  token precision %.4f  span recall %.4f  (found %d of %d, FP %d)" %
          (ratio(F, G), ratio(F, F + fp), ratio(SF, SG), F, G, fp))
    G2, F2 = G - tok_gold["DateYear"], F - tok_found["DateYear"]
    SG2, SF2 = SG - span_gold["DateYear"], SF - span_found["DateYear"]
    print("WITHOUT DateYear token recall %.4f  token precision %.4f  span recall %.4f" %
          (ratio(F2, G2), ratio(F2, F2 + fp), ratio(SF2, SG2)))
    for t, s in misses:
        print("MISS %-18s %s" % (t, s.replace("\n", " ")))
    for t, s in fps:
        print("FP   %-18s %s" % (t, s.replace("\n", " ")))




if __name__ == "__main__":
    main(sys.argv)
