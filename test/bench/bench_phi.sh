#!/usr/bin/env bash
# Speed of the PHI rules (sr deid, rules and lexicons only), one core, against a peer in
# the same run. Not a test: prints medians of several runs and the ratio.
#   bash test/bench/bench_phi.sh [SR_BINARY]
# Text: ../shared/deid-dev notes (repeated to ~10 MB) when ../shared is there, else the
# hand-written cases repeated. Peer: neither the PhysioNet deid Perl tool nor Philter is
# installable here (no PyPI, no PhysioNet), so the peer is a simple regex de-identifier
# written for this benchmark in Python's `re` (12 patterns: dates, phones, titles + name,
# ages, IDs, e-mail) - named "python-re baseline" below, far less thorough than sr.
# Load time (the lexicon hash) is measured separately and subtracted.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SR=${1:-$ROOT/sr}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
OUT=$ROOT/test/out/bench_phi
mkdir -p "$OUT"
[ -x "$SR" ] || { cc -O3 -o "$ROOT/sr" "$ROOT/sr.c" -lm && SR=$ROOT/sr; }
RUNS=5

if [ -f "$ROOT/../shared/deid-dev/notes.jsonl" ]; then
    src="deid-dev nursing notes"
    "$PY" -c 'import json,sys
docs=[json.loads(l)["text"] for l in open(sys.argv[1])]
t="".join(x+"\n" for x in docs); k=max(1,int(10e6/len(t)))
open(sys.argv[2],"w").write(t*k)
open(sys.argv[3],"w").write("".join(json.dumps({"id":i,"text":x})+"\n" for i,x in enumerate(docs*k)))' "$ROOT/../shared/deid-dev/notes.jsonl" "$OUT/text.txt" "$OUT/text.jsonl"
else
    src="test/data/phi_cases.txt"
    "$PY" -c 'import re,sys
import json
docs=[re.sub(r"\{\{[A-Z]+\|(.*?)\}\}",r"\1",l) for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
t="".join(docs); k=max(1,int(10e6/len(t)))
open(sys.argv[2],"w").write(t*k)
open(sys.argv[3],"w").write("".join(json.dumps({"id":i,"text":x})+"\n" for i,x in enumerate(docs*k)))' "$ROOT/test/data/phi_cases.txt" "$OUT/text.txt" "$OUT/text.jsonl"
fi
bytes=$(wc -c <"$OUT/text.txt")
echo "text: $src, $bytes bytes"

cat >"$OUT/baseline.py" <<'EOF'
# python-re baseline: a simple regex de-identifier, for speed comparison only
import re, sys
PATTERNS = [
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b", r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?\b",
    r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b", r"\b\d{3}-\d{2}-\d{4}\b",
    r"\b(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.? [A-Z][a-z]+(?: [A-Z][a-z]+)?",
    r"\b(?:wife|husband|son|daughter|sister|brother)\W+[A-Z][a-z]+",
    r"\b(?:9\d|1[0-2]\d) ?(?:yo|y/o|year[- ]old)\b", r"\b(?:MRN|mrn|ID)[:# ]*\d{5,}\b",
    r"\b[\w.]+@[\w.]+\.\w+\b", r"\b\d{7,}\b", r"\b[A-Z][a-z]+ (?:Hospital|Clinic|Medical Center)\b",
]
RX = re.compile("|".join("(?:%s)" % p for p in PATTERNS), re.I)
text = open(sys.argv[1], encoding="utf-8").read()
out = RX.sub(lambda m: "[**PHI**]", text)
sys.stdout.write(out)
EOF

# CPU time (user + system) of each run: the machine is shared, so wall time mostly
# measures the other jobs; CPU seconds of a single-threaded run are its one-core cost.
printf 'x\n' >"$OUT/tiny.txt"
"$PY" - "$bytes" "$RUNS" "$SR" "$OUT" "$PY" <<'EOF'
import os, resource, statistics, subprocess, sys, time
b, runs, sr, out, py = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def cost(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.time()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN); t1 = time.time()
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), t1 - t0
def med(cmd, n):
    xs = [cost(cmd) for _ in range(n)]
    return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)
load, load_w = med([sr, "deid", out + "/tiny.txt"], runs)
full, full_w = med([sr, "deid", out + "/text.txt"], runs)
docs, docs_w = med([sr, "deid", "--jsonl", out + "/text.jsonl"], runs)
peer, peer_w = med([py, out + "/baseline.py", out + "/text.txt"], 3)
mb = b / 1e6
rules = max(full - load, 1e-9)
print("CPU seconds, median of %d runs (wall-clock medians in brackets; the machine is shared)" % runs)
print("sr deid start-up (lexicons): %.0f ms CPU [%.0f ms wall]" % (load * 1e3, load_w * 1e3))
print("sr deid --jsonl, one record per note: %.2f s CPU [%.2f s wall] for %.1f MB -> %.1f MB/s without start-up, %.1f MB/s with (JSON in/out included)" % (docs, docs_w, mb, mb / max(docs - load, 1e-9), mb / docs))
print("sr deid, the whole text as ONE document: %.2f s CPU [%.2f s wall] -> rules %.1f MB/s, %.1f MB/s with start-up" % (full, full_w, mb / rules, mb / full))
print("python-re baseline: %.2f s CPU [%.2f s wall] -> %.1f MB/s" % (peer, peer_w, mb / peer))
print("ratio sr / python-re baseline: %.1fx per note, %.1fx as one document" % ((mb / max(docs - load, 1e-9)) / (mb / peer), (mb / rules) / (mb / peer)))
print("reference points (published / other machines): PhysioNet deid Perl ~0.009 MB/s, Philter regex stage ~0.024 MB/s")
EOF
