# PHI rules and `sr deid`: hand-written cases, output formats, errors, offsets, lexicons,
# a libFuzzer smoke run, and (when ../shared is there) the deid-dev scores.
# Never prints PHI from ../shared: only counts and scores.
# tier: fast
set -u
cd "$ROOT"
W=$OUT/phi
mkdir -p "$W"
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }

# ---- 1. hand-written cases (test/data/phi_cases.txt): expected spans and look-alikes ----
# (test/checks/phi_checks.py cases: every marked span masked with a type of its family, nothing else)
# (the case file is invented text, so its words may be shown)
res=$("$PY" test/checks/phi_checks.py cases "$SR" test/data/phi_cases.txt 2>&1)
read -r ncases nphi nlook ncat <<<"$(echo "$res" | head -1)"
nfail=$(echo "$res" | tail -n +2 | grep -c . || true)
if [ "${ncases:-0}" -ge 150 ] && [ "${nlook:-0}" -ge 50 ] && [ "$nfail" -eq 0 ]; then
    pass "phi-cases: $ncases hand-written cases ($nphi with PHI in $ncat categories, $nlook look-alikes) all right"
else
    fail "phi-cases: $ncases cases ($nlook look-alikes), $nfail wrong: $(echo "$res" | tail -n +2 | head -5 | tr '\n' ';')"
fi

# ---- 2. the native build finds the same spans ----
grep -v '^#' test/data/phi_cases.txt | sed 's/{{[A-Z]*|\([^}]*\)}}/\1/g' | grep . >"$W/cases_plain.txt"
"$SR" deid --format jsonl "$W/cases_plain.txt" >"$W/p.jsonl" 2>&1
"$SR_NATIVE" deid --format jsonl "$W/cases_plain.txt" >"$W/n.jsonl" 2>&1
if cmp -s "$W/p.jsonl" "$W/n.jsonl" && [ -s "$W/p.jsonl" ]; then pass "phi-native: portable and native builds give identical spans"
else fail "phi-native: portable and native outputs differ"; fi

# ---- 3. formats and offsets ----
TXT='Dr. Zoë Ångström saw Mr. Müller on 3/14/2021 (MRN 4471902). Call 617-555-0199.'
"$SR" deid --jsonl >"$W/u.jsonl" <<EOF
{"id": "u1", "text": "$TXT"}
EOF
"$PY" test/checks/phi_checks.py offsets "$W/u.jsonl" "$TXT" >"$W/u.check" 2>&1
if grep -qx ok "$W/u.check"; then pass "phi-offsets: code-point offsets and [**TYPE**] text right on non-ASCII names"
else fail "phi-offsets: $(tail -1 "$W/u.check")"; fi

out=$("$SR" deid --keep-length --text "$TXT")
if [ "$("$PY" test/checks/phi_checks.py keep-length "$TXT" "$out")" = True ]; then
    pass "phi-keep-length: same length, PHI replaced by '*'"
else fail "phi-keep-length: got: $out"; fi

"$SR" deid --format i2b2 --text "$TXT" >"$W/x.xml"
if "$PY" test/checks/phi_checks.py i2b2 "$W/x.xml" 2>"$W/x.err"; then pass "phi-i2b2: well-formed XML, offsets fit the '*'-masked text, no PHI without --show-phi"
else fail "phi-i2b2: $(tail -1 "$W/x.err")"; fi
"$SR" deid --format i2b2 --show-phi --text "$TXT" >"$W/x2.xml"
if grep -q 'text="Müller"' "$W/x2.xml"; then pass "phi-i2b2-show: --show-phi writes the original text"; else fail "phi-i2b2-show: original not written"; fi

"$SR" deid --format brat --text "$TXT" >"$W/b.ann"
if [ "$(grep -c '^T[0-9]' "$W/b.ann")" -eq 5 ] && grep -q $'^T1\tDOCTOR 4 16\t\\*\\*\\* \\*\\*\\*\\*\\*\\*\\*\\*$' "$W/b.ann" && ! grep -q 'Müller' "$W/b.ann"; then
    pass "phi-brat: standoff T-lines with code-point offsets, PHI text starred"
else fail "phi-brat: $(head -2 "$W/b.ann" | tr '\n' ' ')"; fi

# an address block over several lines (invented): street, locality, town, postcode
blk=$("$SR" deid --text $'Mrs Imelda Quarrington\n14 Orchard Close\nLittle Haddon\nNorwich\nNR14 6QT\n\nDear Mrs Quarrington,')
want=$'Mrs [**NAME**]\n[**STREET**]\n[**CITY**]\n[**CITY**]\n[**ZIP**]\n\nDear Mrs [**NAME**],'
blk2=$("$SR" deid --text $'Plan: diuresis\nFollow up in clinic\nSee GP\nNR14 6QT')
if [ "$blk" = "$want" ] && [ "$blk2" = $'Plan: diuresis\nFollow up in clinic\nSee GP\n[**ZIP**]' ]; then
    pass "phi-address-block: the lines between a street and a postcode are masked; other lines above a postcode are not"
else fail "phi-address-block: got: $(echo "$blk" | tr '\n' '|') / $(echo "$blk2" | tr '\n' '|')"; fi

# ---- 4. errors: bad JSON line, invalid UTF-8, --phi-model, missing data ----
printf '{"id": 1, "text": "Dr. Smith"}\n{"id": 2, "text": \n{"id": 3, "text": "on 3/4/2020"}\n' >"$W/bad.jsonl"
"$SR" deid --jsonl "$W/bad.jsonl" >"$W/bad.out" 2>"$W/bad.err"; rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$W/bad.out")" -eq 3 ] && grep -q '"error"' "$W/bad.out" && grep -q '"id":3' "$W/bad.out" && grep -q 'bad.jsonl:2' "$W/bad.err"; then
    pass "phi-jsonl-errors: a bad line gives an error record naming file:line, the batch goes on, exit $rc"
else fail "phi-jsonl-errors: rc=$rc out=$(head -c 300 "$W/bad.out")"; fi
printf 'Dr. Smith \xff\xfe on 3/4' >"$W/bad.txt"
"$SR" deid "$W/bad.txt" >/dev/null 2>"$W/utf.err"; rc=$?
if [ $rc -ne 0 ] && grep -q 'invalid UTF-8 at byte offset 10' "$W/utf.err"; then pass "phi-utf8: invalid UTF-8 refused, naming the byte offset"
else fail "phi-utf8: rc=$rc: $(cat "$W/utf.err")"; fi
"$SR" deid --phi-model /nonexistent.bin --text "x" >/dev/null 2>"$W/pm.err"; rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$W/pm.err")" -eq 1 ] && grep -q '/nonexistent.bin' "$W/pm.err"; then pass "phi-model-missing: a missing --phi-model file is one line naming it (exit 2)"
else fail "phi-model-missing: rc=$rc $(cat "$W/pm.err")"; fi
"$SR" deid --data "$W/nowhere" --text "x" >/dev/null 2>"$W/dd.err"; rc=$?
if [ $rc -eq 2 ] && grep -q 'nowhere' "$W/dd.err"; then pass "phi-data-missing: a missing lexicon folder is one clear error"
else fail "phi-data-missing: rc=$rc $(cat "$W/dd.err")"; fi

# ---- 5. --lexicon, --no-extras, --explain privacy ----
printf '# site names\nZorblatt\nQuendrick Vasterholm\n' >"$W/site.txt"
a=$("$SR" deid --no-fail-closed --text "zorblatt visited; quendrick smiled")
b=$("$SR" deid --lexicon "$W/site.txt" --text "zorblatt visited; quendrick smiled")
: >"$W/empty.txt"
c=$("$SR" deid --no-fail-closed --lexicon "$W/empty.txt" --text "zorblatt visited" 2>&1); rc=$?
"$SR" deid --lexicon "$W/nosuch.txt" --text "x" >/dev/null 2>"$W/nosuch.err"; rc2=$?
if [ "$a" = "zorblatt visited; quendrick smiled" ] && [ "$b" = "[**NAME**] visited; [**NAME**] smiled" ] &&
   [ $rc -eq 0 ] && [ "$c" = "zorblatt visited" ] && [ $rc2 -ne 0 ] && grep -q 'nosuch.txt' "$W/nosuch.err"; then
    pass "phi-lexicon: --lexicon adds a site's names; an empty list is fine, a missing one is an error naming it"
else fail "phi-lexicon: without: $a / with: $b / empty: rc=$rc $c / missing: rc=$rc2 $(cat "$W/nosuch.err")"; fi
a=$("$SR" deid --text "Transferred from Penwarden Memorial Hospital in 2011.")
b=$("$SR" deid --no-extras --text "Transferred from Penwarden Memorial Hospital in 2011.")
if [ "$a" = "Transferred from [**HOSPITAL**] in [**YEAR**]." ] && [ "$b" = "Transferred from Penwarden Memorial Hospital in 2011." ]; then pass "phi-extras: hospitals and lone years are extras; --no-extras leaves them"
else fail "phi-extras: $a / $b"; fi
"$SR" deid --explain --text "Dr. Quillfeather saw her on 3/4/2020." >/dev/null 2>"$W/ex.err"
"$SR" deid --explain --show-phi --text "Dr. Quillfeather saw her on 3/4/2020." >/dev/null 2>"$W/ex2.err"
if grep -q $'explain\t.*DOCTOR\trule:title/dr\t' "$W/ex.err" && ! grep -q 'Quillfeather\|3/4/2020' "$W/ex.err" && grep -q 'Quillfeather' "$W/ex2.err"; then
    pass "phi-explain: --explain gives rule, trigger and reason without the PHI; --show-phi adds it"
else fail "phi-explain: $(head -3 "$W/ex.err" | tr '\n' ' ')"; fi

# ---- 6. libFuzzer smoke run (20 s) under ASan + UBSan; not in make check's fast tier
# (FAST=1), which needs no clang ----
if [ "${FAST:-0}" = 1 ]; then
    :
elif command -v clang >/dev/null && clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$W/fuzz_phi" test/c/fuzz_phi.c -lm 2>"$W/fuzz_build.log"; then
    mkdir -p "$W/fuzz_corpus"
    grep -v "^#" test/data/phi_cases.txt | head -c 2000 >"$W/fuzz_corpus/seed"
    (cd "$W" && SR_DATA="$ROOT/data" ./fuzz_phi -max_total_time=20 -rss_limit_mb=2048 fuzz_corpus >"$W/fuzz.log" 2>&1); rc=$?
    runs=$(grep -o 'Done [0-9]* runs' "$W/fuzz.log" | tail -1)
    if [ $rc -eq 0 ]; then pass "phi-fuzz: 20 s libFuzzer + ASan/UBSan over sr_phi_find clean ($runs)"
    else fail "phi-fuzz: $(grep -m2 'ERROR\|runtime error\|SUMMARY' "$W/fuzz.log" | tr '\n' ' ')"; fi
else
    fail "phi-fuzz: cannot build the libFuzzer target: $(tail -2 "$W/fuzz_build.log" | tr '\n' ' ')"
fi

# ---- 7. deid-dev (../shared): token and span scores per type; prints no text ----
if [ -n "$SHARED" ] && [ -f "$SHARED/deid-dev/notes.jsonl" ]; then
    "$SR" deid --jsonl "$SHARED/deid-dev/notes.jsonl" >"$W/deid_dev_pred.jsonl" 2>"$W/deid_dev.err"
    # the patients kept out of sight while the rules were written (pid % 5 == 0) and the
    # rest, apart; errors are never printed
    "$PY" test/checks/eval_phi.py "$SHARED/deid-dev/notes.jsonl" "$W/deid_dev_pred.jsonl" --held-out >"$W/deid_dev_eval.txt" 2>&1
    sed 's/^/  /' "$W/deid_dev_eval.txt"
    msg="" ok=1
    for part in held dev; do
        line=$(awk -v p="== $part" 'index($0, p) == 1 {on = 1; next} /^== / {on = 0} on && /^OVERALL/' "$W/deid_dev_eval.txt")
        rec=$(echo "$line" | awk '{print $4}'); prec=$(echo "$line" | awk '{print $7}')
        # floors against regressions (the issue's bar: recall 0.985, precision 0.75)
        floor=0.975; [ $part = dev ] && floor=0.985
        "$PY" -c "import sys; sys.exit(0 if float('$rec') >= $floor and float('$prec') >= 0.75 else 1)" 2>/dev/null || ok=0
        msg="$msg $part: token recall $rec, precision $prec (floors $floor/0.75);"
    done
    if [ $ok -eq 1 ]; then pass "phi-deid-dev:$msg"
    else fail "phi-deid-dev:$msg below a floor"; fi
    # the fail-closed layer's cost, side by side: the same notes without it
    "$SR" deid --no-fail-closed --jsonl "$SHARED/deid-dev/notes.jsonl" >"$W/deid_dev_nofc.jsonl" 2>/dev/null
    with=$("$PY" test/checks/eval_phi.py "$SHARED/deid-dev/notes.jsonl" "$W/deid_dev_pred.jsonl" | grep '^OVERALL' | awk '{print $4" / "$7}')
    without=$("$PY" test/checks/eval_phi.py "$SHARED/deid-dev/notes.jsonl" "$W/deid_dev_nofc.jsonl" | grep '^OVERALL' | awk '{print $4" / "$7}')
    wr=${with%% *}; nr=${without%% *}
    if "$PY" -c "import sys; sys.exit(0 if float('$wr') >= float('$nr') else 1)"; then
        pass "phi-fail-closed-cost deid-dev: recall / precision with the layer $with, without $without"
    else fail "phi-fail-closed-cost deid-dev: the layer lost recall: with $with, without $without"; fi
    # the same notes all lower case and ALL CAPS (gold offsets unchanged): the rules must
    # not lean on capitals (floors against regressions)
    "$PY" test/checks/phi_checks.py case-variants "$SHARED/deid-dev/notes.jsonl" "$W/dev_lower.jsonl" "$W/dev_upper.jsonl"
    msg="" ok=1
    for v in lower upper; do
        "$SR" deid --jsonl "$W/dev_$v.jsonl" >"$W/dev_${v}_pred.jsonl" 2>/dev/null
        l=$("$PY" test/checks/eval_phi.py "$W/dev_$v.jsonl" "$W/dev_${v}_pred.jsonl" 2>&1 | grep '^OVERALL')
        r=$(echo "$l" | awk '{print $4}'); p=$(echo "$l" | awk '{print $7}')
        "$PY" -c "import sys; sys.exit(0 if float('$r') >= 0.975 and float('$p') >= 0.72 else 1)" 2>/dev/null || ok=0
        msg="$msg $v: recall $r, precision $p;"
    done
    if [ $ok -eq 1 ]; then pass "phi-deid-dev-case:$msg (floors 0.975/0.72)"
    else fail "phi-deid-dev-case:$msg below the floors 0.975/0.72"; fi
else
    echo "SKIP phi-deid-dev: ../shared not found"
fi

# ---- 8. the invented documents (test/docs): recall floors per split, the fail-closed cost ----
for split in dev held; do
    "$SR" deid --jsonl "test/docs/$split.jsonl" >"$W/docs_$split.jsonl" 2>/dev/null
    "$SR" deid --no-fail-closed --jsonl "test/docs/$split.jsonl" >"$W/docs_${split}_nofc.jsonl" 2>/dev/null
done
"$PY" test/checks/phi_docs_check.py "$W"

# ---- 9. the rules' table, the data files, PHI known from the record, placeholders ----
"$PY" test/checks/phi_table_check.py phi.c
mkdir -p "$W/baddata"; cp data/*.txt "$W/baddata/"
printf '[no-such-class]\nfoo\n' >>"$W/baddata/phi_cues.txt"
"$SR" deid --data "$W/baddata" --text x >/dev/null 2>"$W/bd.err"; rc1=$?
cp data/phi_cues.txt "$W/baddata/"; printf 'TOWN town name\n' >>"$W/baddata/phi_labels.txt"
"$SR" deid --data "$W/baddata" --text x >/dev/null 2>"$W/bd2.err"; rc2=$?
if [ $rc1 -eq 2 ] && grep -q 'phi_cues.txt:[0-9]*: unknown class \[no-such-class\]' "$W/bd.err" &&
   [ $rc2 -eq 2 ] && grep -q 'phi_labels.txt:[0-9]*: unknown PHI type TOWN' "$W/bd2.err"; then
    pass "phi-data-errors: an unknown cue class or label type is one error naming file:line"
else fail "phi-data-errors: $(cat "$W/bd.err" "$W/bd2.err" | tr '\n' ' ')"; fi
cat >"$W/known.jsonl" <<'EOF'
{"id": 1, "text": "Mrs Zelwyn came with ZELWYN and Orabel. Chart 773-0215; ask orabel's son.", "known_phi": ["Orabel Zelwyn", {"text": "7730215", "type": "MRN"}]}
{"id": 2, "text": "Seen today. Plan: review.", "given_phi": [{"start": 0, "end": 4, "type": "DATE"}], "phi": [{"start": 5, "end": 10, "type": "DATE"}]}
{"id": 3, "text": "Seen today.", "given_phi": [{"start": 0, "end": 40, "type": "DATE"}]}
EOF
"$SR" deid --jsonl "$W/known.jsonl" >"$W/known.out" 2>/dev/null; rc=$?
"$SR" deid --jsonl --phi-input only "$W/known.jsonl" >"$W/known_only.out" 2>/dev/null
"$PY" test/checks/phi_known_check.py "$W" $rc
got=$("$SR" deid --text "Seen by Dr. [**Last Name (NamePattern1) 1234**] on [**2101-4-5**] at [**Hospital1 18**].")
if [ "$got" = "Seen by Dr. [**NAME**] on [**DATE**] at [**LOCATION**]." ]; then pass "phi-placeholders: MIMIC-style [** ... **] placeholders are PHI, typed by their words"
else fail "phi-placeholders: $got"; fi
