#!/usr/bin/python3
"""pos_score.py - UPOS accuracy of a tagged CoNLL-U file against the gold one, written
separately from sr's C code (and from train/train_pos.py): reads both files line by
line, pairs the word lines (integer IDs) of each sentence, and counts equal UPOS.

    pos_score.py GOLD.conllu PRED.conllu [--case lower|upper]

The predicted file must keep every other column as the gold has it: FORM, or with
--case the FORM lower/upper-cased (the predicted file was tagged from such a copy).
Prints one JSON line: {"words", "correct", "accuracy", "other_columns_equal", "per_tag",
"nva_precision"}: the last is the share of the words tagged NOUN, VERB or ADJ (what the
Masker may resample) whose gold tag is one of those three.
Exit 1 when the files do not line up.
"""
import json
import sys


def sentences(path):
    out, cur = [], []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip():
                if cur:
                    out.append(cur)
                cur = []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if cols[0].isdigit():
                cur.append(cols)
    if cur:
        out.append(cur)
    return out


def main():
    gold_path, pred_path = sys.argv[1], sys.argv[2]
    case = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--case" else None
    gold, pred = sentences(gold_path), sentences(pred_path)
    if len(gold) != len(pred):
        print(json.dumps({"error": "%d gold sentences, %d predicted" % (len(gold), len(pred))}))
        sys.exit(1)
    n = ok = 0
    same_rest = True
    per = {}
    nva = ("NOUN", "VERB", "ADJ")
    nva_pred = nva_ok = 0
    for gs, ps in zip(gold, pred):
        if len(gs) != len(ps):
            print(json.dumps({"error": "a sentence has %d gold words, %d predicted" % (len(gs), len(ps))}))
            sys.exit(1)
        for g, p in zip(gs, ps):
            form = g[1].lower() if case == "lower" else g[1].upper() if case == "upper" else g[1]
            if len(p) != 10 or p[0] != g[0] or p[1] != form or p[2:3] + p[4:] != g[2:3] + g[4:]:
                same_rest = False
            n += 1
            hit = p[3] == g[3]
            if p[3] in nva:
                nva_pred += 1
                nva_ok += g[3] in nva
            ok += hit
            d = per.setdefault(g[3], [0, 0])
            d[0] += 1
            d[1] += hit
    print(json.dumps({"words": n, "correct": ok, "accuracy": ok / max(n, 1), "other_columns_equal": same_rest,
                      "per_tag": {t: round(c / w, 4) for t, (w, c) in sorted(per.items())},
                      "nva_precision": nva_ok / max(nva_pred, 1)}))


if __name__ == "__main__":
    main()
