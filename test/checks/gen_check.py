#!/usr/bin/python3
"""gen_check.py - independent checks of `sr generate` output (stdlib only).

  gen_check.py example LETTER PHI.json OUT.jsonl
      turn the hand-annotated example into gold records: OUT {"id","text","phi":[...]}
  gen_check.py prep GOLD.jsonl TEXTS.jsonl PHI.txt [LIMIT]
      split gold records ({"id","text","phi":[{"start","end","type"}]}, code points)
      into plain {"id","text"} lines and byte ranges for test/c/gen_check.c
  gen_check.py check NAME GOLD.jsonl OUT.jsonl [--protected-rule] [--partial]
      checks every output record against its gold record and prints PASS/FAIL lines:
      valid UTF-8, no special tokens / "##" pieces, reported spans at their offsets,
      protected entities unchanged, and no gold PHI string left (case-insensitive,
      letters and digits only, at word boundaries, length >= 2) more often than the
      original has it outside its gold PHI spans. --partial: OUT covers only some of GOLD.
  gen_check.py bad-input OUT.jsonl
      the command line's bad batch: a good record, invalid UTF-8, empty text, blank text,
      200 kB of text, a broken JSON line, a good record with a number as its id
  gen_check.py bad-records OUT.jsonl RC
      `sr generate --jsonl` of that batch (exit status RC): one record per line, ids in
      order, the error records saying why, the good ones with text, RC non-zero
  gen_check.py shard-input
      9 invented letters as JSONL on stdout (ids 0..8), for --shard I/N
  gen_check.py batch-input
      14 invented letters as JSONL on stdout (ids "letter-00".."letter-13"), for the
      README's GNU parallel recipe
  gen_check.py scale-out INPUT.jsonl ONE.jsonl PART.jsonl...
      the shards' records, put back in INPUT's order, are ONE (one process) byte for
      byte, each record exactly once
  gen_check.py formats XML BRAT_BASE
      `sr generate --format i2b2` (XML) and `--format brat` (BRAT_BASE.txt, .ann) of the
      example letter: every i2b2 tag and every BRAT annotation at its offsets
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

SPECIAL = ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "[unused", "##"]
MEDICAL = {"pain", "fever", "cough", "diabetes", "hypertension", "pneumonia", "aspirin",
           "metformin", "insulin", "sepsis", "asthma", "chest", "blood", "pressure", "heart"}


def key(s):
    """letters and digits, lower case, with the word-boundary structure kept as runs"""
    return [r.lower() for r in re.findall(r"[A-Za-z0-9\u0080-\U0010ffff]+", s)]


def count(runs, target):
    """occurrences of target (joined runs) as consecutive whole runs"""
    n = 0
    for i in range(len(runs)):
        acc = ""
        for j in range(i, len(runs)):
            acc += runs[j]
            if len(acc) >= len(target):
                break
        n += acc == target
    return n


def leaks(text, original, phi_spans):
    """gold PHI strings found in text more often than the original has them outside its
    gold PHI spans (there they are ordinary values, e.g. "SATS 92%" beside a year 92)"""
    blank = list(original)
    for s in phi_spans:
        blank[s["start"]:s["end"]] = " " * (s["end"] - s["start"])
    runs_out, runs_orig = key(text), key("".join(blank))
    found = []
    for s in phi_spans:
        target = "".join(key(original[s["start"]:s["end"]]))
        if len(target) < 2:
            continue
        if count(runs_out, target) > count(runs_orig, target):
            found.append(original[s["start"]:s["end"]])
    return found


def example(letter, phi_json, out):
    text = open(letter, encoding="utf-8").read()
    phi = []
    for s, t in json.load(open(phi_json, encoding="utf-8"))["phi"]:
        for m in re.finditer(re.escape(s), text):
            phi.append({"start": m.start(), "end": m.end(), "type": t, "text": s})
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "example", "text": text, "phi": phi}) + "\n")


def prep(gold, texts, phi_txt, limit=None):
    with open(gold, encoding="utf-8") as g, open(texts, "w", encoding="utf-8") as t, \
            open(phi_txt, "w") as p:
        for n, line in enumerate(g):
            if limit is not None and n >= limit:
                break
            r = json.loads(line)
            t.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
            spans = []
            for s in r.get("phi", []):
                a = len(r["text"][:s["start"]].encode("utf-8"))
                b = len(r["text"][:s["end"]].encode("utf-8"))
                spans.append("%d %d %s" % (a, b, re.sub(r"\W", "_", s["type"]) or "PHI"))
            p.write(" ".join(spans) + "\n")


def check(name, gold, out, protected_rule, partial=False):
    golds = {}
    for line in open(gold, encoding="utf-8"):
        r = json.loads(line)
        golds[json.dumps(r["id"])] = r
    n = bad_utf8 = special = offsets = leaked = prot_bad = errors = 0
    leak_examples, fail_examples = [], []
    raw = open(out, "rb").read()
    try:
        raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        bad_utf8 += 1
        fail_examples.append("output is not UTF-8: %s" % e)
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        g = golds.get(json.dumps(o["id"]))
        if g is None:
            fail_examples.append("unknown id %r" % o["id"])
            errors += 1
            continue
        if "error" in o:
            errors += 1
            fail_examples.append("%s: error %s" % (o["id"], o["error"]))
            continue
        n += 1
        text = o["text"]
        for sp in SPECIAL:
            if sp in text and sp not in g["text"]:
                special += 1
                fail_examples.append("%s: %s in output" % (o["id"], sp))
        for lst in ("phi", "entities"):
            for s in o[lst]:
                if text[s["start"]:s["end"]] != s["text"]:
                    offsets += 1
                    fail_examples.append("%s: %s span %r not at %d:%d" % (o["id"], lst, s["text"], s["start"], s["end"]))
        for c in o.get("changes", []):
            if text[c["start"]:c["end"]] != c["text"] or not re.match(r"[A-Za-z0-9]", c["text"]):
                offsets += 1
                fail_examples.append("%s: change %r at %d:%d" % (o["id"], c["text"], c["start"], c["end"]))
        found = leaks(text, g["text"], g.get("phi", []))
        if found:
            leaked += 1
            leak_examples.append("%s: %d gold PHI strings left" % (o["id"], len(found)))
        if protected_rule:
            # the words test/c/gen_check.c protects, outside gold PHI, in order
            phi_mask = [False] * len(g["text"])
            for s in g.get("phi", []):
                for i in range(s["start"], s["end"]):
                    phi_mask[i] = True
            want = [m.group(0) for m in re.finditer(r"[A-Za-z]+", g["text"])
                    if m.group(0).lower() in MEDICAL and not any(phi_mask[m.start():m.end()])
                    and not re.match(r"[^\x00-\x7f]", g["text"][m.end():m.end() + 1])
                    and not re.search(r"[^\x00-\x7f]$", g["text"][:m.start()])]
            got = [e["text"] for e in o["entities"]]
            if got != want:
                prot_bad += 1
                fail_examples.append("%s: protected %r, want %r" % (o["id"], got[:5], want[:5]))
    total = n + errors if partial else len(golds)
    res = [("%s: all %d records answered" % (name, total), errors == 0 and n == total),
           ("%s: valid UTF-8" % name, bad_utf8 == 0),
           ("%s: no special tokens or ## pieces" % name, special == 0),
           ("%s: spans and changes at their offsets" % name, offsets == 0),
           ("%s: no gold PHI string left (%d letters)" % (name, n), leaked == 0)]
    if protected_rule:
        res.append(("%s: protected entities unchanged" % name, prot_bad == 0))
    for label, ok in res:
        print(("PASS %s" % label) if ok else ("FAIL %s: %s" % (label, "; ".join((fail_examples + leak_examples)[:4]))))
    return 0


def bad_input(path):
    good = json.dumps({"id": "ok1", "text": "Mr John Smith was seen on 12/03/2024 with chest pain."})
    with open(path, "wb") as f:
        f.write(good.encode() + b"\n")
        f.write(b'{"id": "badutf8", "text": "caf\xc3 au lait"}\n')
        f.write(json.dumps({"id": "empty", "text": ""}).encode() + b"\n")
        f.write(json.dumps({"id": "blank", "text": "  \n\t "}).encode() + b"\n")
        f.write(json.dumps({"id": "big", "text": "The patient is well. " * 10000}).encode() + b"\n")
        f.write(b'{"id": "badjson", "text": \n')
        f.write(json.dumps({"id": 7, "text": "Seen by Dr Jones at 9 Elm Road."}).encode() + b"\n")
    return 0


def bad_records(path, rc):
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
    ids = [r["id"] for r in rows]
    err = {r["id"]: r.get("error", "") for r in rows}
    want_ids = ["ok1", "badutf8", "empty", "blank", "big", "badjson", 7]
    ok = (ids == want_ids and "text" in rows[0] and "text" in rows[-1] and int(rc) != 0
          and "UTF-8" in err["badutf8"] and "empty" in err["empty"] and "empty" in err["blank"]
          and "bytes" in err["big"] and err["badjson"] and not err["ok1"] and not err[7])
    print(("PASS" if ok else "FAIL") + " cli error records (invalid UTF-8, empty, blank, 200 kB, bad JSON) with the batch going on, exit %s%s"
          % (rc, "" if ok else ": %r" % [(r["id"], r.get("error")) for r in rows]))
    return 0


def shard_input():
    for i in range(9): print(json.dumps({'id': i, 'text': 'Mrs Ada Lovelace (MRN %d) was reviewed on %d May 2023 for asthma and cough.' % (1000 + i, i + 1)}))
    return 0


def formats(xml_path, brat_base):
    root = ET.parse(xml_path).getroot()
    text = root.find("TEXT").text
    tags = list(root.find("TAGS"))
    ok = len(tags) > 10 and all(text[int(t.get("start")):int(t.get("end"))] == t.get("text") for t in tags)
    print(("PASS" if ok else "FAIL") + " cli --format i2b2: %d tags at their offsets" % len(tags))
    txt = open(brat_base + ".txt", encoding="utf-8").read()
    ann = [l.rstrip("\n").split("\t") for l in open(brat_base + ".ann", encoding="utf-8")]
    good = 0
    for tid, mid, s in ann:
        frags = [tuple(map(int, f.split())) for f in mid.split(" ", 1)[1].split(";")]
        good += " ".join(txt[a:b] for a, b in frags) == s
    print(("PASS" if ann and good == len(ann) else "FAIL") + " cli --format brat: %d/%d annotations at their offsets" % (good, len(ann)))
    return 0


def batch_input():
    kinds = ["asthma and cough", "chest pain", "a fall at home", "a diabetes review"]
    for i in range(14):
        print(json.dumps({"id": "letter-%02d" % i, "text":
                          "Dear Dr Marsh, Mr Tobias Quill (DOB %02d/04/1961) was reviewed on %d May 2023 with %s. "
                          "He lives at %d Elm Road, Leeds." % (i + 1, i + 1, kinds[i % 4], 10 + i)}))
    return 0


def scale_out(inp, one_path, parts):
    ids = [json.loads(l)["id"] for l in open(inp, encoding="utf-8")]
    one = open(one_path, encoding="utf-8").read().splitlines()
    by_id = {}
    lines = [l for p in parts for l in open(p, encoding="utf-8").read().splitlines()]
    for l in lines:
        by_id.setdefault(json.loads(l)["id"], []).append(l)
    once = sorted(by_id) == sorted(ids) and all(len(v) == 1 for v in by_id.values())
    same = once and len(one) == len(ids) and [by_id[i][0] for i in ids] == one
    print(("PASS" if same else "FAIL") + " cli scale-out: GNU parallel -j%d with --shard {}/%d: %d records, each once, "
          "equal byte for byte to one process" % (len(parts), len(parts), len(ids))
          + ("" if same else " (each once: %s; %d shard lines, %d one-process lines)" % (once, len(lines), len(one))))
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "example":
        return example(argv[2], argv[3], argv[4]) or 0
    if len(argv) >= 5 and argv[1] == "prep":
        return prep(argv[2], argv[3], argv[4], int(argv[5]) if len(argv) > 5 else None) or 0
    if len(argv) >= 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4], "--protected-rule" in argv, "--partial" in argv)
    if len(argv) == 3 and argv[1] == "bad-input":
        return bad_input(argv[2])
    if len(argv) == 4 and argv[1] == "bad-records":
        return bad_records(argv[2], argv[3])
    if len(argv) == 2 and argv[1] == "shard-input":
        return shard_input()
    if len(argv) == 2 and argv[1] == "batch-input":
        return batch_input()
    if len(argv) >= 5 and argv[1] == "scale-out":
        return scale_out(argv[2], argv[3], argv[4:])
    if len(argv) == 4 and argv[1] == "formats":
        return formats(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
