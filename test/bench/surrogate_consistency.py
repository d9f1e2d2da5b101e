#!/usr/bin/env python3
"""How each --consistency strategy hides an original the Masker missed (issue 12): a
measurement, not a test. Written apart from the C code; it reads sr's outputs only.

  surrogate_consistency.py GOLD.jsonl MAP.jsonl OUT.jsonl
  surrogate_consistency.py drop GOLD.jsonl IN.jsonl
      a simulated miss: IN.jsonl gives the gold spans ("given_phi", for --phi-input only)
      but the second mention of every original met 3 times or more (same text, any case)

GOLD.jsonl: the invented documents with their gold PHI (test/docs/*.jsonl). MAP.jsonl and
OUT.jsonl: `sr deid --replace surrogate --jsonl --map-out MAP.jsonl` run on GOLD.jsonl with
the rules' own spans (the gold is not given). Prints:
  leaks        gold PHI strings (3+ letters or digits; not a lone YEAR, not an age under 90)
               found in the output, and the documents with one;
  missed       gold mentions no rule span touches whose original has other mentions in the
               document (same text, any case; for a name, each of its words met in other
               name mentions) that got surrogates;
  stand out    of those, the ones whose surrogated mentions (2 or more) all show one
               surrogate: the reader sees one name repeated and the missed original once;
  distinct     the mean number of distinct strings the mentions of such an original show
               (the missed original included): more variants hide it better.
"""
import json
import re
import sys


def norm(s):
    return re.sub(r"\s+", " ", s.strip().lower())


def occurs(needle, hay):
    n = re.escape(needle.lower())
    return re.search(r"(?<![0-9a-z])" + n + r"(?![0-9a-z])", hay.lower()) is not None


NAME_TYPES = {"PATIENT", "DOCTOR", "RELATIVE", "NAME"}


def words(s):
    return [w.lower() for w in re.findall(r"[A-Za-z]{3,}", s)]


def word_surrogate(m, w):
    """the word of map line m's surrogate that stands where w is in its original"""
    ow, sw = re.findall(r"[A-Za-z]+", m["original"]), re.findall(r"[A-Za-z]+", m["surrogate"])
    ow = [x.lower() for x in ow]
    if w not in ow or len(ow) != len(sw):
        return None
    return sw[ow.index(w)].lower()


def count(surs, orig, missed, stand, distinct):
    """one missed original whose other mentions got the surrogates surs"""
    if not surs:
        return missed, stand
    distinct.append(len(set(surs) | {orig}))
    return missed + 1, stand + (len(surs) >= 2 and len(set(surs)) == 1)


def main(gold_path, map_path, out_path):
    gold = [json.loads(l) for l in open(gold_path, encoding="utf-8") if l.strip()]
    rows = {}
    for l in open(map_path, encoding="utf-8"):
        m = json.loads(l)
        rows.setdefault(m["id"], []).append(m)
    outs = {r["id"]: r["text"] for r in map(json.loads, open(out_path, encoding="utf-8"))}
    leaks = leak_docs = missed = stand = 0
    distinct = []
    for doc in gold:
        text, got, out = doc["text"], rows.get(doc["id"], []), outs[doc["id"]]
        spans = [(g["start"], g["end"], g["type"], text[g["start"]:g["end"]]) for g in doc["phi"]]
        n = sum(1 for a, b, t, o in spans if t != "YEAR" and len(re.sub(r"[^0-9a-z]", "", o.lower())) >= 3
                and not (t == "AGE" and o.isdigit() and int(o) < 90) and occurs(o, out))
        leaks += n
        leak_docs += n > 0

        def cover(a, b):
            return [m for m in got if m["start"] < b and m["end"] > a]
        for a, b, t, o in spans:
            if cover(a, b):
                continue
            if t in NAME_TYPES:  # a name: its words, each met again in other name mentions
                for w in words(o):
                    surs = [sw for a2, b2, t2, o2 in spans if (a2, b2) != (a, b) and t2 in NAME_TYPES
                            for m in cover(a2, b2) for sw in [word_surrogate(m, w)] if sw]
                    missed, stand = count(surs, w, missed, stand, distinct)
            else:
                surs = [norm(c[0]["surrogate"]) for c in (cover(a2, b2) for a2, b2, t2, o2 in spans
                                                          if (a2, b2) != (a, b) and norm(o2) == norm(o)) if c]
                missed, stand = count(surs, norm(o), missed, stand, distinct)
    total = sum(len(d["phi"]) for d in gold)
    kept = changed = 0  # consecutive mentions of one original: the same surrogate or not
    for doc_rows in rows.values():
        last = {}
        for m in doc_rows:
            k = norm(m["original"])
            if k in last:
                kept += last[k] == norm(m["surrogate"])
                changed += last[k] != norm(m["surrogate"])
            last[k] = norm(m["surrogate"])
    print(f"documents {len(gold)}, gold PHI spans {total}; repeats that kept the surrogate {kept} of {kept + changed}")
    print(f"leaks {leaks} in {leak_docs} documents")
    print(f"missed with surrogated mentions {missed}; stand out {stand}; "
          f"distinct strings per such original {sum(distinct) / len(distinct) if distinct else 0:.2f}")


def drop(gold_path, in_path):
    with open(in_path, "w", encoding="utf-8") as f:
        for doc in (json.loads(l) for l in open(gold_path, encoding="utf-8") if l.strip()):
            seen, given = {}, []
            texts = [norm(doc["text"][g["start"]:g["end"]]) for g in doc["phi"]]
            for g, k in zip(doc["phi"], texts):
                seen[k] = seen.get(k, 0) + 1
                if not (seen[k] == 2 and texts.count(k) >= 3):
                    given.append({"start": g["start"], "end": g["end"], "type": g["type"]})
            f.write(json.dumps({"id": doc["id"], "text": doc["text"], "given_phi": given}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "drop":
        drop(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4:
        main(*sys.argv[1:])
    else:
        sys.exit(__doc__)
