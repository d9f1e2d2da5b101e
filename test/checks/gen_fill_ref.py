#!/usr/bin/python3
"""gen_fill_ref.py - reference for `sr fill`: PyTorch's own modules (test/models/make_models.py's
TorchBert) on the weights torch wrote, softmax over the whole vocabulary at each [MASK].

    gen_fill_ref.py MODELDIR MODELNAME TOKENS.jsonl SR_FILL.jsonl

TOKENS.jsonl: `sr tokenize --jsonl` of the same texts (the tokenizer has its own stage
against Hugging Face's). Compares sr fill's candidates (ids, order, probabilities) with
torch's top-k; prints PASS/FAIL lines.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))  # gen_models, make_models
import gen_models  # noqa: E402
import make_models  # noqa: E402


def main(argv):
    d, name, tok_path, fill_path = argv[1:5]
    m = [x for x in gen_models.MODELS if x["name"] == name][0]
    sd = torch.load(os.path.join(d, name, "pytorch_model.bin"), map_location="cpu")
    sd = {k: v.float() for k, v in sd.items()}
    model = make_models.TorchBert(m, sd).eval()
    toks = [json.loads(l) for l in open(tok_path)]
    fills = [json.loads(l) for l in open(fill_path)]
    worst, bad, n_masks = 0.0, [], 0
    for t, f in zip(toks, fills):
        ids = t["ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), torch.zeros(1, len(ids), dtype=torch.long),
                        torch.ones(1, len(ids), dtype=torch.long))["mlm"][0].double()
        probs = torch.softmax(out, dim=-1)
        want_pos = [i for i, x in enumerate(ids) if x == 103]
        got_pos = [mk["index"] for mk in f["masks"]]
        if want_pos != got_pos:
            bad.append("%s: mask positions %s, torch %s" % (f["id"], got_pos, want_pos))
            continue
        for mk in f["masks"]:
            n_masks += 1
            k = len(mk["candidates"])
            top = torch.topk(probs[mk["index"]], k)
            want_ids = top.indices.tolist()
            got_ids = [c["id"] for c in mk["candidates"]]
            for c, p in zip(mk["candidates"], top.values.tolist()):
                worst = max(worst, abs(c["prob"] - probs[mk["index"], c["id"]].item()))
            # order may differ only between near-equal probabilities
            if got_ids != want_ids and any(abs(probs[mk["index"], a] - probs[mk["index"], b]) > 1e-5
                                          for a, b in zip(got_ids, want_ids) if a != b):
                bad.append("%s: ids %s, torch %s" % (f["id"], got_ids, want_ids))
    ok = not bad and n_masks > 0 and worst < 1e-4
    print(("PASS" if ok else "FAIL") + " fill %s: %d masks, top-k ids as torch, max |prob diff| %.2g%s"
          % (name, n_masks, worst, "" if ok else ": " + "; ".join(bad[:3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
