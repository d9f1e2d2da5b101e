#!/usr/bin/env python3
"""Build data/phi_english_names.txt: words of the name lists (phi_firstnames.txt,
phi_surnames.txt) that are also ordinary lower-case English words and missing from the
safe list (phi_safe_words.txt, which Philter made by removing every listed name).

usage: python3 data/make_phi_english.py /usr/share/dict/american-english > data/phi_english_names.txt

The dictionary is Debian's wamerican (SCOWL, Kevin Atkinson; permissive licence, see
data/README.md). Only lower-case entries count: "Bill" the name is in it capitalised,
"bill" the word in lower case. The PHI rules treat these words as weak evidence of a
name (amber, pearl, hence, noble): not alone at the start of a sentence, not in pairs
without a capital.
"""
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
dict_words = {w.strip() for w in open(sys.argv[1], encoding="utf-8")}
lower = {w for w in dict_words if re.fullmatch(r"[a-z]+", w)}
names = set((here / "phi_firstnames.txt").read_text().split()) | set((here / "phi_surnames.txt").read_text().split())
safe = set((here / "phi_safe_words.txt").read_text().split())
sys.stdout.write("".join(w + "\n" for w in sorted((lower & names) - safe)))
