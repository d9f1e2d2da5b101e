#!/usr/bin/env python3
"""Test data and checks for `sr eval` (stdlib only). Every name and number is invented.

  eval_cases.py gen DIR            DIR/orig.jsonl, syn.jsonl, pred.jsonl: 240 generated
                                   pairs (empty, one-word, Unicode, letter-like, long),
                                   plus one missing, one extra and one error record
  eval_cases.py compare GOT REF [LABEL]  every value of two `sr eval --json`-shaped objects
                                   equal (numbers to 1e-6); PASS/FAIL lines per section
  eval_cases.py hand DIR           DIR/hand_orig.jsonl, hand_syn.jsonl, hand_pred.jsonl
  eval_cases.py hand-check GOT     the hand-computed values (below) against sr's JSON
  eval_cases.py folders DIR        the first 30 pairs as i2b2 XML / BRAT folders, and as JSONL
  eval_cases.py example LETTER PHI.json MED.json OUT   the example letter, gold phi + med
  eval_cases.py letters N DIR      N letter pairs like data/example_letter.txt, for speed
  eval_cases.py sweep-rerun RESULTS RERUN   the sweep's run (rounds:2, ratio 1.0) in its
                                   results.json equals RERUN (sr eval --json of that run's
                                   synthetic letters): rouge, reid_risk, overlap, entities,
                                   changed, readability
  eval_cases.py similarity GOT REF  sr eval -m's similarity (GOT, --json) against
                                   test/checks/eval_similarity_ref.py's (REF): precision, recall,
                                   F1 overall and per document to 1e-5, the same pairs
"""
import json
import math
import random
import sys

VOCAB = ("the patient was seen in clinic today with chest pain and breathlessness on exertion "
         "he reports mild ankle swelling no fever blood pressure pulse regular examination "
         "showed a soft systolic murmur heart sounds normal chest clear abdomen soft "
         "plan increase bisoprolol review renal function potassium in two weeks follow up "
         "echocardiogram ejection fraction impaired left ventricular hypertension diabetes "
         "mellitus chronic kidney disease stage aspirin atorvastatin metformin once daily "
         "twice at night she her his they discharged admitted stable improving worse "
         "oedema pitting bilateral ultrasound angiogram stent coronary artery anaemia "
         "haemoglobin creatinine sodium recommended rehabilitation unfortunately beautiful "
         "extraordinary table whale rhythm syzygy queue free apple make the be idea").split()
NAMES = ["Quenby", "Aldwyn", "Marisol", "Tobiah", "Ottoline", "Ferrix", "Brannagh", "Isolde", "Caddick", "Wrenna"]
PLACES = ["Harrowgate General", "Bellmere", "Oakhurst Lane", "Stonebridge"]
UNICODE = ["café", "naïve", "Zürich", "Ångström", "straße", "Ελλάδα", "Москва", "日本語", "中文病历",
           "résumé", "e\u0301clair", "İzmir", "\u212Aelvin", "ﬁne", "O’Neill", "co‑operate", "—", "…", "😀",
           "µg", "37°C", "±2", "½", "\u00a0", "\u2028", "naïveté", "ÆSIR", "ǅemal", "ﬀ"]
PHI_TYPES = ["NAME", "DATE", "DOCTOR", "PHONE", "ID", "HOSPITAL", "YEAR", "DateYear", "CITY", "AGE"]
MED_TYPES = ["PROBLEM", "DRUG", "TEST"]


def make_text(rng, n_words, unicode_share=0.0):
    out = []
    for i in range(n_words):
        r = rng.random()
        if r < unicode_share:
            w = rng.choice(UNICODE)
        elif r < unicode_share + 0.08:
            w = rng.choice(NAMES)
        elif r < unicode_share + 0.12:
            w = str(rng.randint(1, 99999))
        elif r < unicode_share + 0.14:
            w = "%02d/%02d/%04d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(1930, 2030))
        else:
            w = rng.choice(VOCAB)
            c = rng.random()
            if c < 0.1:
                w = w.capitalize()
            elif c < 0.13:
                w = w.upper()
        out.append(w)
        p = rng.random()
        if p < 0.07:
            out.append(".")
        elif p < 0.1:
            out.append(",")
        elif p < 0.11:
            out.append("?!")
        elif p < 0.12:
            out.append(":")
        if rng.random() < 0.04:
            out.append("\n\n" if rng.random() < 0.5 else "\n")
        elif i < n_words - 1:
            out.append(" ")
    text = "".join(out)
    # glue punctuation to the word before, as letters do
    return text.replace(" .", ".").replace(" ,", ",")


def perturb(rng, text, share, keep_phi=()):
    """A synthetic letter: a share of the words replaced (some by an original PHI string),
    a few deleted or inserted, spacing kept."""
    pieces, at = [], 0
    for a, b in word_spans(text):
        pieces.append(text[at:a])
        w = text[a:b]
        r = rng.random()
        if r < share:
            if keep_phi and rng.random() < 0.1:
                w = rng.choice(keep_phi)
            else:
                w = rng.choice(VOCAB)
                if text[a].isupper():
                    w = w.capitalize()
        elif r < share + 0.02:
            w = ""
        elif r < share + 0.04:
            w = w + " " + rng.choice(VOCAB)
        pieces.append(w)
        at = b
    pieces.append(text[at:])
    return "".join(pieces)


def word_spans(text):
    spans, i, n = [], 0, len(text)
    while i < n:
        if text[i].isalnum():
            j = i
            while j < n and text[j].isalnum():
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def random_spans(rng, text, k, types):
    ws = word_spans(text)
    out = []
    if not ws:
        return out
    for _ in range(k):
        a = rng.randrange(len(ws))
        b = min(len(ws) - 1, a + rng.choice([0, 0, 0, 1, 2]))
        s, e = ws[a][0], ws[b][1]
        r = rng.random()
        if r < 0.1 and e - s > 2:
            s += 1          # starts inside a word
        elif r < 0.2 and s > 0:
            s -= 1          # takes the character before
        elif r < 0.25 and e < len(text):
            e += 1
        out.append({"start": s, "end": e, "type": rng.choice(types)})
    return out


def predictions(rng, text, gold):
    pred = []
    for g in gold:
        r = rng.random()
        if r < 0.7:
            pred.append(dict(g))
        elif r < 0.8 and g["end"] - g["start"] > 1:
            pred.append({"start": g["start"], "end": g["end"] - 1, "type": g["type"]})
        elif r < 0.9:
            pred.append({"start": g["start"], "end": min(len(text), g["end"] + 3), "type": "NAME"})
    pred += random_spans(rng, text, rng.randint(0, 3), ["NAME", "DATE", "ID"])
    return pred


def gen(d):
    rng = random.Random(13)
    origs, syns, preds = [], [], []

    def add(i, text, syn, gold=None, med=None, pred=None, ident=None):
        rec = {"id": ident if ident is not None else "doc-%03d" % i, "text": text}
        if gold is not None:
            rec["phi"] = gold
        if med is not None:
            rec["med"] = med
        origs.append(rec)
        syns.append({"id": rec["id"], "text": syn})
        preds.append({"id": rec["id"], "spans": pred if pred is not None else predictions(rng, text, gold or [])})

    i = 0
    # empty and one-word documents
    for o, s in [("", ""), ("", "word"), ("word", ""), ("Word", "word"), ("oedema", "oedema"), ("a", "b"),
                 ("the", "the"), ("  \n ", " "), ("...", "!"), ("café", "cafe"), ("İzmir", "izmir"),
                 ("\u212Aelvin", "kelvin"), ("日本語", "日本語"), ("😀", "😀")]:
        gold = [{"start": 0, "end": len(o), "type": "NAME"}] if o.strip() and i % 2 else []
        med = [{"start": 0, "end": len(o), "type": "PROBLEM"}] if o.strip() and i % 3 == 0 else []
        add(i, o, s, gold, med, [dict(g) for g in gold])
        i += 1
    # Unicode-heavy, short
    while i < 60:
        t = make_text(rng, rng.randint(2, 40), unicode_share=0.35)
        gold = random_spans(rng, t, rng.randint(0, 4), PHI_TYPES)
        keep = [t[g["start"]:g["end"]] for g in gold]
        add(i, t, perturb(rng, t, rng.choice([0.0, 0.2, 0.5, 1.0]), keep), gold, random_spans(rng, t, rng.randint(0, 3), MED_TYPES))
        i += 1
    # letter-like, with gold PHI and med; some without gold PHI (reference = predicted)
    while i < 230:
        t = make_text(rng, rng.randint(40, 400), unicode_share=0.02)
        gold = random_spans(rng, t, rng.randint(0, 12), PHI_TYPES)
        keep = [t[g["start"]:g["end"]] for g in gold]
        syn = perturb(rng, t, rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]), keep)
        med = random_spans(rng, t, rng.randint(0, 10), MED_TYPES)
        if i % 10 == 0:
            add(i, t, syn, None, med)
        elif i % 10 == 1:
            add(i, t, syn, gold, None)
        else:
            add(i, t, syn, gold, med)
        i += 1
    # long documents (the bit-vector LCS over many words), integer ids
    while i < 240:
        t = make_text(rng, rng.randint(1000, 1600))
        gold = random_spans(rng, t, 20, PHI_TYPES)
        add(i, t, perturb(rng, t, 0.4, [t[g["start"]:g["end"]] for g in gold]), gold, random_spans(rng, t, 15, MED_TYPES), ident=10000 + i)
        i += 1
    # a missing synthetic letter, an extra one, an error record
    origs.append({"id": "only-original", "text": "Seen today."})
    preds.append({"id": "only-original", "spans": []})
    syns.append({"id": "only-synthetic", "text": "Nobody."})
    origs.append({"id": "failed", "text": "Seen today."})
    preds.append({"id": "failed", "spans": []})
    syns.append({"id": "failed", "error": "letter of 9 bytes is longer than --max-bytes 1"})
    for name, recs in (("orig", origs), ("syn", syns), ("pred", preds)):
        with open("%s/%s.jsonl" % (d, name), "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("generated %d originals, %d synthetic records" % (len(origs), len(syns)))


def compare(got_path, ref_path, label="eval_ref.py"):
    got, ref = json.load(open(got_path, encoding="utf-8")), json.load(open(ref_path, encoding="utf-8"))
    problems = {}

    def walk(a, b, path, section):
        if isinstance(b, dict):
            if isinstance(a, dict) and path == "phi":  # where predictions came from: a path
                a = {k: v for k, v in a.items() if k != "source"}
                b = {k: v for k, v in b.items() if k != "source"}
            if not isinstance(a, dict) or set(a) != set(b):
                problems.setdefault(section, []).append("%s: keys %s vs %s" % (path, sorted(a) if isinstance(a, dict) else a, sorted(b)))
                return
            for k in b:
                walk(a[k], b[k], path + "." + k if path else k, section)
        elif isinstance(b, list):
            if not isinstance(a, list) or len(a) != len(b):
                problems.setdefault(section, []).append("%s: %d vs %d items" % (path, len(a) if isinstance(a, list) else -1, len(b)))
                return
            for k, (x, y) in enumerate(zip(a, b)):
                walk(x, y, "%s.%d" % (path, k), section)
        elif isinstance(b, bool) or isinstance(b, str) or b is None:
            if a != b:
                problems.setdefault(section, []).append("%s: %r vs %r" % (path, a, b))
        else:
            if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a) or abs(a - b) > 1e-6:
                problems.setdefault(section, []).append("%s: %r vs %r" % (path, a, b))

    sections = ["documents", "phi", "reid_risk", "rouge", "readability", "overlap", "entities", "changed"]
    for s in sections:
        walk(got.get(s), ref.get(s), s, s)
    # per document, by metric
    pd_got, pd_ref = got.get("per_document", []), ref.get("per_document", [])
    if len(pd_got) != len(pd_ref):
        problems.setdefault("per_document", []).append("%d vs %d documents" % (len(pd_got), len(pd_ref)))
    else:
        for k, (x, y) in enumerate(zip(pd_got, pd_ref)):
            for key in y:
                sec = "per_document " + ("reid" if key.startswith("reid") else "entities" if key.startswith("entities") else
                                         "rouge" if key.startswith("rouge") else "changed" if key in ("words", "changed") else key)
                walk(x.get(key), y[key], "per_document.%d(%s).%s" % (k, y["id"], key), sec)
    n = len(pd_ref)
    for s in sections + sorted(set(k for k in problems if k.startswith("per_document")) |
                                {"per_document rouge", "per_document reid", "per_document entities", "per_document changed",
                                 "per_document readability", "per_document overlap", "per_document phi"}):
        if s in problems:
            print("FAIL sr eval %s vs %s: %d differences, e.g. %s" % (s, label, len(problems[s]), "; ".join(problems[s][:3])))
        else:
            print("PASS sr eval %s equals %s (%d pairs, numbers to 1e-6)" % (s, label, n))


# ---- hand-computed cases ----
# 1. "The cat sat on the mat." / "The cat lay on the mat."
#    ROUGE tokens: the cat sat on the mat / the cat lay on the mat (6 each)
#    common 5 (the x2, cat, on, mat) -> P = R = 5/6, F = 0.833333
#    bigrams the-cat cat-sat sat-on on-the the-mat / the-cat cat-lay lay-on on-the the-mat
#         common 3 -> 3/5 = 0.6;  R-L: LCS "the cat on the mat" = 5 -> 5/6
#    words 6, changed 1 ("sat"); readability: 6 words, 1 sentence, 6 syllables, 0 poly:
#    FRE = 206.835 - 1.015*6 - 84.6*1 = 116.145; FKGL = 0.39*6 + 11.8 - 15.59 = -1.45;
#    SMOG = 1.043*sqrt(0) + 3.1291 = 3.1291
#    overlap (stop words "the", "on" removed): orig cat sat mat, syn cat lay mat:
#    top-5 = all three each, common 2 -> 2/3
# 2. "Hypertension. Diabetes! Table?" -> words 3, sentences 3; syllables
#    hy-per-ten-sion: groups y,e,e,io = 4; di-a-be-tes: ia,e,e = 3; table: a,e = 2 (le after b)
#    Y = 9, P = 2 (4 and 3) -> FRE = 206.835 - 1.015*1 - 84.6*3 = -48.0; FKGL = 0.39 + 35.4 - 15.59
#    = 20.2; SMOG = 1.043*sqrt(2*30/3) + 3.1291 = 1.043*sqrt(20) + 3.1291 = 7.793554
# 3. Re-identification: original "Mr Quenby saw Quenby's son. quenby" with gold PHI on the
#    first "Quenby" only ([3, 9)); synthetic "Mr Aldwyn saw Quenby's son. Quenbys".
#    "quenby" in the synthetic on word boundaries: "Quenby's" (the ' is punctuation) = 1
#    ("Quenbys" is not on a boundary); in the original outside the PHI span: "Quenby's"
#    and "quenby" = 2 -> 1 > 2 is false: does not survive. strings 1, surviving 0.
#    Synthetic "Mr QUENBY saw Quenby's son. quenby" -> 3 > 2: survives (1 of 1).
# 4. Entities: original "Known type 2 diabetes mellitus, on metformin." gold med
#    [11, 30) "2 diabetes mellitus" and [35, 44) "metformin";
#    synthetic "Known type 2 diabetes mellitus, on insulin." -> first kept, second not:
#    gold 2, kept 1; words changed 1 of 7.
# 5. PHI tokens: "Call Dr Ferrix on 01632 960482 today" gold [8, 14) DOCTOR, [18, 30) PHONE;
#    predicted [5, 14) NAME and [18, 23) PHONE: tokens Ferrix (found: 8..14 all masked),
#    01632 (found), 960482 (not masked: missed); "Dr" masked but not gold: 1 false
#    positive. token recall 2/3, precision 2/(2+1); span recall 2/2.
HAND = [
    ("cat", "The cat sat on the mat.", "The cat lay on the mat.", {}, {}, []),
    ("read", "Hypertension. Diabetes! Table?", "Hypertension. Diabetes! Table?", {}, {}, []),
    ("reid1", "Mr Quenby saw Quenby's son. quenby", "Mr Aldwyn saw Quenby's son. Quenbys",
     {"phi": [{"start": 3, "end": 9, "type": "NAME"}]}, {}, []),
    ("reid2", "Mr Quenby saw Quenby's son. quenby", "Mr QUENBY saw Quenby's son. quenby",
     {"phi": [{"start": 3, "end": 9, "type": "NAME"}]}, {}, []),
    ("ent", "Known type 2 diabetes mellitus, on metformin.", "Known type 2 diabetes mellitus, on insulin.",
     {"med": [{"start": 11, "end": 30, "type": "PROBLEM"}, {"start": 35, "end": 44, "type": "DRUG"}]}, {}, []),
    ("phi", "Call Dr Ferrix on 01632 960482 today", "Call Dr Brannagh on 07700 900123 today",
     {"phi": [{"start": 8, "end": 14, "type": "DOCTOR"}, {"start": 18, "end": 30, "type": "PHONE"}]}, {},
     [{"start": 5, "end": 14, "type": "NAME"}, {"start": 18, "end": 23, "type": "PHONE"}]),
]
EXPECT = {
    "cat": {"rouge1": 5 / 6, "rouge2": 0.6, "rougeL": 5 / 6, "words": 6, "changed": 1,
            "readability.original.flesch_reading_ease": 116.145, "readability.original.flesch_kincaid_grade": -1.45,
            "readability.original.smog": 3.1291, "readability.original.sentences": 1, "overlap.5": 2 / 3},
    "read": {"readability.original.words": 3, "readability.original.sentences": 3, "readability.original.syllables": 9,
             "readability.original.polysyllables": 2, "readability.original.flesch_reading_ease": 206.835 - 1.015 - 84.6 * 3,
             "readability.original.flesch_kincaid_grade": 0.39 + 11.8 * 3 - 15.59,
             "readability.original.smog": 1.043 * math.sqrt(20) + 3.1291, "changed": 0, "rougeL": 1.0},
    "reid1": {"reid_strings": 1, "reid_surviving": 0},
    "reid2": {"reid_strings": 1, "reid_surviving": 1},
    "ent": {"entities_gold": 2, "entities_kept": 1, "words": 7, "changed": 1},
    "phi": {"phi.tokens": 3, "phi.found": 2, "phi.false_positives": 1, "phi.spans": 2, "phi.spans_found": 2},
}


def hand(d):
    with open(d + "/hand_orig.jsonl", "w", encoding="utf-8") as fo, open(d + "/hand_syn.jsonl", "w", encoding="utf-8") as fs, \
            open(d + "/hand_pred.jsonl", "w", encoding="utf-8") as fp:
        for ident, o, s, extra, _, pred in HAND:
            rec = {"id": ident, "text": o}
            rec.update(extra)
            fo.write(json.dumps(rec) + "\n")
            fs.write(json.dumps({"id": ident, "text": s}) + "\n")
            fp.write(json.dumps({"id": ident, "spans": pred}) + "\n")


def hand_check(got_path):
    got = json.load(open(got_path, encoding="utf-8"))
    docs = {d["id"]: d for d in got["per_document"]}
    for ident, want in EXPECT.items():
        bad = []
        for path, v in want.items():
            x = docs.get(ident)
            for part in path.split("."):
                x = x.get(part) if isinstance(x, dict) else None
            if x is None or abs(x - v) > 1e-6:
                bad.append("%s = %r, hand-computed %r" % (path, x, v))
        if bad:
            print("FAIL sr eval hand case %s: %s" % (ident, "; ".join(bad)))
        else:
            print("PASS sr eval hand case %s (%d values)" % (ident, len(want)))
    # overall, by type: the reid cases add NAME tokens (2, never predicted); the phi case
    # DOCTOR 1 of 1 and PHONE 1 of 2 (both spans overlapped), and the one false positive
    per = {t["type"]: t for t in (got["phi"] or {}).get("per_type", [])}
    want = {"DOCTOR": (1, 1, 1, 1), "PHONE": (2, 1, 1, 1), "NAME": (2, 0, 2, 0)}
    have = {t: (per[t]["tokens"], per[t]["found"], per[t]["spans"], per[t]["spans_found"]) for t in per}
    if have == want and got["phi"]["false_positives"] == 1:
        print("PASS sr eval hand case phi per type: DOCTOR 1/1, PHONE 1/2 tokens, NAME 0/2, 1 false positive")
    else:
        print("FAIL sr eval hand case phi per type: %r, false positives %r" % (have, (got["phi"] or {}).get("false_positives")))


def example(letter, phi_json, med_json, out):
    """The example letter with its hand-annotated PHI and medical entities as gold spans
    (every occurrence of each string, on word boundaries)."""
    import re
    text = open(letter, encoding="utf-8").read()
    rec = {"id": "example_letter", "text": text}
    for key, path in (("phi", phi_json), ("med", med_json)):
        rec[key] = [{"start": m.start(), "end": m.end(), "type": t}
                    for s, t in json.load(open(path, encoding="utf-8"))[key]
                    for m in re.finditer(r"(?<!\w)" + re.escape(s) + r"(?!\w)", text)]
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")


def letters(n, d):
    letter = open(d + "/letter.txt", encoding="utf-8").read()
    rng = random.Random(5)
    with open(d + "/speed_orig.jsonl", "w", encoding="utf-8") as fo, open(d + "/speed_syn.jsonl", "w", encoding="utf-8") as fs:
        for i in range(n):
            t = letter
            for name in ("Whitcombe", "Marchetti", "Okonkwo-Reid", "Margaret", "Sarah"):
                t = t.replace(name, rng.choice(NAMES))
            gold = [{"start": a, "end": b, "type": "NAME"} for a, b in word_spans(t) if t[a:b] in NAMES]
            fo.write(json.dumps({"id": i, "text": t, "phi": gold}) + "\n")
            fs.write(json.dumps({"id": i, "text": perturb(rng, t, 0.3)}) + "\n")


def folders(d, n=30):
    """The first n generated pairs again, as an i2b2 XML / BRAT standoff folder of
    originals and a folder of synthetic NAME.txt, plus the same as JSONL (ids = names)."""
    import os
    from xml.sax.saxutils import escape, quoteattr
    origs = [json.loads(l) for l in open(d + "/orig.jsonl", encoding="utf-8")][:n]
    syns = {r["id"]: r for r in (json.loads(l) for l in open(d + "/syn.jsonl", encoding="utf-8"))}
    for sub in ("orig_dir", "syn_dir"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    with open(d + "/folder_orig.jsonl", "w", encoding="utf-8") as fo, open(d + "/folder_syn.jsonl", "w", encoding="utf-8") as fs:
        for k, r in enumerate(origs):
            name = "letter%02d" % k
            text, phi, med = r["text"], r.get("phi", []), r.get("med", [])
            if k % 2 == 0:  # i2b2 2014 XML; half the texts in CDATA, half escaped
                body = "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>" if k % 4 == 0 else escape(text)
                tags = "".join('<%s id="P%d" start="%d" end="%d" text=%s TYPE=%s comment="" />\n' % (
                    "NAME" if i % 2 else "DATE", i, sp["start"], sp["end"], quoteattr(text[sp["start"]:sp["end"]]),
                    quoteattr(sp["type"])) for i, sp in enumerate(phi))
                tags += "".join('<ENTITY id="E%d" start="%d" end="%d" text=%s TYPE=%s comment="" />\n' % (
                    i, sp["start"], sp["end"], quoteattr(text[sp["start"]:sp["end"]]), quoteattr(sp["type"])) for i, sp in enumerate(med))
                with open(os.path.join(d, "orig_dir", name + ".xml"), "w", encoding="utf-8") as f:
                    f.write('<?xml version="1.0" encoding="UTF-8" ?>\n<deIdi2b2>\n<TEXT>%s</TEXT>\n<TAGS>\n%s</TAGS>\n</deIdi2b2>\n' % (body, tags))
            else:  # BRAT standoff
                with open(os.path.join(d, "orig_dir", name + ".txt"), "w", encoding="utf-8", newline="") as f:
                    f.write(text)
                with open(os.path.join(d, "orig_dir", name + ".ann"), "w", encoding="utf-8") as f:
                    for i, sp in enumerate(phi + med):
                        f.write("T%d\t%s %d %d\t%s\n" % (i + 1, sp["type"], sp["start"], sp["end"],
                                                          text[sp["start"]:sp["end"]].replace("\n", " ")))
            with open(os.path.join(d, "syn_dir", name + ".txt"), "w", encoding="utf-8", newline="") as f:
                f.write(syns[r["id"]]["text"])
            fo.write(json.dumps({"id": name, "text": text, "phi": phi, "med": med}) + "\n")
            fs.write(json.dumps({"id": name, "text": syns[r["id"]]["text"]}) + "\n")


def sweep_rerun(results, rerun):
    res, again = json.load(open(results)), json.load(open(rerun))
    run = [r for r in res["runs"] if r["fill"] == "rounds:2" and r["ratio"] == 1.0][0]["eval"]
    keys = ["rouge", "reid_risk", "overlap", "entities", "changed", "readability"]
    bad = [k for k in keys if json.dumps(run[k], sort_keys=True) != json.dumps(again[k], sort_keys=True)]
    print(("FAIL sweep run differs from sr eval of its synthetic letters: %s" % bad) if bad else
          "PASS sweep run (rounds:2, ratio 1.0) equals sr eval of synthetic-rounds-2-1.00.jsonl (%s)" % ", ".join(keys))


def similarity(got, ref):
    g, r = json.load(open(got)), json.load(open(ref))
    bad, n = [], 0
    for a, b in [(g["similarity"], r)] + [(x["similarity"], y) for x, y in zip(g["per_document"], r["per_document"])]:
        for k in ("precision", "recall", "f1"):
            n += 1
            if (a[k] is None) != (b[k] is None) or (a[k] is not None and abs(a[k] - b[k]) > 1e-5):
                bad.append("%s %r vs %r" % (k, a[k], b[k]))
    ok = not bad and g["similarity"]["pairs"] == r["pairs"] and len(g["per_document"]) == len(r["per_document"])
    print(("PASS sr eval -m similarity equals PyTorch's last layer + cosine (%d values to 1e-5, %d pairs defined)" % (n, r["pairs"])) if ok
          else "FAIL sr eval similarity vs PyTorch: %s" % bad[:3])


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3], *sys.argv[4:5])
    elif cmd == "hand":
        hand(sys.argv[2])
    elif cmd == "hand-check":
        hand_check(sys.argv[2])
    elif cmd == "example":
        example(*sys.argv[2:6])
    elif cmd == "folders":
        folders(sys.argv[2])
    elif cmd == "letters":
        letters(int(sys.argv[2]), sys.argv[3])
    elif cmd == "sweep-rerun":
        sweep_rerun(sys.argv[2], sys.argv[3])
    elif cmd == "similarity":
        similarity(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
