#!/usr/bin/env python3
"""pos_checks.py - stage 55's checks of `sr pos` and of what the Masker keeps (stdlib
only). Each check prints PASS/FAIL lines; the scores come from test/checks/pos_score.py and
test/checks/eval_keep.py.

  pos_checks.py clinical SCORE.json RC
      test/checks/pos_score.py's score of `sr pos --conllu` (exit status RC) on the hand-tagged
      test/data/pos_clinical.conllu: exit 0, no column but UPOS changed, accuracy >= 0.92,
      words tagged NOUN/VERB/ADJ that are so >= 0.95
  pos_checks.py case-variants TEST.conllu DIR
      DIR/test_lower.conllu and DIR/test_upper.conllu: TEST with every word form (column 2
      of the token lines) lower-cased / upper-cased
  pos_checks.py ewt DIR SPEED START
      DIR/test_{given,lower,upper}.json (pos_score.py on UD EWT test as given, lower-cased,
      upper-cased): accuracy floors 0.95 / 0.935 / 0.935; SPEED (user CPU seconds over EWT
      train) and START (seconds for one word) are reported, not tested
  pos_checks.py text TEXT.out JSONL.out RC
      `sr pos --text "Pt's BP was high; follow-up in 2/52."`: the Masker's words with
      code-point offsets; `sr pos --jsonl` of a good and a broken line (exit status RC):
      ids echoed, an error record, exit 1
  pos_checks.py keep DEV.txt HELD.txt
      test/checks/eval_keep.py --json output (its last line "rc N") per split: the selection
      floors, every masked word NOUN/VERB/ADJ, gold entities and structure kept at ratio
      0.5 above the regression floors
"""
import json
import sys


def clinical(argv):
    r = json.loads(open(argv[1]).read())
    if argv[2] != "0" or "error" in r:
        print("FAIL pos clinical: sr pos exit %s, %s" % (argv[2], r.get("error")))
    elif not r["other_columns_equal"]:
        print("FAIL pos clinical: sr pos --conllu changed a column other than UPOS")
    elif r["accuracy"] < 0.92 or r["nva_precision"] < 0.95:
        print("FAIL pos clinical: accuracy %.4f (floor 0.92), NOUN/VERB/ADJ precision %.4f (floor 0.95)"
              % (r["accuracy"], r["nva_precision"]))
    else:
        print("PASS pos clinical: %d hand-tagged words of invented clinical text (mixed, ALL CAPS, lower case): "
              "accuracy %.4f, words tagged NOUN/VERB/ADJ that are so %.4f; other columns unchanged"
              % (r["words"], r["accuracy"], r["nva_precision"]))


def case_variants(argv):
    src, out = argv[1], argv[2]
    for how in ("lower", "upper"):
        with open(src, encoding="utf-8") as f, open("%s/test_%s.conllu" % (out, how), "w", encoding="utf-8") as o:
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) == 10 and c[0][:1].isdigit():
                    c[1] = c[1].lower() if how == "lower" else c[1].upper()
                    line = "\t".join(c) + "\n"
                o.write(line)


def ewt(argv):
    P, speed, start = argv[1:4]
    r = {h: json.loads(open("%s/test_%s.json" % (P, h)).read()) for h in ("given", "lower", "upper")}
    floors = {"given": 0.95, "lower": 0.935, "upper": 0.935}
    bad = [h for h in r if "error" in r[h] or not r[h]["other_columns_equal"] or r[h]["accuracy"] < floors[h]]
    words = 204577
    wps = words / float(speed) if float(speed) > 0 else float("inf")  # the 0.001 s resolution of bash's time
    line = ("EWT test UPOS accuracy %.4f as given (floor 0.95), %.4f lower-cased, %.4f upper-cased (floors 0.935); "
            "reported, not tested: %.0f words/s of one process's user CPU time on EWT train (%s s), start-up + one word %s s wall"
            % (r["given"].get("accuracy", 0), r["lower"].get("accuracy", 0), r["upper"].get("accuracy", 0), wps, speed, start))
    print(("FAIL pos ewt: " if bad else "PASS pos ewt: ") + line + ("; failing: %s" % bad if bad else ""))


def text_check(argv):
    text = [l.split("\t") for l in open(argv[1]).read().splitlines()]
    words = [t[3] for t in text]
    ok = words == ["Pt's", "BP", "was", "high", "follow-up", "in", "2", "52"] and all(len(t) == 4 for t in text)
    ok = ok and text[4][0] == "18" and text[4][1] == "27"
    lines = [json.loads(l) for l in open(argv[2])]
    ok2 = (argv[3] == "1" and len(lines) == 2 and lines[0]["id"] == "a" and [w["word"] for w in lines[0]["words"]]
           == ["Dear", "Dr", "Kaur", "thank", "you"] and lines[1]["id"] == 7 and "error" in lines[1])
    if ok and ok2:
        print("PASS pos text: the Masker's words (follow-up, Pt's whole) with code-point offsets; JSONL ids echoed, "
              "a broken line gives an error record, exit 1")
    else:
        print("FAIL pos text: %s / %s" % (words, open(argv[2]).read()[:300]))


def keep(argv):
    # regression floors at what this version keeps (the goal: 0.95 entities at 0.5, all structure)
    # main's PHI rules mask a few more label words (PHI wins); both shares move by about 0.006 with the random draw
    # whenever the PHI spans change (the draw of one seed), hence the margins; and sr generate fails closed on
    # leaks: a PHI span the rules take for a name ("Cushing") is written as [**NAME**] in Cushing's entities
    floors = {"dev": (0.905, 0.945), "held": (0.875, 0.925)}
    for path, split in zip(argv[1:3], ("dev", "held")):
        lines = open(path).read().splitlines()
        rc = lines[-1]
        if rc != "rc 0" or not lines[-2].startswith("{"):
            print("FAIL keep %s: eval_keep.py: %s" % (split, " | ".join(lines[-4:])[:500]))
            continue
        r = json.loads(lines[-2])
        floor_ok = all(v["floor_ok"] == v["floor_checks"] for v in r.values())
        nva = all(v["nva_share"] == 1.0 for v in r.values())
        print(("PASS" if floor_ok and nva else "FAIL") + " keep %s selection: floor(ratio x count) per tag in every "
              "(document, tag) pair at ratios %s (%d pairs each); every masked word is NOUN/VERB/ADJ to the tagger"
              % (split, "/".join(r), next(iter(r.values()))["floor_checks"]))
        e, s = r["0.5"]["kept_share"], r["0.5"]["structure_kept"] / r["0.5"]["structure"]
        desc = ", ".join("%s: %.4f" % (k, v["kept_share"]) for k, v in r.items())
        ok = e >= floors[split][0] and s >= floors[split][1]
        print(("PASS" if ok else "FAIL") + " keep %s entities: gold entities kept verbatim %s (floor %.2f at 0.5); "
              "structure kept %d/%d at 0.5 (floor %.2f)" % (split, desc, floors[split][0], r["0.5"]["structure_kept"],
                                                             r["0.5"]["structure"], floors[split][1]))


COMMANDS = {"clinical": clinical, "case-variants": case_variants, "ewt": ewt, "text": text_check, "keep": keep}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
