#!/usr/bin/env python3
"""Builds the gold files of the project's invented clinical documents.

Reads every test/docs/{dev,held}/NN_kind.txt (inline markup, UTF-8) and writes
test/docs/dev.jsonl and test/docs/held.jsonl, one document a line:

  {"id": "dev/01_us_discharge", "kind": "us_discharge", "text": ...,
   "phi": [{"start", "end", "type", "text"}], "med": [...], "structure": [...]}

Offsets are in code points of the markup-free text, end exclusive.

Markup (no nesting, no line breaks inside a span):
  {{TYPE|text}}   PHI, TYPE one of PHI_TYPES
  [[TYPE|text]]   medical entity, TYPE one of MED_TYPES
  <<text>>        letter structure (field label, section header, salutation, closing)

Every problem is a one-line error "file:line:col: message" and exit status 1;
nothing is written unless every document parses.

  build_gold.py            check and write the two .jsonl files
  build_gold.py --check    check only
  build_gold.py --stats    also print words and counts per type per split (Markdown)
  build_gold.py --out DIR  write the .jsonl files into DIR instead
"""
import json
import os
import re
import sys

PHI_TYPES = (
    "PATIENT DOCTOR RELATIVE NAME USERNAME DATE YEAR AGE PHONE FAX EMAIL URL IP SSN "
    "MRN NHS HEALTHPLAN ACCOUNT LICENSE DEVICE VEHICLE ID STREET CITY COUNTY STATE ZIP "
    "COUNTRY LOCATION HOSPITAL ORGANIZATION WARD PROFESSION").split()
MED_TYPES = ["PROBLEM", "TEST", "TREATMENT"]
NAME_TYPES = {"PATIENT", "DOCTOR", "RELATIVE", "NAME"}
TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof.",
          "professor", "sister", "nurse", "mx", "mx."}
SPLITS = ["dev", "held"]
OPENERS = {"{{": ("}}", "phi"), "[[": ("]]", "med"), "<<": (">>", "structure")}
CLOSERS = {"}}", "]]", ">>"}
DELIM = re.compile(r"\{\{|\}\}|\[\[|\]\]|<<|>>|\n")
FILE_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.txt$")


class MarkupError(Exception):
    pass


def where(path, src, i):
    line = src.count("\n", 0, i) + 1
    col = i - (src.rfind("\n", 0, i) + 1) + 1
    return "%s:%d:%d" % (path, line, col)


def check_span(kind, typ, body, fail):
    """Guideline checks that a careless edit would break."""
    if body == "":
        fail("empty span")
    if body != body.strip():
        fail("span %r has leading or trailing space" % body)
    if kind == "structure":
        if "|" in body:
            fail("structure span <<%s>> holds '|' (a typed span written with << >>?)" % body)
        return
    if kind == "phi" and typ not in PHI_TYPES:
        fail("unknown PHI type %r" % typ)
    if kind == "med" and typ not in MED_TYPES:
        fail("unknown medical type %r" % typ)
    if body[-1] in ",;:":
        fail("span %r ends with punctuation" % body)
    if typ in NAME_TYPES:
        first = body.split()[0].lower()
        if first in TITLES:
            fail("name span %r starts with a title (titles stay outside the span)" % body)
        if body.endswith(("'s", "\u2019s")):
            fail("name span %r holds the possessive 's" % body)
    if typ == "AGE" and not (body.isdigit() and int(body) > 89):
        fail("AGE span %r is not a whole number over 89" % body)


def parse(path, src):
    """Returns (text, {"phi": [...], "med": [...], "structure": [...]})."""
    out = []          # pieces of markup-free text
    out_len = 0       # code points written so far
    spans = {"phi": [], "med": [], "structure": []}

    def plain(a, b):
        nonlocal out_len
        bar = src.find("|", a, b)
        if bar >= 0:
            raise MarkupError("%s: '|' outside markup (a span lost its braces?)" % where(path, src, bar))
        out.append(src[a:b])
        out_len += b - a

    i = 0
    while True:
        m = DELIM.search(src, i)
        if not m:
            plain(i, len(src))
            break
        tok = m.group()
        if tok == "\n":
            plain(i, m.end())
            i = m.end()
            continue
        if tok in CLOSERS:
            raise MarkupError("%s: '%s' without an opening" % (where(path, src, m.start()), tok))
        # an opener: the span runs to the next delimiter, which must be its own closer
        plain(i, m.start())
        closer, kind = OPENERS[tok]
        start = m.start()
        n = DELIM.search(src, m.end())
        if not n or n.group() == "\n":
            raise MarkupError("%s: '%s' is not closed on its line" % (where(path, src, start), tok))
        if n.group() in OPENERS:
            raise MarkupError("%s: '%s' opened inside the span opened at %s (no nesting)" % (
                where(path, src, n.start()), n.group(), where(path, src, start)))
        if n.group() != closer:
            raise MarkupError("%s: '%s' closed by '%s'" % (where(path, src, start), tok, n.group()))
        inner = src[m.end():n.start()]

        def fail(msg):
            raise MarkupError("%s: %s" % (where(path, src, start), msg))

        if kind == "structure":
            typ, body = None, inner
        else:
            if "|" not in inner:
                fail("'%s%s%s' has no TYPE|" % (tok, inner, closer))
            typ, body = inner.split("|", 1)
            if "|" in body:
                fail("span text %r holds '|'" % body)
        check_span(kind, typ, body, fail)
        span = {"start": out_len, "end": out_len + len(body)}
        if typ:
            span["type"] = typ
        span["text"] = body
        spans[kind].append(span)
        out.append(body)
        out_len += len(body)
        i = n.end()
    return "".join(out), spans


def load_split(docs_dir, split):
    folder = os.path.join(docs_dir, split)
    records = []
    if not os.path.isdir(folder):
        raise MarkupError("%s: no such folder" % folder)
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        m = FILE_NAME.match(name)
        if not m:
            raise MarkupError("%s:1:1: file name is not NN_kind.txt" % path)
        try:
            with open(path, encoding="utf-8", newline="") as f:
                src = f.read()
        except UnicodeDecodeError as e:
            raise MarkupError("%s: not UTF-8 (byte %d)" % (path, e.start))
        if "\r" in src:
            raise MarkupError("%s: carriage return (use \\n line ends)" % path)
        text, spans = parse(path, src)
        rec = {"id": "%s/%s" % (split, name[:-4]), "kind": m.group(2), "text": text}
        rec.update(spans)
        records.append(rec)
    if not records:
        raise MarkupError("%s: no documents" % folder)
    return records


def stats(by_split):
    lines = []
    lines.append("| | " + " | ".join(SPLITS) + " |")
    lines.append("|---|" + "---:|" * len(SPLITS))

    def row(label, f):
        lines.append("| %s | %s |" % (label, " | ".join(str(f(by_split[s])) for s in SPLITS)))

    row("documents", len)
    row("kinds", lambda recs: len({r["kind"] for r in recs}))
    row("words", lambda recs: sum(len(r["text"].split()) for r in recs))
    row("PHI spans", lambda recs: sum(len(r["phi"]) for r in recs))
    for t in PHI_TYPES:
        row("PHI " + t, lambda recs, t=t: sum(1 for r in recs for s in r["phi"] if s["type"] == t))
    row("medical spans", lambda recs: sum(len(r["med"]) for r in recs))
    for t in MED_TYPES:
        row("medical " + t, lambda recs, t=t: sum(1 for r in recs for s in r["med"] if s["type"] == t))
    row("structure spans", lambda recs: sum(len(r["structure"]) for r in recs))
    return "\n".join(lines)


def main(argv):
    docs_dir = os.path.dirname(os.path.abspath(__file__))
    out_dir = docs_dir
    check_only = "--check" in argv
    want_stats = "--stats" in argv
    if "--out" in argv:
        k = argv.index("--out")
        if k + 1 >= len(argv):
            print("build_gold.py: --out needs a folder", file=sys.stderr)
            return 1
        out_dir = argv[k + 1]
    if "--docs" in argv:
        k = argv.index("--docs")
        if k + 1 >= len(argv):
            print("build_gold.py: --docs needs a folder", file=sys.stderr)
            return 1
        docs_dir = argv[k + 1]
    try:
        by_split = {s: load_split(docs_dir, s) for s in SPLITS}
        kinds = {s: {r["kind"] for r in by_split[s]} for s in SPLITS}
        for a in SPLITS:
            for b in SPLITS:
                missing = sorted(kinds[a] - kinds[b])
                if missing:
                    raise MarkupError("%s: kind %s is in %s but not in %s" % (
                        os.path.join(docs_dir, b), missing[0], a, b))
    except MarkupError as e:
        print(e, file=sys.stderr)
        return 1
    if want_stats:
        print(stats(by_split))
    if check_only:
        return 0
    for s in SPLITS:
        path = os.path.join(out_dir, s + ".jsonl")
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                for r in by_split[s]:
                    f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
        except OSError as e:
            print("%s: cannot write: %s" % (path, e.strerror), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
