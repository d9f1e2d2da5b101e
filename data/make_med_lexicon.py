#!/usr/bin/env python3
"""Build data/med_lexicon.txt, the medical phrase list the Masker protects when no
medical NER model is given, from the ICD-10-CM code descriptions (US CDC, public
domain): ../shared/lexicons/icd10cm/icd10cm_descriptions.txt.

    python3 data/make_med_lexicon.py ../shared/lexicons/icd10cm/icd10cm_descriptions.txt > data/med_lexicon.txt

How a description becomes phrases (stdlib only, deterministic):
  1. Skip the external-cause chapter (codes V, W, X, Y: "Car driver injured in
     collision with ...") and the Z chapter (encounters, status): they are about
     vehicles, places and paperwork, not diseases or findings.
  2. Lower-case, drop parenthesised asides, split at punctuation and at connective
     words (of, with, without, due to, in, and, or, by, ...) into fragments.
  3. Every trailing run of a fragment (its head and the modifiers before it) is a
     phrase: "displaced transverse fracture" gives "displaced transverse fracture",
     "transverse fracture" and "fracture". English noun phrases end in their head, so
     the suffixes are the diseases and findings.
  4. Short and ambiguous entries: a phrase may not begin with a qualifier word
     (left, other, unspecified, ...); a one-word phrase must have >= 4 letters and not
     be a generic English word (GENERIC below, chosen by hand from the most frequent
     one-word results and from the words most often protected in development notes),
     so that "care", "use", "given" or "effect" are not protected.
  5. Phrases of at most 6 words, letters/digits/hyphens only.
"""
import re
import sys

CONNECTIVES = set("""of with without due to in and or by on at from for following
complicating the a an as nos not elsewhere classified other than involving into after
during affecting associated resulting use""".split())

QUALIFIERS = set("""left right bilateral unilateral unspecified other initial subsequent
encounter sequela part site region level upper lower middle multiple single one two three
four more less than specified unspecified each both same""".split())

GENERIC = set("""care back hand open complete multiple loss effect level end type process
wall ring index little person heavy body foreign accident vehicle shaft damage person
contact exposure complication complications condition conditions disorder disorders
problem problems history status family personal presence absence abnormal abnormality
abnormalities finding findings result results other unspecified encounter sequela
initial subsequent routine mild moderate severe total partial simple minor major late
early small large long short high increased decreased elevated reduced external internal
anterior posterior lateral medial superior inferior proximal distal central peripheral
primary secondary general local superficial deep closed open single double direct
indirect physical mental normal chronic acute recurrent current present left right
male female child children adult newborn fetus mother maternal perinatal pregnancy
delivery labor labour birth weeks gestation months years days hours life death dead
place home work school street road area areas part parts site sites region surface
portion segment segmental level levels degree degrees stage grade class group form forms
kind means agent agents substance substances material materials object objects water
food fire heat cold light sound device devices implant implants graft grafts product
products drug drugs medicament medicaments biological biologicals therapy treatment
procedure procedures surgery operation examination test tests screening observation
supervision counseling care intent assault self harm undetermined accidental intentional
event events activity activities sport sports fall falls struck strike striking caught
crushed contact bitten stung fight while using being other than
motor cycle extension base system breakdown greater lesser reaction stress compounds
separation minutes fixation structure organ scale derivatives side situ zone behavior
uncertain return dome column affected excessive media predominantly reduction quadrant
preparations factor complicated presentation patient patients lead complex angle plate
evidence surviving specimens cause failed onset motion spider remission exploitation
induced involvement trapped penetration displacement action activation administered
administration adults aesthetic alone arising awaiting bearing change changes character
combined consequence consequences control dependence difficulty disruption effects
elements exposed feature features function functions impact incomplete information
issue issues lack limited made management manner matter method need needs number order
origin outcome pattern period point position possible practice purpose quality range
rate reason relation relationship requiring response rest risk role sample section
sequence series service services setting share shape source space state states support
term time times unknown value variant variants version view visit volume weight
first second third fourth fifth sixth seventh eighth ninth tenth stage grade
given noted shift social hour hours transfer attempt floor prior drop lines positive
replaced found before opening feeling signs balance numbers color study within related
health hard void size block reading curve therapeutic concern delayed potential length
window recruitment biting absent sensitivity growth field appearance studies known break
eggs crying walking tolerance movements functioning pads hygiene pump etiology after
above below between during without about again against under over through being having""".split())

WORD = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def phrases(description):
    text = description.lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = text.replace("'s", "")
    out = set()
    for chunk in re.split(r"[,;:/\[\]]", text):
        frag = []
        for w in chunk.split() + [None]:
            if w is None or w in CONNECTIVES or not WORD.match(w):
                add_suffixes(frag, out)
                frag = []
            else:
                frag.append(w)
    return out


def add_suffixes(frag, out):
    for i in range(len(frag)):
        p = frag[i:]
        if len(p) > 6 or p[0] in QUALIFIERS or p[0].isdigit():
            continue
        if len(p) == 1:
            w = p[0]
            if len(w) < 4 or w in GENERIC or not re.search("[a-z]", w) or re.search("[0-9]", w):
                continue
        out.add(" ".join(p))


def main():
    src = sys.argv[1]
    seen = set()
    with open(src, encoding="utf-8") as f:
        for line in f:
            code, _, desc = line.rstrip("\n").partition(" ")
            if not code or code[0] in "VWXYZ":
                continue
            seen |= phrases(desc)
    print("# Medical phrases sr protects from masking when no medical NER model is given.")
    print("# Source: ICD-10-CM code descriptions (US CDC, FY2023; US government work, public domain),")
    print("# turned into phrases by data/make_med_lexicon.py (see its docstring). One lower-case phrase a line.")
    for p in sorted(seen):
        print(p)


if __name__ == "__main__":
    main()
