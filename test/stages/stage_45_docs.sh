# The invented test documents (test/docs): the committed gold is what build_gold.py makes of
# the sources, the markup checker refuses each kind of broken markup with file:line, the
# scorer matches hand-counted figures on a small case and refuses bad input, and `sr deid`
# answers every document. No detector score is checked here (the documents are a test set,
# not a target): test/docs/README.md says how to score.
# tier: fast
set -u
cd "$ROOT"
D=$ROOT/test/docs
W=$OUT/docs
rm -rf "$W"; mkdir -p "$W"

# 1. committed .jsonl == rebuilt from the .txt sources
if "$PY" "$D/build_gold.py" --out "$W" >"$W/build.log" 2>&1; then
    for s in dev held; do
        if cmp -s "$W/$s.jsonl" "$D/$s.jsonl"; then echo "PASS docs $s.jsonl matches its sources"
        else echo "FAIL docs $s.jsonl differs from build_gold.py output (rerun test/docs/build_gold.py)"; fi
    done
else
    echo "FAIL docs build_gold.py: $(head -c 500 "$W/build.log")"
fi

# 1b. the counts table in test/docs/README.md is the one build_gold.py --stats prints
if "$PY" "$D/build_gold.py" --check --stats >"$W/stats.md" 2>"$W/stats.err" && grep -qxF -f "$W/stats.md" "$D/README.md" &&
   [ "$(grep -cxF -f "$W/stats.md" "$D/README.md")" -eq "$(wc -l <"$W/stats.md")" ]; then
    echo "PASS docs README counts match build_gold.py --stats"
else
    echo "FAIL docs README counts differ from build_gold.py --stats (paste its table into test/docs/README.md)"
fi

# 2. the size the test set promises: >= 56 documents, >= 28 kinds in each split, >= 25,000 words
"$PY" "$ROOT/test/checks/docs_checks.py" size "$D"

# 3. broken markup: one error line naming file:line:col, exit status 1
bad_case() { # name, file content, expected message fragment
    local dir=$W/bad_$1
    mkdir -p "$dir/dev" "$dir/held"
    printf 'fine {{CITY|Leeds}} text\n' >"$dir/held/01_x.txt"
    printf '%s' "$2" >"$dir/dev/01_x.txt"
    "$PY" "$D/build_gold.py" --docs "$dir" --check >"$dir/out" 2>"$dir/err"
    local rc=$? msg
    msg=$(cat "$dir/err")
    if [ $rc -eq 1 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && [[ $msg == "$dir/dev/01_x.txt:"[0-9]*:[0-9]*": "*"$3"* ]]; then
        echo "PASS docs markup refused: $1"
    else
        echo "FAIL docs markup $1: rc=$rc, message: $msg"
    fi
}
bad_case unclosed $'line one\nsee {{DATE|12/03/2021 here\n' "not closed"
bad_case nested $'x [[PROBLEM|pain in {{CITY|Leeds}}]]\n' "no nesting"
bad_case stray_closer $'x Leeds}} y\n' "without an opening"
bad_case mismatched $'x {{CITY|Leeds]] y\n' "closed by"
bad_case unknown_type $'x {{TOWN|Leeds}} y\n' "unknown PHI type"
bad_case unknown_med $'x [[DRUG|aspirin]] y\n' "unknown medical type"
bad_case empty $'x {{CITY|}} y\n' "empty span"
bad_case leading_space $'x {{CITY| Leeds}} y\n' "leading or trailing space"
bad_case trailing_space $'x <<MRN: >> y\n' "leading or trailing space"
bad_case no_type $'x {{Leeds}} y\n' "has no TYPE|"
bad_case lost_braces $'x CITY|Leeds y\n' "outside markup"
bad_case title_in_name $'x {{DOCTOR|Dr Shah}} y\n' "title"
bad_case possessive $'x {{PATIENT|Shah\'s}} y\n' "possessive"
bad_case young_age $'x {{AGE|67}} y\n' "over 89"
bad_case line_break $'x {{STREET|1 High\nStreet}} y\n' "not closed"

# 4. the scorer on a case counted by hand
#    text tokens: Dr Ann Lee saw 12 03 2021 at St Mary Hospital (11)
#    gold: DOCTOR "Ann Lee", DATE "12/03/2021", HOSPITAL "St Mary Hospital"
#    pred: "An" (part of Ann), "saw", "12/03/2021", "Mary Hospital"
#    found: 12 03 2021 Mary Hospital = 5 of 8 (HIPAA 3 of 5); hit: + Ann = 6 (HIPAA 4);
#    false positives: saw = 1; spans found: DATE only = 1 of 3 (HIPAA 1 of 2)
"$PY" "$ROOT/test/checks/docs_checks.py" scorer "$D/score_phi.py" "$W"

# 5. `sr deid --jsonl` answers every document of both splits (scores: see test/docs/README.md)
for s in dev held; do
    if "$SR" deid --jsonl "$D/$s.jsonl" >"$W/$s.pred.jsonl" 2>"$W/$s.deid.err" &&
       "$PY" "$D/score_phi.py" "$D/$s.jsonl" "$W/$s.pred.jsonl" --json >"$W/$s.score.json" 2>"$W/$s.score.err"; then
        echo "PASS docs sr deid answers every $s document"
    else
        echo "FAIL docs sr deid on $s: $(head -c 300 "$W/$s.deid.err" "$W/$s.score.err")"
    fi
done
