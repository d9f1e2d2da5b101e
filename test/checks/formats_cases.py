#!/usr/bin/env python3
"""formats_cases.py - stage 86's invented letters, the broken copies for the negative
controls of test/checks/formats_check.py, and two small checks of `sr deid` outputs (stdlib only).

  formats_cases.py letters DIR
      DIR/in/ctl.txt (every C0 control character, CRLF, a form feed, "]]>", markup
      characters, non-ASCII: two-byte, CJK, astral, U+FFFE, U+FFFF, NEL, U+2028) and
      DIR/in/two.txt; as JSONL {"id", "text"}: DIR/orig.jsonl (keyed by name), one.jsonl
      (ctl as a document of its own, id "-"), paths.jsonl (keyed by path), odd.jsonl (an id
      of markup characters and a tab); DIR/ev/ the letters without U+FFFE/U+FFFF for sr
      eval; DIR/frag.jsonl (given PHI over CRLF, FF, LS, NEL and a tab) and frag.orig.jsonl
  formats_cases.py break DIR
      broken copies of DIR's outputs, each one kind of error the checker must find:
      bad_ff.xml (a raw form feed), bad_cr.xml (a raw CR in TEXT), bad_off.xml (a start
      moved by one), bad_ann/ (a .ann offset moved by one), bad_conf/ (DOCTOR missing from
      annotation.conf)
  formats_cases.py out-jsonl DIR RC STDOUT
      sr deid --format jsonl --out DIR --jsonl odd.jsonl (exit status RC, its stdout
      STDOUT): NAME.json from each id made a file name, nothing on stdout; a PASS/FAIL line
  formats_cases.py shard DIR
      DIR/shard0.jsonl, shard1.jsonl (sr deid --jsonl --shard K/2 of DIR/odd.jsonl):
      records 0 and 2, then 1; a PASS/FAIL line
"""
import json
import os
import shutil
import sys


def letters(argv):
    D = argv[1]
    ctl = ("Dr John Smith saw Mr Quentin Marsh on 12/03/2024.\r\n"
           "Controls: " + "".join(chr(c) for c in range(0x20)) + " and DEL \x7f.\n"
           "CDATA ends ]]> here, and ]]]]> there; markup &<>\"' &amp; <![CDATA[x]]>\n"
           "Non-ASCII: Mrs Zo\u00eb M\u00fcller, \u65e5\u672c, \U0001d11e, \ufffe \uffff, NEL\x85, LS\u2028, PS\u2029.\n"
           "Seen at 9 Elm Road, Leeds. Signed Dr Ada Byron\x0cPage 2\x0bof 2\n")
    two = "Mr Bob Jones (MRN 4471902) was seen by Dr Jones on 1 March 2024 in Leeds.\n"
    docs = {"ctl": ctl, "two": two}
    for k, t in docs.items():
        with open("%s/in/%s.txt" % (D, k), "w", encoding="utf-8", newline="") as f: f.write(t)
    def jsonl(path, recs):
        with open(path, "w", encoding="utf-8") as f:
            for k, t in recs: f.write(json.dumps({"id": k, "text": t}) + "\n")
    jsonl(D + "/orig.jsonl", docs.items())                                # keyed by name
    # for sr eval: the letters without U+FFFE/U+FFFF (word characters to sr eval, U+FFFD in XML)
    os.makedirs(D + "/ev/in")
    ev = {k: t.replace("\ufffe", "").replace("\uffff", "") for k, t in docs.items()}
    for k, t in ev.items():
        with open("%s/ev/in/%s.txt" % (D, k), "w", encoding="utf-8", newline="") as f: f.write(t)
    jsonl(D + "/ev/orig.jsonl", ev.items())
    jsonl(D + "/one.jsonl", [("-", ctl)])                                 # a document of its own
    jsonl(D + "/paths.jsonl", [("%s/in/%s.txt" % (D, k), t) for k, t in docs.items()])  # keyed by path
    # PHI given over line breaks of every kind: BRAT fragments must stop at each
    frag = "Patient: Quentin\r\nMarsh, seen\x0cthere, at LS\u2028here, NEL\x85now, tab\tin, end\n"
    given = [[frag.index(a), frag.index(a) + len(a)] for a in ("Quentin\r\nMarsh", "seen\x0cthere", "LS\u2028here", "NEL\x85now", "tab\tin")]
    with open(D + "/frag.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "frag", "text": frag, "given_phi": [{"start": a, "end": b, "type": "NAME"} for a, b in given]}) + "\n")
    jsonl(D + "/frag.orig.jsonl", [("frag", frag)])
    jsonl(D + "/odd.jsonl", [("x&<\"'>\ty", two), ("ctl", ctl), ("three", "Dr Ann Lee, tel 020 7946 0000.")])


def break_copies(argv):
    D = argv[1]
    x = open(D + "/deid_show.xml", encoding="utf-8").read()
    open(D + "/bad_ff.xml", "w", encoding="utf-8").write(x.replace("Controls: ", "Controls: \x0c", 1))
    open(D + "/bad_cr.xml", "w", encoding="utf-8", newline="").write(x.replace("&#13;", "\r", 1))
    i = x.index('start="') + 7
    open(D + "/bad_off.xml", "w", encoding="utf-8").write(x[:i] + str(int(x[i:x.index('"', i)]) + 1) + x[x.index('"', i):])
    shutil.copytree(D + "/b_show", D + "/bad_ann")
    a = open(D + "/bad_ann/ctl.ann", encoding="utf-8").read().split("\t", 2)
    s, rest = a[1].split(" ", 1)
    a[1] = s + " " + str(int(rest.split(" ")[0]) + 1) + " " + rest.split(" ", 1)[1]
    open(D + "/bad_ann/ctl.ann", "w", encoding="utf-8").write("\t".join(a))
    shutil.copytree(D + "/b_show", D + "/bad_conf")
    c = open(D + "/bad_conf/annotation.conf", encoding="utf-8").read().replace("\nDOCTOR\n", "\n", 1)
    open(D + "/bad_conf/annotation.conf", "w", encoding="utf-8").write(c)


def out_jsonl(argv):
    d, rc, out = argv[1], argv[2], argv[3]
    names = sorted(os.listdir(d))
    recs = {n: json.load(open(os.path.join(d, n), encoding="utf-8")) for n in names}
    ok = rc == "0" and names == ["ctl.json", "three.json", "xy.json"] and os.path.getsize(out) == 0 and recs["xy.json"]["id"] == "x&<\"'>\ty"
    print(("PASS" if ok else "FAIL") + " formats deid --jsonl --out: NAME.json from each id (made a file name), nothing on stdout (exit %s, %s)" % (rc, names))


def shard(argv):
    D = argv[1]
    ids = [[json.loads(l)["id"] for l in open("%s/shard%d.jsonl" % (D, k), encoding="utf-8")] for k in (0, 1)]
    want = [json.loads(l)["id"] for l in open(D + "/odd.jsonl", encoding="utf-8")]
    ok = ids == [[want[0], want[2]], [want[1]]]
    print(("PASS" if ok else "FAIL") + " formats deid --shard 0/2 and 1/2: records 0, 2 and 1 (%s)" % ids)


COMMANDS = {"letters": letters, "break": break_copies, "out-jsonl": out_jsonl, "shard": shard}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
