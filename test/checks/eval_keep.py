#!/usr/bin/python3
"""eval_keep.py - what `sr generate` keeps of the invented documents' gold annotations
(test/docs/*.jsonl: "med" PROBLEM/TEST/TREATMENT spans and "structure" spans), and whether
its selection follows the paper (floor(ratio x count) eligible words per part of speech).

    eval_keep.py SR NER_TEST MODEL DOCS.jsonl RATIO [RATIO...] [--json] [--misses]

--misses prints, for each ratio, every lost gold span (entity or structure) with its document id,
its type and the original words the changes that touched it replaced ([kind:word]); develop on the
dev split only (never print the held split's misses).

For each ratio, `SR generate -m MODEL --jsonl --ratio R --fill parallel --allow-leaks` (any masked-LM:
which words are chosen does not depend on the model, and a tiny one is fast) gives the synthetic text and its changes,
each with the original offsets of the word it replaced (--allow-leaks: the selection as drawn, before the leak
check redacts a tiny random model's leaks; stages 60 and 85 test that layer),
each with the original offsets of the word it replaced. Checks, per document:
  - the synthetic text is the original with exactly those ranges replaced (so a span no
    change touches is in the output verbatim);
  - a gold span survives when no change overlaps it;
  - per part of speech, the eligible words changed = floor(ratio x the eligible words of
    that tag) (`NER_TEST jsonl`: the Masker's spans with their categories).
Prints one line per ratio (and a JSON object with --json). Exit 1 on an inconsistency.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
from decimal import Decimal


def main():
    args = [a for a in sys.argv[1:] if a not in ("--json", "--misses")]
    as_json = "--json" in sys.argv
    misses = "--misses" in sys.argv
    sr, ner_test, model, docs = args[:4]
    ratios = args[4:]
    recs = [json.loads(l) for l in open(docs, encoding="utf-8")]
    r = subprocess.run([ner_test, "jsonl", docs], capture_output=True, text=True)
    if r.returncode:
        print("ner_test jsonl failed: " + r.stderr.strip()[:300])
        sys.exit(1)
    masker = [json.loads(l) for l in r.stdout.splitlines()]
    results, bad = {}, []
    for ratio in ratios:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for rec in recs:
                f.write(json.dumps({"id": rec["id"], "text": rec["text"]}) + "\n")
            path = f.name
        g = subprocess.run([sr, "generate", "-m", model, "--jsonl", "--ratio", ratio, "--fill", "parallel", "--quiet",
                            "--seed", "1", "--allow-leaks", path], capture_output=True, text=True)
        os.unlink(path)
        outs = [json.loads(l) for l in g.stdout.splitlines()]
        if g.returncode or len(outs) != len(recs):
            print("sr generate --ratio %s failed (exit %d): %s" % (ratio, g.returncode, g.stderr.strip()[:300]))
            sys.exit(1)
        med_n = med_kept = st_n = st_kept = words = nva = 0
        per_type = {}
        floor_ok = floor_n = 0
        lost = []
        for rec, out, spans in zip(recs, outs, masker):
            text = rec["text"]
            ch = sorted((c["orig_start"], c["orig_end"], c["text"], c["kind"], c["type"]) for c in out["changes"])
            rebuilt, at = [], 0
            for a, b, new, _, _ in ch:
                if a < at:
                    bad.append("%s: changes overlap at %d" % (rec["id"], a))
                rebuilt.append(text[at:a])
                rebuilt.append(new)
                at = b
            rebuilt.append(text[at:])
            if "".join(rebuilt) != out["text"]:
                bad.append("%s: the synthetic text is not the original with the changes applied" % rec["id"])

            def touched(s, e):
                return any(a < e and s < b for a, b, _, _, _ in ch)

            def miss(what, sp):
                hits = ["%s:%s" % (kind, text[a:b]) for a, b, _, kind, _ in ch if a < sp["end"] and sp["start"] < b]
                print("MISS %s %s %s %s %r [%s]" % (ratio, rec["id"], what, sp.get("type", ""),
                                                   text[sp["start"]:sp["end"]], " ".join(hits)))

            for m in rec["med"]:
                k = not touched(m["start"], m["end"])
                med_n += 1
                med_kept += k
                t = per_type.setdefault(m["type"], [0, 0])
                t[0] += 1
                t[1] += k
                if not k:
                    lost.append(m["text"])
                    if misses:
                        miss("entity", m)
            for s in rec["structure"]:
                st_n += 1
                sk = not touched(s["start"], s["end"])
                st_kept += sk
                if misses and not sk:
                    miss("structure", s)
            # selection: eligible spans of each tag, and those a word change falls in
            elig = [(s, e, cat) for act, s, e, cat in spans if act == "ELIGIBLE"]
            per_tag, changed = {}, {}
            for s, e, cat in elig:
                per_tag[cat] = per_tag.get(cat, 0) + 1
            hit = set()
            for a, b, _, kind, typ in ch:
                if kind != "word":
                    continue
                for s, e, cat in elig:
                    if s <= a and b <= e:
                        hit.add((s, e, cat))
            for s, e, cat in hit:
                changed[cat] = changed.get(cat, 0) + 1
            words += len(hit)
            nva += sum(1 for s, e, cat in hit if cat in ("NOUN", "VERB", "ADJ"))
            for cat, n in per_tag.items():
                want = math.floor(Decimal(ratio) * n)
                floor_n += 1
                floor_ok += changed.get(cat, 0) == want
        results[ratio] = dict(entities=med_n, kept=med_kept, kept_share=med_kept / max(med_n, 1),
                              per_type={t: v[1] / v[0] for t, v in sorted(per_type.items())},
                              structure=st_n, structure_kept=st_kept, masked_words=words,
                              nva_share=nva / max(words, 1), floor_checks=floor_n, floor_ok=floor_ok,
                              lost_examples=lost[:12])
        print("ratio %s: entities kept %d/%d = %.4f (%s); structure kept %d/%d; masked words %d, NOUN/VERB/ADJ %.4f; "
              "floor(ratio x count) per tag held in %d/%d (document, tag) pairs"
              % (ratio, med_kept, med_n, med_kept / max(med_n, 1),
                 ", ".join("%s %.4f" % kv for kv in results[ratio]["per_type"].items()), st_kept, st_n, words,
                 nva / max(words, 1), floor_ok, floor_n))
    for b in bad[:10]:
        print("INCONSISTENT " + b)
    if as_json:
        print(json.dumps(results))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
