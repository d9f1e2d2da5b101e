#!/usr/bin/env python3
"""An independent scorer for `sr eval` (stdlib only), written from the definitions in
the README's "sr eval" section, not from mlm.c.

usage: eval_ref.py ORIGINALS.jsonl SYNTHETIC.jsonl PRED.jsonl DATA_DIR > result.json

Prints one JSON object with the keys of `sr eval --json` (ORIGINALS may carry gold
"phi" and "med" spans; PRED holds {"id","spans"} predicted PHI, as sr deid --jsonl).
How it differs from the C on purpose: regular expressions and Python's own str.lower()
for ROUGE tokens, Counter n-grams, full dynamic-programming tables for both LCS (the C
uses a bit-vector algorithm), sentence ends found by regular expression, Python string
search for the re-identification check.
"""
import bisect
import json
import math
import re
import sys
import unicodedata
from collections import Counter

TOP_N = [5, 10, 20, 50, 100]

# Unicode White_Space
WHITE_SPACE = set([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) +
                  [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def is_space(c):
    return ord(c) in WHITE_SPACE


def word_char(c):
    """Not white space, not punctuation (ASCII or P*), not removed by BERT's clean_text."""
    o = ord(c)
    if o < 128:
        return c.isalnum()
    if o in WHITE_SPACE or c == "\ufffd":
        return False
    cat = unicodedata.category(c)
    return not (cat[0] == "P" or cat in ("Cc", "Cf", "Co", "Cs"))


def words(text):
    """[(start, end, string)] maximal runs of word characters (code points)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if word_char(text[i]):
            j = i
            while j < n and word_char(text[j]):
                j += 1
            out.append((i, j, text[i:j]))
            i = j
        else:
            i += 1
    return out


# ---- ROUGE, as google rouge_score's defaults (tokenize.py, rouge_scorer.py) ----

def rouge_tokens(text):
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return [t for t in re.split(r"\s+", text) if re.match(r"^[a-z0-9]+$", t)]


def f_measure(inter, n_pred, n_target):
    p = inter / max(n_pred, 1)
    r = inter / max(n_target, 1)
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def ngrams(toks, n):
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def rouge_n(target, pred, n):
    t, p = ngrams(target, n), ngrams(pred, n)
    inter = sum(min(c, p[g]) for g, c in t.items())
    return f_measure(inter, sum(p.values()), sum(t.values()))


def lcs_table(a, b):
    rows, cols = len(a), len(b)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        ai, prev, cur = a[i - 1], table[i - 1], table[i]
        for j in range(1, cols + 1):
            if ai == b[j - 1]:
                cur[j] = prev[j - 1] + 1
            else:
                cur[j] = prev[j] if prev[j] >= cur[j - 1] else cur[j - 1]
    return table


def rouge_l(target, pred):
    if not target or not pred:
        return 0.0
    lcs = lcs_table(target, pred)[-1][-1]
    return f_measure(lcs, len(pred), len(target))


# ---- the word alignment ----

def align(a, b):
    """match[i] = index in b of the word matched to a[i], or -1: LCS traced back from
    the end; equal words match, else step back in a when that keeps the LCS length."""
    match = [-1] * len(a)
    if not a or not b:
        return match
    L = lcs_table(a, b)
    i, j = len(a), len(b)
    while i > 0 and j > 0:
        if a[i - 1] == b[j - 1]:
            match[i - 1] = j - 1
            i -= 1
            j -= 1
        elif L[i - 1][j] >= L[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return match


# ---- readability ----

def syllables(word):
    letters = "".join(c.lower() for c in word if c.isascii() and c.isalpha())
    n = len(re.findall(r"[aeiouy]+", letters))
    if (len(letters) >= 2 and letters[-1] == "e" and letters[-2] not in "aeiouy"
            and not (letters[-2] == "l" and len(letters) >= 3 and letters[-3] not in "aeiouy")):
        n -= 1
    return max(1, n)


def readability(text):
    ws = words(text)
    bounds = []
    for m in re.finditer(r"[.!?]+", text):
        if m.end() == len(text) or is_space(text[m.end()]):
            bounds.append(m.start())
    for m in re.finditer(r"\n(?=[ \t\r]*\n)", text):
        bounds.append(m.start())
    bounds.sort()
    segments = set(bisect.bisect_right(bounds, s) for s, _, _ in ws)
    syl = [syllables(w) for _, _, w in ws]
    c = {"words": len(ws), "sentences": len(segments), "syllables": sum(syl),
         "polysyllables": sum(1 for s in syl if s >= 3)}
    W, S, Y, P = c["words"], c["sentences"], c["syllables"], c["polysyllables"]
    if W == 0:
        c.update(flesch_reading_ease=None, flesch_kincaid_grade=None, smog=None)
    else:
        c["flesch_reading_ease"] = 206.835 - 1.015 * (W / S) - 84.6 * (Y / W)
        c["flesch_kincaid_grade"] = 0.39 * (W / S) + 11.8 * (Y / W) - 15.59
        c["smog"] = 1.0430 * math.sqrt(P * (30 / S)) + 3.1291
    return c


# ---- top-N overlap ----

def top_list(counter):
    return [w for w, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def overlap(ca, cb):
    a, b = top_list(ca), top_list(cb)
    out = {}
    for n in TOP_N:
        x, y = a[:n], b[:n]
        out[str(n)] = None if not x and not y else len(set(x) & set(y)) / max(len(x), len(y))
    return out


# ---- PHI and re-identification ----

def fold(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def occurrences(hay, needle, exclude):
    n, count, i = len(needle), 0, hay.find(needle)
    while i >= 0:
        ok = True
        if word_char(needle[0]) and i > 0 and word_char(hay[i - 1]):
            ok = False
        if word_char(needle[-1]) and i + n < len(hay) and word_char(hay[i + n]):
            ok = False
        if any(i < b and a < i + n for a, b in exclude):
            ok = False
        count += ok
        i = hay.find(needle, i + 1)
    return count


def ratio(a, b):
    return a / b if b else None


def main(argv):
    orig_path, syn_path, pred_path, data_dir = argv[1:5]

    def load(path):
        recs = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    recs.append(json.loads(line))
        return recs

    def key(rec, index):
        v = rec.get("id", index)
        return v if isinstance(v, str) else json.dumps(v)

    non_hipaa, med_types = set(), set()
    for line in open(data_dir + "/eval_types.txt", encoding="utf-8"):
        line = line.split("#")[0].split()
        if line:
            (non_hipaa if line[0] == "non-hipaa" else med_types).add(line[1].lower())
    stop = set(w.strip() for w in open(data_dir + "/eval_stopwords_en.txt", encoding="utf-8") if w.strip())

    origs = load(orig_path)
    syns = {key(r, i): r for i, r in enumerate(load(syn_path))}
    preds = {key(r, i): r for i, r in enumerate(load(pred_path))}

    used = set()
    missing, errors, docs = [], [], []
    tok_gold, tok_found, span_gold, span_found, fp_by = Counter(), Counter(), Counter(), Counter(), Counter()
    phi_docs = reid_gold = reid_pred = 0
    reid_strings = reid_surv = 0
    rouge_sum = [0.0, 0.0, 0.0]
    read_o, read_s = [], []
    corpus_o, corpus_s = Counter(), Counter()
    med_docs = ent_gold = ent_kept = 0
    all_words = all_changed = 0

    for index, o in enumerate(origs):
        k = key(o, index)
        id_value = o.get("id", index)
        if k not in syns:
            missing.append(id_value)
            continue
        s = syns[k]
        used.add(k)
        if "error" in s or "text" not in s:
            errors.append({"id": id_value, "error": s.get("error", "no text")})
            continue
        ot, st = o["text"], s["text"]
        pred = preds[k].get("spans", preds[k].get("phi", []))
        d = {"id": id_value}
        # ROUGE
        rt_o, rt_s = rouge_tokens(ot), rouge_tokens(st)
        d["rouge1"] = rouge_n(rt_o, rt_s, 1)
        d["rouge2"] = rouge_n(rt_o, rt_s, 2)
        d["rougeL"] = rouge_l(rt_o, rt_s)
        for i, name in enumerate(("rouge1", "rouge2", "rougeL")):
            rouge_sum[i] += d[name]
        # alignment: changed words, entities
        wo, ws = words(ot), words(st)
        match = align([w for _, _, w in wo], [w for _, _, w in ws])
        d["words"] = len(wo)
        d["changed"] = sum(1 for m in match if m < 0)
        all_words += d["words"]
        all_changed += d["changed"]
        eg = ek = 0
        if "med" in o:
            med_docs += 1
        for sp in o.get("med", []):
            a, b = sp["start"], sp["end"]
            idx = [i for i, (ws_, we_, _) in enumerate(wo) if we_ > a and ws_ < b]
            if not idx:
                continue
            eg += 1
            if any(match[i] < 0 for i in idx) or any(match[idx[t + 1]] != match[idx[t]] + 1 for t in range(len(idx) - 1)):
                continue
            first, last = idx[0], idx[-1]
            a2 = ws[match[first]][0] + (a - wo[first][0])
            b2 = ws[match[last]][1] + (b - wo[last][1])
            if a2 >= 0 and b2 <= len(st) and b2 - a2 == b - a and st[a2:b2] == ot[a:b]:
                ek += 1
        d["entities_gold"], d["entities_kept"] = eg, ek
        ent_gold += eg
        ent_kept += ek
        # re-identification
        ref = o["phi"] if "phi" in o else pred
        if "phi" in o:
            reid_gold += 1
        else:
            reid_pred += 1
        fo, fs = fold(ot), fold(st)
        spans = [(sp["start"], sp["end"]) for sp in ref]
        n_str = n_surv = 0
        for a, b in spans:
            needle = fo[a:b]
            if not any(word_char(c) for c in needle):
                continue
            n_str += 1
            n_surv += occurrences(fs, needle, []) > occurrences(fo, needle, spans)
        d["reid_strings"], d["reid_surviving"] = n_str, n_surv
        reid_strings += n_str
        reid_surv += n_surv
        # readability
        ro, rs = readability(ot), readability(st)
        d["readability"] = {"original": ro, "synthetic": rs}
        if ro["words"]:
            read_o.append(ro)
        if rs["words"]:
            read_s.append(rs)
        # overlap
        co = Counter(t for t in rt_o if t not in stop)
        cs = Counter(t for t in rt_s if t not in stop)
        corpus_o.update(co)
        corpus_s.update(cs)
        d["overlap"] = overlap(co, cs)
        # PHI tokens and spans
        if "phi" in o:
            phi_docs += 1
            n = len(ot)
            gtype, masked = [None] * n, [None] * n
            for sp in o["phi"]:
                for c in range(sp["start"], sp["end"]):
                    gtype[c] = sp["type"]
            for sp in pred:
                for c in range(max(0, sp["start"]), min(n, sp["end"])):
                    masked[c] = sp["type"]
            dt = df = dfp = 0
            for m in re.finditer(r"[A-Za-z0-9]+", ot):
                a, b = m.start(), m.end()
                g = [gtype[c] for c in range(a, b) if gtype[c] is not None]
                if g:
                    tok_gold[g[0]] += 1
                    dt += 1
                    if all(masked[c] is not None for c in range(a, b)):
                        tok_found[g[0]] += 1
                        df += 1
                else:
                    mt = [masked[c] for c in range(a, b) if masked[c] is not None]
                    if mt:
                        fp_by[mt[0]] += 1
                        dfp += 1
            ds = dsf = 0
            for sp in o["phi"]:
                span_gold[sp["type"]] += 1
                ds += 1
                if any(p["start"] < sp["end"] and sp["start"] < p["end"] for p in pred):
                    span_found[sp["type"]] += 1
                    dsf += 1
            d["phi"] = {"tokens": dt, "found": df, "false_positives": dfp, "spans": ds, "spans_found": dsf}
        else:
            d["phi"] = None
        docs.append(d)

    extra = [r.get("id", i) for i, r in enumerate(load(syn_path)) if key(r, i) not in used]
    pairs = len(docs)

    def block(types):
        t = sum(tok_gold[x] for x in types)
        f = sum(tok_found[x] for x in types)
        fp = sum(fp_by.values())
        s = sum(span_gold[x] for x in types)
        sf = sum(span_found[x] for x in types)
        return {"tokens": t, "found": f, "token_recall": ratio(f, t), "token_precision": ratio(f, f + fp),
                "spans": s, "spans_found": sf, "span_recall": ratio(sf, s)}

    phi = None
    if phi_docs:
        gold_types = [t for t in span_gold if span_gold[t] > 0]
        phi = {"documents": phi_docs, "false_positives": sum(fp_by.values())}
        phi.update(block(gold_types))
        phi["hipaa"] = block([t for t in gold_types if t.lower() not in non_hipaa])
        phi["per_type"] = [{"type": t, "hipaa": t.lower() not in non_hipaa, "tokens": tok_gold[t], "found": tok_found[t],
                            "token_recall": ratio(tok_found[t], tok_gold[t]), "spans": span_gold[t],
                            "spans_found": span_found[t], "span_recall": ratio(span_found[t], span_gold[t])}
                           for t in sorted(gold_types, key=lambda t: (-tok_gold[t], t))]
        phi["false_positives_by_type"] = [{"type": t, "tokens": c} for t, c in
                                          sorted(fp_by.items(), key=lambda kv: (-kv[1], kv[0])) if c > 0]

    def mean(rows, k):
        return sum(r[k] for r in rows) / len(rows) if rows else None

    out = {
        "documents": {"originals": len(origs), "synthetic": len(syns), "pairs": pairs, "missing": missing,
                      "extra": extra, "errors": errors},
        "phi": phi,
        "reid_risk": {"reference": "gold" if reid_pred == 0 else "predicted" if reid_gold == 0 else "mixed",
                      "strings": reid_strings, "surviving": reid_surv, "risk": ratio(reid_surv, reid_strings)},
        "rouge": {"pairs": pairs, "rouge1": rouge_sum[0] / pairs if pairs else None,
                  "rouge2": rouge_sum[1] / pairs if pairs else None, "rougeL": rouge_sum[2] / pairs if pairs else None},
        "readability": {side: {"documents": len(rows), "flesch_reading_ease": mean(rows, "flesch_reading_ease"),
                               "flesch_kincaid_grade": mean(rows, "flesch_kincaid_grade"), "smog": mean(rows, "smog")}
                        for side, rows in (("original", read_o), ("synthetic", read_s))},
        "overlap": overlap(corpus_o, corpus_s),
        "entities": {"documents": med_docs, "gold": ent_gold, "kept": ent_kept, "share": ratio(ent_kept, ent_gold)}
        if med_docs else None,
        "changed": {"words": all_words, "changed": all_changed, "share": ratio(all_changed, all_words)},
        "per_document": docs,
    }
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
