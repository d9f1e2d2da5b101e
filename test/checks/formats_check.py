#!/usr/bin/env python3
"""An independent reader of sr's i2b2 XML and BRAT standoff (stage 86).

Written from the formats' own definitions, not from sr's code: XML 1.0 (its Char
production, parsed with Python's xml.etree / expat) and the i2b2 2014 layout; BRAT's
standoff (T lines, fragments "a b;c d", offsets in characters of NAME.txt) and its
annotation.conf. Prints one "PASS name" or "FAIL name: reason" line per check.

  formats_check.py i2b2 NAME XML ORIGINALS MODE [--set] [--want-tags N]
  formats_check.py brat NAME DIR ORIGINALS MODE [--want-tags N] [--want-split N]
  formats_check.py ann NAME ANN TXT

ORIGINALS is JSONL {"id", "text"}: the letters given to sr, keyed as the output names
them (the <deIdi2b2 id> of a set, "-" for a document of its own, NAME of NAME.txt).
MODE says what the text in the output must be:
  exact      the original (sr deid --show-phi), with the characters XML 1.0 cannot
             hold as sr's README says: VT and FF a space, the others U+FFFD (i2b2
             only; BRAT keeps every character)
  masked     as exact outside the tagged spans; inside them '*' for every character
             but whitespace (sr deid's default)
  synthetic  anything (sr generate): only the tags' own offsets are checked, and that
             every character XML cannot hold but VT and FF came out as U+FFFD (the
             count is given by the original with --ratio 0, whose non-PHI text stays)
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

I2B2_PHI_TAGS = {"NAME", "DATE", "AGE", "CONTACT", "ID", "LOCATION", "PROFESSION", "OTHER"}
# Python's str.splitlines() boundaries: a reader of a .ann may end a line at any of them
LINE_BREAKS = set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def xml_char(c):
    """XML 1.0, production [2] Char."""
    o = ord(c)
    return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or 0x10000 <= o <= 0x10FFFF


def xml_mapped(text):
    """sr's documented stand-ins: VT and FF (white space) a space, the rest U+FFFD."""
    return "".join(c if xml_char(c) else " " if c in "\x0b\x0c" else "\ufffd" for c in text)


def report(name, problems, counts=""):
    if problems:
        print("FAIL formats %s: %s" % (name, "; ".join(problems[:3])))
    else:
        print("PASS formats %s%s" % (name, counts))


def load_originals(path):
    out = {}
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[str(r["id"])] = r["text"]
    return out


def check_text(got, want, spans, mode, problems, where):
    """The output's text against the original, per MODE."""
    if mode == "exact" and got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        problems.append("%s: text differs from the original at %d: %r vs %r" % (where, at, got[at:at + 12], want[at:at + 12]))
    elif mode == "masked":
        if len(got) != len(want):
            problems.append("%s: %d characters, the original has %d" % (where, len(got), len(want)))
            return
        inside = [False] * len(want)
        for a, b in spans:
            for k in range(a, min(b, len(want))):
                inside[k] = True
        for k, (g, w) in enumerate(zip(got, want)):
            ok = (g == "*" or (g == w and w.isspace())) if inside[k] else g == w
            if not ok:
                problems.append("%s: character %d is %r, want %r%s" % (where, k, g, w, " masked" if inside[k] else ""))
                return
    elif mode.startswith("synthetic"):
        want_fffd = xml_mapped(want).count("\ufffd")
        if mode == "synthetic-xml" and got.count("\ufffd") != want_fffd:
            problems.append("%s: %d U+FFFD, the original has %d characters XML cannot hold (but VT, FF)" % (where, got.count("\ufffd"), want_fffd))


def check_i2b2_doc(doc, want, mode, problems, where):
    text_el = doc.find("TEXT")
    tags_el = doc.find("TAGS")
    if text_el is None or tags_el is None:
        problems.append("%s: no TEXT or TAGS" % where)
        return 0
    text = text_el.text or ""
    spans = []
    for t in tags_el:
        try:
            a, b = int(t.get("start")), int(t.get("end"))
        except (TypeError, ValueError):
            problems.append("%s: <%s> without numeric start/end" % (where, t.tag))
            continue
        if not (0 <= a <= b <= len(text)):
            problems.append("%s: <%s %s> outside the text (%d..%d of %d)" % (where, t.tag, t.get("id"), a, b, len(text)))
        elif text[a:b] != t.get("text"):
            problems.append("%s: <%s %s> %d..%d is %r in TEXT, its text attribute %r" % (where, t.tag, t.get("id"), a, b, text[a:b], t.get("text")))
        if t.tag not in I2B2_PHI_TAGS and t.tag != "ENTITY":
            problems.append("%s: <%s> is not an i2b2 2014 PHI tag nor ENTITY" % (where, t.tag))
        if not t.get("TYPE") or t.get("id") is None:
            problems.append("%s: <%s> without TYPE or id" % (where, t.tag))
        spans.append((a, b))
    check_text(text, xml_mapped(want) if mode != "synthetic" else want, spans, mode if mode != "synthetic" else "synthetic-xml",
               problems, where)
    return len(spans)


def cmd_i2b2(name, path, originals, mode, rest):
    problems = []
    orig = load_originals(originals)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        report(name, ["%s is not well-formed XML: %s" % (path, e)])
        return
    want_set = "--set" in rest
    want_tags = int(rest[rest.index("--want-tags") + 1]) if "--want-tags" in rest else 1
    if want_set:
        docs = list(root) if root.tag == "deIdi2b2Set" else []
        if root.tag != "deIdi2b2Set" or any(d.tag != "deIdi2b2" for d in docs):
            problems.append("root <%s>, want <deIdi2b2Set> of <deIdi2b2>" % root.tag)
        ids = [d.get("id") for d in docs]
        if sorted(ids) != sorted(orig):
            problems.append("documents %s, want %s" % (ids, sorted(orig)))
        pairs = [(d.get("id"), d) for d in docs]
    else:
        if root.tag != "deIdi2b2":
            problems.append("root <%s>, want <deIdi2b2>" % root.tag)
        pairs = [("-", root)]
    n = 0
    for key, doc in pairs:
        if key not in orig:
            continue
        n += check_i2b2_doc(doc, orig[key], mode, problems, key)
    if n < want_tags:
        problems.append("%d tags, want at least %d" % (n, want_tags))
    report(name, problems, " (%d documents, %d tags)" % (len(pairs), n))


def read_ann(path, txt, problems, where):
    """The T lines of a .ann against its text; returns the types used and the spans."""
    types, spans, split = set(), [], 0
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    for no, line in enumerate(lines, 1):
        if not line:
            continue
        if line[0] == "#":
            if not line.split("\t")[0][1:].isdigit() or len(line.split("\t")) != 3:
                problems.append("%s:%d: a note that is not '#N<TAB>AnnotatorNotes Tn<TAB>text'" % (where, no))
            continue
        cols = line.split("\t")
        if line[0] != "T" or len(cols) != 3 or " " not in cols[1]:
            problems.append("%s:%d: not a T line: %r" % (where, no, line[:60]))
            continue
        typ, offs = cols[1].split(" ", 1)
        try:
            frags = [tuple(int(x) for x in f.split(" ")) for f in offs.split(";")]
        except ValueError:
            problems.append("%s:%d: bad offsets %r" % (where, no, offs))
            continue
        prev = -1
        for fr in frags:
            if len(fr) != 2 or not (prev <= fr[0] < fr[1] <= len(txt)):
                problems.append("%s:%d: fragment %r outside or out of order (text of %d)" % (where, no, fr, len(txt)))
                break
            if any(c in LINE_BREAKS for c in txt[fr[0]:fr[1]]):
                problems.append("%s:%d: fragment %r crosses a line break" % (where, no, fr))
            prev = fr[1]
        else:
            shown = " ".join(txt[a:b] for a, b in frags).replace("\t", " ")
            if shown != cols[2]:
                problems.append("%s:%d: %s slices %r, the line says %r" % (where, no, offs, shown, cols[2]))
        types.add(typ)
        spans += frags
        split += len(frags) > 1
    return types, spans, split


def conf_types(path):
    out, section = set(), None
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s.startswith("["):
                section = s
            elif s and not s.startswith("#") and section == "[entities]":
                out.add(s)
    return out


def cmd_brat(name, folder, originals, mode, rest):
    problems = []
    orig = load_originals(originals)
    want_tags = int(rest[rest.index("--want-tags") + 1]) if "--want-tags" in rest else 1
    stems = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".ann"))
    if sorted(stems) != sorted(orig):
        problems.append("documents %s, want %s" % (stems, sorted(orig)))
    want_split = int(rest[rest.index("--want-split") + 1]) if "--want-split" in rest else 0
    used, n, n_split = set(), 0, 0
    for stem in stems:
        txt_path = os.path.join(folder, stem + ".txt")
        if not os.path.exists(txt_path):
            problems.append("%s.ann without %s.txt" % (stem, stem))
            continue
        with open(txt_path, encoding="utf-8", newline="") as f:
            txt = f.read()
        types, spans, split = read_ann(os.path.join(folder, stem + ".ann"), txt, problems, stem + ".ann")
        used |= types
        n += len(spans)
        n_split += split
        if stem in orig:
            check_text(txt, orig[stem], spans, mode, problems, stem + ".txt")
    conf = os.path.join(folder, "annotation.conf")
    if not os.path.exists(conf):
        problems.append("no annotation.conf")
    elif not used <= conf_types(conf):
        problems.append("annotation.conf lacks %s" % sorted(used - conf_types(conf)))
    if n < want_tags:
        problems.append("%d fragments, want at least %d" % (n, want_tags))
    if n_split < want_split:
        problems.append("%d spans split at line breaks, want at least %d" % (n_split, want_split))
    leftovers = [f for f in os.listdir(folder) if f.startswith(".")]
    if leftovers:
        problems.append("temporary files left: %s" % leftovers)
    report(name, problems, " (%d documents, %d fragments, %d spans split at line breaks)" % (len(stems), n, n_split))


def cmd_ann(name, ann, txt_path):
    """One .ann on stdout (sr deid --show-phi, one document) against the original letter."""
    problems = []
    with open(txt_path, encoding="utf-8", newline="") as f:
        txt = f.read()
    types, spans, split = read_ann(ann, txt, problems, os.path.basename(ann))
    if not spans:
        problems.append("no annotations")
    report(name, problems)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "i2b2":
        cmd_i2b2(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "brat":
        cmd_brat(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "ann":
        cmd_ann(args[0], args[1], args[2])
    else:
        sys.exit("unknown command %s" % cmd)
