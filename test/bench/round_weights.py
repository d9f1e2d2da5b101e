"""round_weights.py - a copy of a Hugging Face BERT folder with its weight matrices
rounded to another format and stored back as float32, to see what a weight format
alone costs (the arithmetic stays f32 when the copy is converted with --dtype f32).

  round_weights.py SRC OUT MODE WHICH
    MODE:  bf16 | fp16 | q8 (int8, one scale per group of 64 columns: max|w| / 127)
    WHICH: all | enc (encoder matrices only) | emb (word embeddings / decoder only)
Used by test/bench/bench_engine.sh (AGREE_ALL=1) to put int8 agreement next to bf16 / fp16.
"""
import os
import shutil
import sys

import torch


def q8_round(w, group=64):
    rows, cols = w.shape
    pcols = (cols + group - 1) // group * group
    x = torch.zeros(rows, pcols, dtype=torch.float64)
    x[:, :cols] = w.double()
    x = x.view(rows, pcols // group, group)
    scale = x.abs().amax(-1, keepdim=True) / 127
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.clamp(torch.sign(x) * torch.floor(x.abs() / safe + 0.5), -127, 127)
    return (q * scale).view(rows, pcols)[:, :cols].float()


def main():
    src, out, mode, which = sys.argv[1:5]
    sd = torch.load(os.path.join(src, "pytorch_model.bin"), map_location="cpu")
    n = 0
    for k, v in sd.items():
        if v.dim() != 2 or "position_embeddings" in k or "token_type_embeddings" in k:
            continue
        is_emb = "word_embeddings" in k or "decoder" in k
        if (which == "enc" and is_emb) or (which == "emb" and not is_emb):
            continue
        if mode == "bf16":
            sd[k] = v.to(torch.bfloat16).float()
        elif mode == "fp16":
            sd[k] = v.half().float()
        elif mode == "q8":
            sd[k] = q8_round(v)
        else:
            sys.exit("mode must be bf16, fp16 or q8")
        n += 1
    os.makedirs(out, exist_ok=True)
    torch.save(sd, os.path.join(out, "pytorch_model.bin"))
    for f in ("config.json", "vocab.txt"):
        shutil.copy(os.path.join(src, f), out)
    print(f"{mode} {which}: {n} matrices rounded")


if __name__ == "__main__":
    main()
