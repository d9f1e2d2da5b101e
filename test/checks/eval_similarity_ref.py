#!/usr/bin/env python3
"""Reference for `sr eval -m MODEL`'s similarity (BERTScore-style, last hidden layer),
with PyTorch (train/model.py's BERT holding the sr file's weights, test/checks/demo_fill.py).

usage: eval_similarity_ref.py MODEL.srm TOKENS_ORIG.jsonl TOKENS_SYN.jsonl > ref.json

TOKENS_*: `sr tokenize -m MODEL --jsonl --no-special` of the originals and synthetic
letters (the tokenizer is checked against Hugging Face's elsewhere). Each text is cut
into chunks of max_position - 2 pieces, each run as [CLS] chunk [SEP]; P = mean over
synthetic pieces of the best cosine with an original piece, R the other way, F1.
Prints {"pairs", "precision", "recall", "f1", "per_document": [{"id", ...}]}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "train"))
from demo_fill import model_from_srm  # noqa: E402


def main(srm, tok_o, tok_s):
    model, _vocab, cfg = model_from_srm(srm)
    L = cfg["max_position"] - 2

    def embed(ids):
        rows = []
        for at in range(0, len(ids), L):
            chunk = [cfg["cls_id"]] + ids[at:at + L] + [cfg["sep_id"]]
            with torch.no_grad():
                h = model.bert(torch.tensor([chunk]))[0, 1:-1].double()
            rows.append(h / h.norm(dim=1, keepdim=True).clamp_min(1e-300))
        return torch.cat(rows) if rows else torch.zeros(0)

    origs = [json.loads(l) for l in open(tok_o, encoding="utf-8") if l.strip()]
    syns = {json.dumps(r["id"]): r for r in (json.loads(l) for l in open(tok_s, encoding="utf-8") if l.strip())}
    docs, sums, n = [], [0.0, 0.0, 0.0], 0
    for o in origs:
        s = syns[json.dumps(o["id"])]
        d = {"id": o["id"], "precision": None, "recall": None, "f1": None}
        if o["ids"] and s["ids"]:
            a, b = embed(o["ids"]), embed(s["ids"])
            sim = b @ a.T
            p = sim.max(dim=1).values.mean().item()
            r = sim.max(dim=0).values.mean().item()
            f = 2 * p * r / (p + r) if p + r > 0 else 0.0
            d.update(precision=p, recall=r, f1=f)
            for k, v in enumerate((p, r, f)):
                sums[k] += v
            n += 1
        docs.append(d)
    out = {"pairs": n, "precision": sums[0] / n if n else None, "recall": sums[1] / n if n else None,
           "f1": sums[2] / n if n else None, "per_document": docs}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
