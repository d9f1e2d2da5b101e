#!/usr/bin/env python3
"""Build data/med_vocab.txt: disease and symptom names from the Human Disease Ontology and
the Symptom Ontology (both CC0 1.0), plus British spellings of every disease phrase of
med_lexicon.txt and of those names (oedema, haemorrhage, anaemia, diarrhoea...).

    git clone https://github.com/DiseaseOntology/HumanDiseaseOntology   (any recent commit)
    python3 data/make_med_vocab.py HumanDiseaseOntology/DOreports/HumanDO.tsv \
        HumanDiseaseOntology/src/ontology/imports/symp_import.owl data/med_lexicon.txt > data/med_vocab.txt

Rules (stdlib only, deterministic): labels are lower-cased, parenthesised asides
dropped, cut at the first comma; at most 8 words; a one-word label needs >= 4 letters
and must not be one of make_med_lexicon.py's GENERIC words. British variants come from
the spelling rules in UK below, applied to whole words.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_med_lexicon import GENERIC  # noqa: E402

UK = [  # (US pattern, British replacement), on whole words
    (r"^edema", "oedema"), (r"^esophag", "oesophag"), (r"^estrogen", "oestrogen"),
    (r"^estradiol", "oestradiol"), (r"^hem(?=[aoi])", "haem"), (r"(?<=[a-z])hem(?=at|og|orrh|oly|op)", "haem"),
    (r"(?<=[a-z])emi(a|c)$", r"aemi\1"), (r"^anemi", "anaemi"), (r"rrhea$", "rrhoea"), (r"^diarrhea", "diarrhoea"),
    (r"pnea$", "pnoea"), (r"^ped(?=iatr)", "paed"), (r"oped(?=ic)", "opaed"), (r"tumor(s?)$", r"tumour\1"),
    (r"^fet(?=al$|us$|uses$)", "foet"), (r"^anesthe", "anaesthe"), (r"anesthe", "anaesthe"), (r"^celiac", "coeliac"),
    (r"ization$", "isation"), (r"^color", "colour"), (r"^behavior", "behaviour"), (r"^center", "centre"),
    (r"^fiber", "fibre"), (r"sulfate$", "sulphate"), (r"^gynecolog", "gynaecolog"), (r"^cecum", "caecum"),
    (r"^cecal", "caecal"), (r"^leukemi", "leukaemi"), (r"glycemi", "glycaemi"), (r"^orthoped", "orthopaed"),
    (r"^ischemi", "ischaemi"), (r"ischemi", "ischaemi"), (r"^dyspnea", "dyspnoea"), (r"^apnea", "apnoea"),
]


def clean(label):
    t = label.lower()
    t = re.sub(r"\([^)]*\)", " ", t).split(",")[0]
    t = " ".join(t.replace("'s", "").split())
    words = t.split()
    if not words or len(words) > 8:
        return None
    if len(words) == 1 and (len(t) < 4 or t in GENERIC or not re.search("[a-z]", t)):
        return None
    return t


def british(phrase):
    out = []
    for w in phrase.split():
        for pat, rep in UK:
            w = re.sub(pat, rep, w)
        out.append(w)
    b = " ".join(out)
    return b if b != phrase else None


def main():
    do_tsv, symp_owl, icd = sys.argv[1:4]
    names = set()
    with open(do_tsv, encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 1:
                p = clean(cols[1].strip('"'))
                if p:
                    names.add(p)
    owl = open(symp_owl, encoding="utf-8").read()
    for body in re.findall(r'<owl:Class rdf:about="http://purl.obolibrary.org/obo/SYMP_\d+">(.*?)</owl:Class>', owl, re.S):
        m = re.search(r"<rdfs:label[^>]*>(.*?)</rdfs:label>", body)
        p = clean(m.group(1)) if m else None
        if p:
            names.add(p)
    known = set()
    for line in open(icd, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            known.add(line.strip())
    out = set(names)
    for p in names | known:
        b = british(p)
        if b:
            out.add(b)
    out -= known
    print("# Disease and symptom names sr protects from masking (besides med_lexicon.txt), and British")
    print("# spellings of those and of med_lexicon.txt. Sources: the Human Disease Ontology (DOreports/HumanDO.tsv)")
    print("# and the Symptom Ontology (src/ontology/imports/symp_import.owl) of github.com/DiseaseOntology/")
    print("# HumanDiseaseOntology, CC0 1.0; built by data/make_med_vocab.py (see its docstring). One phrase a line.")
    print("@PROBLEM")
    for p in sorted(out):
        print(p)


if __name__ == "__main__":
    main()
