#!/usr/bin/env python3
"""Independent checker of sr's PHI surrogates (issue 12), written without reading phi.c's
surrogate code: it knows only what a surrogate must be, and reads sr's outputs.

  surrogate_check.py prep OUT.jsonl SRC.txt...
      the invented letters (inline markup {{TYPE|text}}, header lines '# order: dmy|mdy'
      and '# patient: P') as sr input records: {"id", "text", "given_phi", "patient"}
  surrogate_check.py deid SRC_DIR OUT.jsonl
      sr deid --replace surrogate --jsonl output: every check below, per document
  surrogate_check.py generate SRC_DIR OUT.jsonl
      sr generate --phi-fill surrogate --jsonl output: the same checks on its "phi" list,
      and "leaks" 0
  surrogate_check.py same A B | differ A B
      two outputs: identical texts / every document's text differs
  surrogate_check.py map deid|generate SRC_DIR MAP.jsonl OUT.jsonl
      a --map-out table beside its run's output: one line per given span, its original
      the span's text, its surrogate what the output has there, no original in the output
  surrogate_check.py explain deid|generate SRC_DIR OUT.jsonl [EXPLAIN.txt [shown]]
      --explain: one surrogate line per surrogate (sr deid: EXPLAIN.txt, its stderr; sr
      generate: each record's "surrogates"), each with its type and rule, and no original
      in them; "shown" (--show-phi): every original is there instead
  surrogate_check.py postcode SRC_DIR OUT.jsonl AREAS.txt
      sr deid output: a UK postcode's surrogate has a listed area (AREAS.txt: area, tab,
      post town) other than the original's, and a town written just before it (only
      spaces and commas between) is that area's post town
  surrogate_check.py markov MAP.jsonl
      a --consistency markov run's map: some repeats of an original keep the surrogate
      and some take a fresh one; a repeated date keeps its surrogate (one shift)
  surrogate_check.py keyed SRC_DIR K1.jsonl K2.jsonl NOKEY.jsonl
      with one key, the documents of one patient share names and the date shift, another
      patient gets another shift; another key (or none) gives other surrogates
  surrogate_check.py tag OUT.jsonl
      sr generate --phi-fill tag output: every PHI entry's text is [**TYPE**], its "fill" "tag"
  surrogate_check.py mlm-fill OUT.jsonl
      sr generate --phi-fill mlm output: every PHI entry's "fill" is "mlm" (or "redaction",
      a leak the masked LM brought back), some "mlm"

Prints PASS name / FAIL name: reason lines. Every name and number in the letters is
invented."""
import calendar
import datetime as dt
import ipaddress
import json
import os
import re
import sys

MONTHS = [m.lower() for m in calendar.month_name[1:]]
WEEKDAYS = [d.lower() for d in calendar.day_name]  # monday first
NAME_TYPES = {"PATIENT", "DOCTOR", "RELATIVE", "NAME"}
NUMBER_TYPES = {"PHONE", "FAX", "MRN", "NHS", "SSN", "ID", "ACCOUNT", "ZIP", "HEALTHPLAN", "LICENSE", "DEVICE", "VEHICLE"}

failures = 0


def report(ok, name, why=""):
    global failures
    if ok:
        print(f"PASS {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {why}")


# ---- the invented letters ----

def parse_source(path):
    order, patient, lines = "dmy", None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"# (order|patient): (\S+)\s*$", line)
            if m:
                if m.group(1) == "order":
                    order = m.group(2)
                else:
                    patient = m.group(2)
                continue
            lines.append(line)
    src = "".join(lines)
    text, spans, at = [], [], 0
    pos = 0
    for m in re.finditer(r"\{\{([A-Z]+)\|([^{}]*)\}\}", src):
        text.append(src[at:m.start()])
        pos += m.start() - at
        spans.append({"start": pos, "end": pos + len(m.group(2)), "type": m.group(1), "text": m.group(2)})
        text.append(m.group(2))
        pos += len(m.group(2))
        at = m.end()
    text.append(src[at:])
    doc_id = os.path.splitext(os.path.basename(path))[0]
    return {"id": doc_id, "text": "".join(text), "phi": spans, "order": order, "patient": patient}


def load_sources(src_dir):
    docs = {}
    for name in sorted(os.listdir(src_dir)):
        if name.endswith(".txt"):
            d = parse_source(os.path.join(src_dir, name))
            docs[d["id"]] = d
    return docs


def cmd_prep(out, srcs):
    with open(out, "w", encoding="utf-8") as f:
        for s in srcs:
            d = parse_source(s)
            rec = {"id": d["id"], "text": d["text"], "patient": d["patient"],
                   "given_phi": [{"start": p["start"], "end": p["end"], "type": p["type"]} for p in d["phi"]]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# ---- dates ----

def date_tokens(s):
    return re.findall(r"\d+|[A-Za-z]+|[^\dA-Za-z]", s)


def case_pattern(w):
    letters = [c for c in w if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return "U"
    if letters and all(c.islower() for c in letters):
        return "l"
    return "T"


def month_of(w):
    lw = w.lower()
    for i, m in enumerate(MONTHS):
        if lw == m or (len(lw) == 3 and m.startswith(lw)) or (lw == "sept" and i == 8):
            return i + 1
    return 0


def weekday_of(w):
    lw = w.lower()
    for i, d in enumerate(WEEKDAYS):
        if lw == d or (len(lw) >= 3 and d.startswith(lw)):
            return i
    return -1


def parse_date(s, order):
    """(kind, y, m, d, weekday, shape): kind full | month-year | day-month | month | year."""
    toks = date_tokens(s)
    shape, nums, month, wd = [], [], 0, -1
    written = any(t.isalpha() and month_of(t) for t in toks)
    for i, t in enumerate(toks):
        if t.isdigit():
            nums.append(t)
            # a number's shape: 4 digits; else in a written date whether it is padded
            # (09 March), in a numeric one its width, where 1 digit may grow to 2 (3/9 -> 12/9)
            if len(t) == 4:
                shape.append("#4")
            elif written:
                shape.append("#0" if t[0] == "0" and len(t) > 1 else "#")
            else:
                shape.append("#2" if len(t) == 2 else "#")
        elif t.isalpha():
            mo, w = month_of(t), weekday_of(t)
            if mo and not month:
                month = mo
                # May is written out and abbreviated alike
                shape.append(f"M{'may' if t.lower() == 'may' else 'full' if t.lower() in MONTHS else 'abbr'}{case_pattern(t)}")
            elif w >= 0 and wd < 0:
                wd = w
                shape.append(f"W{'full' if t.lower() in WEEKDAYS else 'abbr'}{case_pattern(t)}")
            elif t.lower() in ("st", "nd", "rd", "th") and i > 0 and toks[i - 1].isdigit():
                shape.append(f"O{case_pattern(t) if len(t) > 1 else ''}")
            else:
                shape.append("w:" + t)
        else:
            shape.append(t)
    y = m = d = None
    if month:
        m = month
        for n in nums:
            if len(n) == 4:
                y = int(n)
            elif d is None and 1 <= int(n) <= 31:
                d = int(n)
        kind = "full" if y and d else "month-year" if y else "day-month" if d else "month"
    elif len(nums) == 1 and len(nums[0]) == 4:
        return "year", int(nums[0]), None, None, wd, shape
    elif len(nums) > 3 and not re.search(r"\d[T ]\d", s):
        return None  # a range (2/20-2/21): two dates the checker does not read as one
    elif len(nums) >= 3 and len(nums[0]) == 4:
        y, m, d = int(nums[0]), int(nums[1]), int(nums[2])
        kind = "full"
    elif len(nums) >= 2:
        a, b = int(nums[0]), int(nums[1])
        d, m = (a, b) if order == "dmy" else (b, a)
        if len(nums) >= 3:
            y = int(nums[2])
            if len(nums[2]) == 2:
                y += 2000 if y < 50 else 1900
            kind = "full"
        else:
            kind = "day-month"
    else:
        return None
    return kind, y, m, d, wd, shape


def shapes_match(a, b):
    """a date's shape against its surrogate's: a 1-digit number of a numeric date may grow to 2"""
    def same(x, y):
        if x == y or (x == "#" and y == "#2"):
            return True
        return x[0] == y[0] == "M" and "may" in (x[1:4], y[1:4]) and x[-1] == y[-1]
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


def to_date(p):
    kind, y, m, d = p[0], p[1], p[2], p[3]
    try:
        if kind == "full":
            return dt.date(y, m, d)
    except ValueError:
        return None
    return None


# ---- shapes of numbers and names ----

def number_shape(s):
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", s)))


def name_shape(s):
    """a letter run of one letter is an initial (I), longer a word (W) with its case"""
    out = []
    for t in re.findall(r"[^\W\d_]+|.", s):
        if t[0].isalpha():
            out.append("I" + ("u" if t.isupper() else "l") if len(t) == 1 else "W" + case_pattern(t))
        else:
            out.append(t)
    return "".join(out)


def name_words(s):
    return [w for w in re.findall(r"[^\W\d_]+", s) if len(w) >= 2]


def nhs_valid(s):
    digits = [int(c) for c in s if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def alnum_key(s):
    return re.sub(r"[^0-9a-z]", "", s.lower())


def occurs(needle, hay):
    """needle's letters and digits as a whole run of hay's (case-insensitive)"""
    n = re.escape(needle.lower())
    return re.search(r"(?<![0-9a-z])" + n + r"(?![0-9a-z])", hay.lower()) is not None


# ---- one document ----

def check_doc(doc, out_text, pairs, tag):
    """pairs: (gold span, surrogate string) for every gold PHI span"""
    name = f"{tag} {doc['id']}"
    problems = []
    shifts, full = set(), []
    years = {}
    name_map, sur_of = {}, {}
    originals = [g["text"] for g, _ in pairs]
    orig_name_words = {w.lower() for g, _ in pairs if g["type"] in NAME_TYPES for w in name_words(g["text"])}
    counts = {"date": 0, "date_ok": 0}
    for g, s in pairs:
        t, o = g["type"], g["text"]
        if s is None:
            problems.append(f"{t} {o!r}: no surrogate")
            continue
        if o in sur_of and sur_of[o] != s:
            problems.append(f"{t} {o!r}: two surrogates {sur_of[o]!r} and {s!r}")
        sur_of[o] = s
        if t == "DATE" or t == "YEAR":
            counts["date"] += 1
            po, ps = parse_date(o, doc["order"]), parse_date(s, doc["order"])
            if po is None:
                problems.append(f"date {o!r} unreadable to the checker")
                continue
            if ps is None:
                problems.append(f"date surrogate {s!r} does not parse")
                continue
            if not shapes_match(po[5], ps[5]):
                problems.append(f"date shape {o!r} -> {s!r} ({' '.join(po[5])} / {' '.join(ps[5])})")
                continue
            if po[0] != ps[0]:
                problems.append(f"date kind {o!r} -> {s!r}")
                continue
            if po[0] == "full":
                do, ds = to_date(po), to_date(ps)
                if do is None or ds is None:
                    problems.append(f"date {s!r} is no calendar date")
                    continue
                shifts.add((ds - do).days)
                full.append((do, ds))
                if ps[4] >= 0 and ps[4] != ds.weekday():
                    problems.append(f"weekday of {s!r} is not {WEEKDAYS[ds.weekday()]}")
            elif po[0] == "year":
                years.setdefault(po[1], set()).add(ps[1])
            counts["date_ok"] += 1
        elif t == "AGE":
            if int(o) >= 90 and not (s.isdigit() and int(s) >= 90 and s != o):
                problems.append(f"age {o} -> {s!r}: not another age of 90 or more")
        elif t in NUMBER_TYPES:
            if number_shape(o) != number_shape(s):
                problems.append(f"{t} shape {o!r} -> {s!r}")
            if o == s:
                problems.append(f"{t} {o!r} unchanged")
            if t == "NHS" and not nhs_valid(s):
                problems.append(f"NHS {s!r}: invalid check digit")
            if t == "SSN" and not s.startswith("9"):
                problems.append(f"SSN {s!r}: an area that may be issued")
            if t in ("PHONE", "FAX"):  # fictional ranges: US 555-01xx, UK drama numbers
                main = re.split(r"[A-Za-z#]", s)[0]
                ds = re.sub(r"\D", "", main)
                do = re.sub(r"\D", "", re.split(r"[A-Za-z#]", o)[0])
                if len(do) == 10 and do[0] in "23456789" and not o.startswith("0") and ds[3:8] != "55501":
                    problems.append(f"US number {s!r} outside 555-0100..0199")
                uk = ds[2:] if ds.startswith("440") else ds
                if (o.startswith("0") or o.startswith("+44")) and len(uk) == 11 and not re.match(r"0(1632960|7700900|2079460)", uk):
                    problems.append(f"UK number {s!r} outside the drama ranges")
            if o.startswith("+44 (0)") and not s.startswith("+44 (0)"):
                problems.append(f"{t} {s!r}: country code and trunk 0 lost")
        elif t in NAME_TYPES:
            if name_shape(o) != name_shape(s):
                problems.append(f"name shape {o!r} -> {s!r} ({name_shape(o)} / {name_shape(s)})")
                continue
            for wo, ws in zip(name_words(o), name_words(s)):
                lo, ls = wo.lower(), ws.lower()
                if name_map.setdefault(lo, ls) != ls:
                    problems.append(f"name word {wo!r} -> {ws!r} and {name_map[lo]!r}")
                if ls in orig_name_words:
                    problems.append(f"surrogate {ws!r} is an original name of the document")
        elif t == "EMAIL":
            if not re.fullmatch(r"[^@\s]+@[a-z0-9.-]+\.example\.(com|org|net)", s):
                problems.append(f"e-mail {s!r} not on a reserved domain")
        elif t == "URL":
            mo, ms = re.match(r"(\w+)://([^/]+)", o), re.match(r"(\w+)://([^/]+)", s)
            if not ms or ms.group(1) != mo.group(1) or not re.search(r"\.example\.(com|org|net)$", ms.group(2)):
                problems.append(f"URL {s!r}: scheme or reserved host lost")
        elif t == "IP":
            try:
                ip = ipaddress.ip_address(s)
                nets = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"]
                if not any(ip in ipaddress.ip_network(n) for n in nets):
                    problems.append(f"IP {s!r} outside the documentation ranges")
            except ValueError:
                problems.append(f"IP {s!r} does not parse")
        elif t == "USERNAME":
            if s == o or sum(c.isdigit() for c in s) != sum(c.isdigit() for c in o):
                problems.append(f"user name {o!r} -> {s!r}")
        elif t in ("CITY", "STATE", "STREET", "HOSPITAL", "COUNTY", "COUNTRY"):
            if s.lower() == o.lower():
                problems.append(f"{t} {o!r} unchanged")
            if case_pattern(o) == "U" and case_pattern(s) != "U":
                problems.append(f"{t} {s!r}: capitals lost")
            if t == "STATE" and re.fullmatch(r"[A-Z]{2}", o) and not re.fullmatch(r"[A-Z]{2}", s):
                problems.append(f"state code {o!r} -> {s!r}")
            mo, ms = re.match(r"\d+", o), re.match(r"\d+", s)
            if t == "STREET" and mo and (not ms or len(ms.group()) != len(mo.group())):
                problems.append(f"street number {o!r} -> {s!r}")
    # one shift per document, every interval kept
    if len(shifts) != 1:
        problems.append(f"date shifts {sorted(shifts)} (one expected)")
    shift = next(iter(shifts)) if len(shifts) == 1 else None
    for i in range(len(full)):
        for j in range(i + 1, len(full)):
            if (full[j][0] - full[i][0]) != (full[j][1] - full[i][1]):
                problems.append(f"interval {full[i][0]}..{full[j][0]} changed")
    if shift is not None:
        for yo, ys in years.items():
            if len(ys) != 1:
                problems.append(f"year {yo} -> {sorted(ys)}")
            elif abs(next(iter(ys)) - yo - shift / 365.25) > 1:
                problems.append(f"year {yo} -> {ys} against a shift of {shift} days")
        for g, s in pairs:  # partial dates: the same shift in some year
            if g["type"] != "DATE" or s is None:
                continue
            po, ps = parse_date(g["text"], doc["order"]), parse_date(s, doc["order"])
            if not po or not ps or po[0] not in ("day-month", "month-year"):
                continue
            if po[0] == "day-month":
                ok = any(dt.date(y, po[2], po[3]) + dt.timedelta(days=shift) == dt.date(y + k, ps[2], ps[3])
                         for y in range(1996, 2031) for k in (-6, -5, -4, -3, -2, -1, 0, 1))
            else:
                months = (ps[1] * 12 + ps[2]) - (po[1] * 12 + po[2])
                ok = abs(months - shift / 30.44) <= 1.5
            if not ok:
                problems.append(f"partial date {g['text']!r} -> {s!r} is not shifted by {shift} days")
    # names: different originals, different surrogates
    inv = {}
    for lo, ls in name_map.items():
        if ls in inv and inv[ls] != lo:
            problems.append(f"{inv[ls]!r} and {lo!r} share the surrogate {ls!r}")
        inv[ls] = lo
    # no original PHI string anywhere (a year alone is a bare number: it may recur in a shifted date)
    for g, _ in pairs:
        if g["type"] != "YEAR" and len(alnum_key(g["text"])) >= 3 and occurs(g["text"], out_text):
            problems.append(f"original {g['type']} {g['text']!r} in the output")
    report(not problems, f"{name}: {len(pairs)} surrogates typed, dated, shaped and consistent",
           "; ".join(problems[:6]) + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""))
    return counts, shift, name_map


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def deid_pairs(doc, rec):
    """gold span -> its surrogate in rec's text, from the span's out_start/out_end"""
    by_start = {(s["start"], s["end"]): s for s in rec["spans"]}
    pairs, outside = [], []
    text, at = rec["text"], 0
    for g in doc["phi"]:
        s = by_start.get((g["start"], g["end"]))
        if s is None or "out_start" not in s:
            pairs.append((g, None))
            continue
        pairs.append((g, text[s["out_start"]:s["out_end"]]))
    # the text between the spans is the original's
    rebuilt, last_o, last_s = [], 0, 0
    ok = True
    for s in rec["spans"]:
        if text[last_s:s.get("out_start", last_s)] != doc["text"][last_o:s["start"]]:
            ok = False
        last_o, last_s = s["end"], s.get("out_end", last_s)
    ok = ok and text[last_s:] == doc["text"][last_o:]
    return pairs, ok


def cmd_deid(src_dir, out):
    docs = load_sources(src_dir)
    recs = {r["id"]: r for r in read_jsonl(out)}
    n = ok = 0
    for doc_id, doc in docs.items():
        if doc_id not in recs:
            report(False, f"deid {doc_id}", "no output record")
            continue
        pairs, same_rest = deid_pairs(doc, recs[doc_id])
        report(same_rest, f"deid {doc_id}: text outside the PHI spans unchanged", "text between spans differs")
        c, _, _ = check_doc(doc, recs[doc_id]["text"], pairs, "deid")
        n += c["date"]
        ok += c["date_ok"]
    print(f"# surrogate dates that parse with their shape and shift: {ok}/{n}")


def cmd_generate(src_dir, out):
    docs = load_sources(src_dir)
    for rec in read_jsonl(out):
        doc = docs.get(rec.get("id"))
        if doc is None or "error" in rec:
            report(False, f"generate {rec.get('id')}", rec.get("error", "unknown id"))
            continue
        report(rec.get("leaks") == 0, f"generate {doc['id']}: leak check 0", f"leaks {rec.get('leaks')}")
        phi = rec["phi"]
        if len(phi) != len(doc["phi"]):
            report(False, f"generate {doc['id']}: one PHI entry per given span", f"{len(phi)} for {len(doc['phi'])}")
            continue
        fills = sorted(set(p.get("fill") for p in phi))
        report(fills == ["surrogate"], f"generate {doc['id']}: every PHI entry says \"fill\": \"surrogate\"", str(fills))
        types = [(g["type"], p["type"]) for g, p in zip(doc["phi"], phi) if g["type"] != p["type"]]
        report(not types, f"generate {doc['id']}: PHI entries in input order with the given types", str(types[:3]))
        check_doc(doc, rec["text"], [(g, p["text"]) for g, p in zip(doc["phi"], phi)], "generate")


def cmd_map(kind, src_dir, map_path, out):
    docs = load_sources(src_dir)
    rows = {}
    for m in read_jsonl(map_path):
        rows.setdefault(m["id"], []).append(m)
    recs = {r["id"]: r for r in read_jsonl(out)}
    for doc_id, doc in docs.items():
        name = f"map {kind} {doc_id}"
        got, rec = rows.get(doc_id, []), recs.get(doc_id)
        want = [(g["start"], g["end"], g["type"], g["text"]) for g in doc["phi"]]
        have = [(m["start"], m["end"], m["type"], m["original"]) for m in got]
        report(have == want, f"{name}: one line per given span, its original the span's text",
               f"{len(have)} lines for {len(want)} spans; first difference "
               f"{next(((h, w) for h, w in zip(have, want) if h != w), None)}")
        report(all(m.get("rule") for m in got), f"{name}: every line names its rule", "a line without \"rule\"")
        if rec is None or have != want:
            report(False, f"{name}: surrogates are the output's", "no output record or lines differ")
            continue
        if kind == "deid":  # the original with each span replaced by the map's surrogate is the output
            text, at, parts = doc["text"], 0, []
            for m in got:
                parts += [text[at:m["start"]], m["surrogate"]]
                at = m["end"]
            ok = "".join(parts) + text[at:] == rec["text"]
        else:  # the output's PHI entries, in order, hold the map's surrogates
            ok = [p["text"] for p in rec["phi"]] == [m["surrogate"] for m in got]
        report(ok, f"{name}: surrogates are what the output has at those places", "they differ")
        leaks = [m["original"] for m in got if m["type"] != "YEAR" and len(alnum_key(m["original"])) >= 3
                 and not (m["type"] == "AGE" and m["original"].isdigit() and int(m["original"]) < 90)
                 and occurs(m["original"], rec["text"])]
        report(not leaks, f"{name}: no original of the map in the output", f"{len(leaks)} found")


def cmd_explain(kind, src_dir, out, explain=None, shown=False):
    docs = load_sources(src_dir)
    recs = {r["id"]: r for r in read_jsonl(out)}
    for doc_id, doc in docs.items():
        rec, name = recs.get(doc_id), f"explain {kind} {doc_id}"
        if rec is None:
            report(False, name, "no output record")
            continue
        if kind == "deid":
            n_sur = sum(1 for s in rec["spans"] if s.get("fill") == "surrogate")
            lines = [l for l in open(explain, encoding="utf-8") if l.startswith(f'explain\t"{doc_id}"\t')]
            sur_lines = [l for l in lines if "\tsurrogate: " in l and "\tsurrogate: none" not in l]
            typed = all(len(l.split("\t")) >= 7 and l.split("\t")[3] and l.split("\t")[4].startswith(("rule:", "given", "known"))
                        for l in sur_lines)
        else:
            n_sur = sum(1 for p in rec["phi"] if p.get("fill") == "surrogate")
            sur_lines = [json.dumps(x, ensure_ascii=False) for x in rec.get("surrogates", [])]
            typed = all(x.get("type") and x.get("rule") and x.get("how") for x in rec.get("surrogates", []))
        report(len(sur_lines) == n_sur and n_sur > 0, f"{name}: one explain line per surrogate ({n_sur})", f"{len(sur_lines)} lines")
        report(typed, f"{name}: each line has the type, the rule and the kind", "a line lacks one")
        text = "\n".join(sur_lines)
        origs = [g["text"] for g in doc["phi"] if g["type"] != "YEAR" and len(alnum_key(g["text"])) >= 3
                 and not (g["type"] == "AGE" and g["text"].isdigit() and int(g["text"]) < 90)]
        found = [o for o in origs if occurs(o, text)]
        if shown:
            report(len(found) == len(origs), f"{name}: --show-phi shows the originals", f"{len(origs) - len(found)} missing")
        else:
            report(not found, f"{name}: no original in the explain lines", f"{len(found)} found")


UK_POSTCODE = re.compile(r"^([A-Za-z]{1,2})[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$")


def cmd_postcode(src_dir, out, areas_path):
    town = {}
    for line in open(areas_path, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            a, t = line.rstrip("\n").split("\t")
            town[a] = t
    docs = load_sources(src_dir)
    recs = {r["id"]: r for r in read_jsonl(out)}
    pairs_seen = 0
    for doc_id, doc in docs.items():
        pairs, _ = deid_pairs(doc, recs[doc_id])
        for i, (g, sur) in enumerate(pairs):
            m = UK_POSTCODE.match(g["text"]) if g["type"] == "ZIP" else None
            if not m:
                continue
            ms = UK_POSTCODE.match(sur or "")
            area = ms.group(1).upper() if ms else None
            report(ms is not None and area in town and area != m.group(1).upper(),
                   f"postcode {doc_id}: {len(m.group(1))}-letter area becomes another listed area", f"{g['text']!r} -> {sur!r}")
            if i > 0 and pairs[i - 1][0]["type"] == "CITY" and re.fullmatch(r"[ ,\n]*", doc["text"][pairs[i - 1][0]["end"]:g["start"]]):
                pairs_seen += 1
                c = pairs[i - 1][1]
                report(area in town and (c or "").lower() == town[area].lower(),
                       f"postcode {doc_id}: the town beside it is the area's post town", f"{c!r} beside {sur!r}")
    report(pairs_seen > 0, f"postcode: {pairs_seen} town-and-postcode pairs checked", "none in the letters")


def cmd_markov(map_path):
    kept = changed = 0
    dates = []
    last = {}
    for m in read_jsonl(map_path):
        k = (m["id"], m["original"].lower())
        if k in last:
            same = last[k] == m["surrogate"].lower()
            if m["type"] in ("DATE", "YEAR"):
                dates.append(same)
            else:
                kept += same
                changed += not same
        last[k] = m["surrogate"].lower()
    report(kept > 0 and changed > 0, f"markov: repeats keep or change their surrogate ({kept} kept, {changed} changed)",
           "one way only")
    report(dates and all(dates), f"markov: {len(dates)} repeated dates keep their surrogate", f"{dates.count(False)} changed")


def cmd_same(a, b, differ):
    ra, rb = read_jsonl(a), read_jsonl(b)
    if differ:
        same = [x["id"] for x, y in zip(ra, rb) if x["text"] == y["text"]]
        report(len(ra) == len(rb) and not same, f"another seed, other surrogates ({len(ra)} documents)", f"same text: {same}")
    else:
        report(len(ra) == len(rb) and all(x["text"] == y["text"] for x, y in zip(ra, rb)),
               f"same seed, same output ({len(ra)} documents)", "outputs differ")


def cmd_keyed(src_dir, k1, k2, nokey):
    docs = load_sources(src_dir)

    def maps(path):
        out = {}
        for rec in read_jsonl(path):
            doc = docs[rec["id"]]
            pairs, _ = deid_pairs(doc, rec)
            counts, shift, name_map = check_doc(doc, rec["text"], pairs, "keyed " + os.path.basename(path))
            out[rec["id"]] = (shift, name_map)
        return out

    a, b, c = maps(k1), maps(k2), maps(nokey)
    pa, pb, p2 = a["note_p1_a"], a["note_p1_b"], a["note_p2"]
    report(pa[0] == pb[0] and pa[0] is not None, "one key: one patient's documents share the date shift", f"{pa[0]} / {pb[0]}")
    report(p2[0] != pa[0], "one key: another patient, another date shift", f"both {pa[0]}")
    shared = [w for w in pa[1] if w in pb[1]]
    report(shared and all(pa[1][w] == pb[1][w] for w in shared), f"one key: one patient's names agree across documents ({', '.join(shared)})",
           str({w: (pa[1][w], pb[1][w]) for w in shared}))
    report(pb[1].get("quennell") == p2[1].get("quennell"), "one key: a clinician's name agrees across patients",
           f"{pb[1].get('quennell')} / {p2[1].get('quennell')}")
    other = b["note_p1_a"][1]
    report(all(other.get(w) != pa[1][w] for w in pa[1]), "another key: other surrogates", str({w: other.get(w) for w in pa[1]}))
    report(c["note_p1_a"][0] != c["note_p1_b"][0] or c["note_p1_a"][1].get("brackwater") != c["note_p1_b"][1].get("brackwater"),
           "no key: each document draws its own surrogates", "the two documents agree without a key")


def cmd_tag(out):
    bad = [(r["id"], p["text"], p.get("fill")) for r in map(json.loads, open(out)) for p in r["phi"]
           if p["text"] != "[**%s**]" % p["type"] or p.get("fill") != "tag"]
    print("PASS surrogate generate --phi-fill tag writes [**TYPE**], each PHI entry \"fill\": \"tag\"" if not bad
          else "FAIL surrogate generate --phi-fill tag: %s" % bad[:3])


def cmd_mlm_fill(out):
    fills = sorted(set(p.get("fill") for r in map(json.loads, open(out)) for p in r["phi"]))
    # the masked LM fills every PHI span; a leak it brings back is written as [**TYPE**]
    print("PASS surrogate generate --phi-fill mlm: each PHI entry says \"fill\": \"mlm\" (or redaction)"
          if fills and set(fills) <= {"mlm", "redaction"} and "mlm" in fills else "FAIL surrogate generate --phi-fill mlm: fills %s" % fills)


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "prep":
        cmd_prep(a[1], a[2:])
    elif a[0] == "deid":
        cmd_deid(a[1], a[2])
    elif a[0] == "generate":
        cmd_generate(a[1], a[2])
    elif a[0] == "explain":
        cmd_explain(a[1], a[2], a[3], a[4] if len(a) > 4 else None, len(a) > 5 and a[5] == "shown")
    elif a[0] == "postcode":
        cmd_postcode(a[1], a[2], a[3])
    elif a[0] == "markov":
        cmd_markov(a[1])
    elif a[0] == "map":
        cmd_map(a[1], a[2], a[3], a[4])
    elif a[0] in ("same", "differ"):
        cmd_same(a[1], a[2], a[0] == "differ")
    elif a[0] == "keyed":
        cmd_keyed(a[1], a[2], a[3], a[4])
    elif a[0] == "tag":
        cmd_tag(a[1])
    elif a[0] == "mlm-fill":
        cmd_mlm_fill(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
