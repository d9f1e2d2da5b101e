#!/usr/bin/python3
"""train_pos.py - the built-in UPOS tagger (ner.c, "Part-of-speech tagger"): an averaged
perceptron over hashed word, affix, shape, casing and context features, greedy left to
right, trained on UD English EWT (CC BY-SA 4.0).

    /usr/bin/python3 train/train_pos.py train --ud ../shared/ud --out data/pos_ewt.srp
    /usr/bin/python3 train/train_pos.py tag MODEL FILE.conllu     (the reference tagger:
        the same features in Python, reading the shipped file; for test/stages/stage_55_pos.sh)

Data: train on en_ewt-ud-train.conllu, choose the epoch on dev, report test (the test
file is read only by `train ... --report-test` and by the test stage's scorer).

Clinical text is not web text, so every epoch sees each training sentence in one of
several forms, drawn at random: as given, lower-cased or upper-cased (letters typed in
capitals or without them must not break the tagger), and segmented as the tokenizer
of EWT does (do + n't, follow - up) or as the Masker does (don't, follow-up: its words,
with the punctuation between them as single-character tokens, runs of one character
kept together); a word that joins several EWT words takes the tag of the one whose
syntactic head lies outside the word (patient's -> NOUN, don't -> AUX). Casing itself
is a feature only together with the casing of the 9 tokens around a word, so that the
capital of a proper noun counts in mixed-case text and nothing in ALL-CAPS text. The
medical phrase lists of data/ give a feature ("this word occurs in a medical phrase",
"this word is a clinical abbreviation"), stored in the model file's word table.

The model file (little-endian; ner.c checks every size against the file):
    magic "SRPOS\\0\\0\\1" (8 bytes), u32 n_tags, u32 log2_buckets, u32 n_words,
    u32 n_templates, u32 weight_bytes (1: int8 codes, 2: int16), 20 bytes reserved (0),
    n_tags x 8-byte NUL-padded tag names,
    with int8 codes: 256 x i32, the value of code q at [q + 128] (levels spaced exponentially),
    n_words x (u32 crc32 of the word key, u32 flags) sorted by crc (the word table),
    (1 << log2_buckets) x n_tags weights (a tag's score = the sum of the features' weights).
A feature is bucket = crc32(its value's parts joined by 0x01, then 0x00 and the template
byte) & (buckets - 1); the templates are static_features and dynamic_features below and pos_static and pos_dynamic in ner.c,
which must agree byte for byte (test/stages/stage_55_pos.sh compares the two taggers).
"""
import argparse
import os
import random
import struct
import sys
import time
import zlib

import numpy as np

TAGS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"]
TAG_ID = {t: i for i, t in enumerate(TAGS)}
MAGIC = b"SRPOS\0\0\1"
N_TEMPLATES = 39
KEY_MAX = 40

# ---------------------------------------------------------------- CoNLL-U


def read_conllu(path):
    """Sentences as lists of word dicts (id, form, upos, head) plus the surface tokens
    (form, space_after, first word index, last word index) to rebuild the text."""
    sents, words, toks, mwt_end = [], [], [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    sents.append((words, toks))
                words, toks, mwt_end = [], [], 0
                continue
            if line.startswith("#"):
                continue
            c = line.split("\t")
            space = "SpaceAfter=No" not in c[9].split("|")
            if "-" in c[0]:
                a, b = map(int, c[0].split("-"))
                toks.append([c[1], space, a - 1, b - 1])
                mwt_end = b
                continue
            if "." in c[0]:
                continue
            i = int(c[0])
            words.append(dict(form=c[1], upos=c[3], head=int(c[6]) if c[6].isdigit() else 0))
            if i > mwt_end:
                toks.append([c[1], space, i - 1, i - 1])
    if words:
        sents.append((words, toks))
    return sents


# ---------------------------------------------------------------- the Masker's words (ner.c ner_words)


def word_cp(cp):
    if cp < 0x80:
        return chr(cp).isalnum() and chr(cp).isascii()
    if cp <= 0xBF:
        return cp in (0xAA, 0xB5, 0xBA)
    if cp in (0xD7, 0xF7):
        return False
    for a, b in ((0x2000, 0x2BFF), (0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFF0F), (0xFF1A, 0xFF20),
                 (0xFF3B, 0xFF40), (0xFF5B, 0xFF65), (0xFFF0, 0xFFFF), (0x1F000, 0x1FAFF)):
        if a <= cp <= b:
            return False
    return cp != 0xFEFF


JOINERS = {ord("'"), 0x2019, ord("-"), 0x2010, 0x2011}
SPACE = set(" \t\n\r\v\f")


def masker_words(text):
    """(start, end) character offsets of the Masker's words."""
    out, start, n = [], None, len(text)
    for i, ch in enumerate(text):
        wc = word_cp(ord(ch))
        if not wc and start is not None and ord(ch) in JOINERS and i + 1 < n and word_cp(ord(text[i + 1])):
            wc = True
        if wc and start is None:
            start = i
        elif not wc and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, n))
    return out


def gap_pieces(text, a, b):
    """The non-space characters of text[a:b] as tokens: runs of one character together."""
    out, i = [], a
    while i < b:
        if text[i] in SPACE:
            i += 1
            continue
        j = i + 1
        while j < b and text[j] == text[i]:
            j += 1
        out.append((i, j))
        i = j
    return out


def masker_tokens(text):
    """The tagger's tokens for running text: the Masker's words and the punctuation
    between them (ner.c pos_tokens_of_words does the same). Returns (start, end, is_word)."""
    words = masker_words(text)
    out, prev = [], 0
    for a, b in words:
        out += [(x, y, False) for x, y in gap_pieces(text, prev, a)]
        out.append((a, b, True))
        prev = b
    out += [(x, y, False) for x, y in gap_pieces(text, prev, len(text))]
    return out


def resegment(words, toks):
    """An EWT sentence as the Masker would cut its text: forms and tags."""
    text, spans = "", [None] * len(words)
    for form, space, a, b in toks:
        s = len(text)
        text += form
        for w in range(a, b + 1):
            spans[w] = (s, len(text))
        if space:
            text += " "
    forms, tags = [], []
    for a, b, _ in masker_tokens(text):
        inside = [k for k in range(len(words)) if spans[k][0] < b and a < spans[k][1]]
        if not inside:
            continue
        content = [k for k in inside if words[k]["upos"] != "PUNCT"] or inside
        heads = [k for k in content if words[k]["head"] - 1 not in inside]
        k = (heads or content)[0]
        forms.append(text[a:b])
        tags.append(TAG_ID[words[k]["upos"]])
    return forms, tags


# ---------------------------------------------------------------- features (ner.c pos_features)


def key_of(form_bytes, keep_case=False):
    out = bytearray()
    for c in form_bytes[:KEY_MAX]:
        if 48 <= c <= 57:
            c = 48
        elif 65 <= c <= 90 and not keep_case:
            c += 32
        out.append(c)
    return bytes(out)


def shape_of(form_bytes):
    out = bytearray()
    for c in form_bytes:
        if 0x80 <= c <= 0xBF:
            continue
        k = 88 if 65 <= c <= 90 else 120 if 97 <= c <= 122 else 100 if 48 <= c <= 57 else 117 if c >= 0x80 else c
        if len(out) >= 2 and out[-1] == k and out[-2] == k:
            continue
        out.append(k)
        if len(out) >= 12:
            break
    return bytes(out)


def case_class(form_bytes):
    low = any(97 <= c <= 122 for c in form_bytes)
    up = any(65 <= c <= 90 for c in form_bytes)
    return 1 if low else 2 if up else 0


BOS, EOS = b"\x02", b"\x03"


def crc(tpl, *parts):
    """A feature's hash: crc32 of its parts joined by 0x01, then 0x00 and the template."""
    return zlib.crc32(bytes([0, tpl]), zlib.crc32(b"\x01".join(parts)))


class Lexicon:
    """The model's word table: crc32 of a word key -> u32. Bits 0-7: flags from the
    medical phrase lists (1 = in a medical phrase, 2 = a clinical abbreviation, 4 = in a
    drug name, 0x80 = the tag-dictionary entry is ambiguous); bits 8-17: its distributional cluster of 512 plus 1 (0 = none); bits
    20-26: its cluster of 64 plus 1; bits 27-31: its most frequent tag in EWT train plus 1
    (words seen at least 5 times)."""

    def __init__(self, table=None):
        self.flags = table or {}

    def get(self, key):
        return self.flags.get(zlib.crc32(key), 0) & 0xFF

    def c512(self, key):
        return (self.flags.get(zlib.crc32(key), 0) >> 8) & 0x3FF

    def c64(self, key):
        return (self.flags.get(zlib.crc32(key), 0) >> 20) & 0x7F

    def td(self, key):
        """Tag-dictionary class: the word's most frequent tag in EWT train + 1 (0 =
        unknown), + 32 when that tag has under 90% of its uses."""
        v = self.flags.get(zlib.crc32(key), 0)
        return (v >> 27) | (32 if v & 0x80 else 0)


def static_features(forms, lex):
    """Hashes of every template that does not depend on predicted tags, per token;
    plus the keys needed by the tag-dependent ones."""
    fb = [f.encode("utf-8") for f in forms]
    n = len(fb)
    keys = [key_of(b) for b in fb]
    raws = [key_of(b, True) for b in fb]
    shapes = [shape_of(b) for b in fb]
    cc = [case_class(b) for b in fb]
    feats = []

    def K(i):
        return BOS if i < 0 else EOS if i >= n else keys[i]

    def S(i):
        return BOS if i < 0 else EOS if i >= n else shapes[i]

    for i in range(n):
        win = cc[max(0, i - 4):i + 5]
        sc = b"U" if 2 in win and 1 not in win else b"L" if 2 not in win else b"M"
        k = keys[i]
        lf = lex.get(k)
        f = [crc(0), crc(1, k), crc(2, k[-1:]), crc(3, k[-2:]), crc(4, k[-3:]), crc(5, k[-4:]),
             crc(6, k[:1]), crc(7, k[:2]), crc(8, k[:3]), crc(9, shapes[i]), crc(10, shapes[i], sc),
             crc(11, K(i - 1)), crc(12, K(i + 1)), crc(13, K(i - 2)), crc(14, K(i + 2)),
             crc(15, K(i - 1)[-3:]), crc(16, K(i + 1)[-3:]), crc(17, S(i - 1)), crc(18, S(i + 1)),
             crc(23, k, K(i + 1)), crc(24, K(i - 1), k), crc(25, raws[i], sc), crc(26, bytes([lf]), sc),
             crc(27, bytes([lex.get(K(i - 1)), lex.get(K(i + 1))])), crc(28, k[-3:], sc),
             crc(30, b"%d" % lex.c512(k)), crc(31, b"%d" % lex.c64(k)), crc(32, b"%d" % lex.c512(K(i - 1))),
             crc(33, b"%d" % lex.c512(K(i + 1))), crc(34, b"%d" % lex.c64(K(i - 1)), b"%d" % lex.c64(k)),
             crc(35, bytes([lex.td(K(i + 1))])), crc(36, bytes([lex.td(K(i + 1)), lex.td(K(i + 2))])),
             crc(37, bytes([lex.td(k)]))]
        feats.append(f)
    return feats, keys, [lex.td(K(i + 1)) for i in range(n)]


def dynamic_features(t1, t2, key, suf, td1):
    """The templates over the tags already chosen (t1 = previous, t2 = the one before; 0 =
    none, else tag id + 1)."""
    return [crc(19, bytes([t1])), crc(20, bytes([t2])), crc(21, bytes([t1, t2])), crc(22, bytes([t1]), key),
            crc(29, bytes([t1]), suf), crc(38, bytes([t1, td1]))]



# ---------------------------------------------------------------- the tagger


def tag_sentence(W, forms, lex, mask):
    feats, keys, td1 = static_features(forms, lex)
    out, t1, t2 = [], 0, 0
    for i, f in enumerate(feats):
        idx = np.array(f + dynamic_features(t1, t2, keys[i], keys[i][-3:], td1[i]), dtype=np.int64) & mask
        p = int(np.argmax(W[idx].sum(axis=0)))
        out.append(p)
        t2, t1 = t1, p + 1
    return out


def case_variant(forms, how):
    if how == "lower":
        return [f.lower() for f in forms]
    if how == "upper":
        return [f.upper() for f in forms]
    return forms


def accuracy(W, sents, lex, mask, how="as-given"):
    ok = n = 0
    for words, _ in sents:
        forms = case_variant([w["form"] for w in words], how)
        pred = tag_sentence(W, forms, lex, mask)
        for w, p in zip(words, pred):
            ok += TAGS[p] == w["upos"]
            n += 1
    return ok / max(n, 1)


def load_lexicon(data_dir):
    """Word flags from the shipped phrase lists (data/med_*.txt): words of medical
    phrases, words of drug names (@TREATMENT lines of med_drugs.txt and med_terms.txt),
    and clinical abbreviations (med_abbrev.txt)."""
    flags = {}

    def add(word, bit):
        k = key_of(word.encode("utf-8"))
        h = zlib.crc32(k)
        flags[h] = flags.get(h, 0) | bit

    for name, bit in (("med_lexicon.txt", 1), ("med_terms.txt", 1), ("med_vocab.txt", 1), ("med_drugs.txt", 4),
                      ("med_abbrev.txt", 2)):
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            continue
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line[0] in "#@":
                continue
            line = line.split("\t")[0]
            for a, b in masker_words(line):
                w = line[a:b]
                if len(w) >= 3 or bit == 2:
                    add(w, bit)
    return Lexicon(flags)


def clusters(args):
    """Distributional word clusters from unlabelled text (the corpus and the words of
    EWT train): each frequent word's left and right neighbours, PPMI, a truncated SVD,
    k-means into 512 and into 64 clusters. Writes "key<TAB>c512<TAB>c64" lines."""
    import glob
    import re
    tok = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")
    seqs = []
    for path in sorted(glob.glob(os.path.join(args.corpus, "*", "*.txt"))):
        for line in open(path, encoding="utf-8"):
            ws = tok.findall(line)
            if ws:
                seqs.append([key_of(w.encode("utf-8")) for w in ws])
    for words, _ in read_conllu(os.path.join(args.ud, "en_ewt-ud-train.conllu")):
        seqs.append([key_of(w["form"].encode("utf-8")) for w in words])
    counts = {}
    for s in seqs:
        for k in s:
            counts[k] = counts.get(k, 0) + 1
    vocab = [k for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 5][:args.vocab]
    wid = {k: i for i, k in enumerate(vocab)}
    C = args.contexts
    V = len(vocab)
    pairs = []
    for s in seqs:
        ids = [wid.get(k, -1) for k in s]
        ctx = [i if 0 <= i < C else C for i in ids]  # C = any other word
        for j, i in enumerate(ids):
            if i < 0:
                continue
            left = ctx[j - 1] if j else C + 1
            right = ctx[j + 1] if j + 1 < len(ids) else C + 1
            pairs.append(i * (2 * C + 4) + left)
            pairs.append(i * (2 * C + 4) + C + 2 + right)
    M = np.bincount(np.array(pairs, dtype=np.int64), minlength=V * (2 * C + 4)).reshape(V, 2 * C + 4).astype(np.float64)
    total = M.sum()
    pw = M.sum(1, keepdims=True) / total
    pc = M.sum(0, keepdims=True) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        P = np.log(M / total / pw / pc)
    P[~np.isfinite(P)] = 0
    P = np.maximum(P, 0).astype(np.float32)
    rs = np.random.RandomState(args.seed)
    Y = P @ rs.standard_normal((P.shape[1], args.dims + 20)).astype(np.float32)
    Q, _ = np.linalg.qr(Y)
    Bm = Q.T @ P
    Ub, S, _ = np.linalg.svd(Bm, full_matrices=False)
    E = (Q @ Ub[:, :args.dims]) * S[:args.dims]
    E /= np.linalg.norm(E, axis=1, keepdims=True) + 1e-9

    def kmeans(X, K, iters=20):
        cent = X[rs.choice(len(X), K, replace=False)]
        for _ in range(iters):
            a = np.argmax(X @ cent.T, axis=1)
            for k in range(K):
                m = X[a == k]
                cent[k] = m.mean(0) if len(m) else X[rs.randint(len(X))]
            cent /= np.linalg.norm(cent, axis=1, keepdims=True) + 1e-9
        return np.argmax(X @ cent.T, axis=1)

    a512 = kmeans(E, 512)
    a64 = kmeans(E, 64)
    with open(args.out, "w", encoding="utf-8", errors="surrogateescape") as f:
        for k, x, y in zip(vocab, a512, a64):
            f.write("%s\t%d\t%d\n" % (k.decode("utf-8", "surrogateescape"), x, y))
    print("%d sequences, %d words clustered" % (len(seqs), V), file=sys.stderr)


def train(args):
    ud = args.ud
    tr = read_conllu(os.path.join(ud, "en_ewt-ud-train.conllu"))
    dev = read_conllu(os.path.join(ud, "en_ewt-ud-dev.conllu"))
    lex = load_lexicon(args.data)
    if args.clusters:
        for line in open(args.clusters, encoding="utf-8", errors="surrogateescape"):
            k, x, y = line.rstrip("\n").split("\t")
            h = zlib.crc32(k.encode("utf-8", "surrogateescape"))
            lex.flags[h] = lex.flags.get(h, 0) | (int(x) + 1) << 8 | (int(y) + 1) << 20
    tc = {}
    for words, _ in tr:
        for w in words:
            k = key_of(w["form"].encode("utf-8"))
            tc.setdefault(k, [0] * len(TAGS))[TAG_ID[w["upos"]]] += 1
    for k, c in tc.items():
        if sum(c) >= 5:
            h, m = zlib.crc32(k), max(range(len(TAGS)), key=lambda t: c[t])
            lex.flags[h] = lex.flags.get(h, 0) | (m + 1) << 27 | (0x80 if c[m] < 0.9 * sum(c) else 0)
    rng = random.Random(args.seed)
    B = 1 << args.log2_buckets
    mask = B - 1
    T = len(TAGS)
    t0 = time.time()
    # the variants of each training sentence, features precomputed
    variants = []
    for words, toks in tr:
        forms = [w["form"] for w in words]
        tags = [TAG_ID[w["upos"]] for w in words]
        rf, rt = resegment(words, toks)
        vs = []
        for fs, ts in ((forms, tags), (rf, rt)):
            for how in ("as-given", "lower", "upper"):
                cf = case_variant(fs, how)
                feats, keys, td1 = static_features(cf, lex)
                vs.append((np.array(feats, dtype=np.int64) & mask, keys, ts, td1))
        variants.append(vs)
    print("features of %d sentences x 6 forms in %.0f s" % (len(variants), time.time() - t0), file=sys.stderr)
    W = np.zeros((B, T), dtype=np.float32)
    U = np.zeros((B, T), dtype=np.float64)
    c = 1
    best = (-1, None, 0)
    # form weights: as given / lower / upper, EWT / Masker segmentation
    g, m = args.as_given, args.masker_words
    form_w = [x * (1 - m) for x in (g, (1 - g) / 2, (1 - g) / 2)] + [x * m for x in (g, (1 - g) / 2, (1 - g) / 2)]
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(variants)))
        rng.shuffle(order)
        errs = n = 0
        for si in order:
            F, keys, gold, td1 = variants[si][rng.choices(range(6), form_w)[0]]
            t1 = t2 = 0
            for i in range(len(gold)):
                dyn = np.array(dynamic_features(t1, t2, keys[i], keys[i][-3:], td1[i]), dtype=np.int64) & mask
                idx = np.concatenate((F[i], dyn))
                p = int(np.argmax(W[idx].sum(axis=0)))
                g = gold[i]
                if p != g:
                    np.add.at(W, (idx, g), 1.0)
                    np.add.at(W, (idx, p), -1.0)
                    np.add.at(U, (idx, g), c)
                    np.add.at(U, (idx, p), -c)
                    errs += 1
                n += 1
                c += 1
                t2, t1 = t1, (p if args.predicted_history else g) + 1
        A = (W - U / c).astype(np.float32)
        acc = accuracy(A, dev, lex, mask)
        print("epoch %d: train errors %.2f%%, dev %.4f (%.0f s)" % (epoch, 100.0 * errs / n, acc, time.time() - t0),
              file=sys.stderr)
        if acc > best[0]:
            best = (acc, A, epoch)
    acc, A, epoch = best
    Q, lut = quantize(A, args.weight_bytes)
    Aq = lut[Q.astype(np.int64) + 128] if lut is not None else Q.astype(np.int64)
    report = {"epoch": epoch, "dev": accuracy(Aq, dev, lex, mask)}
    for how in ("lower", "upper"):
        report["dev-" + how] = accuracy(Aq, dev, lex, mask, how)
    if args.report_test:
        te = read_conllu(os.path.join(ud, "en_ewt-ud-test.conllu"))
        for how in ("as-given", "lower", "upper"):
            report["test-" + how] = accuracy(Aq, te, lex, mask, how)
    print("chosen: " + ", ".join("%s %s" % (k, v if isinstance(v, int) else "%.4f" % v) for k, v in report.items()),
          file=sys.stderr)
    write_model(args.out, Q, lut, args.log2_buckets, lex)


def quantize(A, weight_bytes, rng=2000.0):
    """int16 weights (one scale), or int8 codes into a table of 256 int32 levels spaced
    exponentially (a perceptron's weights span several decades: a linear int8 scale
    loses the small ones). Returns (Q, lut or None); lut[q + 128] is code q's value."""
    if weight_bytes == 2:
        scale = float(np.abs(A).max()) / 32767.0
        return np.round(A / scale).astype(np.int16), None
    top = float(np.abs(A).max())
    # level(k) = step * (r^k - 1) / (r - 1), k = 0..127: level(1) = step, level(127) = top
    lo, hi = 1.0 + 1e-9, 2.0
    for _ in range(100):  # r such that level(127) / level(1) = rng
        r = (lo + hi) / 2
        if (r ** 127 - 1) / (r - 1) > rng:
            hi = r
        else:
            lo = r
    k = np.arange(128)
    levels = (r ** k - 1) / (r - 1) / ((r ** 127 - 1) / (r - 1)) * top  # level(127) = top
    unit = 16.0 / levels[1]  # the smallest step is 16 in the integer table
    ilev = np.round(levels * unit).astype(np.int64)
    a = np.abs(A).ravel()
    idx = np.clip(np.searchsorted(levels, a), 1, 127)
    pick = np.where(a - levels[idx - 1] < levels[idx] - a, idx - 1, idx)
    Q = (np.sign(A).ravel() * pick).astype(np.int8).reshape(A.shape)
    lut = np.zeros(256, dtype=np.int64)
    for q in range(-127, 128):
        lut[q + 128] = np.sign(q) * ilev[abs(q)]
    return Q, lut


def write_model(path, Q, lut, log2, lex):
    items = sorted(lex.flags.items())
    wb = 1 if Q.dtype == np.int8 else 2
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<IIIII", len(TAGS), log2, len(items), N_TEMPLATES, wb))
        f.write(b"\0" * 20)
        for t in TAGS:
            f.write(t.encode().ljust(8, b"\0"))
        if wb == 1:
            f.write(lut.astype("<i4").tobytes())
        for h, fl in items:
            f.write(struct.pack("<II", h, fl))
        f.write(Q.astype("<i1" if wb == 1 else "<i2").tobytes())


def read_model(path):
    """The weights as exact integers (the tagger sums integers, as ner.c does)."""
    b = open(path, "rb").read()
    assert b[:8] == MAGIC, "not a tagger file"
    n_tags, log2, n_words, n_tpl, wb = struct.unpack_from("<IIIII", b, 8)
    assert n_tpl == N_TEMPLATES, "the file has other features"
    off = 8 + 20 + 20
    tags = [b[off + 8 * i:off + 8 * i + 8].rstrip(b"\0").decode() for i in range(n_tags)]
    off += 8 * n_tags
    lut = None
    if wb == 1:
        lut = np.frombuffer(b, dtype="<i4", count=256, offset=off).astype(np.int64)
        off += 1024
    flags = {}
    for i in range(n_words):
        h, fl = struct.unpack_from("<II", b, off + 8 * i)
        flags[h] = fl
    off += 8 * n_words
    Q = np.frombuffer(b, dtype="<i1" if wb == 1 else "<i2", count=(1 << log2) * n_tags, offset=off)
    Q = Q.reshape(1 << log2, n_tags).astype(np.int64)
    return (lut[Q + 128] if wb == 1 else Q), tags, Lexicon(flags), (1 << log2) - 1


def tag_file(model, conllu):
    """The reference tagger over a CoNLL-U file's FORM column: one tag a word line."""
    W, tags, lex, mask = read_model(model)
    for words, _ in read_conllu(conllu):
        for p in tag_sentence(W, [w["form"] for w in words], lex, mask):
            print(tags[p])


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--ud", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "ud"))
    t.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data"))
    t.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "pos_ewt.srp"))
    t.add_argument("--epochs", type=int, default=8)
    t.add_argument("--log2-buckets", type=int, default=17)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--report-test", action="store_true")
    t.add_argument("--weight-bytes", type=int, default=1, choices=(1, 2))
    t.add_argument("--as-given", type=float, default=0.6, help="share of sentences seen with their own casing")
    t.add_argument("--masker-words", type=float, default=0.5, help="share of sentences cut as the Masker cuts")
    t.add_argument("--predicted-history", action="store_true")
    t.add_argument("--clusters", help="the output of the clusters command")
    c = sub.add_parser("clusters")
    c.add_argument("--ud", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "ud"))
    c.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus"))
    c.add_argument("--out", required=True)
    c.add_argument("--vocab", type=int, default=30000)
    c.add_argument("--contexts", type=int, default=1000)
    c.add_argument("--dims", type=int, default=80)
    c.add_argument("--seed", type=int, default=1)
    g = sub.add_parser("tag")
    g.add_argument("model")
    g.add_argument("conllu")
    a = ap.parse_args()
    if a.cmd == "train":
        train(a)
    elif a.cmd == "clusters":
        clusters(a)
    else:
        tag_file(a.model, a.conllu)


if __name__ == "__main__":
    main()
