# The built-in part-of-speech tagger (ner.c, data/pos_ewt.srp), `sr pos`, and what the
# Masker built on it keeps of the invented documents (test/docs).
# Expected values: UPOS gold tags (UD English EWT, ../shared/ud; test/data/pos_clinical.conllu,
# tagged by hand) scored by test/checks/pos_score.py, written apart from the C code; the Python
# reference tagger of train/train_pos.py (the features' specification); the gold
# annotations of test/docs scored by test/checks/eval_keep.py.
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
"$PY" test/checks/pos_score.py test/data/pos_clinical.conllu "$P/clinical.conllu" >"$P/clinical.json" 2>&1
"$PY" test/checks/pos_checks.py clinical "$P/clinical.json" $rc

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
    "$PY" test/checks/pos_checks.py case-variants "$UD/en_ewt-ud-test.conllu" "$P"
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
        "$PY" test/checks/pos_score.py "$UD/en_ewt-ud-test.conllu" "$P/test_$how.pred" $a >"$P/test_$how.json"
    done
    "$PY" test/checks/pos_checks.py ewt "$P" "$speed" "$start"
else
    echo "SKIP pos ewt: ../shared/ud not found"
fi

# --- sr pos on text: the Masker's words with offsets, JSONL, and bad input
"$SR" pos --text "Pt's BP was high; follow-up in 2/52." >"$P/text.out" 2>&1
printf '%s\n' '{"id":"a","text":"Dear Dr Kaur, thank you."}' '{"id":7,"text":"broken' >"$P/in.jsonl"
"$SR" pos --jsonl "$P/in.jsonl" >"$P/jsonl.out" 2>"$P/jsonl.err"
jrc=$?
"$PY" test/checks/pos_checks.py text "$P/text.out" "$P/jsonl.out" $jrc
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
if [ ! -x "$OUT/ner_test" ] || [ -n "$(find sr.c sr.h ner.c phi.c mlm.c tokenizer.c test/c/ner_test.c -newer "$OUT/ner_test" 2>/dev/null)" ]; then
    "$CC" -O2 -Wall -Wno-unused-function -o "$OUT/ner_test" test/c/ner_test.c -lm 2>"$P/ner_test.log" || fail "pos: ner_test build"
fi
if [ ! -f "$P/gen_cased.srm" ]; then "$PY" test/models/gen_models.py "$P" >"$P/models.log" 2>&1 || fail "pos: gen_models.py"; fi
for split in dev held; do
    "$PY" test/checks/eval_keep.py "$SR" "$OUT/ner_test" "$P/gen_cased.srm" test/docs/$split.jsonl 0.3 0.5 0.7 1.0 --json \
        >"$P/keep_$split.txt" 2>&1
    echo "rc $?" >>"$P/keep_$split.txt"
done
"$PY" test/checks/pos_checks.py keep "$P/keep_dev.txt" "$P/keep_held.txt"
