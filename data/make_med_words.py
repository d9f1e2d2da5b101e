#!/usr/bin/env python3
"""Build data/med_words.txt: single words of medical vocabulary that ordinary English
lacks ("diathermy", "oxytocin", "eosinophils", "myoclonic"), which the Masker protects
where no phrase list knows them.

    python3 data/make_med_words.py ../shared/corpus ../shared/ud/en_ewt-ud-train.conllu \
        /usr/share/dict/american-english data > data/med_words.txt

A word is kept when (stdlib only, deterministic):
  1. it occurs 3+ times in the medical corpus of the demo model (../shared/corpus: public
     domain and CC BY 4.0 texts, see models/MODEL_CARD.md), or in a phrase of
     data/med_lexicon.txt, med_vocab.txt, med_drugs.txt, med_procedures.txt, or in
     data/phi_safe_words.txt (Philter's safe list, drawn from clinical notes and medical
     vocabularies: what is left of it after 3. and 4. is drugs, organisms, chemistry and
     anatomy, "acetylcysteine", "lymphovascular", "pleomorphism");
  2. it has 5+ letters (a-z, hyphens inside);
  3. ordinary English lacks it: it is not in Debian's wamerican word list (SCOWL) nor
     among the words of UD English EWT train (web text), nor is it the plural of such a
     word, nor a hyphenated word of such words ("follow-up");
  4. it could not be a name: not in data/phi_firstnames.txt or phi_surnames.txt unless
     data/phi_safe_words.txt lists it (a missed name must stay maskable).
"""
import glob
import os
import re
import sys

WORD = re.compile(r"[a-z][a-z-]*[a-z]")


def words_of(line):
    return WORD.findall(line.lower().replace("\u2019", "'").replace("'s", ""))


def main():
    corpus, ewt, dict_path, data = sys.argv[1:5]
    common = {w.strip().lower().replace("'s", "") for w in open(dict_path, encoding="utf-8")}
    for line in open(ewt, encoding="utf-8"):
        c = line.split("\t")
        if len(c) == 10:
            common.add(c[1].lower())
    names = set()
    for f in ("phi_firstnames.txt", "phi_surnames.txt"):
        names |= {w.strip() for w in open(os.path.join(data, f), encoding="utf-8")}
    safe = {w.strip() for w in open(os.path.join(data, "phi_safe_words.txt"), encoding="utf-8") if w[:1] != "#"}
    names -= safe
    counts = {}
    for path in sorted(glob.glob(os.path.join(corpus, "*", "*.txt"))):
        for line in open(path, encoding="utf-8"):
            for w in words_of(line):
                counts[w] = counts.get(w, 0) + 1
    listed = set()
    for f in ("med_lexicon.txt", "med_vocab.txt", "med_drugs.txt", "med_procedures.txt"):
        for line in open(os.path.join(data, f), encoding="utf-8"):
            if line[:1] not in "#@":
                listed.update(words_of(line))
    keep = sorted(w for w in set(counts) | listed | safe
                  if (counts.get(w, 0) >= 3 or w in listed or w in safe) and WORD.fullmatch(w) and len(w.replace("-", "")) >= 5
                  and w not in common and w not in names and not (w.endswith("s") and w[:-1] in common)
                  and not ("-" in w and all(p in common or len(p) < 3 for p in w.split("-"))))
    print("# Single medical words sr protects where no phrase list knows them, built by data/make_med_words.py")
    print("# (see its docstring) from the demo model's medical corpus (public domain and CC BY 4.0 texts: MedQuAD,")
    print("# Ben Abacha and Demner-Fushman 2019; ACI-BENCH, Yim et al. 2023; OpenStax, Rice University; Project")
    print("# Gutenberg), the phrase lists of data/ and Philter's safe list (data/phi_safe_words.txt, BSD-3-Clause,")
    print("# see data/LICENSE.philter), less Debian wamerican's words (SCOWL), UD EWT's words and the name lists.")
    print("@TERM")
    for w in keep:
        print(w)


if __name__ == "__main__":
    main()
