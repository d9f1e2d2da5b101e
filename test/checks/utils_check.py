"""Check sr's JSON-lines reader (sr.c section 1) against Python's json module.

Generates valid and invalid JSONL lines, runs test/out/utils_test on them and checks
that every valid record's text and id decode exactly as json.loads decodes them, and
that every invalid line is reported as an error naming its line number.
Policy checked here as well: a lone surrogate escape (which Python accepts) is an
error in sr, since it cannot be represented in UTF-8."""
import json, random, subprocess, sys

harness, path = sys.argv[1], sys.argv[2]
rng = random.Random(7)

def rand_text():
    parts = []
    for _ in range(rng.randint(0, 12)):
        r = rng.random()
        if r < 0.4: parts.append(rng.choice(["Dr. Núñez", "BP 120/80", "5 mg bid", "\"quoted\"", "back\\slash", "tab\there", "nl\nx", "\r", "/"]))
        elif r < 0.7: parts.append(chr(rng.randint(0x20, 0x7E)))
        elif r < 0.85: parts.append(chr(rng.choice([rng.randint(0x80, 0x7FF), rng.randint(0x800, 0xD7FF), rng.randint(0xE000, 0xFFFF), rng.randint(0x10000, 0x10FFFF)])))
        else: parts.append(chr(rng.randint(0, 0x1F)))
    return "".join(parts)

lines, expect = [], []
for i in range(3000):
    obj = {}
    if rng.random() < 0.3: obj["pre"] = {"nested": [1, 2.5e-3, None, True, "x", {"a": []}]}
    if rng.random() < 0.8: obj["id"] = rng.choice([i, f"rec-{i}", -1.5, None, [i, "a"], {"k": i}])
    obj["text"] = rand_text()
    if rng.random() < 0.2: obj["post"] = "ignored"
    keys = list(obj.items()); rng.shuffle(keys); obj = dict(keys)
    line = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    lines.append(line); expect.append(("OK", obj))
    if i % 10 == 0:
        bad = rng.choice([
            line[:-1],                                   # unterminated object
            line.replace('"text"', '"txt"'),             # no text field
            '{"id": 1, "text": 5}',                      # text not a string
            '{"id": 1, "text": "a\\ud800b"}',            # lone surrogate
            '{"id": 1, "text": "a\\x"}',                 # bad escape
            '{"id": 1, "text": "abc"} trailing',
            '[1, 2]',
            '{"id": 1, "text": "raw\u0001ctl"}',         # raw control character
        ])
        lines.append(bad); expect.append(("ERR", None))
    if i % 97 == 0:
        lines.append("   "); # blank lines are skipped, not records
with open(path, "wb") as f:
    for l in lines: f.write(l.encode("utf-8") + b"\n")
    f.write(b'{"id": 9, "text": "bad \xff utf8"}\n'); expect.append(("ERR", None))

out = subprocess.run([harness, path], capture_output=True).stdout.decode("utf-8").splitlines()
records = [e for e in expect]
ok = fail = 0
def check(name, cond, why=""):
    global ok, fail
    if cond: ok += 1
    else:
        fail += 1
        if fail < 10: print(f"FAIL utils {name}: {why}")
check("record count", len(out) == len(records), f"{len(out)} outputs for {len(records)} records")
line_no = {}
n = 0
for k, l in enumerate(lines):
    if l.strip(): line_no[n] = k + 1; n += 1
line_no[n] = len(lines) + 1
for k, (got, (kind, obj)) in enumerate(zip(out, records)):
    if kind == "OK":
        parts = got.split(" ")
        good = parts[0] == "OK" and len(parts) >= 3
        if good:
            hexpart = parts[-1]; idpart = " ".join(parts[1:-1])
            good = bytes.fromhex(hexpart).decode("utf-8") == obj["text"]
            good = good and ((idpart == "-" and "id" not in obj) or ("id" in obj and json.loads(idpart) == obj["id"]))
        check(f"record {k}", good, f"got {got[:80]!r}")
    else:
        check(f"error record {k}", got.startswith("ERR ") and f":{line_no[k]}:" in got, f"got {got[:80]!r}, expected an error naming line {line_no[k]}")
print(("PASS" if fail == 0 else "FAIL") + f" utils json-lines reader matches Python's json on {len(records)} records ({ok} checks, {fail} failed)")
