#!/usr/bin/env python3
"""safety_checks.py - stage 85's checks (issue 16: nothing lost, nothing silently wrong)
that read sr's outputs in Python (stdlib only). Each prints PASS/FAIL lines named
"safety ..."; the stage runs sr and passes its outputs and exit statuses.

  safety_checks.py out-formats DIR RC RC2 RC3 RC4
      sr generate --out with --format jsonl (RC, and with --jsonl RC2: DIR/o4, nothing on
      DIR/o4.stdout), i2b2 (RC3: DIR/o5) and brat (RC4: DIR/o6): NAME.json per record,
      NAME.xml, NAME.txt + NAME.ann, no hidden (temporary) file left
  safety_checks.py leaks ON.jsonl OFF.jsonl OFF.err RC_ON RC_OFF
      the leak letter (a name given once, left elsewhere in capitals) by default (ON):
      resampled then written as [**NAME**], the redaction a change, the changes rebuild
      the text; with --allow-leaks (OFF, its stderr OFF.err): the leak as found, said so
  safety_checks.py jsonl-errors OUT RC COMMAND
      COMMAND's --jsonl output of the stage's in.jsonl (a BOM, a key given twice, an
      empty line, a record without an id, a good record): BOM skipped, the duplicate key
      an error, error records carry {id or null, line}, exit 1
  safety_checks.py file-ids OUT RC COMMAND FILE MISSING
      COMMAND on FILE and MISSING (exit status RC), then on stdin: the records' ids are
      the paths (MISSING's an error record), stdin's its index 0
  safety_checks.py encoding-files DIR
      DIR/enc_cp1252.txt, enc_latin1.txt, enc_bad.txt (0x81: undefined in cp1252),
      enc_lines.jsonl (cp1252), written by Python's codecs
  safety_checks.py encoding SR DIR
      SR deid --encoding cp1252|latin1 on those files equals Python's codecs; without
      --encoding the refusal names the byte offset and --encoding cp1252; the undefined
      byte and an unknown encoding are refused
  safety_checks.py keep-fields IN.jsonl OUT RC COMMAND
      COMMAND --keep-fields site,when: the named keys carried verbatim right after "id",
      others dropped, absent ones absent
  safety_checks.py generate-text OUT RC ERR RC2 ERR2
      sr generate --quiet --format jsonl --text A --text B (OUT, RC, stderr ERR): ids 0
      and 1, PHI replaced, nothing on stderr; --text with a file (RC2, ERR2) refused (2)
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def out_formats(argv):
    S = argv[1]
    rcs = list(map(int, argv[2:]))
    ok = rcs == [0, 0, 0, 0] and os.path.getsize(S + "/o4.stdout") == 0
    recs = {}
    for n in ("a", "b"):
        p = "%s/o4/%s.json" % (S, n)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f: recs[n] = json.loads(f.read())
    ok = ok and sorted(recs) == ["a", "b"] and all(recs[n]["id"] == n and recs[n]["text"] for n in recs)
    root = ET.parse(S + "/o5/example_letter.xml").getroot() if os.path.exists(S + "/o5/example_letter.xml") else None
    ok = ok and root is not None and root.find("TEXT") is not None
    ok = ok and os.path.exists(S + "/o6/example_letter.txt") and os.path.exists(S + "/o6/example_letter.ann")
    names = sorted(os.listdir(S + "/o4") + os.listdir(S + "/o5") + os.listdir(S + "/o6"))
    ok = ok and not any(n.startswith(".") for n in names)
    print(("PASS" if ok else "FAIL") + " safety --out honours --format: jsonl -> NAME.json (nothing on stdout), i2b2 -> NAME.xml, brat -> NAME.txt + NAME.ann (exits %s, files %s)" % (rcs, names))


def leaks(argv):
    on = json.loads(open(argv[1], encoding="utf-8").read())
    off = json.loads(open(argv[2], encoding="utf-8").read())
    warn = open(argv[3], encoding="utf-8").read()
    src = "Mr Quixworth was seen today. Later QUIXWORTH was well."
    rebuilt, at = [], 0
    for c in sorted(on["changes"], key=lambda c: c["orig_start"]):
        rebuilt += [src[at:c["orig_start"]], c["text"]]
        at = c["orig_end"]
    rebuilt = "".join(rebuilt) + src[at:]
    ok = (argv[4:] == ["0", "0"] and "quixworth" not in on["text"].lower() and "Later [**NAME**] was well" in on["text"]
          and on["leaks"] == 0 and on.get("redactions", 0) >= 1 and "resamples" in on and rebuilt == on["text"]
          and any(c["kind"] == "redaction" and c["type"] == "NAME" and c["text"] == "[**NAME**]" for c in on["changes"]))
    print(("PASS" if ok else "FAIL") + " safety leaks fail closed by default: %r, redactions %s, resamples %s, the redaction a change (the changes rebuild the text)" % (on["text"], on.get("redactions"), on.get("resamples")))
    ok = off["leaks"] == 1 and "QUIXWORTH" in off["text"] and "--allow-leaks" in warn
    print(("PASS" if ok else "FAIL") + " safety --allow-leaks writes the leak as found and says so: %r, leaks %s" % (off["text"], off["leaks"]))


def jsonl_errors(argv):
    rows = [json.loads(l) for l in open(argv[1], encoding="utf-8")]
    got = [(r["id"], r.get("line"), "error" in r) for r in rows]
    want = [("bom", None, False), ("dup", 2, True), (None, 4, True), (4, None, False)]
    ok = got == want and argv[2] == "1" and "twice" in rows[1]["error"]
    print(("PASS" if ok else "FAIL") + " safety %s JSONL: BOM skipped, duplicate key refused, error records {id or null, line}, exit %s%s"
          % (argv[3], argv[2], "" if ok else ": %r" % got))


def file_ids(argv):
    got = [(r["id"], "error" in r) for r in map(json.loads, open(argv[1], encoding="utf-8"))]
    want = [(argv[4], False), (argv[5], True), (0, False)]
    ok = got == want and argv[2] == "1"
    print(("PASS" if ok else "FAIL") + " safety %s: file inputs carry their path as id, stdin its index, exit %s%s"
          % (argv[3], argv[2], "" if ok else ": %r" % got))


def encoding_files(argv):
    d = argv[1]
    body = "Caf\u00e9 \u201cna\u00efve\u201d \u2013 \u20ac5, \u00bd tablet \u2122 \u0152dema\u2026 \u00fcber\n"
    open(d + "/enc_cp1252.txt", "wb").write(body.encode("cp1252"))
    open(d + "/enc_latin1.txt", "wb").write("Caf\u00e9 \u00bd \u00fcber \u00a7 \u00ff\n".encode("latin-1"))
    open(d + "/enc_bad.txt", "wb").write(b"ok \x81 no\n")
    open(d + "/enc_lines.jsonl", "wb").write('{"id":"e1","text":"T\u00e9l\u00e9phone \u2013 ok"}\n'.encode("cp1252"))


def encoding(argv):
    sr, d = argv[1], argv[2]
    def run(*a):
        p = subprocess.run([sr, "deid", "--format", "jsonl", *a], capture_output=True)
        return p.returncode, [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()], p.stderr.decode("utf-8", "replace")
    ok, why = True, []
    for enc, py in (("cp1252", "cp1252"), ("latin1", "latin-1")):
        rc, rows, _ = run("--encoding", enc, d + "/enc_%s.txt" % enc)
        want = open(d + "/enc_%s.txt" % enc, "rb").read().decode(py)
        if rc != 0 or rows[0].get("text") != want: ok = False; why.append("%s: %r" % (enc, rows))
    rc, rows, err = run(d + "/enc_cp1252.txt")
    if rc != 1 or "--encoding cp1252" not in err or "byte offset 3" not in err: ok = False; why.append("utf-8 refusal: %s %s" % (rc, err))
    rc, rows, err = run("--encoding", "cp1252", d + "/enc_bad.txt")
    if rc != 1 or "0x81 at byte offset 3" not in err: ok = False; why.append("undefined byte: %s %s" % (rc, err))
    rc, rows, _ = run("--jsonl", "--encoding", "cp1252", d + "/enc_lines.jsonl")
    if rc != 0 or rows[0].get("text") != "T\u00e9l\u00e9phone \u2013 ok": ok = False; why.append("jsonl: %r" % rows)
    p = subprocess.run([sr, "deid", "--encoding", "ebcdic", "--text", "x"], capture_output=True)
    if p.returncode != 2 or b"--encoding" not in p.stderr: ok = False; why.append("bad value: %s" % p.returncode)
    print(("PASS" if ok else "FAIL") + " safety --encoding cp1252/latin1 equal Python's codecs (files, JSONL); UTF-8 refusal names the offset and --encoding; undefined byte and unknown encoding refused"
          + ("" if ok else ": " + "; ".join(why)))


def keep_fields(argv):
    src = [json.loads(l) for l in open(argv[1], encoding="utf-8")]
    out = [json.loads(l) for l in open(argv[2], encoding="utf-8")]
    ok = argv[3] == "0" and len(out) == 2
    ok = ok and list(out[0])[:3] == ["id", "site", "when"] and out[0]["site"] == src[0]["site"] and out[0]["when"] == src[0]["when"]
    ok = ok and "drop" not in out[0] and "site" not in out[1] and "when" not in out[1]
    print(("PASS" if ok else "FAIL") + " safety %s --keep-fields: named keys carried verbatim after id, others not, absent stay absent%s"
          % (argv[4], "" if ok else ": %r" % out[:1]))


def generate_text(argv):
    rows = [json.loads(l) for l in open(argv[1], encoding="utf-8")]
    ok = argv[2] == "0" and [r["id"] for r in rows] == [0, 1] and "Smith" not in rows[0]["text"] and "Doe" not in rows[1]["text"]
    ok = ok and open(argv[3]).read() == "" and argv[4] == "2" and "--text" in open(argv[5]).read()
    print(("PASS" if ok else "FAIL") + " safety generate --text: two letters, ids 0 and 1, PHI replaced, --quiet silent, --text with files refused (exit 2)"
          + ("" if ok else ": %r %s" % (rows, argv[4])))


COMMANDS = {"out-formats": out_formats, "leaks": leaks, "jsonl-errors": jsonl_errors, "file-ids": file_ids,
            "encoding-files": encoding_files, "encoding": encoding, "keep-fields": keep_fields,
            "generate-text": generate_text}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
