#!/usr/bin/env python3
"""phi_checks.py - stage 40's checks of the PHI rules and `sr deid` (stdlib only); its
other checkers are test/checks/phi_docs_check.py, phi_table_check.py and phi_known_check.py.

  phi_checks.py cases SR CASES.txt
      the hand-written cases (test/data/phi_cases.txt: one case a line, PHI marked
      {{TYPE|text}}, '#' comments) through `SR deid --jsonl`: every marked span's letters
      and digits masked with a type of its family, no word outside a marked span masked.
      Prints "CASES WITH_PHI LOOK_ALIKES CATEGORIES", then one line per wrong case
  phi_checks.py offsets OUT.jsonl TEXT
      `sr deid --jsonl` of the one record {"id": "u1", "text": TEXT} (the stage's non-ASCII
      letter): its spans' code-point offsets, types and [**TYPE**] text; prints "ok", else
      an AssertionError (exit 1)
  phi_checks.py keep-length TEXT OUT
      OUT (`sr deid --keep-length` of TEXT) as long as TEXT, the name and MRN gone, '*'
      in their place; prints True or False
  phi_checks.py i2b2 XML
      `sr deid --format i2b2` of the same letter: 5 tags, the first NAME/DOCTOR, each
      tag's offsets slicing TEXT to its text, no PHI in the file; exit 0, else an
      AssertionError (exit 1)
  phi_checks.py case-variants NOTES.jsonl LOWER.jsonl UPPER.jsonl
      NOTES with every text lower-cased / upper-cased (gold offsets unchanged)
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

FAM = {"NAME": {"DOCTOR", "PATIENT", "RELATIVE", "NAME"},
       "LOC": {"STREET", "CITY", "ZIP", "LOCATION", "HOSPITAL", "WARD", "COUNTY", "STATE", "COUNTRY"},
       "ID": {"ID", "MRN", "NHS", "SSN", "HEALTHPLAN", "ACCOUNT", "LICENSE", "DEVICE", "VEHICLE"},
       "DATE": {"DATE", "YEAR"}}
MARK = re.compile(r"\{\{([A-Z]+)\|(.*?)\}\}")


def parse(line):
    text, gold, pos = "", [], 0
    for m in MARK.finditer(line):
        text += line[pos:m.start()]
        s = len(text); text += m.group(2); gold.append((s, len(text), m.group(1)))
        pos = m.end()
    return text + line[pos:], gold


def cases_check(argv):
    sr, path = argv[1], argv[2]
    cases = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.strip() and not line.startswith("#"):
            text, gold = parse(line)
            cases.append((n, text, gold))
    inp = "".join(json.dumps({"id": n, "text": t}) + "\n" for n, t, g in cases)
    out = subprocess.run([sr, "deid", "--jsonl"], input=inp.encode(), capture_output=True)
    preds = {}
    for l in out.stdout.decode().splitlines():
        r = json.loads(l); preds[r["id"]] = r
    fails, n_phi, n_look, n_cat = [], 0, 0, set()
    for n, text, gold in cases:
        n_phi += bool(gold); n_look += not gold
        p = preds.get(n)
        if p is None or "error" in p:
            fails.append("line %d: no prediction" % n); continue
        cover = [None] * len(text)
        for s in p["spans"]:
            for c in range(s["start"], s["end"]): cover[c] = s["type"]
        ingold = [False] * len(text)
        for a, b, ty in gold:
            n_cat.add(ty)
            for c in range(a, b): ingold[c] = True
            chars = [c for c in range(a, b) if text[c].isalnum()]
            if not all(cover[c] for c in chars):
                fails.append("line %d: %s not fully masked" % (n, ty)); continue
            got = {cover[c] for c in chars}
            if not got <= FAM.get(ty, {ty}):
                fails.append("line %d: typed %s, want %s" % (n, "/".join(sorted(got)), ty))
        for m in re.finditer(r"[A-Za-z0-9]+", text):
            if any(cover[c] for c in range(m.start(), m.end())) and not any(ingold[c] for c in range(m.start(), m.end())):
                fails.append("line %d: masked a non-PHI word %r" % (n, m.group()))
    print("%d %d %d %d" % (len(cases), n_phi, n_look, len(n_cat)))
    for f in fails: print(f)


def offsets(argv):
    r = json.loads(open(argv[1]).read()); text = argv[2]
    got = [(text[s["start"]:s["end"]], s["type"]) for s in r["spans"]]
    want = [("Zoë Ångström", "DOCTOR"), ("Müller", "NAME"), ("3/14/2021", "DATE"), ("4471902", "MRN"), ("617-555-0199", "PHONE")]
    assert r["id"] == "u1", r["id"]
    assert got == want, got
    assert r["text"] == "Dr. [**DOCTOR**] saw Mr. [**NAME**] on [**DATE**] (MRN [**MRN**]). Call [**PHONE**].", r["text"]
    print("ok")


def keep_length(argv):
    print(len(argv[1]) == len(argv[2]) and "Zo" not in argv[2] and "4471902" not in argv[2] and argv[2].startswith("Dr. *** ********"))


def i2b2(argv):
    t = ET.parse(argv[1]).getroot()
    tags = list(t.find("TAGS"))
    body = t.find("TEXT").text
    assert len(tags) == 5 and tags[0].tag == "NAME" and tags[0].get("TYPE") == "DOCTOR", [x.tag for x in tags]
    assert "Müller" not in open(argv[1], encoding="utf-8").read() and "4471902" not in body
    assert all(body[int(x.get("start")):int(x.get("end"))] == x.get("text") for x in tags)


def case_variants(argv):
    with open(argv[2], "w") as lo, open(argv[3], "w") as up:
        for l in open(argv[1], encoding="utf-8"):
            r = json.loads(l)
            lo.write(json.dumps(dict(r, text=r["text"].lower())) + "\n")
            up.write(json.dumps(dict(r, text=r["text"].upper())) + "\n")


COMMANDS = {"cases": cases_check, "offsets": offsets, "keep-length": keep_length, "i2b2": i2b2,
            "case-variants": case_variants}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
