#!/usr/bin/python3
"""ner_reference.py - the independent side of sr's token-classification tests.

Hugging Face's TokenClassificationPipeline, re-written here from its documented
behaviour (transformers 4.36+: gather_pre_entities, aggregate, aggregate_words,
group_entities, group_sub_entities; tokenizers' WordPiece decoder for "word"), with
probabilities from torch.softmax over the same float32 logits. Compared with sr's output.

    ner_reference.py decode-tests NER_TEST_BIN OUTDIR
        random synthetic decoding cases (BIO, BIOES, plain and hyphenated labels, [UNK],
        subwords, a length-changing normalisation) -> the C decoder (test/ner_test) vs here
    ner_reference.py masker-tests SR NER_TEST_BIN OUTDIR
        the Masker with tiny PHI, medical and POS models vs the Masker's rules applied to
        this pipeline's entities
    ner_reference.py pipeline-tests SR OUTDIR
        tiny random token-classification BERTs (test/models/make_models.py's torch modules),
        converted with convert_weights.py; `sr ner --jsonl` vs this pipeline over torch
        logits, including long documents cut into windows
Prints PASS/FAIL lines.

BIOES/BILOU (sr's documented extension; Hugging Face would split B-X E-X pairs):
E-X / L-X continue a group of tag X and close it; S-X / U-X are a group of their own.
"""
import json
import os
import random
import subprocess
import sys
import unicodedata

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(ROOT, "test", "models")  # make_models.py
AGGS = ["none", "simple", "first", "average", "max"]


# ------------------------------------------------------------------ the pipeline
def wordpiece_decode(tokens):
    """tokenizers' WordPiece decoder, prefix "##", cleanup on (applied token by token)."""
    out = []
    for i, t in enumerate(tokens):
        if i:
            t = t[2:] if t.startswith("##") else " " + t
        for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                     (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
            t = t.replace(a, b)
        out.append(t)
    return "".join(out)


def is_bioes(labels):
    pre = {l[0] for l in labels if len(l) > 1 and l[1] == "-"}
    return ("S" in pre and "E" in pre) or ("U" in pre and "L" in pre)


def tag_of(label, bioes):
    if label[:2] in ("B-", "I-"):
        return label[0], label[2:]
    if bioes and label[:2] in ("E-", "L-"):
        return "E", label[2:]
    if bioes and label[:2] in ("S-", "U-"):
        return "S", label[2:]
    return "I", label


def first_argmax(p):
    return int(np.argmax(p))  # numpy: the first maximum


def pipeline(labels, text, toks, probs, unk_id, agg):
    """toks: dicts id, piece, start, end (code points), special. probs: float32 [n][L]."""
    pre = []
    for i, t in enumerate(toks):
        if t["special"]:
            continue
        ref = text[t["start"]:t["end"]]
        if t["id"] == unk_id:
            word, sub = ref, False
        else:
            word, sub = t["piece"], len(t["piece"]) != len(ref)
        pre.append(dict(word=word, p=probs[i], start=t["start"], end=t["end"], index=i, sub=sub))
    if agg in ("none", "simple"):
        ents = []
        for e in pre:
            k = first_argmax(e["p"])
            ents.append(dict(entity=labels[k], score=float(e["p"][k]), index=e["index"], word=e["word"],
                             start=e["start"], end=e["end"]))
    else:
        words, cur = [], None
        for e in pre:
            if cur is None:
                cur = [e]
            elif e["sub"]:
                cur.append(e)
            else:
                words.append(cur)
                cur = [e]
        if cur:
            words.append(cur)
        ents = []
        for w in words:
            if agg == "first":
                p = w[0]["p"]
                k = first_argmax(p)
                score = p[k]
            elif agg == "max":
                best = w[0]
                for e in w[1:]:
                    if e["p"].max() > best["p"].max():
                        best = e
                k = first_argmax(best["p"])
                score = best["p"][k]
            else:
                avg = np.nanmean(np.stack([e["p"] for e in w]), axis=0)
                k = first_argmax(avg)
                score = avg[k]
            ents.append(dict(entity=labels[k], score=float(score), word=wordpiece_decode([e["word"] for e in w]),
                             start=w[0]["start"], end=w[-1]["end"]))
    if agg == "none":
        return [e for e in ents if e["entity"] != "O"]
    bioes = is_bioes(labels)
    groups, cur = [], []
    for e in ents:
        if cur:
            bi, tag = tag_of(e["entity"], bioes)
            lbi, ltag = tag_of(cur[-1]["entity"], bioes)
            if tag == ltag and bi in ("I", "E") and lbi not in ("E", "S"):
                cur.append(e)
                continue
            groups.append(cur)
        cur = [e]
    if cur:
        groups.append(cur)
    out = []
    for g in groups:
        out.append(dict(entity_group=g[0]["entity"].split("-", 1)[-1],
                        score=float(np.mean([e["score"] for e in g])),
                        word=wordpiece_decode([e["word"] for e in g]), start=g[0]["start"], end=g[-1]["end"]))
    return [g for g in out if g["entity_group"] != "O"]


def compare(expected, got, text, what):
    """None when equal (scores within 1e-5), else the first difference."""
    if len(expected) != len(got):
        return "%s: %d entities expected, sr gave %d (expected %s, got %s)" % (
            what, len(expected), len(got), json.dumps(expected)[:300], json.dumps(got)[:300])
    for k, (e, g) in enumerate(zip(expected, got)):
        for key in e:
            if key == "score":
                if abs(e[key] - g.get(key, 1e9)) > 1e-5:
                    return "%s: entity %d score %r expected, got %r" % (what, k, e[key], g.get(key))
            elif e[key] != g.get(key):
                return "%s: entity %d %s %r expected, got %r" % (what, k, key, e[key], g.get(key))
        b0 = len(text[:e["start"]].encode())
        b1 = len(text[:e["end"]].encode())
        if (g.get("byte_start"), g.get("byte_end")) != (b0, b1):
            return "%s: entity %d bytes %d..%d expected, got %r..%r" % (what, k, b0, b1, g.get("byte_start"),
                                                                       g.get("byte_end"))
    return None


# ------------------------------------------------------------------ decode tests
LABEL_SETS = {
    "bio": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "bioes": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"],
    "bilou": ["O", "B-X", "I-X", "L-X", "U-X"],
    "plain": ["O", "PROBLEM", "TEST", "TREATMENT"],
    "hyphen": ["O", "B-SIGN-SYMPTOM", "I-SIGN-SYMPTOM", "DRUG-NAME"],
}
WORDS = ["the", "patient", "Smith", "was", "seen", "in", "Boston", "today", "fever", "café", "Zoë", "naïve",
         "Cafe\u0301", "x-ray", "O'Neil", "3", "2024", "mg", "ε", "日本", "ok"]
PUNCT = [".", ",", "(", ")", ":", "?", "!", "'"]


def random_case(rng, labels):
    unk_id = 1
    text, toks = "", [dict(id=2, piece="[CLS]", start=0, end=0, special=True, word=-1)]
    word_no = 0
    for _ in range(rng.randint(0, 14)):
        w = rng.choice(WORDS + PUNCT) if rng.random() < 0.8 else rng.choice(PUNCT)
        if text and (w not in PUNCT or rng.random() < 0.3):
            text += " "
        start = len(text)
        text += w
        if rng.random() < 0.08:  # an unknown word
            toks.append(dict(id=unk_id, piece="[UNK]", start=start, end=start + len(w), special=False,
                             word=word_no))
        else:
            n = len(w)
            cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(0, 2)))) if n > 1 else []
            bounds = [0] + cuts + [n]
            for j in range(len(bounds) - 1):
                a, b = bounds[j], bounds[j + 1]
                piece = w[a:b]
                if "\u0301" in piece:  # normalisation that drops the accent: length changes
                    piece = "".join(c for c in unicodedata.normalize("NFD", piece)
                                    if unicodedata.category(c) != "Mn")
                if rng.random() < 0.2:
                    piece = piece.lower()
                toks.append(dict(id=rng.randint(5, 999), piece=("##" if j else "") + piece, start=start + a,
                                 end=start + b, special=False, word=word_no))
        word_no += 1
    toks.append(dict(id=3, piece="[SEP]", start=0, end=0, special=True, word=-1))
    L = len(labels)
    logits = np.random.RandomState(rng.randint(0, 2**31)).randn(len(toks), L).astype(np.float32) * 1.5
    cur = 0  # push runs of one label so that groups form
    for i in range(len(toks)):
        if rng.random() < 0.35:
            cur = rng.randrange(L)
        logits[i, cur] += 2.5
    if rng.random() < 0.2 and len(toks) > 2:  # exact ties: numpy and sr both take the first
        logits[1, :] = 0.5
    return text, toks, logits, unk_id


def write_case(path, labels, text, toks, logits, unk_id):
    with open(path, "w") as f:
        f.write("labels %d\n%s\n" % (len(labels), "\n".join(labels)))
        f.write("text %s\n" % (text.encode().hex() or "-"))
        f.write("unk %d tokens %d\n" % (unk_id, len(toks)))
        for t in toks:
            b0 = len(text[:t["start"]].encode())
            b1 = len(text[:t["end"]].encode())
            f.write("%d %d %d %d %d %d %s\n" % (t["id"], t["word"], b0, b1, t["start"], t["end"],
                                               t["piece"].encode().hex() or "-"))
        for row in logits:
            f.write(" ".join(repr(float(x)) for x in row) + "\n")


def decode_tests(binary, outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(1234)
    fails = 0
    counts = {}
    for name, labels in LABEL_SETS.items():
        for k in range(60):
            text, toks, logits, unk = random_case(rng, labels)
            path = os.path.join(outdir, "case_%s_%d.txt" % (name, k))
            write_case(path, labels, text, toks, logits, unk)
            probs = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
            r = subprocess.run([binary, "decode", path], capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL ner decode %s case %d: exit %d: %s" % (name, k, r.returncode, r.stderr.strip()[:200]))
                fails += 1
                continue
            got = {}
            for line in r.stdout.splitlines():
                o = json.loads(line)
                got[o["aggregation"]] = o["entities"]
            for agg in AGGS:
                exp = pipeline(labels, text, toks, probs, unk, agg)
                counts[agg] = counts.get(agg, 0) + len(exp)
                d = compare(exp, got.get(agg, []), text, "%s case %d (%s) aggregation %s" % (name, k, path, agg))
                if d:
                    print("FAIL ner decode " + d)
                    fails += 1
    if not fails:
        print("PASS ner decode: %d random cases x 5 aggregations (%s entities) match the Python pipeline"
              % (60 * len(LABEL_SETS), ", ".join("%s %d" % kv for kv in counts.items())))
    return fails


# ------------------------------------------------------------------ pipeline tests (models)
NER_MODELS = [
    dict(name="ner_bio", seed=21, H=32, layers=2, heads=4, I=64, V=100, P=64, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=LABEL_SETS["bio"], layout=dict(prefix=True),
         tokenizer_config={"do_lower_case": False}),
    dict(name="ner_bioes", seed=22, H=32, layers=2, heads=2, I=48, V=100, P=48, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=LABEL_SETS["bioes"], layout=dict(prefix=True)),
    dict(name="ner_plain", seed=23, H=24, layers=1, heads=3, I=40, V=100, P=40, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=LABEL_SETS["plain"], layout=dict(prefix=True)),
]


def windows(n_in, window, overlap):
    W = window - 2
    step = W - overlap
    starts, s = [], 0
    while True:
        starts.append(s)
        if s + W >= n_in:
            return starts
        s += step
        if s + W > n_in:
            s = n_in - W


def torch_logits(model, ids, window, overlap, L):
    """Per-token logits for a whole document: [CLS] tokens [SEP], window by window; each
    token from the window where it is furthest from an edge (earlier window on ties)."""
    cls_id, sep_id, inner = ids[0], ids[-1], ids[1:-1]
    out = np.zeros((len(ids), L), dtype=np.float32)
    best = [-1] * len(inner)
    W = window - 2
    for s in windows(len(inner), window, overlap) if inner else []:
        chunk = inner[s:s + W]
        x = torch.tensor([[cls_id] + chunk + [sep_id]])
        with torch.no_grad():
            lg = model(x, torch.zeros_like(x), torch.ones_like(x))["cls"][0].numpy()
        for k in range(len(chunk)):
            d = min(k, len(chunk) - 1 - k)
            if d > best[s + k]:
                best[s + k] = d
                out[1 + s + k] = lg[1 + k]
    return out


def pipeline_tests(sr, outdir):
    sys.path.insert(0, MODELS)
    import make_models as mm

    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    fails = 0
    rng = random.Random(99)
    base = ("the patient was seen in clinic today with pain fever cough and no history of diabetes heart lung "
            "blood pressure chest left right mild severe acute chronic daily dose tablet given noted stable "
            "improved denies reports mg ml").split()
    extra = ["Smith", "Boston", "zebra", "é", "Ö", "naïve", "ж", "x-ray", "12", "(", ")", ".", ","]
    for m in NER_MODELS:
        d = mm.build(m, outdir)
        model_file = os.path.join(outdir, m["name"] + ".sr")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "convert_weights.py"), d, model_file],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL ner pipeline %s: convert_weights.py: %s" % (m["name"], r.stderr.strip()[:300]))
            fails += 1
            continue
        with open(os.path.join(d, "vocab.txt"), encoding="utf-8") as f:
            vocab = [l.rstrip("\n") for l in f]
        unk_id = vocab.index("[UNK]")
        tm = mm.TorchBert(m, mm.init_state(m)).eval()
        L = len(m["labels"])
        texts = ["", "the patient", "Smith was seen in Boston today.", "ж ж naïve Zebra é"]
        for k in range(8):
            texts.append(" ".join(rng.choice(base + extra) for _ in range(rng.randint(1, 20))))
        long_text = " ".join(rng.choice(base + extra) for _ in range(160))
        # one sr process per (window setting, aggregation): the texts go in as JSON lines
        settings = [(None, None, list(range(len(texts))) + [len(texts)]), (20, 5, [len(texts)]),
                    (17, 0, [len(texts)]), (9, 3, [len(texts) - 1])]
        all_texts = texts + [long_text]
        inputs = os.path.join(outdir, m["name"] + "_in.jsonl")
        with open(inputs, "w") as f:
            for ri, text in enumerate(all_texts):
                f.write(json.dumps({"id": "r%d" % ri, "text": text}) + "\n")
        tok = subprocess.run([sr, "tokenize", "-m", model_file, "--jsonl", inputs], capture_output=True, text=True)
        if tok.returncode != 0:
            print("FAIL ner pipeline %s: sr tokenize exit %d: %s" % (m["name"], tok.returncode, tok.stderr[:300]))
            fails += 1
            continue
        tjs = [json.loads(l) for l in tok.stdout.splitlines()]
        runs = 0
        for window, stride, which in settings:
            win = window or m["P"]
            ovl = stride if stride is not None else (win - 2) // 4
            sub = os.path.join(outdir, m["name"] + "_in_%d.jsonl" % win)
            with open(sub, "w") as f:
                for ri in which:
                    f.write(json.dumps({"id": "r%d" % ri, "text": all_texts[ri]}) + "\n")
            probs = {}
            for ri in which:
                tj = tjs[ri]
                logits = torch_logits(tm, tj["ids"], win, ovl, L)
                probs[ri] = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
            for agg in AGGS:
                cmd = [sr, "ner", "-m", model_file, "--aggregation", agg, "--jsonl", sub]
                if window:
                    cmd += ["--window", str(window), "--stride", str(stride)]
                res = subprocess.run(cmd, capture_output=True, text=True)
                what = "%s (%s)" % (m["name"], " ".join(cmd[3:]))
                outs = [json.loads(l) for l in res.stdout.splitlines()]
                if res.returncode != 0 or len(outs) != len(which):
                    print("FAIL ner pipeline %s: exit %d, %d results: %s" % (what, res.returncode, len(outs),
                                                                             res.stderr.strip()[:300]))
                    fails += 1
                    continue
                for ri, got in zip(which, outs):
                    text, tj = all_texts[ri], tjs[ri]
                    toks = [dict(id=i, piece=p, start=o[0], end=o[1], special=w is None)
                            for i, p, o, w in zip(tj["ids"], tj["tokens"], tj["offsets"], tj["words"])]
                    exp = pipeline(m["labels"], text, toks, probs[ri], unk_id, agg)
                    runs += 1
                    if got.get("id") != "r%d" % ri:
                        print("FAIL ner pipeline %s: id r%d not echoed: %s" % (what, ri, json.dumps(got)[:100]))
                        fails += 1
                        continue
                    diff = compare(exp, got.get("entities", []), text, "%s text r%d" % (what, ri))
                    if diff:
                        print("FAIL ner pipeline " + diff)
                        fails += 1
        n_long = len(tjs[len(texts)]["ids"])
        if not fails:
            print("PASS ner pipeline %s (%s): sr ner --jsonl = Python pipeline over torch logits, %d checks "
                  "(5 aggregations; %d texts; a %d-token document in windows of %d, 20, 17 positions)"
                  % (m["name"], ",".join(m["labels"]), runs, len(all_texts), n_long, m["P"]))
    fails += cli_tests(sr, os.path.join(outdir, "ner_bio.sr"), outdir)
    return fails


MASKER_MODELS = [
    dict(name="mk_phi", seed=31, H=32, layers=1, heads=4, I=48, V=100, P=64, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=["O", "B-PATIENT", "I-PATIENT", "B-DATE", "I-DATE"],
         layout=dict(prefix=True), bias_add=[3.5, 0, 0, 0, 0]),
    dict(name="mk_med", seed=32, H=32, layers=1, heads=4, I=48, V=100, P=64, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=["O", "B-PROBLEM", "I-PROBLEM", "B-TEST", "I-TEST", "B-TREATMENT",
                                           "I-TREATMENT", "B-ANATOMY", "I-ANATOMY"], layout=dict(prefix=True),
         bias_add=[1.5, 0, 0, 0, 0, 0, 0, 0, 0]),
    dict(name="mk_pos", seed=33, H=32, layers=1, heads=4, I=48, V=100, P=64, T=2, fmt="zip", heads_=("cls",),
         storage="f32", eps=1e-12, labels=["NOUN", "VERB", "ADJ", "DET", "ADP", "PROPN", "NUM", "PUNCT"],
         layout=dict(prefix=True)),
]


def word_level(labels, text, toks, probs, unk_id):
    """aggregate_words with "first", before grouping, O kept (what a POS tagger gives)."""
    out = []
    for i, t in enumerate(toks):
        if t["special"]:
            continue
        ref = text[t["start"]:t["end"]]
        sub = t["id"] != unk_id and len(t["piece"]) != len(ref)
        if out and sub:
            out[-1]["end"] = t["end"]
        else:
            k = first_argmax(probs[i])
            out.append(dict(label=labels[k], start=t["start"], end=t["end"]))
    return out


def masker_words(text):
    """sr's words for ASCII text: letters/digits, joined by one ' or - between them."""
    import re
    return [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*", text)]


def masker_tests(sr, ner_test, outdir):
    """The Masker with a PHI, a medical and a POS model vs the rules of the Masker applied
    to the Python pipeline's entities over torch logits."""
    sys.path.insert(0, MODELS)
    import make_models as mm

    os.makedirs(outdir, exist_ok=True)
    plain_init = mm.init_state

    def init_state(m):  # shift the classifier bias so that O (PHI, medical) is common
        sd = plain_init(m)
        if "bias_add" in m:
            sd["classifier.bias"] = sd["classifier.bias"] + torch.tensor(m["bias_add"])
        return sd

    mm.init_state = init_state
    files, nets = [], []
    for m in MASKER_MODELS:
        d = mm.build(m, outdir)
        f = os.path.join(outdir, m["name"] + ".sr")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "convert_weights.py"), d, f], capture_output=True,
                           text=True)
        if r.returncode:
            print("FAIL masker models: convert_weights.py %s: %s" % (m["name"], r.stderr.strip()[:300]))
            return 1
        files.append(f)
        nets.append(mm.TorchBert(m, mm.init_state(m)).eval())
    rng = random.Random(7)
    base = ("the patient was seen in clinic today with pain fever cough and no history of diabetes heart lung "
            "blood pressure chest left right mild severe acute chronic daily dose tablet given noted stable "
            "improved denies reports mg ml Smith x-ray don't 12 ( ) . ,").split()
    texts = [" ".join(rng.choice(base) for _ in range(rng.randint(3, 30))) for _ in range(16)]
    texts += [" ".join(rng.choice(["x-ray", "don't", "mg-ml", "x-ray-ml", "pain"]) for _ in range(12)) for _ in range(4)]
    r = subprocess.run([ner_test, "models"] + files + texts, capture_output=True, text=True)
    if r.returncode:
        print("FAIL masker models: ner_test exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
        return 1
    got_all = [json.loads(l) for l in r.stdout.splitlines()]
    fails, counts = 0, {}
    protect_labels = {"PROBLEM", "TEST", "TREATMENT"}
    for ti, (text, got) in enumerate(zip(texts, got_all)):
        tok = subprocess.run([sr, "tokenize", "-m", files[0], "--jsonl"], input=json.dumps({"id": 0, "text": text}),
                             capture_output=True, text=True)
        tj = json.loads(tok.stdout)
        toks = [dict(id=i, piece=p, start=o[0], end=o[1], special=w is None)
                for i, p, o, w in zip(tj["ids"], tj["tokens"], tj["offsets"], tj["words"])]
        probs = []
        for m, net in zip(MASKER_MODELS, nets):
            lg = torch_logits(net, tj["ids"], m["P"], (m["P"] - 2) // 4, len(m["labels"]))
            probs.append(torch.softmax(torch.from_numpy(lg), dim=-1).numpy())
        unk = 1
        phi = pipeline(MASKER_MODELS[0]["labels"], text, toks, probs[0], unk, "first")
        med = pipeline(MASKER_MODELS[1]["labels"], text, toks, probs[1], unk, "first")
        pos = word_level(MASKER_MODELS[2]["labels"], text, toks, probs[2], unk)
        phi_spans = [g for g in got if g["action"] == "PHI"]
        covered = set()
        for g in phi_spans:
            covered.update(range(g["start"], g["end"]))
        why = None
        for e in phi:
            if not set(range(e["start"], e["end"])) <= covered:
                why = "model PHI %r at %d..%d not masked" % (e["word"], e["start"], e["end"])
        for g in phi_spans:
            if g["source"].startswith("model:") and not any(e["start"] < g["end"] and g["start"] < e["end"]
                                                               for e in phi):
                why = "PHI span %d..%d (%s) matches no model entity" % (g["start"], g["end"], g["source"])
        # words: PHI / protected / eligible, as the Masker's rules say
        exp = []
        words = masker_words(text)
        for a, b in words:  # a PHI span never cuts a word
            inside = [c in covered for c in range(a, b)]
            if any(inside) and not all(inside):
                why = "word %r is cut by a PHI span" % text[a:b]
        state = ["PHI" if any(c in covered for c in range(a, b)) else None for a, b in words]
        ent_of = [None] * len(words)
        for i, (a, b) in enumerate(words):
            if state[i]:
                continue
            for k, e in enumerate(med):
                if e["start"] < b and a < e["end"] and e["entity_group"] in protect_labels:
                    state[i], ent_of[i] = "PROTECT", k
                    break
        i = 0
        while i < len(words):
            if state[i] == "PROTECT":
                j = i
                while j + 1 < len(words) and state[j + 1] == "PROTECT" and ent_of[j + 1] == ent_of[i]:
                    j += 1
                lab = med[ent_of[i]]["entity_group"]
                exp.append(dict(action="PROTECT", category=lab, source="model:" + lab, start=words[i][0],
                                end=words[j][1]))
                i = j + 1
                continue
            if state[i] is None:
                a, b = words[i]
                e = next((e for e in pos if e["end"] > a), None)
                if e and e["start"] < b and e["label"] in ("NOUN", "VERB", "ADJ"):
                    exp.append(dict(action="ELIGIBLE", category=e["label"], source="model:" + e["label"], start=a,
                                    end=b))
            i += 1
        rest = [dict((k, g[k]) for k in ("action", "category", "source", "start", "end")) for g in got
                if g["action"] != "PHI"]
        if rest != exp and not why:
            why = "protected/eligible spans differ: expected %s, got %s" % (json.dumps(exp)[:400],
                                                                          json.dumps(rest)[:400])
        if why:
            print("FAIL masker models: text %d %r: %s" % (ti, text[:80], why))
            fails += 1
        for g in got:
            counts[g["action"]] = counts.get(g["action"], 0) + 1
    # ner_phi_spans, the entry point for sr deid --phi-model: the PHI model's grouped
    # "first" entities with their labels mapped to the rules' types
    r = subprocess.run([ner_test, "phispans", files[0]] + texts, capture_output=True, text=True)
    n_phi = 0
    if r.returncode:
        print("FAIL masker phi spans: exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
        fails += 1
    else:
        for ti, (text, line) in enumerate(zip(texts, r.stdout.splitlines())):
            tj = json.loads(subprocess.run([sr, "tokenize", "-m", files[0], "--jsonl"],
                                           input=json.dumps({"id": 0, "text": text}), capture_output=True,
                                           text=True).stdout)
            toks = [dict(id=i, piece=p, start=o[0], end=o[1], special=w is None)
                    for i, p, o, w in zip(tj["ids"], tj["tokens"], tj["offsets"], tj["words"])]
            m = MASKER_MODELS[0]
            lg = torch_logits(nets[0], tj["ids"], m["P"], (m["P"] - 2) // 4, len(m["labels"]))
            probs = torch.softmax(torch.from_numpy(lg), dim=-1).numpy()
            exp = [dict(action="PHI", category=e["entity_group"], source="model:" + e["entity_group"],
                        score=e["score"], start=e["start"], end=e["end"])
                   for e in pipeline(m["labels"], text, toks, probs, 1, "first")]
            got = json.loads(line)
            n_phi += len(got)
            d = compare(exp, got, text, "phi spans text %d" % ti)
            if d:
                print("FAIL masker " + d)
                fails += 1
        if not fails:
            print("PASS masker phi spans: ner_phi_spans = the PHI model's grouped entities (types PATIENT/DATE), "
                  "%d spans on %d texts" % (n_phi, len(texts)))
    if not fails:
        print("PASS masker models: PHI/medical/POS models through sr_masker_run agree with the Python pipeline "
              "on %d texts (%s)" % (len(texts), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return fails


def cli_tests(sr, model_file, outdir):
    """sr ner's command line: the JSONL contract and bad input."""
    fails = 0
    path = os.path.join(outdir, "cli_in.jsonl")
    with open(path, "w") as f:
        f.write('{"id": "a", "text": "Smith was seen"}\n')
        f.write('{"id": 7, "text": "broken\n')
        f.write('\n')
        f.write('{"text": "no id", "id": {"k": [1, 2]}}\n')
    r = subprocess.run([sr, "ner", "-m", model_file, "--aggregation", "simple", "--jsonl", path],
                       capture_output=True, text=True)
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    ok = (r.returncode == 1 and len(lines) == 3 and lines[0]["id"] == "a" and "entities" in lines[0]
          and lines[1].get("id") == 7 and "error" in lines[1] and lines[2]["id"] == {"k": [1, 2]}
          and "entities" in lines[2])
    if ok:
        print("PASS ner cli: JSONL ids echoed verbatim, a broken line gives an error record, the batch goes on, exit 1")
    else:
        print("FAIL ner cli: JSONL contract: exit %d, output %r" % (r.returncode, r.stdout[:300]))
        fails += 1
    r = subprocess.run([sr, "ner", "-m", model_file, "--text", "Smith was seen", "--text", "in Boston"], capture_output=True, text=True)
    outs = [json.loads(l) for l in r.stdout.splitlines()]
    if r.returncode == 0 and len(outs) == 2 and all(isinstance(o, list) for o in outs):
        print("PASS ner cli: text arguments give one JSON array each")
    else:
        print("FAIL ner cli: text arguments: exit %d, output %r" % (r.returncode, r.stdout[:200]))
        fails += 1
    bad = [([sr, "ner", "--text", "x"], "no model"), ([sr, "ner", "-m", model_file, "--window", "100000", "--text", "x"], "window too big"),
           ([sr, "ner", "-m", model_file, "--window", "20", "--stride", "18", "--text", "x"], "stride >= window"),
           ([sr, "ner", "-m", model_file, "--aggregation", "mean", "--text", "x"], "unknown aggregation"),
           ([sr, "ner", "-m", os.path.join(outdir, "missing.sr"), "--text", "x"], "missing model"),
           ([sr, "ner", "-m", model_file, "-f", os.path.join(outdir, "missing.txt")], "missing file")]
    for cmd, what in bad:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0 or not r.stderr.strip() or len(r.stderr.strip().splitlines()) > 2:
            print("FAIL ner cli: %s: exit %d, stderr %r" % (what, r.returncode, r.stderr[:200]))
            fails += 1
    if not fails:
        print("PASS ner cli: %d kinds of bad input refused with a one-line reason and a non-zero exit" % len(bad))
    return fails


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "decode-tests":
        sys.exit(1 if decode_tests(sys.argv[2], sys.argv[3]) else 0)
    if len(sys.argv) == 5 and sys.argv[1] == "masker-tests":
        sys.exit(1 if masker_tests(sys.argv[2], sys.argv[3], sys.argv[4]) else 0)
    if len(sys.argv) == 4 and sys.argv[1] == "pipeline-tests":
        sys.exit(1 if pipeline_tests(sys.argv[2], sys.argv[3]) else 0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
