#!/usr/bin/env python3
"""Check the report of `sr eval --sweep` (stdlib only).

usage: eval_report_check.py DIR

  - DIR/report.html is well-formed (parsed as XML, strictly), one <html> with <head>
    and <body>, self-contained: no <script>, no <link>, no <img>, no src= or href=
    pointing anywhere, no url(...) in the CSS;
  - every element with data-key="a.b.3.c" shows the value at that path of
    DIR/results.json: a number to the decimals shown (|shown - value| <= half a unit
    of the last digit shown), "-" for null, a string exactly;
  - no other number is shown: digits in text are allowed only inside such elements,
    in headings and table headers, and in elements of class "axis" (tick labels) or
    "name" (labels such as "ROUGE-L" or "top-20");
  - the report has one row per run in the paper's table and one point per run.
Prints PASS/FAIL lines.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def main(d):
    html = open(d + "/report.html", encoding="utf-8").read()
    results = json.load(open(d + "/results.json", encoding="utf-8"))
    body = re.sub(r"^<!DOCTYPE html>\s*", "", html)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        print("FAIL report well-formed: %s" % e)
        return
    ns = "{http://www.w3.org/2000/svg}"

    def tag(el):
        return el.tag.replace(ns, "")

    ok = tag(root) == "html" and [tag(c) for c in root] == ["head", "body"]
    print(("PASS" if ok else "FAIL") + " report well-formed: XML parse, <html> with <head> and <body>")
    bad = [tag(e) for e in root.iter() if tag(e) in ("script", "link", "img", "iframe", "object", "embed")]
    bad += ["%s=%s" % (k, v) for e in root.iter() for k, v in e.attrib.items() if k in ("src", "href")]
    bad += re.findall(r"url\(", html) + re.findall(r"@import", html)
    print(("FAIL report self-contained: %s" % bad[:5]) if bad else "PASS report self-contained: no script, links, images or URLs")

    def lookup(path):
        x = results
        for p in path.split("."):
            if isinstance(x, list):
                x = x[int(p)]
            else:
                x = x[p]
        return x

    checked, wrong, stray = 0, [], []

    def text_of(el):
        return "".join(el.itertext()).strip()

    def walk(el, allowed):
        nonlocal checked
        cls = el.attrib.get("class", "").split()
        here = allowed or tag(el) in ("th", "h1", "h2", "h3", "title", "style") or "axis" in cls or "name" in cls
        if "data-key" in el.attrib:
            key, shown = el.attrib["data-key"], text_of(el)
            try:
                v = lookup(key)
            except (KeyError, IndexError, ValueError, TypeError):
                wrong.append("%s: not in results.json" % key)
                return
            checked += 1
            if v is None:
                if shown != "-":
                    wrong.append("%s: shows %r, results.json null" % (key, shown))
            elif isinstance(v, bool) or isinstance(v, str):
                if shown != str(v):
                    wrong.append("%s: shows %r, results.json %r" % (key, shown, v))
            else:
                m = re.fullmatch(r"-?\d+(\.(\d+))?", shown)
                if not m:
                    wrong.append("%s: shows %r for %r" % (key, shown, v))
                else:
                    dec = len(m.group(2) or "")
                    if abs(float(shown) - v) > 0.5 * 10 ** -dec + 1e-9:
                        wrong.append("%s: shows %s, results.json %r" % (key, shown, v))
            return
        for piece in [el.text] + [c.tail for c in el]:
            if piece and re.search(r"\d", piece) and not here:
                stray.append(piece.strip()[:60])
        for c in el:
            walk(c, here)

    walk(root, False)
    print(("FAIL report numbers: %d of %d differ from results.json, e.g. %s" % (len(wrong), checked, wrong[:3])) if wrong
          else "PASS report numbers: all %d data-key values equal results.json" % checked)
    print(("FAIL report has numbers not taken from results.json: %s" % stray[:5]) if stray
          else "PASS report shows no number that is not in results.json (besides axis ticks and labels)")
    runs = results["runs"]
    body_el = root.find("body")
    rows = [tr for tr in body_el.iter("tr") if tr.find("td[@data-key]") is not None and
            tr.find("td[@data-key]").attrib["data-key"].endswith(".ratio")]
    points = [c for c in root.iter(ns + "circle")]
    n = len(runs)
    ok = len(rows) == 2 * n and len(points) >= 2 * n - sum(1 for r in runs if r["eval"]["reid_risk"]["risk"] is None)
    print(("PASS" if ok else "FAIL") + " report has a table row (paper's table, timings) and plot points for each of the %d runs (%d rows, %d points)"
          % (n, len(rows), len(points)))
    demo = results["model"]["demo"]
    warned = "demo model's numbers" in html
    print(("PASS" if warned == demo else "FAIL") + " report says plainly whether the numbers are the demo model's (demo %s)" % demo)


if __name__ == "__main__":
    main(sys.argv[1])
