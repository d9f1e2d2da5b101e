# Token classification decoding (Hugging Face pipeline semantics), sr ner end to end on
# tiny torch-built models, and the Masker's hand-checked cases.
# Expected values: test/ner_reference.py (an independent Python pipeline over torch's
# softmax / torch logits) and test/masker_cases.txt (hand-checked facts).
set -u
cd "$ROOT"
mkdir -p "$OUT/ner"
if ! "$CC" -O2 -Wall -o "$OUT/ner/ner_test" test/ner_test.c -lm 2>"$OUT/ner/build.log"; then
    echo "FAIL ner_test build: $(head -c 1000 "$OUT/ner/build.log")"
    exit 1
fi
"$PY" test/ner_reference.py decode-tests "$OUT/ner/ner_test" "$OUT/ner/decode"
