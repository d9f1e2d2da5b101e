#!/usr/bin/env python3
"""Scores PHI predictions against the gold of the invented documents.

  score_phi.py GOLD.jsonl PRED.jsonl [--json] [--misses]

GOLD.jsonl: written by build_gold.py ({"id", "text", "phi": [{"start","end","type"}], ...}).
PRED.jsonl: `sr deid --jsonl` output, one line a record: {"id", "spans": [{"start","end",...}]}.
Offsets are code points, end exclusive. Every gold record must be predicted exactly once.

Tokens are the runs [A-Za-z0-9]+ of the text. A character is masked when any predicted span
covers it (the predicted type does not matter). For each token:
  - its gold characters are those inside a gold PHI span; the token's type is that span's type;
  - a PHI token (any gold character) is found when all its gold characters are masked;
  - a PHI token is hit when any of its characters is masked;
  - a non-PHI token (no gold character) is a false positive when any character is masked.
Token recall    = found / PHI tokens
Token precision = hit / (hit + false positives)
HIPAA figures use only the PHI tokens of the HIPAA types (every type but HOSPITAL,
ORGANIZATION, WARD, PROFESSION and YEAR); tokens of those five types count neither way.
Span recall: a gold span is found when every alphanumeric character in it is masked.

--misses lists the gold spans not found and the false-positive tokens (the documents are
invented, so this prints no real PHI).
"""
import json
import re
import sys

NON_HIPAA = {"HOSPITAL", "ORGANIZATION", "WARD", "PROFESSION", "YEAR"}
TOKEN = re.compile(r"[A-Za-z0-9]+")


class InputError(Exception):
    pass


def read_jsonl(path, what):
    records = []
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise InputError("%s: cannot open: %s" % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise InputError("%s:%d: not JSON (%s)" % (path, n, e))
            if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                raise InputError("%s:%d: %s record without a string \"id\"" % (path, n, what))
            records.append((n, rec))
    return records


def spans_of(path, n, rec, key, length):
    spans = rec.get(key)
    if not isinstance(spans, list):
        raise InputError("%s:%d: record %s has no \"%s\" list" % (path, n, rec["id"], key))
    out = []
    for s in spans:
        if not isinstance(s, dict):
            raise InputError("%s:%d: a span of %s is not an object" % (path, n, rec["id"]))
        a, b = s.get("start"), s.get("end")
        if not (isinstance(a, int) and isinstance(b, int) and 0 <= a <= b <= length):
            raise InputError("%s:%d: span %r of %s lies outside its text (%d code points)" % (
                path, n, {k: s.get(k) for k in ("start", "end")}, rec["id"], length))
        out.append((a, b, s.get("type")))
    return out


class Tally:
    def __init__(self):
        self.phi = self.found = self.hit = 0


def score(gold_path, pred_path, list_misses):
    gold = read_jsonl(gold_path, "gold")
    pred = read_jsonl(pred_path, "prediction")
    by_id = {}
    for n, rec in pred:
        if rec["id"] in by_id:
            raise InputError("%s:%d: record %s predicted twice" % (pred_path, n, rec["id"]))
        by_id[rec["id"]] = (n, rec)
    gold_ids = {rec["id"] for _, rec in gold}
    for rid, (n, _) in by_id.items():
        if rid not in gold_ids:
            raise InputError("%s:%d: record %s is not in %s" % (pred_path, n, rid, gold_path))

    overall, hipaa = Tally(), Tally()
    per_type = {}          # type -> [tokens, found, spans, spans found]
    fp = negatives = 0
    span_total = span_found = hipaa_spans = hipaa_spans_found = 0
    misses = []
    for n, rec in gold:
        text = rec.get("text")
        if not isinstance(text, str):
            raise InputError("%s:%d: record %s has no \"text\"" % (gold_path, n, rec["id"]))
        if rec["id"] not in by_id:
            raise InputError("%s: record %s has no prediction (a lost record)" % (pred_path, rec["id"]))
        pn, prec = by_id[rec["id"]]
        gspans = spans_of(gold_path, n, rec, "phi", len(text))
        pspans = spans_of(pred_path, pn, prec, "spans", len(text))
        masked = bytearray(len(text))
        for a, b, _ in pspans:
            masked[a:b] = b"\x01" * (b - a)
        gtype = [None] * len(text)
        for a, b, t in gspans:
            for i in range(a, b):
                gtype[i] = t
        for m in TOKEN.finditer(text):
            chars = range(m.start(), m.end())
            gold_chars = [i for i in chars if gtype[i] is not None]
            any_masked = any(masked[i] for i in chars)
            if not gold_chars:
                negatives += 1
                if any_masked:
                    fp += 1
                    if list_misses:
                        misses.append("%s\tFP\t%d\t%s" % (rec["id"], m.start(), m.group()))
                continue
            t = gtype[gold_chars[0]]
            found = all(masked[i] for i in gold_chars)
            row = per_type.setdefault(t, [0, 0, 0, 0])
            row[0] += 1
            row[1] += found
            for tally in ([overall, hipaa] if t not in NON_HIPAA else [overall]):
                tally.phi += 1
                tally.found += found
                tally.hit += any_masked
        for a, b, t in gspans:
            alnum = [i for i in range(a, b) if text[i].isascii() and text[i].isalnum()]
            found = all(masked[i] for i in alnum) if alnum else all(masked[a:b])
            row = per_type.setdefault(t, [0, 0, 0, 0])
            row[2] += 1
            row[3] += found
            span_total += 1
            span_found += found
            if t not in NON_HIPAA:
                hipaa_spans += 1
                hipaa_spans_found += found
            if not found and list_misses:
                misses.append("%s\tMISS %s\t%d\t%s" % (rec["id"], t, a, text[a:b]))

    def r(num, den):
        return round(num / den, 4) if den else None

    result = {
        "gold": gold_path, "pred": pred_path, "documents": len(gold),
        "tokens": {"phi": overall.phi, "non_phi": negatives, "false_positives": fp},
        "all": {"token_recall": r(overall.found, overall.phi),
                "token_precision": r(overall.hit, overall.hit + fp),
                "span_recall": r(span_found, span_total),
                "phi_tokens": overall.phi, "spans": span_total},
        "hipaa": {"token_recall": r(hipaa.found, hipaa.phi),
                  "token_precision": r(hipaa.hit, hipaa.hit + fp),
                  "span_recall": r(hipaa_spans_found, hipaa_spans),
                  "phi_tokens": hipaa.phi, "spans": hipaa_spans},
        "false_positives_per_1000_tokens": r(1000 * fp, overall.phi + negatives),
        "per_type": {t: {"tokens": v[0], "token_recall": r(v[1], v[0]),
                         "spans": v[2], "span_recall": r(v[3], v[2]),
                         "hipaa": t not in NON_HIPAA}
                     for t, v in sorted(per_type.items())},
    }
    return result, misses


def fmt(x):
    return "  -  " if x is None else "%.3f" % x


def print_text(res):
    print("%s vs %s: %d documents, %d PHI tokens, %d other tokens" % (
        res["pred"], res["gold"], res["documents"], res["tokens"]["phi"], res["tokens"]["non_phi"]))
    print("%-8s %8s %8s %8s %8s" % ("", "recall", "prec", "spans", "tokens"))
    for key in ("hipaa", "all"):
        v = res[key]
        print("%-8s %8s %8s %8s %8d" % (key, fmt(v["token_recall"]), fmt(v["token_precision"]),
                                        fmt(v["span_recall"]), v["phi_tokens"]))
    print("false positives: %d tokens (%s per 1,000 tokens)" % (
        res["tokens"]["false_positives"], fmt(res["false_positives_per_1000_tokens"])))
    print("%-13s %7s %8s %6s %8s" % ("type", "tokens", "recall", "spans", "found"))
    for t, v in res["per_type"].items():
        print("%-13s %7d %8s %6d %8s%s" % (t, v["tokens"], fmt(v["token_recall"]), v["spans"],
                                          fmt(v["span_recall"]), "" if v["hipaa"] else "  (not HIPAA)"))


def main(argv):
    flags = [a for a in argv if a.startswith("--")]
    files = [a for a in argv if not a.startswith("--")]
    unknown = [f for f in flags if f not in ("--json", "--misses")]
    if unknown or len(files) != 2:
        print("usage: score_phi.py GOLD.jsonl PRED.jsonl [--json] [--misses]", file=sys.stderr)
        return 2
    try:
        res, misses = score(files[0], files[1], "--misses" in flags)
    except InputError as e:
        print("score_phi.py: %s" % e, file=sys.stderr)
        return 1
    if "--json" in flags:
        if "--misses" in flags:
            res["misses"] = misses
        print(json.dumps(res, indent=1))
    else:
        print_text(res)
        for line in misses:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
