#!/usr/bin/python3
"""convert_cases.py - stage 20's own fixtures and checks of convert_weights.py (beside
test/checks/convert_check.py, the independent reader of the model files it writes).

  convert_cases.py fixtures MODELS
      the tiny models of test/models/make_models.py in MODELS are what they claim: the zip
      pickle a zip, the legacy one not, a strided view and a view with a storage offset,
      tied weights sharing storage, fp16 and bf16 pickles, an untied PreTraining model
      (needs torch); prints "fixtures ok", else an AssertionError (exit 1)
  convert_cases.py corrupt WORK
      WORK/bad_weight.srm: WORK/tiny_mlm_zip.f32.srm with one bit of an encoder weight
      flipped; WORK/bad_scale.srm: WORK/tiny_mlm_zip.q8.srm with one bit of a q8 scale
      flipped (for convert_check.py to catch)
  convert_cases.py tokenizer-config MODELS WORK CONVERT
      a copy of MODELS/tiny_mlm_zip in WORK/tc_variant with a tokenizer_config.json
      (strip_accents false with lower-casing, no CJK spacing, [MASK] renamed by an
      AddedToken dict), [UNK] renamed away and a duplicate [CLS], converted by CONVERT
      (convert_weights.py) to WORK/tc_variant.srm: its flags and special ids are Hugging
      Face's documented BertTokenizer semantics; prints "tokenizer_config ok"
  convert_cases.py cased-vocab MODELS WORK CONVERT VOCAB
      WORK/cased_vocab: tiny_mlm_zip widened to VOCAB (bert-base-cased-vocab.txt), no
      tokenizer_config.json, converted to q8 in WORK/cased_vocab.srm: special ids
      101/102/0/100/103, lower-cased and accent-stripped (needs torch); prints
      "cased vocab ok"
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile


def fixtures(argv):
    import torch
    m = argv[1]
    assert zipfile.is_zipfile(m + "/tiny_mlm_zip/pytorch_model.bin"), "zip fixture is not a zip"
    assert not zipfile.is_zipfile(m + "/tiny_mlm_legacy/pytorch_model.bin"), "legacy fixture is a zip"
    sd = torch.load(m + "/tiny_mlm_legacy/pytorch_model.bin")
    q = sd["bert.encoder.layer.0.attention.self.query.weight"]
    assert not q.is_contiguous(), "strided fixture is contiguous"
    b = sd["bert.encoder.layer.0.output.LayerNorm.beta"]
    assert b.storage_offset() == 7, "offset fixture has no storage offset"
    sd = torch.load(m + "/tiny_mlm_zip/pytorch_model.bin")
    assert sd["cls.predictions.decoder.weight"].data_ptr() == sd["bert.embeddings.word_embeddings.weight"].data_ptr()
    assert torch.load(m + "/mlm_fp16/pytorch_model.bin")["bert.embeddings.LayerNorm.weight"].dtype == torch.float16
    assert torch.load(m + "/tok_cls1/pytorch_model.bin")["classifier.weight"].dtype == torch.bfloat16
    sd = torch.load(m + "/pretraining_untied/pytorch_model.bin")
    assert not torch.equal(sd["cls.predictions.decoder.weight"], sd["bert.embeddings.word_embeddings.weight"])
    assert "cls.seq_relationship.weight" in sd and "bert.pooler.dense.weight" in sd
    print("fixtures ok")


def corrupt(argv):
    w = argv[1]
    for src, dst, which in (("tiny_mlm_zip.f32.srm", "bad_weight.srm", 0), ("tiny_mlm_zip.q8.srm", "bad_scale.srm", 1)):
        b = bytearray(open(w + "/" + src, "rb").read())
        to = struct.unpack_from("<Q", b, 128)[0]
        e = to + 112 * 10  # some encoder weight
        off, soff = struct.unpack_from("<Q", b, e + 80)[0], struct.unpack_from("<Q", b, e + 96)[0]
        pos = soff + 4 * 3 if which else off + 4 * 5
        b[pos + 1] ^= 0x10
        open(w + "/" + dst, "wb").write(b)


def tokenizer_config(argv):
    m, w, conv = argv[1:]
    d = os.path.join(w, "tc_variant")
    shutil.copytree(os.path.join(m, "tiny_mlm_zip"), d, ignore=shutil.ignore_patterns("ref"))
    vocab = open(os.path.join(d, "vocab.txt")).read().split("\n")[:-1]
    assert vocab[1] == "[UNK]" and vocab[2] == "[CLS]"
    vocab[1] = "[NOTUNK]"
    vocab[7] = "[CLS]"                     # a duplicate: the later line wins in BertTokenizer's dict
    open(os.path.join(d, "vocab.txt"), "w").write("".join(t + "\n" for t in vocab))
    json.dump({"do_lower_case": True, "strip_accents": False, "tokenize_chinese_chars": False,
               "tokenizer_class": "BertTokenizer",
               "mask_token": {"content": vocab[-1], "lstrip": True, "__type": "AddedToken"}},
              open(os.path.join(d, "tokenizer_config.json"), "w"))
    out = os.path.join(w, "tc_variant.srm")
    subprocess.run([sys.executable, conv, d, out], check=True, stdout=subprocess.DEVNULL)
    b = open(out, "rb").read()
    flags = struct.unpack_from("<I", b, 60)[0]
    ids = list(struct.unpack_from("<5i", b, 72))
    want = [7, 3, 0, -1, len(vocab) - 1]  # cls sep pad unk mask
    assert flags == 1 | 8, "flags %d, expected lowercase+mlm (9)" % flags
    assert ids == want, "special ids %s, expected %s" % (ids, want)
    print("tokenizer_config ok")


def cased_vocab(argv):
    import torch
    m, w, conv, vocab = argv[1:]
    d = os.path.join(w, "cased_vocab")
    os.makedirs(d)
    shutil.copyfile(vocab, os.path.join(d, "vocab.txt"))
    cfg = json.load(open(os.path.join(m, "tiny_mlm_zip", "config.json")))
    cfg["vocab_size"] = V = 28996
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    sd = torch.load(os.path.join(m, "tiny_mlm_zip", "pytorch_model.bin"))
    g = torch.Generator().manual_seed(5)
    sd["bert.embeddings.word_embeddings.weight"] = torch.randn(V, 32, generator=g)
    sd["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"]
    sd["cls.predictions.bias"] = sd["cls.predictions.decoder.bias"] = torch.randn(V, generator=g)
    torch.save(sd, os.path.join(d, "pytorch_model.bin"))
    out = os.path.join(w, "cased_vocab.srm")
    subprocess.run([sys.executable, conv, d, out, "--dtype", "q8"], check=True, stdout=subprocess.DEVNULL)
    b = open(out, "rb").read()
    ids = list(struct.unpack_from("<5i", b, 72))
    assert ids == [101, 102, 0, 100, 103], ids
    assert struct.unpack_from("<I", b, 60)[0] & 3 == 3, "not lower-cased + accent-stripped"
    print("cased vocab ok")


COMMANDS = {"fixtures": fixtures, "corrupt": corrupt, "tokenizer-config": tokenizer_config,
            "cased-vocab": cased_vocab}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
