#!/usr/bin/python3
"""gen_models.py - the small random masked-LM models the generation tests run on.

    /usr/bin/python3 test/models/gen_models.py OUTDIR

Builds, with test/models/make_models.py (torch-written weights in Hugging Face layout), two
small BERTs (hidden 32, 2 layers) and swaps in the REAL BERT vocabularies shipped in
test/data/vocab/, so that letters tokenize as with Bio_ClinicalBERT:
  gen_cased    bert-base-cased vocab (28,996), cased tokenizer
  gen_uncased  bert-base-uncased vocab (30,522), do_lower_case
The weights only depend on the vocabulary size, not its content. Then convert_weights.py
writes OUTDIR/gen_cased.srm and OUTDIR/gen_uncased.srm (f32).
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models  # noqa: E402

MODELS = [
    dict(name="gen_cased", seed=21, H=32, layers=2, heads=4, I=64, V=28996, P=160, T=2,
         fmt="zip", heads_=("mlm",), storage="f32", eps=1e-12,
         layout=dict(prefix=True, position_ids=True, tied_saved=True, decoder_bias=True),
         tokenizer_config={"do_lower_case": False}, vocab="bert-base-cased-vocab.txt"),
    dict(name="gen_uncased", seed=22, H=32, layers=2, heads=4, I=64, V=30522, P=160, T=2,
         fmt="zip", heads_=("mlm",), storage="f32", eps=1e-12,
         layout=dict(prefix=True, position_ids=True, tied_saved=True, decoder_bias=True),
         tokenizer_config={"do_lower_case": True}, vocab="bert-base-uncased-vocab.txt"),
]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for m in MODELS:
        make_models.build(m, out)
        d = os.path.join(out, m["name"])
        shutil.copy(os.path.join(HERE, "..", "data", "vocab", m["vocab"]), os.path.join(d, "vocab.txt"))
        subprocess.check_call([sys.executable, os.path.join(HERE, "..", "..", "convert_weights.py"), d,
                               os.path.join(out, m["name"] + ".srm")])
        print(m["name"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
