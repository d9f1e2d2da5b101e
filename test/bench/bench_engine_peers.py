#!/usr/bin/python3
"""bench_engine_peers.py: the PyTorch peers of test/bench/bench_engine.sh, and the ONNX graphs
for the ONNX Runtime peers.

    bench_engine_peers.py export HF_DIR OUT.onnx
    bench_engine_peers.py quantize IN.onnx OUT.onnx           (int8 graph, see below)
    bench_engine_peers.py torch HF_DIR SEQ ITERS THREADS        -> prints {"median_ms": ...}
    bench_engine_peers.py torch-int8 HF_DIR SEQ ITERS THREADS   (the same, int8)

int8 peers, each its framework's own dynamic quantization of the Linear layers (weights
int8 ahead of time, activations quantized at run time, attention in f32), as sr q8 is:
  - PyTorch: torch.quantization.quantize_dynamic(model, {nn.Linear}, torch.qint8)
    (per-tensor weight scales, its default; fbgemm where the build has it, else qnnpack:
    Debian's torch 1.13 has only qnnpack, which logs a warning per call on stderr);
  - ONNX Runtime: the graph ORT's quantize_dynamic writes, built here with the onnx
    package (ORT's Python quantizer is not installable here): every MatMul with a
    constant 2-D weight becomes DynamicQuantizeLinear(A) -> MatMulInteger(A_u8, W_s8) ->
    Cast -> Mul(A_scale x W_scale), weights symmetric int8 with one scale a column.

The model is a plain BERT encoder written with torch modules (nn.Linear, nn.LayerNorm,
nn.Embedding, torch.softmax, exact-erf GELU) loading the HF state dict of HF_DIR: the
same weights and the same computation as sr's forward (no attention mask: all tokens
attend)."""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn


class Layer(nn.Module):
    def __init__(self, H, nh, I, eps):
        super().__init__()
        self.nh = nh
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1 = nn.LayerNorm(H, eps=eps)
        self.f1, self.f2 = nn.Linear(H, I), nn.Linear(I, H)
        self.ln2 = nn.LayerNorm(H, eps=eps)

    def forward(self, x):
        B, n, H = x.shape
        dh = H // self.nh

        def heads(t):
            return t.view(B, n, self.nh, dh).transpose(1, 2)
        s = torch.matmul(heads(self.q(x)), heads(self.k(x)).transpose(-1, -2)) / math.sqrt(dh)
        ctx = torch.matmul(torch.softmax(s, dim=-1), heads(self.v(x))).transpose(1, 2).reshape(B, n, H)
        h = self.ln1(self.o(ctx) + x)
        return self.ln2(self.f2(nn.functional.gelu(self.f1(h))) + h)


class Bert(nn.Module):
    def __init__(self, cfg, sd):
        super().__init__()
        H, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.word = nn.Embedding(cfg["vocab_size"], H)
        self.pos = nn.Embedding(cfg["max_position_embeddings"], H)
        self.typ = nn.Embedding(cfg["type_vocab_size"], H)
        self.ln = nn.LayerNorm(H, eps=eps)
        self.layers = nn.ModuleList(Layer(H, cfg["num_attention_heads"], cfg["intermediate_size"], eps)
                                    for _ in range(cfg["num_hidden_layers"]))
        p = "bert." if any(k.startswith("bert.") for k in sd) else ""
        g = lambda k: sd[p + k].float()
        with torch.no_grad():
            self.word.weight.copy_(g("embeddings.word_embeddings.weight"))
            self.pos.weight.copy_(g("embeddings.position_embeddings.weight"))
            self.typ.weight.copy_(g("embeddings.token_type_embeddings.weight"))
            self.ln.weight.copy_(g("embeddings.LayerNorm.weight"))
            self.ln.bias.copy_(g("embeddings.LayerNorm.bias"))
            for i, L in enumerate(self.layers):
                e = "encoder.layer.%d." % i
                for mod, name in ((L.q, "attention.self.query"), (L.k, "attention.self.key"),
                                  (L.v, "attention.self.value"), (L.o, "attention.output.dense"),
                                  (L.f1, "intermediate.dense"), (L.f2, "output.dense")):
                    mod.weight.copy_(g(e + name + ".weight"))
                    mod.bias.copy_(g(e + name + ".bias"))
                for mod, name in ((L.ln1, "attention.output.LayerNorm"), (L.ln2, "output.LayerNorm")):
                    mod.weight.copy_(g(e + name + ".weight"))
                    mod.bias.copy_(g(e + name + ".bias"))

    def forward(self, ids, types):
        n = ids.shape[1]
        pos = torch.arange(n).unsqueeze(0)
        x = self.ln(self.word(ids) + self.typ(types) + self.pos(pos))
        for L in self.layers:
            x = L(x)
        return x


def load(hf_dir):
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    sd = torch.load(os.path.join(hf_dir, "pytorch_model.bin"), map_location="cpu")
    return cfg, Bert(cfg, sd).eval()


def inputs(cfg, seq):
    g = torch.Generator().manual_seed(12345)
    ids = torch.randint(5, cfg["vocab_size"], (1, seq), generator=g)
    return ids, torch.zeros(1, seq, dtype=torch.long)


def quantize_onnx(src, dst):
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    g = onnx.load(src)
    init = {t.name: t for t in g.graph.initializer}
    nodes, done = [], 0
    for n in g.graph.node:
        w = init.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if w is None or len(w.dims) != 2:
            nodes.append(n)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)          # K x N
        scale = np.maximum(np.abs(W).max(axis=0), 1e-12) / 127.0  # one a column
        Wq = np.clip(np.rint(W / scale), -127, 127).astype(np.int8)
        p = "q%d_" % done
        g.graph.initializer.extend([numpy_helper.from_array(Wq, p + "w"),
                                    numpy_helper.from_array(scale.astype(np.float32), p + "ws"),
                                    numpy_helper.from_array(np.array(0, dtype=np.int8), p + "wz")])
        nodes += [helper.make_node("DynamicQuantizeLinear", [n.input[0]], [p + "a", p + "as", p + "az"]),
                  helper.make_node("MatMulInteger", [p + "a", p + "w", p + "az", p + "wz"], [p + "y"]),
                  helper.make_node("Cast", [p + "y"], [p + "yf"], to=TensorProto.FLOAT),
                  helper.make_node("Mul", [p + "as", p + "ws"], [p + "s"]),
                  helper.make_node("Mul", [p + "yf", p + "s"], [n.output[0]])]
        done += 1
    if not done:
        raise SystemExit("quantize: no MatMul with a constant weight in " + src)
    used = {i for n in nodes for i in n.input}
    keep = [t for t in g.graph.initializer if t.name in used]
    del g.graph.initializer[:]
    g.graph.initializer.extend(keep)
    del g.graph.node[:]
    g.graph.node.extend(nodes)
    if not any(o.domain in ("", "ai.onnx") and o.version >= 11 for o in g.opset_import):
        raise SystemExit("quantize: the graph's opset is below 11 (DynamicQuantizeLinear)")
    onnx.checker.check_model(g)
    onnx.save(g, dst)
    print("quantize: %d MatMuls -> MatMulInteger" % done, file=sys.stderr)


def main(argv):
    if argv[1] == "export":
        cfg, model = load(argv[2])
        ids, types = inputs(cfg, 16)
        torch.onnx.export(model, (ids, types), argv[3], opset_version=14, input_names=["ids", "types"],
                          output_names=["hidden"], dynamic_axes={"ids": {1: "n"}, "types": {1: "n"}, "hidden": {1: "n"}})
        return 0
    if argv[1] == "quantize":
        quantize_onnx(argv[2], argv[3])
        return 0
    if argv[1] in ("torch", "torch-int8"):
        seq, iters, threads = int(argv[3]), int(argv[4]), int(argv[5])
        torch.set_num_threads(threads)
        cfg, model = load(argv[2])
        if argv[1] == "torch-int8":
            torch.backends.quantized.engine = "fbgemm" if "fbgemm" in torch.backends.quantized.supported_engines else "qnnpack"
            model = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        ids, types = inputs(cfg, seq)
        ms = []
        with torch.no_grad():
            model(ids, types)
            for _ in range(iters):
                t = time.perf_counter()
                model(ids, types)
                ms.append((time.perf_counter() - t) * 1e3)
        print(json.dumps({"peer": "pytorch" if argv[1] == "torch" else "pytorch-int8", "seq": seq, "threads": torch.get_num_threads(),
                          "median_ms": statistics.median(ms), "min_ms": min(ms)}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
