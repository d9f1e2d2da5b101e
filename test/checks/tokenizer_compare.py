#!/usr/bin/env python3
"""Compare `sr tokenize --jsonl` output with the reference's, record by record.

    python3 test/checks/tokenizer_compare.py INPUT.jsonl SR.jsonl REF.jsonl [NAME]

Checks ids, code-point offsets and word indices (HF word_ids) for every record and,
when sr's records carry "byte_offsets" (--bytes), that each byte span is exactly the
UTF-8 encoding of its code-point span (by Python's own encoder); prints
`PASS NAME: N records identical` or `FAIL NAME: ...` with the first differences (text
shown escaped). Exit status 0 only when every record is identical.
"""
import json
import sys


def load(path, parse=True):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) if parse else l.rstrip("\n") for l in f if l.strip()]


def main():
    inp, srp, refp = sys.argv[1:4]
    name = sys.argv[4] if len(sys.argv) > 4 else refp
    texts = {json.dumps(r["id"]): r["text"] for r in load(inp)}
    a, b = load(srp, False), load(refp, False)
    bad = []
    if len(a) != len(b):
        print("FAIL %s: sr gave %d records, the reference %d" % (name, len(a), len(b)))
        return 1
    for x, y in zip(a, b):
        # fast path: sr prints the reference's compact JSON, so equal lines are equal
        # records (sr's lines with "byte_offsets" are always parsed and checked)
        if x == y:
            continue
        x, y = json.loads(x), json.loads(y)
        if "byte_offsets" in x:
            text = texts.get(json.dumps(x.get("id")), "")
            raw = text.encode("utf-8")
            for k, ((cs, ce), (bs, be)) in enumerate(zip(x["offsets"], x["byte_offsets"])):
                if raw[bs:be] != text[cs:ce].encode("utf-8") or len(raw[:bs].decode("utf-8", "replace")) != cs:
                    bad.append((x["id"], "token %d: byte span %d-%d is not code-point span %d-%d" % (k, bs, be, cs, ce)))
                    break
        if x.get("id") != y.get("id"):
            bad.append((y.get("id"), "record order differs: sr %r" % x.get("id")))
            break
        for key in ("ids", "offsets", "words"):
            if x.get(key) != y.get(key):
                k = next((i for i, (u, v) in enumerate(zip(x.get(key) or [], y[key])) if u != v),
                         min(len(x.get(key) or []), len(y[key])))
                bad.append((y["id"], "%s differ at token %d: sr %s ... ref %s ... (tokens sr %s ref %s)" % (
                    key, k, json.dumps((x.get(key) or [])[k:k + 3]), json.dumps(y[key][k:k + 3]),
                    json.dumps((x.get("tokens") or [])[max(0, k - 1):k + 3], ensure_ascii=False),
                    json.dumps(y["tokens"][max(0, k - 1):k + 3], ensure_ascii=False))))
                break
    if bad:
        print("FAIL %s: %d of %d records differ; first: id %s: %s; text %s" % (
            name, len(bad), len(b), json.dumps(bad[0][0]), bad[0][1],
            json.dumps(texts.get(json.dumps(bad[0][0]), "?"))[:300]))
        for i, msg in bad[1:6]:
            print("  also id %s: %s; text %s" % (json.dumps(i), msg, json.dumps(texts.get(json.dumps(i), "?"))[:200]),
                  file=sys.stderr)
        return 1
    print("PASS %s: %d records identical (ids, code-point offsets, word ids)" % (name, len(b)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
