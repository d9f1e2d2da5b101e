#!/usr/bin/env python3
"""The committed golden file: the reference's (npm tokenizers) answers on a few hundred
lines in each setting, so a smaller check works where npm is not installed.

    python3 test/checks/tokenizer_golden.py make     (needs node + test/js/node_modules) writes
                                              test/data/tokenizer_golden.jsonl.gz
    python3 test/checks/tokenizer_golden.py split DIR  writes DIR/golden_SETTING.{in,ref}.jsonl

Each golden line: {"setting": ..., "id": ..., "text": ..., "ids": [...], "tokens": [...],
"offsets": [...], "words": [...]} with the reference's code-point offsets.
"""
import gzip
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "data", "tokenizer_golden.jsonl.gz")
VOCAB = os.path.join(HERE, "..", "data", "vocab")
# setting -> (vocab file, reference mode, sr flag)
SETTINGS = {
    "lower": ("bert-base-cased-vocab.txt", "lower", "--lowercase"),
    "cased": ("bert-base-cased-vocab.txt", "cased", "--cased"),
    "uncased": ("bert-base-uncased-vocab.txt", "lower", "--lowercase"),
}
# The traps of the issue, spelled out (then generated lines follow).
HAND = [
    "José Núñez, 67 y/o M, seen by Dr. Zoë Ødegaard on 03/14/2021.",
    "T 38.2 °C (100.8 °F); 5 µg vs 5 μg; Na⁺ 134 mmol/L; WBC 12.3 ×10⁹/L",
    "BP 120/80 – HR 88 — RR 18; “pain 7/10” and ‘mild’ nausea…",
    "NBSP\u00a0pasted\u00a0from\u00a0Word\u202fand thin\u2009spaces\u3000ideographic",
    "zero\u200bwidth\u200cjoin\u200dmarks\ufeffBOM and soft\u00adhy\u00adphens",
    "ALL CAPS NOTE: PT C/O SOB, DENIES CP. HX HTN, DM2, COPD. NKDA. DNR/DNI.",
    "Na 134 K 5.1 Cl 98 HCO3 24 BUN 32 Cr 1.8 Glu 212 Ca 8.9 Mg 1.7 Phos 4.2",
    "CBC:WBC12.3/Hgb9.8/Hct29.4/Plt145;INR1.9;PTT38.2;Lactate3.4;Trop0.04;BNP1250",
    "[MASK]. [MASK], ([MASK]) x[MASK]y [MASK][MASK] [[MASK]] [mask] [MASK [UNK] [CLS][SEP]",
    "İstanbul İİ ǅemal ǲ Straße ẞ ﬁnancial Ａｂｃ Ω K Å ΣΟΦΙΑ ὈΔΥΣΣΕΎΣ",
    "e\u0301 e\u0323\u0301 a\u0308\u0304 \u0344 \u0f73 a\U0001D16D\U0001D165b x\u302e\u302fy",
    "한국어 中文病历 日本語 𠀀𠀁 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🧑‍⚕️ 1️⃣ 🇺🇸",
    "a" * 99 + " " + "a" * 100 + " " + "a" * 101 + " " + "e\u0301" * 100 + " " + "é" * 101,
    "",
    " \t\n ",
    "\u200b",
    "\x00\x07\x1b\x7f\u0085\ufffd",
    "line one\r\nline two\u2028line three\u2029end",
    # canonical reordering and inserted characters: HF's alignment rules
    "\u0301\u0f73", "[MASK]\u0301\u0f73x", "\u0f73\u0f73a", "x\u0301\u0f73", "\u0345\u0f73y",
    "\u200b\u0f73a", "\u0000\u0301\u0f73a", "a\U0001D16D\U0001D165\U0001D16Db", "x\u0f73\u0f73\u0f73",
    "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u0323\u0324\u0325" * 10,
    "İİİ", "[MASK]İ", "a" * 100 + "\u0301", "a" * 100 + "\u0301b", "e\u0301" * 101, "中中中",
    "\u200b[MASK]\u200b", "a\u200b[MASK]b", "[UNK][CLS][SEP][PAD]", "[[[MASK]]]", "\uf900\u0301",
    "한\u0301", "\u1100\u0301\u1161", "a\u034f\u0301", "\U0001F469\u200d\u2695\ufe0f",
]


def make():
    sys.path.insert(0, HERE)
    import tokenizer_gen  # noqa: E402
    import random
    r = random.Random(20261127)
    cats = tokenizer_gen.by_category()
    texts = HAND + [tokenizer_gen.line(r, cats) for _ in range(300)]
    records = [{"id": i, "text": t} for i, t in enumerate(texts)]
    inp = "".join(json.dumps(x) + "\n" for x in records)
    out = []
    for setting, (vocab, mode, _) in SETTINGS.items():
        res = subprocess.run(["node", os.path.join(HERE, "tokenizer_ref.js"), os.path.join(VOCAB, vocab), mode],
                             input=inp.encode(), stdout=subprocess.PIPE, check=True)
        for rec, line in zip(records, res.stdout.decode().splitlines()):
            ref = json.loads(line)
            assert ref["id"] == rec["id"]
            out.append(dict(setting=setting, id=rec["id"], text=rec["text"], ids=ref["ids"],
                            tokens=ref["tokens"], offsets=ref["offsets"], words=ref["words"]))
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as f:
        for x in out:
            f.write(json.dumps(x, ensure_ascii=False) + "\n")
    print("wrote %s: %d records" % (GOLDEN, len(out)))


def split(d):
    files = {}
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            s = x.pop("setting")
            if s not in files:
                files[s] = (open(os.path.join(d, "golden_%s.in.jsonl" % s), "w", encoding="utf-8"),
                            open(os.path.join(d, "golden_%s.ref.jsonl" % s), "w", encoding="utf-8"))
            fi, fr = files[s]
            fi.write(json.dumps({"id": x["id"], "text": x["text"]}) + "\n")
            fr.write(json.dumps({k: x[k] for k in ("id", "ids", "tokens", "offsets", "words")}) + "\n")
    for fi, fr in files.values():
        fi.close()
        fr.close()
    for s, (vocab, _, flag) in SETTINGS.items():
        print("%s %s %s" % (s, vocab, flag))


if __name__ == "__main__":
    if sys.argv[1:2] == ["make"]:
        make()
    elif sys.argv[1:2] == ["split"] and len(sys.argv) == 3:
        split(sys.argv[2])
    else:
        sys.exit(__doc__)
