#!/usr/bin/python3
"""make_models.py - tiny random BERTs written by PyTorch, with reference outputs computed
by torch's OWN modules (nn.Embedding, nn.LayerNorm, nn.TransformerEncoderLayer, nn.Linear),
not by a hand-written BERT.

    /usr/bin/python3 test/models/make_models.py OUTDIR [--full] [--only NAME[,NAME...]] [--convert]

Deterministic (fixed seeds). For each model NAME it writes OUTDIR/NAME/ with
  config.json, vocab.txt, [tokenizer_config.json], the weights (pytorch_model.bin in the
  zip or the legacy torch format, or model.safetensors written here by hand), and ref/:
  cases.txt    one case a line: "ids=1 2 3;types=0 0 0;attn=1 1 0" (attn 0 = padding)
  hidden_K.f32 [n][H] last hidden states of case K (K from 0), little-endian float32
  mlm_K.f32    [n][V] MLM logits (models with an MLM head)
  cls_K.f32    [n][L] token-classification logits (models with a classifier)
  model.json   name, shape, heads, weight format, storage dtype, key layout, the
               measured |float32 - float64| of the reference, and what to check.
Positions with attn 0 are written too but are not meant to be compared.
--full adds `bioclinical_shape`: random weights (std 0.02 as BERT's init) of the full
Bio_ClinicalBERT shape (12 x 768, 12 heads, FFN 3072, 512 positions, vocab 28996).
--convert also runs convert_weights.py into OUTDIR/NAME/model.f32.srm and model.q8.srm.

The mapping of a BERT layer onto nn.TransformerEncoderLayer(norm_first=False,
activation="gelu", batch_first=True): in_proj = [query; key; value], out_proj =
attention.output.dense, norm1 = attention.output.LayerNorm, linear1 = intermediate.dense,
linear2 = output.dense, norm2 = output.LayerNorm. Padding uses src_key_padding_mask.
Autograd stays enabled so torch takes the layer's plain module path, not its fused
inference kernel.
"""
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))

# name, shape and the features each model exercises
MODELS = [
    dict(name="tiny_mlm_zip", seed=1, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2,
         fmt="zip", heads_=("mlm",), storage="f32", eps=1e-12,
         layout=dict(prefix=True, position_ids=True, tied_saved=True, decoder_bias=True)),
    dict(name="tiny_mlm_legacy", seed=2, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2,
         fmt="legacy", heads_=("mlm",), storage="f32", eps=1e-12, config_2020=True,
         layout=dict(prefix=True, gamma_beta=True, strided=True, tied_saved=True, decoder_bias=True,
                     pooler=True, nsp=True)),  # the shape of Bio_ClinicalBERT's 2020 file
    dict(name="odd_safetensors", seed=3, H=48, layers=3, heads=3, I=80, V=103, P=40, T=3,
         fmt="safetensors", heads_=("mlm",), storage="f32", eps=1e-5,
         layout=dict(prefix=True), tokenizer_config={"do_lower_case": False}),
    dict(name="tok_cls1", seed=4, H=32, layers=2, heads=2, I=48, V=100, P=64, T=2,
         fmt="zip", heads_=("cls",), storage="bf16", eps=1e-12, labels=["SCORE"],
         layout=dict(prefix=True, position_ids=True), tokenizer_config={"do_lower_case": False}),
    dict(name="tok_cls3", seed=5, H=40, layers=2, heads=5, I=72, V=101, P=48, T=2,
         fmt="legacy", heads_=("cls",), storage="f32", eps=1e-12, labels=["O", "B-NAME", "I-NAME"],
         layout=dict(prefix=True, gamma_beta=True)),
    dict(name="mlm_fp16", seed=6, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2,
         fmt="zip", heads_=("mlm",), storage="f16", eps=1e-12,
         layout=dict(prefix=True, tied_saved=True, decoder_bias=True)),
    dict(name="mlm_bf16", seed=7, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2,
         fmt="safetensors", heads_=("mlm",), storage="bf16", eps=1e-12,
         layout=dict(prefix=True)),
    dict(name="bare_model", seed=8, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2,
         fmt="zip", heads_=(), storage="f32", eps=1e-12,
         layout=dict(prefix=False, pooler=True, position_ids=True)),
    dict(name="pretraining_untied", seed=9, H=32, layers=1, heads=4, I=64, V=100, P=32, T=2,
         fmt="zip", heads_=("mlm",), storage="f32", eps=1e-12,
         layout=dict(prefix=True, pooler=True, nsp=True, untied=True, decoder_bias=True)),
]
FULL = dict(name="bioclinical_shape", seed=10, H=768, layers=12, heads=12, I=3072, V=28996, P=512,
            T=2, fmt="zip", heads_=("mlm",), storage="f32", eps=1e-12, full=True,
            layout=dict(prefix=True, position_ids=True, tied_saved=True, decoder_bias=True))

ARCH = {("mlm",): "BertForMaskedLM", ("cls",): "BertForTokenClassification", (): "BertModel"}


def make_vocab(V, seed):
    """[PAD] [UNK] [CLS] [SEP] [MASK], then words and ##pieces, V tokens in all."""
    words = ("the patient was seen in clinic today with pain fever cough and no history of "
             "diabetes heart lung blood pressure chest left right mild severe acute chronic "
             "daily dose tablet given noted stable improved denies reports mg ml").split()
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    toks += list(".,;:()-/0123456789")
    toks += words
    for c in "abcdefghijklmnopqrstuvwxyz":
        toks.append("##" + c)
    toks += ["##ing", "##ed", "##s", "##ly", "é", "Ö"]
    i = 0
    while len(toks) < V:
        toks.append("[unused%d]" % i)
        i += 1
    return toks[:V]


def init_state(m):
    """An HF-named state dict (keys with the "bert." prefix) with non-trivial weights."""
    g = torch.Generator().manual_seed(m["seed"])
    H, I, V, P, T = m["H"], m["I"], m["V"], m["P"], m["T"]
    full = m.get("full", False)

    def mat(rows, cols):
        std = 0.02 if full else 1.0 / math.sqrt(cols)
        return torch.randn(rows, cols, generator=g) * std

    def emb(rows, cols):
        return torch.randn(rows, cols, generator=g) * (0.02 if full else 0.5)

    def bias(n):
        return torch.randn(n, generator=g) * (0.02 if full else 0.1)

    def ln(n):
        return 1.0 + torch.randn(n, generator=g) * 0.1, torch.randn(n, generator=g) * 0.05

    sd = {}
    sd["bert.embeddings.word_embeddings.weight"] = emb(V, H)
    sd["bert.embeddings.position_embeddings.weight"] = emb(P, H)
    sd["bert.embeddings.token_type_embeddings.weight"] = emb(T, H)
    sd["bert.embeddings.LayerNorm.weight"], sd["bert.embeddings.LayerNorm.bias"] = ln(H)
    for i in range(m["layers"]):
        p = "bert.encoder.layer.%d." % i
        for n in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense"):
            sd[p + n + ".weight"], sd[p + n + ".bias"] = mat(H, H), bias(H)
        sd[p + "attention.output.LayerNorm.weight"], sd[p + "attention.output.LayerNorm.bias"] = ln(H)
        sd[p + "intermediate.dense.weight"], sd[p + "intermediate.dense.bias"] = mat(I, H), bias(I)
        sd[p + "output.dense.weight"], sd[p + "output.dense.bias"] = mat(H, I), bias(H)
        sd[p + "output.LayerNorm.weight"], sd[p + "output.LayerNorm.bias"] = ln(H)
    if "mlm" in m["heads_"]:
        sd["cls.predictions.transform.dense.weight"] = mat(H, H)
        sd["cls.predictions.transform.dense.bias"] = bias(H)
        (sd["cls.predictions.transform.LayerNorm.weight"],
         sd["cls.predictions.transform.LayerNorm.bias"]) = ln(H)
        sd["cls.predictions.bias"] = bias(V)
        if m["layout"].get("untied"):
            sd["cls.predictions.decoder.weight"] = emb(V, H)
    if "cls" in m["heads_"]:
        L = len(m["labels"])
        sd["classifier.weight"], sd["classifier.bias"] = mat(L, H), bias(L)
    if m["storage"] != "f32":  # the model's true weights are what the storage can hold
        dt = {"f16": torch.float16, "bf16": torch.bfloat16}[m["storage"]]
        sd = {k: v.to(dt).to(torch.float32) for k, v in sd.items()}
    return sd


def saved_state(m, sd):
    """The dict as written to disk: storage dtype and the model's key-layout quirks."""
    lay = m["layout"]
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[m["storage"]]
    out = {k: v.to(dt).clone() for k, v in sd.items()}
    g = torch.Generator().manual_seed(m["seed"] + 1000)
    if "mlm" in m["heads_"]:
        we = out["bert.embeddings.word_embeddings.weight"]
        if lay.get("tied_saved"):  # as HF's save: the decoder shares the embedding storage
            out["cls.predictions.decoder.weight"] = we
        if lay.get("decoder_bias"):
            out["cls.predictions.decoder.bias"] = out["cls.predictions.bias"]
    if lay.get("position_ids"):
        out["bert.embeddings.position_ids"] = torch.arange(m["P"]).unsqueeze(0)
    if lay.get("pooler"):
        out["bert.pooler.dense.weight"] = torch.randn(m["H"], m["H"], generator=g).to(dt)
        out["bert.pooler.dense.bias"] = torch.randn(m["H"], generator=g).to(dt)
    if lay.get("nsp"):
        out["cls.seq_relationship.weight"] = torch.randn(2, m["H"], generator=g).to(dt)
        out["cls.seq_relationship.bias"] = torch.randn(2, generator=g).to(dt)
    if lay.get("strided"):  # non-contiguous views: transposed storage, and an offset slice
        for k in list(out):
            if k.endswith("attention.self.query.weight") or k.endswith("intermediate.dense.weight"):
                out[k] = out[k].t().contiguous().t()
            elif k.endswith("output.LayerNorm.bias"):
                big = torch.cat([torch.full((7,), 99.0, dtype=dt), out[k]])
                out[k] = big[7:]
    renamed = {}
    for k, v in out.items():
        if not lay.get("prefix", True) and k.startswith("bert."):
            k = k[5:]
        if lay.get("gamma_beta"):
            k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        renamed[k] = v
    return renamed


def write_safetensors(path, tensors):
    """8-byte little-endian header length, JSON header (space-padded to 8), raw bytes."""
    names = sorted(tensors)
    header, blobs, off = {}, [], 0
    codes = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    for n in names:
        t = tensors[n].contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[n] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


class TorchBert(nn.Module):
    """BERT assembled from torch's own modules, weights loaded from an HF state dict."""

    def __init__(self, m, sd):
        super().__init__()
        H, V = m["H"], m["V"]
        self.word = nn.Embedding(V, H)
        self.pos = nn.Embedding(m["P"], H)
        self.typ = nn.Embedding(m["T"], H)
        self.ln = nn.LayerNorm(H, eps=m["eps"])
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(H, m["heads"], m["I"], dropout=0.0, activation="gelu",
                                       layer_norm_eps=m["eps"], batch_first=True, norm_first=False)
            for _ in range(m["layers"]))
        b = "bert."
        with torch.no_grad():
            self.word.weight.copy_(sd[b + "embeddings.word_embeddings.weight"])
            self.pos.weight.copy_(sd[b + "embeddings.position_embeddings.weight"])
            self.typ.weight.copy_(sd[b + "embeddings.token_type_embeddings.weight"])
            self.ln.weight.copy_(sd[b + "embeddings.LayerNorm.weight"])
            self.ln.bias.copy_(sd[b + "embeddings.LayerNorm.bias"])
            for i, layer in enumerate(self.layers):
                p = b + "encoder.layer.%d." % i
                qkv = [p + "attention.self.%s." % n for n in ("query", "key", "value")]
                layer.self_attn.in_proj_weight.copy_(torch.cat([sd[q + "weight"] for q in qkv]))
                layer.self_attn.in_proj_bias.copy_(torch.cat([sd[q + "bias"] for q in qkv]))
                layer.self_attn.out_proj.weight.copy_(sd[p + "attention.output.dense.weight"])
                layer.self_attn.out_proj.bias.copy_(sd[p + "attention.output.dense.bias"])
                layer.norm1.weight.copy_(sd[p + "attention.output.LayerNorm.weight"])
                layer.norm1.bias.copy_(sd[p + "attention.output.LayerNorm.bias"])
                layer.linear1.weight.copy_(sd[p + "intermediate.dense.weight"])
                layer.linear1.bias.copy_(sd[p + "intermediate.dense.bias"])
                layer.linear2.weight.copy_(sd[p + "output.dense.weight"])
                layer.linear2.bias.copy_(sd[p + "output.dense.bias"])
                layer.norm2.weight.copy_(sd[p + "output.LayerNorm.weight"])
                layer.norm2.bias.copy_(sd[p + "output.LayerNorm.bias"])
        self.mlm = "mlm" in m["heads_"]
        if self.mlm:
            self.t_dense = nn.Linear(H, H)
            self.t_act = nn.GELU()
            self.t_ln = nn.LayerNorm(H, eps=m["eps"])
            self.decoder = nn.Linear(H, V)
            with torch.no_grad():
                self.t_dense.weight.copy_(sd["cls.predictions.transform.dense.weight"])
                self.t_dense.bias.copy_(sd["cls.predictions.transform.dense.bias"])
                self.t_ln.weight.copy_(sd["cls.predictions.transform.LayerNorm.weight"])
                self.t_ln.bias.copy_(sd["cls.predictions.transform.LayerNorm.bias"])
                self.decoder.weight.copy_(sd.get("cls.predictions.decoder.weight",
                                                 sd[b + "embeddings.word_embeddings.weight"]))
                self.decoder.bias.copy_(sd["cls.predictions.bias"])
        self.cls = "cls" in m["heads_"]
        if self.cls:
            L = len(m["labels"])
            self.classifier = nn.Linear(H, L)
            with torch.no_grad():
                self.classifier.weight.copy_(sd["classifier.weight"])
                self.classifier.bias.copy_(sd["classifier.bias"])

    def forward(self, ids, types, attn):
        n = ids.shape[1]
        x = self.word(ids) + self.pos(torch.arange(n).unsqueeze(0)) + self.typ(types)
        x = self.ln(x)
        pad = attn == 0
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        out = {"hidden": x}
        if self.mlm:
            out["mlm"] = self.decoder(self.t_ln(self.t_act(self.t_dense(x))))
        if self.cls:
            out["cls"] = self.classifier(x)
        return out


def make_cases(m, vocab):
    g = torch.Generator().manual_seed(m["seed"] + 2000)
    V, T, P = m["V"], m["T"], m["P"]
    cls_id, sep_id, pad_id = vocab.index("[CLS]"), vocab.index("[SEP]"), vocab.index("[PAD]")

    def rand_ids(n):
        return [int(x) for x in torch.randint(5, V, (n,), generator=g)]

    cases = [([cls_id], [0], [1])]  # length 1
    ids = [cls_id] + rand_ids(5) + [sep_id]
    cases.append((ids, [0] * 7, [1] * 7))
    ids = [cls_id] + rand_ids(4) + [sep_id] + rand_ids(3) + [sep_id] + [pad_id] * 3
    types = [0] * 6 + [min(1, T - 1)] * 4 + [0] * 3
    cases.append((ids, types, [1] * 10 + [0] * 3))  # trailing padding
    n = 13
    ids = [cls_id] + rand_ids(n - 2) + [sep_id]
    attn = [1] * n
    attn[4] = attn[9] = 0  # interior masked keys: the API takes any 0/1 mask
    cases.append((ids, [int(x) for x in torch.randint(0, T, (n,), generator=g)], attn))
    ids = [cls_id] + rand_ids(P - 2) + [sep_id]  # the model's max length
    cases.append((ids, [int(x) for x in torch.randint(0, T, (P,), generator=g)], [1] * P))
    return cases


def build(m, outdir):
    d = os.path.join(outdir, m["name"])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "ref"))
    # vocab
    if m.get("full"):
        # the project's own copy of Bio_ClinicalBERT's vocabulary (test/data/vocab), so
        # the model and its test outcomes do not depend on ../shared being there
        real = os.path.join(HERE, "..", "data", "vocab", "bert-base-cased-vocab.txt")
        if os.path.exists(real):
            shutil.copyfile(real, os.path.join(d, "vocab.txt"))
            vocab_source = "test/data/vocab/bert-base-cased-vocab.txt"
        else:
            vocab = make_vocab(m["V"], m["seed"])
            with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
                f.write("".join(t + "\n" for t in vocab))
            vocab_source = "generated"
        with open(os.path.join(d, "vocab.txt"), encoding="utf-8") as f:
            vocab = [l.rstrip("\n") for l in f]
    else:
        vocab = make_vocab(m["V"], m["seed"])
        with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in vocab))
        vocab_source = "generated"
    assert len(vocab) == m["V"], (len(vocab), m["V"])
    # config
    arch = "BertForPreTraining" if m["layout"].get("nsp") else ARCH[tuple(m["heads_"])]
    cfg = {"architectures": [arch], "model_type": "bert", "vocab_size": m["V"], "hidden_size": m["H"],
           "num_hidden_layers": m["layers"], "num_attention_heads": m["heads"],
           "intermediate_size": m["I"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
           "attention_probs_dropout_prob": 0.1, "max_position_embeddings": m["P"],
           "type_vocab_size": m["T"], "initializer_range": 0.02, "layer_norm_eps": m["eps"],
           "pad_token_id": 0, "position_embedding_type": "absolute"}
    if m.get("config_2020"):  # as Bio_ClinicalBERT's: no model_type, architectures, eps, pad id
        for k in ("architectures", "model_type", "layer_norm_eps", "pad_token_id", "position_embedding_type"):
            del cfg[k]
    if "cls" in m["heads_"]:
        cfg["id2label"] = {str(i): l for i, l in enumerate(m["labels"])}
        cfg["label2id"] = {l: i for i, l in enumerate(m["labels"])}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if "tokenizer_config" in m:
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump(m["tokenizer_config"], f, indent=2)
    # weights
    sd = init_state(m)
    saved = saved_state(m, sd)
    if m["fmt"] == "zip":
        torch.save(saved, os.path.join(d, "pytorch_model.bin"))
    elif m["fmt"] == "legacy":
        torch.save(saved, os.path.join(d, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    else:
        write_safetensors(os.path.join(d, "model.safetensors"),
                          {k: v for k, v in saved.items() if k != "cls.predictions.decoder.weight"
                           or m["layout"].get("untied")})
    # references: float32, checked against float64 of the same modules
    model32 = TorchBert(m, sd).eval()
    model64 = TorchBert(m, sd).double().eval()
    cases = make_cases(m, vocab)
    worst, mask_effect = {}, {}
    with open(os.path.join(d, "ref", "cases.txt"), "w") as f:
        for ids, types, attn in cases:
            f.write("ids=%s;types=%s;attn=%s\n" % tuple(" ".join(map(str, a)) for a in (ids, types, attn)))
    for k, (ids, types, attn) in enumerate(cases):
        args = [torch.tensor([a]) for a in (ids, types, attn)]
        out32 = {n: t.detach()[0] for n, t in model32(*args).items()}
        out64 = {n: t.detach()[0] for n, t in model64(*args).items()}
        keep = torch.tensor(attn, dtype=torch.bool)
        for n, t in out32.items():
            with open(os.path.join(d, "ref", "%s_%d.f32" % (n, k)), "wb") as f:
                f.write(t.contiguous().numpy().astype("<f4").tobytes())
            diff = (t.double() - out64[n])[keep].abs().max().item()
            scale = out64[n][keep].abs().max().item()
            worst[n] = max(worst.get(n, 0.0), diff / max(1.0, scale))
            if not math.isfinite(diff) or diff > 1e-3 * max(1.0, scale):
                raise SystemExit("make_models.py: %s case %d %s: float32 reference is off float64 by %g"
                                 % (m["name"], k, n, diff))
        # The references must be able to catch mistakes: outputs vary across positions,
        # and where a case has padding, ignoring the mask would change the kept outputs.
        h = out32["hidden"][keep]
        if len(h) > 1 and (h - h[0]).abs().max().item() < 1e-2:
            raise SystemExit("make_models.py: %s case %d: hidden states collapsed" % (m["name"], k))
        if not all(attn):
            unmasked = model32(args[0], args[1], torch.ones_like(args[2]))["hidden"].detach()[0]
            effect = (unmasked - out32["hidden"])[keep].abs().max().item()
            mask_effect[k] = effect
            if effect < 1e-3:
                raise SystemExit("make_models.py: %s case %d: padding mask has no effect" % (m["name"], k))
    info = {"name": m["name"], "architecture": arch,
            "config": {"vocab_size": m["V"], "hidden": m["H"], "n_layers": m["layers"],
                       "n_heads": m["heads"], "intermediate": m["I"], "max_position": m["P"],
                       "type_vocab_size": m["T"], "layer_norm_eps": m["eps"],
                       "n_labels": len(m.get("labels", []))},
            "heads": {"mlm": "mlm" in m["heads_"], "classifier": "cls" in m["heads_"]},
            "labels": m.get("labels", []),
            "weights_file": {"zip": "pytorch_model.bin", "legacy": "pytorch_model.bin",
                             "safetensors": "model.safetensors"}[m["fmt"]],
            "weights_format": m["fmt"], "storage_dtype": m["storage"], "layout": m["layout"],
            "tokenizer_config": m.get("tokenizer_config"), "vocab_source": vocab_source,
            "n_cases": len(cases),
            "check": ["hidden"] + (["mlm"] if "mlm" in m["heads_"] else []) +
                     (["cls"] if "cls" in m["heads_"] else []),
            "compare": "positions with attn=1 only",
            "ref_f32_vs_f64_max_rel_diff": worst,
            "padding_mask_effect_on_hidden": mask_effect,
            "reference": "torch %s modules in float32 (nn.Embedding, nn.LayerNorm, "
                         "nn.TransformerEncoderLayer, nn.Linear, nn.GELU)" % torch.__version__}
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    return d


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    only = None
    for i, a in enumerate(argv):
        if a.startswith("--only"):
            only = (a.split("=", 1)[1] if "=" in a else argv[i + 1]).split(",")
            args = [x for x in args if x != argv[i + 1]] if "=" not in a else args
    if len(args) != 1:
        print("usage: make_models.py OUTDIR [--full] [--only NAME,...]", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    models = MODELS + ([FULL] if "--full" in argv else [])
    if only:
        models = [m for m in models if m["name"] in only]
    os.makedirs(args[0], exist_ok=True)
    for m in models:
        d = build(m, args[0])
        print(m["name"])
        if "--convert" in argv:
            for dtype in ("f32", "q8"):
                cmd = [sys.executable, os.path.join(HERE, "..", "..", "convert_weights.py"), d,
                       os.path.join(d, "model.%s.srm" % dtype), "--dtype", dtype]
                if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
