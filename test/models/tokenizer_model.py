#!/usr/bin/env python3
"""A tiny random BERT (bare BertModel keys, 1 layer, hidden 8) around a real vocab.txt,
written by torch and converted by convert_weights.py, to test `sr tokenize -m MODEL`
(sr_tokenizer_from_model) against the same reference answers as --vocab.

    python3 test/models/tokenizer_model.py VOCAB.txt OUT.srm (auto|cased) [VOCAB OUT MODE ...]

auto: no tokenizer_config.json, so lower-cased + accents stripped (as Hugging Face does
for Bio_ClinicalBERT); cased: tokenizer_config.json with do_lower_case false.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch


def make(vocab, out, mode):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    V = sum(1 for _ in open(vocab, encoding="utf-8"))
    H, I, P = 8, 16, 64
    g = torch.Generator().manual_seed(3)
    r = lambda *shape: torch.randn(*shape, generator=g) * 0.02  # noqa: E731
    sd = {"embeddings.word_embeddings.weight": r(V, H), "embeddings.position_embeddings.weight": r(P, H),
          "embeddings.token_type_embeddings.weight": r(2, H),
          "embeddings.LayerNorm.weight": torch.ones(H), "embeddings.LayerNorm.bias": torch.zeros(H)}
    pre = "encoder.layer.0."
    for name, (o, i) in {"attention.self.query": (H, H), "attention.self.key": (H, H),
                         "attention.self.value": (H, H), "attention.output.dense": (H, H),
                         "intermediate.dense": (I, H), "output.dense": (H, I)}.items():
        sd[pre + name + ".weight"] = r(o, i)
        sd[pre + name + ".bias"] = r(o)
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        sd[pre + name + ".weight"] = torch.ones(H)
        sd[pre + name + ".bias"] = torch.zeros(H)
    with tempfile.TemporaryDirectory() as d:
        shutil.copyfile(vocab, os.path.join(d, "vocab.txt"))
        json.dump({"model_type": "bert", "hidden_act": "gelu", "hidden_size": H, "num_hidden_layers": 1,
                   "num_attention_heads": 2, "intermediate_size": I, "max_position_embeddings": P,
                   "type_vocab_size": 2, "vocab_size": V, "layer_norm_eps": 1e-12},
                  open(os.path.join(d, "config.json"), "w"))
        if mode == "cased":
            json.dump({"do_lower_case": False}, open(os.path.join(d, "tokenizer_config.json"), "w"))
        torch.save(sd, os.path.join(d, "pytorch_model.bin"))
        subprocess.run([sys.executable, os.path.join(root, "convert_weights.py"), d, out],
                       check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 3:
        sys.exit(__doc__)
    for k in range(0, len(args), 3):
        make(*args[k:k + 3])
