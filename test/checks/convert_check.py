#!/usr/bin/python3
"""convert_check.py - check an sr model file against the Hugging Face folder it came from.

    /usr/bin/python3 test/checks/convert_check.py [--lowercase auto|true|false] [--group G]
                                           HF_DIR MODEL.srm [[--lowercase ...] [--group G] HF_DIR MODEL.srm ...]

Independent of convert_weights.py (it does not import it): the file is parsed here from
the layout in sr.h, the expected values come from torch.load of the checkpoint (or a
direct read of model.safetensors), config.json, vocab.txt and Hugging Face's documented
tokenizer defaults. Checks: header fields and flags, format version 2's two checksums
(zlib.crc32 of the header with its field zero, and of everything after the header),
special ids, vocab and labels blobs,
64-byte alignment and bounds of every section, the tensor set (tied decoder omitted,
"bert." prefix and gamma/beta renamed, ignorable tensors dropped), every f32 tensor
bit-equal to torch's float32 value, every q8 tensor within max|w|/254 of the weights
per group of G columns (--group, default 128: convert_weights.py's documented default)
with scale = max|w|/127, and meta JSON holding the original config.
Prints, per pair, one "ok MODEL: ..." line or "error: MODEL: ..." lines; exit status 0 only
when every pair holds (one process for many files: importing torch is the slow part).
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

errors = []  # of the file being checked


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def load_state(hf_dir):
    st = os.path.join(hf_dir, "model.safetensors")
    if os.path.exists(st):
        raw = open(st, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        out = {}
        for k, v in header.items():
            if k == "__metadata__":
                continue
            a, b = v["data_offsets"]
            buf = raw[8 + n + a:8 + n + b]
            if v["dtype"] == "BF16":
                t = torch.frombuffer(bytearray(buf), dtype=torch.bfloat16)
            else:
                t = torch.frombuffer(bytearray(buf), dtype={"F32": torch.float32, "F16": torch.float16,
                                                             "I64": torch.int64}[v["dtype"]])
            out[k] = t.reshape(v["shape"])
        return out
    return torch.load(os.path.join(hf_dir, "pytorch_model.bin"), map_location="cpu")


def canonical(k):
    if k.startswith("bert."):
        k = k[5:]
    return k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")


def check_file(hf_dir, path, lowercase, G):
    del errors[:]
    blob = open(path, "rb").read()
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    tc_path = os.path.join(hf_dir, "tokenizer_config.json")
    tc = json.load(open(tc_path)) if os.path.exists(tc_path) else None
    with open(os.path.join(hf_dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = [l.rstrip("\n") for l in f]
    sd = {canonical(k): v for k, v in load_state(hf_dir).items()}

    # ---- header (offsets from sr.h)
    u32 = lambda o: struct.unpack_from("<I", blob, o)[0]
    i32 = lambda o: struct.unpack_from("<i", blob, o)[0]
    u64 = lambda o: struct.unpack_from("<Q", blob, o)[0]
    check(blob[:8] == b"SRBERT\0\0", "magic")
    check(u32(8) == 2 and u32(12) == 256, "version %d / header_size %d" % (u32(8), u32(12)))
    hcopy = bytearray(blob[:256])
    hcopy[152:156] = bytes(4)
    check(u32(152) == zlib.crc32(bytes(hcopy)), "header CRC-32 0x%08x, zlib.crc32 says 0x%08x" % (u32(152), zlib.crc32(bytes(hcopy))))
    check(u32(156) == zlib.crc32(blob[256:]), "contents CRC-32 0x%08x, zlib.crc32 says 0x%08x" % (u32(156), zlib.crc32(blob[256:])))
    check(u64(16) == len(blob), "file_size %d != real %d" % (u64(16), len(blob)))
    V, H, NL, NH, I, P, T, L = (u32(24 + 4 * i) for i in range(8))
    check((V, H, NL, NH, I, P, T) == (cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"],
                                      cfg["num_attention_heads"], cfg["intermediate_size"],
                                      cfg["max_position_embeddings"], cfg["type_vocab_size"]),
          "config fields %s" % ((V, H, NL, NH, I, P, T),))
    eps = struct.unpack_from("<f", blob, 56)[0]
    check(eps == float(np.float32(cfg.get("layer_norm_eps", 1e-12))), "layer_norm_eps %g" % eps)
    flags, wtype, group = u32(60), u32(64), u32(68)
    q8 = wtype == 1
    check(wtype in (0, 1) and group == (G if q8 else 0), "weight_type %d group %d (expected %d)" % (wtype, group, G if q8 else 0))
    # HF BertTokenizer: do_lower_case default True (also with no tokenizer_config.json);
    # strip_accents None -> follows lower-casing; tokenize_chinese_chars default True.
    if lowercase == "auto":
        lower = True if tc is None else bool(tc.get("do_lower_case", True))
    else:
        lower = lowercase == "true"
    sa = (tc or {}).get("strip_accents")
    strip = lower if sa is None else bool(sa)
    chinese = bool((tc or {}).get("tokenize_chinese_chars", True))
    has_mlm = any(k.startswith("cls.predictions.") for k in sd)
    has_cls = "classifier.weight" in sd
    want_flags = (1 if lower else 0) | (2 if strip else 0) | (4 if chinese else 0) | \
        (8 if has_mlm else 0) | (16 if has_cls else 0)
    check(flags == want_flags, "flags %d, expected %d" % (flags, want_flags))
    last = {t: i for i, t in enumerate(vocab)}
    want_special = [last.get(t, -1) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]")]
    got_special = [i32(72 + 4 * i) for i in range(5)]
    check(got_special == want_special, "special ids %s, expected %s" % (got_special, want_special))
    n_tensors = u32(92)
    vo, vb, lo, lb, to, mo, mb = (u64(96 + 8 * i) for i in range(7))
    check(blob[160:256] == bytes(96), "header padding not zero")
    for name, off, size in (("vocab", vo, vb), ("labels", lo, lb), ("tensors", to, n_tensors * 112),
                            ("meta", mo, mb)):
        check(off >= 256 and off + size <= len(blob), "%s section out of the file" % name)
    check(blob[vo:vo + vb].decode("utf-8") == "".join(t + "\n" for t in vocab), "vocab blob")
    if has_cls:
        labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
        check(L == len(labels) == sd["classifier.weight"].shape[0], "n_labels %d" % L)
        check(blob[lo:lo + lb].decode("utf-8") == "".join(l + "\n" for l in labels), "labels blob")
    else:
        check(L == 0 and lb == 0, "n_labels %d without a classifier" % L)
    meta = json.loads(blob[mo:mo + mb].decode("utf-8"))
    check(meta.get("config") == cfg, "meta config differs from config.json")
    check(meta.get("lowercase") == lower, "meta lowercase")

    # ---- the tensor set
    we = sd["embeddings.word_embeddings.weight"].float()
    want = {}
    for k, v in sd.items():
        if k == "embeddings.position_ids" or k.startswith("pooler.") or k.startswith("cls.seq_relationship."):
            continue
        if k == "cls.predictions.decoder.bias":
            check(torch.equal(v.float(), sd["cls.predictions.bias"].float()), "decoder.bias differs")
            continue
        if k == "cls.predictions.decoder.weight" and torch.equal(v.float(), we):
            continue
        want[k] = v.float()
    quantised = {"embeddings.word_embeddings.weight", "cls.predictions.decoder.weight",
                 "cls.predictions.transform.dense.weight"}
    for i in range(NL):
        for lin in ("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "intermediate.dense", "output.dense"):
            quantised.add("encoder.layer.%d.%s.weight" % (i, lin))
    seen = set()
    prev_end = 0
    entries = []
    for e in range(n_tensors):
        o = to + 112 * e
        raw_name, ttype, ndim, rows, cols, off, nbytes, soff, sbytes = struct.unpack_from("<64sIIIIQQQQ", blob, o)
        name = raw_name.rstrip(b"\0").decode("ascii")
        entries.append((off, nbytes, soff, sbytes))
        check(name not in seen, "tensor %s twice" % name)
        seen.add(name)
        if not check(name in want, "unexpected tensor %s" % name):
            continue
        ref = want[name]
        shape = (rows, cols) if ndim == 2 else (rows,)
        check(tuple(ref.shape) == shape and (ndim == 2 or cols == 1), "%s shape %s vs %s" % (name, shape, tuple(ref.shape)))
        check(off % 64 == 0 and off + nbytes <= len(blob), "%s offset" % name)
        w = ref.numpy().astype(np.float32).reshape(rows, -1)
        if ttype == 0:
            check(nbytes == rows * cols * 4 and soff == 0 and sbytes == 0, "%s f32 sizes" % name)
            got = np.frombuffer(blob, dtype="<f4", count=rows * cols, offset=off).reshape(rows, -1)
            check(np.array_equal(got.view(np.uint32), w.view(np.uint32)), "%s f32 values differ from torch" % name)
        else:
            check(q8 and name in quantised, "%s is q8 but should be f32" % name)
            pc = (cols + G - 1) // G * G
            ng = pc // G
            check(nbytes == rows * pc and sbytes == rows * ng * 4 and soff % 64 == 0
                  and soff + sbytes <= len(blob), "%s q8 sizes" % name)
            q = np.frombuffer(blob, dtype=np.int8, count=rows * pc, offset=off).reshape(rows, pc)
            s = np.frombuffer(blob, dtype="<f4", count=rows * ng, offset=soff).reshape(rows, ng)
            check(int(np.abs(q.astype(np.int32)).max()) <= 127, "%s q outside [-127,127]" % name)
            check(not q[:, cols:].any(), "%s padding not zero" % name)
            wp = np.zeros((rows, pc), dtype=np.float32)
            wp[:, :cols] = w
            amax = np.abs(wp.reshape(rows, ng, G)).max(axis=2)
            check(np.allclose(s, amax / 127, rtol=1e-6, atol=0), "%s scales are not max|w|/127" % name)
            deq = (q.reshape(rows, ng, G).astype(np.float64) * s[:, :, None])
            err = np.abs(deq - wp.reshape(rows, ng, G)).max(axis=2)
            check((err <= amax / 254 * (1 + 1e-5) + 1e-30).all(), "%s q8 error above max|w|/254" % name)
        if q8 and name in quantised:
            check(ttype == 1, "%s should be q8" % name)
    missing = sorted(set(want) - seen)
    check(not missing, "tensors missing from the file: %s" % missing[:3])
    spans = sorted([(vo, vb), (lo, lb), (to, n_tensors * 112), (mo, mb)] +
                   [(a, b) for a, b, _, _ in entries] + [(c, d) for _, _, c, d in entries if d])
    for (a, b), (c, d) in zip(spans, spans[1:]):
        if b and d:
            check(a + b <= c, "sections overlap at %d" % c)
    if errors:
        for e in errors[:20]:
            print("error: %s: %s" % (path, e))
        return False
    print("ok %s: %d tensors%s" % (path, n_tensors, " (q8)" if q8 else ""))
    return True


def main(argv):
    """Pairs HF_DIR MODEL.srm; "--lowercase X" and "--group G" apply to the pairs after them."""
    args, lowercase, group, pairs = argv[1:], "auto", 128, []
    while args:
        if args[0] == "--lowercase" and len(args) >= 2:
            lowercase, args = args[1], args[2:]
        elif args[0] == "--group" and len(args) >= 2:
            group, args = int(args[1]), args[2:]
        elif len(args) >= 2:
            pairs.append((args[0], args[1], lowercase, group))
            args = args[2:]
        else:
            pairs = []
            break
    if not pairs:
        print("usage: convert_check.py [--lowercase auto|true|false] [--group G] HF_DIR MODEL.srm ...", file=sys.stderr)
        return 2
    good = True
    for hf_dir, path, lc, g in pairs:
        try:
            good &= check_file(hf_dir, path, lc, g)
        except Exception as e:  # a file too broken to parse is a failed check, not a crash
            print("error: %s: %s: %s" % (path, type(e).__name__, e))
            good = False
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
