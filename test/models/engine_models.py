#!/usr/bin/python3
"""engine_models.py OUTDIR [--layers N] [--only NAME,...]

Models for the int8 accuracy checks of the engine, written with test/models/make_models.py's
own writer (HF folder, torch-module references) but with weight distributions of our
choosing, all of Bio_ClinicalBERT's width (hidden 768, 12 heads, FFN 3072, 512
positions, vocab 28996) and N layers (default 2, to keep the test stage short):
  q8_normal   BERT's init: normal, std 0.02
  q8_heavy    heavy tails: Student-t (3 degrees of freedom) weights and embeddings, and
              LayerNorm gains with a few outlier dimensions (x8), as trained BERTs have
  q8_uniform  uniform weights and larger biases
Each OUTDIR/NAME/ also gets ref/masked.txt: cases (same line format as cases.txt) in
which 15% of the tokens are [MASK], the positions where top-1 / top-5 agreement of the
int8 and float32 engines is measured."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402

ORIG_INIT = make_models.init_state


def init_state(m):
    """make_models' BERT state dict, then re-drawn with the model's distribution."""
    sd = ORIG_INIT(m)
    g = torch.Generator().manual_seed(m["seed"] + 77)
    dist = m["dist"]
    if dist == "normal":
        return sd
    H = m["H"]
    outliers = torch.randperm(H, generator=g)[:4]
    for k, v in sd.items():
        if dist == "heavy":
            if k.endswith("LayerNorm.weight"):
                w = 1.0 + torch.randn(v.shape, generator=g) * 0.1
                w[outliers] *= 8.0
                sd[k] = w
            elif v.dim() == 2:
                # Student-t with 3 dof: normal / sqrt(chi2_3 / 3); std 0.02 overall
                z = torch.randn(v.shape, generator=g)
                chi = (torch.randn((3,) + tuple(v.shape), generator=g) ** 2).sum(0) / 3
                sd[k] = z / chi.sqrt() * (0.02 / math.sqrt(3.0))
        elif dist == "uniform":
            if v.dim() == 2:
                sd[k] = (torch.rand(v.shape, generator=g) * 2 - 1) * 0.04
            elif k.endswith(".bias"):
                sd[k] = torch.randn(v.shape, generator=g) * 0.2
    return sd


def masked_cases(m, vocab, n_seq=16, length=512, rate=0.15):
    g = torch.Generator().manual_seed(m["seed"] + 3000)
    cls_id, sep_id, mask_id = vocab.index("[CLS]"), vocab.index("[SEP]"), vocab.index("[MASK]")
    lines = []
    for s in range(n_seq):
        n = length if s % 2 == 0 else length // 4
        ids = [cls_id] + [int(x) for x in torch.randint(5, m["V"], (n - 2,), generator=g)] + [sep_id]
        for i in range(1, n - 1):
            if torch.rand(1, generator=g).item() < rate:
                ids[i] = mask_id
        lines.append("ids=%s;types=%s;attn=%s" % (" ".join(map(str, ids)), " ".join(["0"] * n), " ".join(["1"] * n)))
    return lines


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    layers, only = 2, None
    if "--layers" in argv:
        layers = int(argv[argv.index("--layers") + 1])
        args = [a for a in args if a != str(layers)]
    if "--only" in argv:
        only = argv[argv.index("--only") + 1].split(",")
        args = [a for a in args if a != argv[argv.index("--only") + 1]]
    out = args[0]
    make_models.init_state = init_state
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    base = dict(H=768, layers=layers, heads=12, I=3072, V=28996, P=512, T=2, fmt="zip", heads_=("mlm",),
                storage="f32", eps=1e-12, full=True,
                layout=dict(prefix=True, position_ids=True, tied_saved=True, decoder_bias=True))
    models = [dict(base, name="q8_normal", seed=21, dist="normal"),
              dict(base, name="q8_heavy", seed=22, dist="heavy"),
              dict(base, name="q8_uniform", seed=23, dist="uniform")]
    os.makedirs(out, exist_ok=True)
    for m in models:
        if only and m["name"] not in only:
            continue
        d = make_models.build(m, out)
        vocab = [l.rstrip("\n") for l in open(os.path.join(d, "vocab.txt"), encoding="utf-8")]
        with open(os.path.join(d, "ref", "masked.txt"), "w") as f:
            f.write("".join(l + "\n" for l in masked_cases(m, vocab)))
        print(m["name"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
