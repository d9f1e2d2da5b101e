# sr eval (mlm.c, "sr eval"): every metric against test/checks/eval_ref.py, an independent
# Python scorer, on 240 generated pairs (empty, one-word, Unicode, letter-like, long)
# plus hand-computed cases; the Masker path against sr deid's spans; i2b2 XML / BRAT
# folders against the same pairs as JSONL; bad input; the sweep report (well-formed,
# self-contained, every number equal to results.json) on the demo model.
set -u
E=$OUT/eval
rm -rf "$E"; mkdir -p "$E"
CASES="$PY $ROOT/test/checks/eval_cases.py"
fail() { echo "FAIL $1"; }

# 1. generated pairs, predicted PHI given: sr eval vs eval_ref.py, section by section
$CASES gen "$E" >"$E/gen.log" 2>&1 || { fail "eval_cases.py gen: $(tail -3 "$E/gen.log")"; exit 0; }
"$SR" eval "$E/orig.jsonl" "$E/syn.jsonl" --phi-pred "$E/pred.jsonl" --json >"$E/got.json" 2>"$E/got.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '1 missing, 1 extra, 1 error' "$E/got.err"; then
    echo "PASS sr eval reports the missing, extra and error records and exits 1"
else fail "sr eval on the generated pairs: exit $rc, $(head -c 300 "$E/got.err")"; fi
if "$PY" "$ROOT/test/checks/eval_ref.py" "$E/orig.jsonl" "$E/syn.jsonl" "$E/pred.jsonl" "$ROOT/data" >"$E/ref.json" 2>"$E/ref.err"; then
    $CASES compare "$E/got.json" "$E/ref.json"
else fail "eval_ref.py: $(tail -3 "$E/ref.err")"; fi

# 2. hand-computed cases
$CASES hand "$E"
if "$SR" eval "$E/hand_orig.jsonl" "$E/hand_syn.jsonl" --phi-pred "$E/hand_pred.jsonl" --json >"$E/hand.json" 2>"$E/hand.err"; then
    $CASES hand-check "$E/hand.json"
else fail "sr eval hand cases: $(head -c 300 "$E/hand.err")"; fi

# 3. the Masker path: sr eval without --phi-pred = the reference given sr deid's spans
head -n 120 "$E/orig.jsonl" >"$E/m_orig.jsonl"
head -n 120 "$E/syn.jsonl" >"$E/m_syn.jsonl"
"$SR" deid --jsonl "$E/m_orig.jsonl" >"$E/m_pred.jsonl" 2>"$E/m_deid.err"
if "$SR" eval "$E/m_orig.jsonl" "$E/m_syn.jsonl" --json >"$E/m_got.json" 2>"$E/m_got.err" &&
    "$PY" "$ROOT/test/checks/eval_ref.py" "$E/m_orig.jsonl" "$E/m_syn.jsonl" "$E/m_pred.jsonl" "$ROOT/data" >"$E/m_ref.json"; then
    $CASES compare "$E/m_got.json" "$E/m_ref.json" "eval_ref.py on sr deid's spans (Masker path)" | grep -E ' (phi|reid_risk|per_document phi|per_document reid) '
else fail "sr eval with the Masker: $(head -c 300 "$E/m_got.err")"; fi

# 4. i2b2 XML and BRAT standoff originals, a folder of synthetic .txt
$CASES folders "$E"
if "$SR" eval "$E/orig_dir" "$E/syn_dir" --json >"$E/f_dir.json" 2>"$E/f.err" &&
    "$SR" eval "$E/folder_orig.jsonl" "$E/folder_syn.jsonl" --json >"$E/f_jsonl.json" 2>>"$E/f.err"; then
    n=$($CASES compare "$E/f_dir.json" "$E/f_jsonl.json" "JSONL" | grep -c '^FAIL')
    [ "$n" -eq 0 ] && echo "PASS sr eval reads i2b2 XML (CDATA and escaped) and BRAT .txt/.ann folders: every number as from the same pairs in JSONL" ||
        { fail "i2b2/BRAT folders differ from JSONL:"; $CASES compare "$E/f_dir.json" "$E/f_jsonl.json" "JSONL" | grep '^FAIL'; }
else fail "sr eval folders: $(head -c 300 "$E/f.err")"; fi

# 5. bad input: one line naming the problem, non-zero exit
printf '%s\n' '{"id":"a","text":"Seen today.","phi":[{"start":3,"end":40,"type":"NAME"}]}' >"$E/bad_span.jsonl"
printf '%s\n' '{"id":"a","text":"one"}' '{"id":"a","text":"two"}' >"$E/dup.jsonl"
printf '%s\n' '{"id":"a","text":"one"' >"$E/broken.jsonl"
printf '%s\n' '{"id":"a","text":"Seen today."}' >"$E/ok.jsonl"
check_bad() { # name, expected text, args...
    local name=$1 want=$2; shift 2
    "$SR" eval "$@" >"$E/bad.out" 2>"$E/bad.err"
    local rc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l <"$E/bad.err")" -eq 1 ] && grep -q -- "$want" "$E/bad.err"; then echo "PASS sr eval bad input: $name ($(head -c 120 "$E/bad.err"))"
    else fail "sr eval bad input $name: exit $rc, $(head -c 300 "$E/bad.err")"; fi
}
check_bad "span outside the text" "bad_span.jsonl:1: phi span 1 \[3, 40)" "$E/bad_span.jsonl" "$E/ok.jsonl"
check_bad "repeated id" "appears twice" "$E/dup.jsonl" "$E/ok.jsonl"
check_bad "broken JSON" "broken.jsonl:1:" "$E/broken.jsonl" "$E/ok.jsonl"
check_bad "missing file" "no-such.jsonl" "$E/no-such.jsonl" "$E/ok.jsonl"

# 6. the sweep on the demo model: the example letter with hand-annotated PHI and
#    medical entities, parallel and rounds:2, two ratios; the report and results.json
$CASES example "$ROOT/data/example_letter.txt" "$ROOT/test/data/gen_example_phi.json" "$ROOT/test/data/eval_example_med.json" "$E/example.jsonl"
if OMP_WAIT_POLICY=PASSIVE "$SR_NATIVE" eval --sweep "$E/example.jsonl" --fill parallel,rounds:2 --ratios 0.5,1.0 --report "$E/report" \
    >"$E/sweep.out" 2>"$E/sweep.err"; then
    echo "PASS sr eval --sweep on the demo model: $(tail -1 "$E/sweep.err")"
    "$PY" "$ROOT/test/checks/eval_report_check.py" "$E/report"
    # each run's synthetic letters, measured again by sr eval, give the run's numbers
    "$SR" eval "$E/example.jsonl" "$E/report/synthetic-rounds-2-1.00.jsonl" --json --no-documents >"$E/rerun.json" 2>/dev/null
    $CASES sweep-rerun "$E/report/results.json" "$E/rerun.json"
else fail "sr eval --sweep: $(tail -3 "$E/sweep.err")"; fi

# 7. the optional similarity (-m MODEL) against PyTorch holding the same weights: the
#    demo model's weights in an f32 file (so sr's arithmetic is plain f32 too), 40 short
#    pairs and the 10 long ones (several 510-piece chunks each)
{ head -n 40 "$E/orig.jsonl"; sed -n 231,240p "$E/orig.jsonl"; } >"$E/s_orig.jsonl"
{ head -n 40 "$E/syn.jsonl"; sed -n 231,240p "$E/syn.jsonl"; } >"$E/s_syn.jsonl"
{ head -n 40 "$E/pred.jsonl"; sed -n 231,240p "$E/pred.jsonl"; } >"$E/s_pred.jsonl"
if "$PY" "$ROOT/test/checks/demo_fill.py" export "$ROOT/models/sr-demo.srm" "$E/hf" >"$E/sim.log" 2>&1 &&
    "$PY" "$ROOT/convert_weights.py" "$E/hf" "$E/demo.f32.srm" --dtype f32 >>"$E/sim.log" 2>&1 &&
    "$SR" tokenize -m "$E/demo.f32.srm" --jsonl --no-special "$E/s_orig.jsonl" >"$E/t_o.jsonl" 2>>"$E/sim.log" &&
    "$SR" tokenize -m "$E/demo.f32.srm" --jsonl --no-special "$E/s_syn.jsonl" >"$E/t_s.jsonl" 2>>"$E/sim.log" &&
    OMP_WAIT_POLICY=PASSIVE "$SR_NATIVE" eval "$E/s_orig.jsonl" "$E/s_syn.jsonl" --phi-pred "$E/s_pred.jsonl" -m "$E/demo.f32.srm" --json >"$E/s_got.json" 2>>"$E/sim.log" &&
    OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/test/checks/eval_similarity_ref.py" "$E/demo.f32.srm" "$E/t_o.jsonl" "$E/t_s.jsonl" >"$E/s_ref.json" 2>>"$E/sim.log"; then
    $CASES similarity "$E/s_got.json" "$E/s_ref.json"
else fail "similarity: $(tail -3 "$E/sim.log")"; fi

# 8. the sweep on the plain example letter (no gold: PHI recall "-", reference = predicted)
if OMP_WAIT_POLICY=PASSIVE "$SR_NATIVE" eval --sweep "$ROOT/data/example_letter.txt" --fill parallel --ratios 0.5 --report "$E/report_plain" \
    >"$E/sweep_plain.out" 2>"$E/sweep_plain.err"; then
    "$PY" "$ROOT/test/checks/eval_report_check.py" "$E/report_plain" | sed 's/^\(PASS\|FAIL\) report/\1 report (no gold)/'
else fail "sr eval --sweep data/example_letter.txt: $(tail -3 "$E/sweep_plain.err")"; fi
