# The built-in part-of-speech tagger (ner.c, data/pos_ewt.srp), `sr pos`, and what the
# Masker built on it keeps of the invented documents (test/docs).
# Expected values: UPOS gold tags (UD English EWT, ../shared/ud; test/data/pos_clinical.conllu,
# tagged by hand) scored by test/pos_score.py, written apart from the C code; the Python
# reference tagger of train/train_pos.py (the features' specification); the gold
# annotations of test/docs scored by test/eval_keep.py.
set -u
cd "$ROOT"
P="$OUT/pos"
mkdir -p "$P"
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
UD="${SHARED:+$SHARED/ud}"

# --- the model file
size=$(wc -c <data/pos_ewt.srp)
if [ "$size" -le 5000000 ]; then pass "pos model: data/pos_ewt.srp is $size bytes (<= 5,000,000)"
else fail "pos model: data/pos_ewt.srp is $size bytes, over 5,000,000"; fi

# --- sr pos --conllu on hand-tagged invented clinical sentences (no ../shared needed)
"$SR" pos --conllu test/data/pos_clinical.conllu >"$P/clinical.conllu" 2>"$P/clinical.err"
rc=$?
"$PY" test/pos_score.py test/data/pos_clinical.conllu "$P/clinical.conllu" >"$P/clinical.json" 2>&1
"$PY" - "$P/clinical.json" $rc <<'PYEOF'
import json, sys
r = json.loads(open(sys.argv[1]).read())
if sys.argv[2] != "0" or "error" in r:
    print("FAIL pos clinical: sr pos exit %s, %s" % (sys.argv[2], r.get("error")))
elif not r["other_columns_equal"]:
    print("FAIL pos clinical: sr pos --conllu changed a column other than UPOS")
elif r["accuracy"] < 0.92 or r["nva_precision"] < 0.95:
    print("FAIL pos clinical: accuracy %.4f (floor 0.92), NOUN/VERB/ADJ precision %.4f (floor 0.95)"
          % (r["accuracy"], r["nva_precision"]))
else:
    print("PASS pos clinical: %d hand-tagged words of invented clinical text (mixed, ALL CAPS, lower case): "
          "accuracy %.4f, words tagged NOUN/VERB/ADJ that are so %.4f; other columns unchanged"
          % (r["words"], r["accuracy"], r["nva_precision"]))
PYEOF

# --- the C tagger computes what the Python reference computes (same file, same features)
ref_in=test/data/pos_clinical.conllu
[ -n "$UD" ] && [ -f "$UD/en_ewt-ud-dev.conllu" ] && ref_in="$UD/en_ewt-ud-dev.conllu"
"$PY" train/train_pos.py tag data/pos_ewt.srp "$ref_in" >"$P/ref.tags" 2>"$P/ref.err"
"$SR" pos --conllu "$ref_in" | grep -P '^\d+\t' | cut -f4 >"$P/c.tags"
nd=$(paste "$P/ref.tags" "$P/c.tags" | awk -F'\t' '$1 != $2' | wc -l)
nr=$(wc -l <"$P/ref.tags")
if [ "$nr" -gt 0 ] && [ "$nd" -eq 0 ] && [ "$nr" -eq "$(wc -l <"$P/c.tags")" ]; then
    pass "pos reference: C tagger = train_pos.py's Python tagger on all $nr words of $(basename "$ref_in")"
else fail "pos reference: $nd of $nr words differ from train_pos.py's tagger ($(head -c 300 "$P/ref.err"))"; fi

# --- EWT test: as given, lower-cased, upper-cased (needs ../shared)
if [ -n "$UD" ] && [ -f "$UD/en_ewt-ud-test.conllu" ]; then
    "$PY" - "$UD/en_ewt-ud-test.conllu" "$P" <<'PYEOF'
import sys
src, out = sys.argv[1], sys.argv[2]
for how in ("lower", "upper"):
    with open(src, encoding="utf-8") as f, open("%s/test_%s.conllu" % (out, how), "w", encoding="utf-8") as o:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) == 10 and c[0][:1].isdigit():
                c[1] = c[1].lower() if how == "lower" else c[1].upper()
                line = "\t".join(c) + "\n"
            o.write(line)
PYEOF
    t0=$(date +%s.%N)
    "$SR_NATIVE" pos --conllu "$UD/en_ewt-ud-test.conllu" >"$P/test_given.pred"
    "$SR_NATIVE" pos --conllu "$P/test_lower.conllu" >"$P/test_lower.pred"
    "$SR_NATIVE" pos --conllu "$P/test_upper.conllu" >"$P/test_upper.pred"
    # speed and start-up, reported (not a timed test): user CPU seconds of one process
    TIMEFORMAT=%U
    speed=$( { time "$SR_NATIVE" pos --conllu "$UD/en_ewt-ud-train.conllu" >/dev/null; } 2>&1 | tail -1)
    TIMEFORMAT=%R
    start=$( { time "$SR_NATIVE" pos --text hello >/dev/null; } 2>&1 | tail -1)
    for how in given lower upper; do
        a=""; [ $how != given ] && a="--case $how"
        "$PY" test/pos_score.py "$UD/en_ewt-ud-test.conllu" "$P/test_$how.pred" $a >"$P/test_$how.json"
    done
    "$PY" - "$P" "$speed" "$start" <<'PYEOF'
import json, sys
P, speed, start = sys.argv[1:4]
r = {h: json.loads(open("%s/test_%s.json" % (P, h)).read()) for h in ("given", "lower", "upper")}
floors = {"given": 0.95, "lower": 0.935, "upper": 0.935}
bad = [h for h in r if "error" in r[h] or not r[h]["other_columns_equal"] or r[h]["accuracy"] < floors[h]]
words = 204577
wps = words / float(speed) if float(speed) > 0 else float("inf")  # the 0.001 s resolution of bash's time
line = ("EWT test UPOS accuracy %.4f as given (floor 0.95), %.4f lower-cased, %.4f upper-cased (floors 0.935); "
        "reported, not tested: %.0f words/s of one process's user CPU time on EWT train (%s s), start-up + one word %s s wall"
        % (r["given"].get("accuracy", 0), r["lower"].get("accuracy", 0), r["upper"].get("accuracy", 0), wps, speed, start))
print(("FAIL pos ewt: " if bad else "PASS pos ewt: ") + line + ("; failing: %s" % bad if bad else ""))
PYEOF
else
    echo "SKIP pos ewt: ../shared/ud not found"
fi

# --- sr pos on text: the Masker's words with offsets, JSONL, and bad input
"$SR" pos --text "Pt's BP was high; follow-up in 2/52." >"$P/text.out" 2>&1
printf '%s\n' '{"id":"a","text":"Dear Dr Kaur, thank you."}' '{"id":7,"text":"broken' >"$P/in.jsonl"
"$SR" pos --jsonl "$P/in.jsonl" >"$P/jsonl.out" 2>"$P/jsonl.err"
jrc=$?
"$PY" - "$P/text.out" "$P/jsonl.out" $jrc <<'PYEOF'
import json, sys
text = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
words = [t[3] for t in text]
ok = words == ["Pt's", "BP", "was", "high", "follow-up", "in", "2", "52"] and all(len(t) == 4 for t in text)
ok = ok and text[4][0] == "18" and text[4][1] == "27"
lines = [json.loads(l) for l in open(sys.argv[2])]
ok2 = (sys.argv[3] == "1" and len(lines) == 2 and lines[0]["id"] == "a" and [w["word"] for w in lines[0]["words"]]
       == ["Dear", "Dr", "Kaur", "thank", "you"] and lines[1]["id"] == 7 and "error" in lines[1])
if ok and ok2:
    print("PASS pos text: the Masker's words (follow-up, Pt's whole) with code-point offsets; JSONL ids echoed, "
          "a broken line gives an error record, exit 1")
else:
    print("FAIL pos text: %s / %s" % (words, open(sys.argv[2]).read()[:300]))
PYEOF
bad=0 why=""
printf '1\tone\t_\n' >"$P/bad1.conllu"
"$SR" pos --conllu "$P/bad1.conllu" >/dev/null 2>"$P/bad.err" && { bad=1; why="3 columns accepted"; }
grep -q "bad1.conllu:1:" "$P/bad.err" || { bad=1; why="no file:line in: $(cat "$P/bad.err")"; }
printf '\xff\n' >"$P/bad2.conllu"
"$SR" pos --conllu "$P/bad2.conllu" >/dev/null 2>&1 && { bad=1; why="invalid UTF-8 accepted"; }
head -c 1000 data/pos_ewt.srp >"$P/short.srp"
"$SR" pos --tagger "$P/short.srp" --text x >/dev/null 2>"$P/bad.err" && { bad=1; why="a truncated tagger file accepted"; }
grep -q "bytes, the header says" "$P/bad.err" || { bad=1; why="truncated file: $(cat "$P/bad.err")"; }
"$SR" pos --tagger /nonexistent.srp --text x >/dev/null 2>&1 && { bad=1; why="a missing tagger file accepted"; }
[ $bad = 0 ] && pass "pos bad input: short CoNLL-U line (file:line named), invalid UTF-8, truncated and missing tagger files refused, non-zero exit" \
    || fail "pos bad input: $why"

# --- the Masker on the invented documents: selection, entities, structure
if [ ! -x "$OUT/ner_test" ] || [ -n "$(find sr.c sr.h ner.c phi.c mlm.c tokenizer.c test/ner_test.c -newer "$OUT/ner_test" 2>/dev/null)" ]; then
    "$CC" -O2 -Wall -Wno-unused-function -o "$OUT/ner_test" test/ner_test.c -lm 2>"$P/ner_test.log" || fail "pos: ner_test build"
fi
if [ ! -f "$P/gen_cased.srm" ]; then "$PY" test/gen_models.py "$P" >"$P/models.log" 2>&1 || fail "pos: gen_models.py"; fi
for split in dev held; do
    "$PY" test/eval_keep.py "$SR" "$OUT/ner_test" "$P/gen_cased.srm" test/docs/$split.jsonl 0.3 0.5 0.7 1.0 --json \
        >"$P/keep_$split.txt" 2>&1
    echo "rc $?" >>"$P/keep_$split.txt"
done
"$PY" - "$P/keep_dev.txt" "$P/keep_held.txt" <<'PYEOF'
import json, sys
# regression floors at what this version keeps (the issue's goal: 0.95 entities at 0.5, all structure)
# main's PHI rules mask a few more label words (PHI wins); both shares move by about 0.006 with the random draw
# whenever the PHI spans change (the draw of one seed), hence the margins; and sr generate fails closed on
# leaks: a PHI span the rules take for a name ("Cushing") is written as [**NAME**] in Cushing's entities
floors = {"dev": (0.905, 0.945), "held": (0.875, 0.925)}
for path, split in zip(sys.argv[1:3], ("dev", "held")):
    lines = open(path).read().splitlines()
    rc = lines[-1]
    if rc != "rc 0" or not lines[-2].startswith("{"):
        print("FAIL keep %s: eval_keep.py: %s" % (split, " | ".join(lines[-4:])[:500]))
        continue
    r = json.loads(lines[-2])
    floor_ok = all(v["floor_ok"] == v["floor_checks"] for v in r.values())
    nva = all(v["nva_share"] == 1.0 for v in r.values())
    print(("PASS" if floor_ok and nva else "FAIL") + " keep %s selection: floor(ratio x count) per tag in every "
          "(document, tag) pair at ratios %s (%d pairs each); every masked word is NOUN/VERB/ADJ to the tagger"
          % (split, "/".join(r), next(iter(r.values()))["floor_checks"]))
    e, s = r["0.5"]["kept_share"], r["0.5"]["structure_kept"] / r["0.5"]["structure"]
    desc = ", ".join("%s: %.4f" % (k, v["kept_share"]) for k, v in r.items())
    ok = e >= floors[split][0] and s >= floors[split][1]
    print(("PASS" if ok else "FAIL") + " keep %s entities: gold entities kept verbatim %s (floor %.2f at 0.5); "
          "structure kept %d/%d at 0.5 (floor %.2f)" % (split, desc, floors[split][0], r["0.5"]["structure_kept"],
                                                         r["0.5"]["structure"], floors[split][1]))
PYEOF
