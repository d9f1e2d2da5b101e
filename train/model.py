"""A BERT masked-LM in plain PyTorch whose state_dict uses Hugging Face's
BertForMaskedLM key names (bert.embeddings..., bert.encoder.layer.N...,
cls.predictions...), so the checkpoint loads in transformers and converts with
convert_weights.py. Same maths as Hugging Face's BERT: post-LayerNorm blocks, exact
(erf) GELU, softmax(QK^T / sqrt(d) + mask) V, tied decoder.

Training speed: the MLM head runs only at the masked positions (the decoder over the
28,996-token vocabulary is the largest single cost of a small model).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Training runs its matrix products in bfloat16 (inputs and weights rounded to bf16,
# fp32 accumulation and fp32 master weights): on this CPU Debian's torch does fp32
# GEMM through a generic BLAS at ~16 GFLOP/s on one thread and bf16 through oneDNN at
# ~170. Evaluation and export use plain fp32 (BF16 = False).
BF16 = False


def linear(x, layer_or_w, b=None):
    if isinstance(layer_or_w, nn.Linear):
        layer_or_w, b = layer_or_w.weight, layer_or_w.bias
    if BF16:
        return F.linear(x.bfloat16(), layer_or_w.bfloat16(), None if b is None else b.bfloat16()).float()
    return F.linear(x, layer_or_w, b)


def matmul(a, b):
    if BF16:
        return torch.matmul(a.bfloat16(), b.bfloat16()).float()
    return torch.matmul(a, b)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings(types)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)


class Dense(nn.Module):
    """attention.output / output: dense + residual + LayerNorm."""

    def __init__(self, n_in, n_out, eps):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        self.LayerNorm = nn.LayerNorm(n_out, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(linear(x, self.dense) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = Dense(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"])
        self.n_heads = c["num_attention_heads"]

    def forward(self, x, bias):
        B, L, H = x.shape
        nh, d = self.n_heads, H // self.n_heads
        q = linear(x, self.self.query).view(B, L, nh, d).transpose(1, 2)
        k = linear(x, self.self.key).view(B, L, nh, d).transpose(1, 2)
        v = linear(x, self.self.value).view(B, L, nh, d).transpose(1, 2)
        s = matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        if bias is not None:
            s = s + bias
        a = matmul(torch.softmax(s, dim=-1), v)
        a = a.transpose(1, 2).reshape(B, L, H)
        return self.output(a, x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(linear(x, self.dense))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Dense(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, ids, types=None, attn=None):
        if types is None:
            types = torch.zeros_like(ids)
        bias = None
        if attn is not None:  # [B][L] 1 = attend, 0 = padding; HF adds finfo.min
            bias = (1.0 - attn[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(linear(x, self.dense)))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = Bert(c)
        self.cls = Cls(c)

    def init_weights(self):
        """Hugging Face's BertPreTrainedModel._init_weights: N(0, 0.02), zero biases,
        LayerNorm 1/0, padding embedding row zero."""
        std = self.config["initializer_range"]
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, std)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, std)
                if m.padding_idx is not None:
                    with torch.no_grad():
                        m.weight[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def logits_at(self, hidden, positions):
        """MLM logits [N][V] for hidden[positions] (positions: a bool mask [B][L] or an
        index tensor over the flattened [B*L] rows)."""
        h = hidden.reshape(-1, hidden.shape[-1])
        if positions.dtype == torch.bool:
            positions = positions.reshape(-1).nonzero(as_tuple=True)[0]
        h = self.cls.predictions.transform(h.index_select(0, positions))
        return linear(h, self.bert.embeddings.word_embeddings.weight, self.cls.predictions.bias)

    def hf_state_dict(self):
        """state_dict in Hugging Face layout, with the tied decoder keys written out the
        way transformers saves BertForMaskedLM (same tensors as the embeddings/bias)."""
        sd = {k: v.detach().clone().contiguous() for k, v in self.state_dict().items()}
        sd["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"]
        sd["cls.predictions.decoder.bias"] = sd["cls.predictions.bias"]
        return sd

    def load_hf_state_dict(self, sd):
        sd = {k: v for k, v in sd.items() if not k.startswith("cls.predictions.decoder.")
              and not k.endswith("position_ids") and not k.startswith("bert.pooler.")}
        self.load_state_dict(sd, strict=True)


def hf_config(vocab_size, hidden, layers, heads, intermediate, max_position, pad_id=0):
    """config.json content (Hugging Face BertConfig fields)."""
    return {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": max_position,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "tie_word_embeddings": True,
    }


# ------------------------------------------------------------- fast training head
# Debian's torch has scalar exp/log and slow dtype conversions on this CPU (~50M
# elements/s), and the MLM loss over a [masked][28996] logit matrix is dominated by
# exactly those. numpy's float32 exp and integer ops are vectorised, so the fused
# decoder + softmax cross-entropy below does its elementwise work in numpy and its two
# products in torch's bf16 GEMM. Training only; evaluation uses logits_at() in fp32.

def to_bf16(x):
    """fp32 tensor -> bf16 tensor, round to nearest even (numpy integer ops)."""
    u = x.detach().contiguous().numpy().view(np.uint32)
    r = ((u + (np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1)))) >> 16).astype(np.int16)
    return torch.from_numpy(r).view(torch.bfloat16)


def from_bf16(x):
    """bf16 tensor -> fp32 numpy array."""
    return (x.contiguous().view(torch.int16).numpy().astype(np.int32) << 16).view(np.float32)


class _HeadCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, W, b, target):
        hb, Wb = to_bf16(h), to_bf16(W)
        z = from_bf16(torch.mm(hb, Wb.t()))          # [N][V] logits, fp32
        z += b.detach().numpy()[None, :]
        n = z.shape[0]
        t = target.numpy()
        rows = np.arange(n)
        z -= z.max(axis=1, keepdims=True)
        zt = z[rows, t].copy()
        np.exp(z, out=z)
        s = z.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - zt))
        z /= s                                        # softmax
        z[rows, t] -= 1.0
        z *= 1.0 / n                                  # d loss / d logits
        ctx.save_for_backward(hb, Wb)
        ctx.grad = z
        return torch.tensor(loss, dtype=torch.float32)

    @staticmethod
    def backward(ctx, gout):
        hb, Wb = ctx.saved_tensors
        G = ctx.grad
        if float(gout) != 1.0:
            G = G * float(gout)
        db = torch.from_numpy(G.sum(axis=0))
        Gb = to_bf16(torch.from_numpy(G))
        dh = torch.from_numpy(from_bf16(torch.mm(Gb, Wb)))
        dW = torch.from_numpy(from_bf16(torch.mm(Gb.t().contiguous(), hb)))
        ctx.grad = None
        return dh, dW, db, None


def mlm_loss(model, hidden, labels):
    """Mean cross-entropy at positions where labels >= 0 (bf16 products, fp32 softmax)."""
    y = labels.reshape(-1)
    pos = (y >= 0).nonzero(as_tuple=True)[0]
    h = model.cls.predictions.transform(hidden.reshape(-1, hidden.shape[-1]).index_select(0, pos))
    return _HeadCE.apply(h, model.bert.embeddings.word_embeddings.weight, model.cls.predictions.bias,
                         y.index_select(0, pos))
