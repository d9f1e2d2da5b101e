# Token classification decoding (Hugging Face pipeline semantics), sr ner end to end on
# tiny torch-built models, and the Masker's hand-checked cases.
# Expected values: test/checks/ner_reference.py (an independent Python pipeline over torch's
# softmax / torch logits) and test/data/masker_cases.txt (hand-checked facts).
set -u
cd "$ROOT"
mkdir -p "$OUT/ner"
if ! "$CC" -O2 -Wall -Wno-unused-function -o "$OUT/ner_test" test/c/ner_test.c -lm 2>"$OUT/ner/build.log"; then
    echo "FAIL ner_test build: $(head -c 1000 "$OUT/ner/build.log")"
    exit 1
fi
"$PY" test/checks/ner_reference.py decode-tests "$OUT/ner_test" "$OUT/ner/decode"
"$PY" test/checks/ner_reference.py pipeline-tests "$SR" "$OUT/ner/pipeline"
"$OUT/ner_test" cases test/data/masker_cases.txt
"$PY" test/checks/ner_reference.py masker-tests "$SR" "$OUT/ner_test" "$OUT/ner/masker"

# The same decoder and Masker under AddressSanitizer + UBSan (leaks included).
if "$CC" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -o "$OUT/ner_test_asan" test/c/ner_test.c -lm \
    2>"$OUT/ner/build_asan.log"; then
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    bad=0 n=0
    for f in "$OUT"/ner/decode/case_*_[0-4].txt; do
        n=$((n + 1))
        "$OUT/ner_test_asan" decode "$f" >/dev/null 2>"$OUT/ner/asan.log" || { bad=1; break; }
    done
    [ $bad = 0 ] && { "$OUT/ner_test_asan" cases test/data/masker_cases.txt >"$OUT/ner/asan.log" 2>&1 || bad=1; }
    if [ $bad = 0 ]; then echo "PASS ner sanitizers: $n decode cases and the Masker cases clean under ASan+UBSan"
    else echo "FAIL ner sanitizers: $(head -c 1500 "$OUT/ner/asan.log")"; fi
else
    echo "FAIL ner sanitizers: cannot build with -fsanitize=address,undefined: $(head -c 500 "$OUT/ner/build_asan.log")"
fi

# sr deid --phi-model: the model's PHI is unioned with the rules' (every span of the
# rules-only run stays covered, and the model adds spans of its own).
M="$OUT/ner/masker/mk_phi.sr"
if [ -f "$M" ]; then
    printf '%s\n' '{"id":1,"text":"Seen by Dr. John Smith on 3/4/2021 with his wife Mary."}' \
        '{"id":2,"text":"pt stable overnight, plan discussed with family, follow up in clinic next week"}' >"$OUT/ner/deid_in.jsonl"
    "$SR" deid --jsonl "$OUT/ner/deid_in.jsonl" >"$OUT/ner/deid_rules.jsonl" 2>"$OUT/ner/deid.err"
    rc1=$?
    "$SR" deid --jsonl --phi-model "$M" "$OUT/ner/deid_in.jsonl" >"$OUT/ner/deid_model.jsonl" 2>>"$OUT/ner/deid.err"
    rc2=$?
    "$PY" test/checks/ner_checks.py phi-model "$OUT/ner/deid_rules.jsonl" "$OUT/ner/deid_model.jsonl" $rc1 $rc2
else
    echo "FAIL deid --phi-model: the masker tests did not leave $M"
fi
