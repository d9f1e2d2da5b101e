# The WordPiece tokenizer (tokenizer.c, `sr tokenize`) against Hugging Face's Rust
# tokenizer (npm `tokenizers`, installed by `npm ci --prefix test/js`):
#   1. golden: the reference's committed answers (test/data/tokenizer_golden.jsonl.gz)
#      in the three settings, for both binaries and from model files (-m); works
#      without npm
#   2. command line: invalid UTF-8, bad JSONL lines, missing vocabulary
#   3. live comparison with the reference, three settings (cased vocab lower-cased as
#      Bio_ClinicalBERT, cased vocab as is, uncased vocab): 50,000 generated lines and
#      every Unicode code point; ids, code-point offsets, word ids, byte offsets; and
#      three more normalizer settings on 10,000 lines
#   4. a 20-second libFuzzer + ASan + UBSan smoke run (test/c/fuzz_tokenizer.c)
set -u
T=$OUT/tokenizer
rm -rf "$T"
mkdir -p "$T"
V=$ROOT/test/data/vocab
TOK_LINES=${TOK_LINES:-50000}
TOK_SEED=${TOK_SEED:-1}

setting_args() { # setting -> vocab flag
    case $1 in
    lower) echo "$V/bert-base-cased-vocab.txt --lowercase" ;;
    cased) echo "$V/bert-base-cased-vocab.txt --cased" ;;
    uncased) echo "$V/bert-base-uncased-vocab.txt --lowercase" ;;
    esac
}
ref_mode() { [ "$1" = cased ] && echo cased || echo lower; }

# ---- 1. golden
if "$PY" "$ROOT/test/checks/tokenizer_golden.py" split "$T" >/dev/null; then
    for s in lower cased uncased; do
        set -- $(setting_args $s)
        for bin in "$SR" "$SR_NATIVE"; do
            b=$(basename "$bin")
            if "$bin" tokenize --vocab "$1" "$2" --jsonl --bytes "$T/golden_$s.in.jsonl" >"$T/golden_$s.$b.jsonl" 2>"$T/err"; then
                "$PY" "$ROOT/test/checks/tokenizer_compare.py" "$T/golden_$s.in.jsonl" "$T/golden_$s.$b.jsonl" \
                    "$T/golden_$s.ref.jsonl" "tokenizer golden $s ($b)"
            else
                echo "FAIL tokenizer golden $s ($b): sr exited non-zero: $(head -c 300 "$T/err")"
            fi
        done
    done
else
    echo "FAIL tokenizer golden: cannot read test/data/tokenizer_golden.jsonl.gz"
fi

# ---- 1b. the same from a model file (sr_tokenizer_from_model through the engine's
# loader): tiny random BERTs around the real vocabularies, converted by convert_weights.py
if "$PY" "$ROOT/test/models/tokenizer_model.py" "$V/bert-base-cased-vocab.txt" "$T/lower.srm" auto \
    "$V/bert-base-cased-vocab.txt" "$T/cased.srm" cased "$V/bert-base-uncased-vocab.txt" "$T/uncased.srm" auto \
    >"$T/model.log" 2>&1; then
    for s in lower cased uncased; do
        if "$SR" tokenize -m "$T/$s.srm" --jsonl --bytes "$T/golden_$s.in.jsonl" >"$T/model_$s.jsonl" 2>"$T/err"; then
            "$PY" "$ROOT/test/checks/tokenizer_compare.py" "$T/golden_$s.in.jsonl" "$T/model_$s.jsonl" \
                "$T/golden_$s.ref.jsonl" "tokenizer golden $s from a model file (-m)"
        else
            echo "FAIL tokenizer golden $s from a model file: sr exited non-zero: $(head -c 300 "$T/err")"
        fi
    done
else
    echo "FAIL tokenizer model files: $(tail -n 3 "$T/model.log" | tr '\n' ' ')"
fi

# ---- 2. command line
set -- $(setting_args lower)
printf 'fine \xe2\x82 then \xff' >"$T/bad.txt"
if "$SR" tokenize --vocab "$1" -f "$T/bad.txt" >/dev/null 2>"$T/err"; then
    echo "FAIL tokenizer invalid UTF-8: exit status 0"
elif grep -q "invalid UTF-8 at byte offset 5" "$T/err"; then
    echo "PASS tokenizer invalid UTF-8: refused, naming byte offset 5"
else
    echo "FAIL tokenizer invalid UTF-8: message was: $(head -c 200 "$T/err")"
fi
{
    printf '%s\n' '{"id":"a","text":"Pt c/o SOB."}' '{"id":"b","text":' '{"id":["x",1],"text":"ok [MASK]"}'
    printf '{"id":"c","text":"bad \xc3\x28"}\n'
    printf '%s\n' '{"text":"no id"}'
} >"$T/batch.jsonl"
"$SR" tokenize --vocab "$1" --jsonl "$T/batch.jsonl" >"$T/batch.out" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ] && "$PY" "$ROOT/test/checks/tokenizer_checks.py" batch "$T/batch.out"; then
    echo "PASS tokenizer jsonl batch: bad lines give error records with their id, the batch goes on, exit $rc"
else
    echo "FAIL tokenizer jsonl batch: exit $rc, output: $(head -c 600 "$T/batch.out")"
fi
if "$SR" tokenize --vocab "$T/no-such-vocab.txt" --text "x" >/dev/null 2>"$T/err"; then
    echo "FAIL tokenizer missing vocab: exit status 0"
elif grep -q "no-such-vocab.txt" "$T/err"; then
    echo "PASS tokenizer missing vocab: refused with the file named"
else
    echo "FAIL tokenizer missing vocab: message was: $(head -c 200 "$T/err")"
fi

# ---- 3. live comparison with npm tokenizers
if ! command -v node >/dev/null || [ ! -d "$ROOT/test/js/node_modules/tokenizers" ]; then
    echo "FAIL tokenizer vs HF tokenizers: npm package not installed (run: npm ci --prefix test/js)"
else
    "$PY" "$ROOT/test/checks/tokenizer_gen.py" lines "$TOK_LINES" "$TOK_SEED" >"$T/lines.jsonl"
    "$PY" "$ROOT/test/checks/tokenizer_gen.py" codepoints >"$T/codepoints.jsonl"
    for s in lower cased uncased; do
        set -- $(setting_args $s)
        for f in lines codepoints; do
            if ! node "$ROOT/test/checks/tokenizer_ref.js" "$1" "$(ref_mode $s)" <"$T/$f.jsonl" >"$T/ref_${s}_$f.jsonl" 2>"$T/err"; then
                echo "FAIL tokenizer vs HF $s $f: the reference failed: $(head -c 300 "$T/err")"
                continue
            fi
            # byte offsets are checked (in Python) on the generated lines once
            bytes=""
            [ $s = lower ] && [ $f = lines ] && bytes=--bytes
            if ! "$SR" tokenize --vocab "$1" "$2" --jsonl $bytes "$T/$f.jsonl" >"$T/sr_${s}_$f.jsonl" 2>"$T/err"; then
                echo "FAIL tokenizer vs HF $s $f: sr exited non-zero: $(head -c 300 "$T/err")"
                continue
            fi
            "$PY" "$ROOT/test/checks/tokenizer_compare.py" "$T/$f.jsonl" "$T/sr_${s}_$f.jsonl" "$T/ref_${s}_$f.jsonl" \
                "tokenizer vs HF tokenizers, $s, $f${bytes:+ (and byte offsets)}"
            rm -f "$T/ref_${s}_$f.jsonl" "$T/sr_${s}_$f.jsonl"
        done
    done
    # a small vocabulary with Windows and old-Mac line ends and no [PAD]: read with
    # universal newlines like BertTokenizer; most words are [UNK] or split small
    printf '[UNK]\r\n[CLS]\r\n[SEP]\r[MASK]\na\r\nb\nc\n##a\n##b\n##c\n##e\npt\n.\n,\n-\n' >"$T/tiny_vocab.txt"
    if node "$ROOT/test/checks/tokenizer_ref.js" "$T/tiny_vocab.txt" lower <"$T/golden_lower.in.jsonl" >"$T/ref_tiny.jsonl" 2>"$T/err" &&
        "$SR" tokenize --vocab "$T/tiny_vocab.txt" --jsonl "$T/golden_lower.in.jsonl" >"$T/sr_tiny.jsonl" 2>>"$T/err"; then
        "$PY" "$ROOT/test/checks/tokenizer_compare.py" "$T/golden_lower.in.jsonl" "$T/sr_tiny.jsonl" "$T/ref_tiny.jsonl" \
            "tokenizer vs HF tokenizers, tiny CRLF/CR vocabulary without [PAD]"
    else
        echo "FAIL tokenizer vs HF tiny vocabulary: $(head -c 300 "$T/err")"
    fi
    # the other BertNormalizer settings a tokenizer_config.json can ask for (lower-casing
    # without accent stripping, stripping without lower-casing, no CJK spacing), on the
    # first 10,000 lines
    head -n 10000 "$T/lines.jsonl" >"$T/lines10k.jsonl"
    for cfg in "lower,nostrip --lowercase --no-strip-accents" "cased,strip --cased --strip-accents" \
        "lower,nocjk --lowercase --no-chinese-chars"; do
        set -- $cfg
        if node "$ROOT/test/checks/tokenizer_ref.js" "$V/bert-base-cased-vocab.txt" "$1" <"$T/lines10k.jsonl" >"$T/ref_x.jsonl" 2>"$T/err" &&
            "$SR" tokenize --vocab "$V/bert-base-cased-vocab.txt" "$2" "$3" --jsonl "$T/lines10k.jsonl" >"$T/sr_x.jsonl" 2>>"$T/err"; then
            "$PY" "$ROOT/test/checks/tokenizer_compare.py" "$T/lines10k.jsonl" "$T/sr_x.jsonl" "$T/ref_x.jsonl" \
                "tokenizer vs HF tokenizers, $1 ($2 $3), 10,000 lines"
        else
            echo "FAIL tokenizer vs HF $1: $(head -c 300 "$T/err")"
        fi
    done
fi

# ---- 4. libFuzzer smoke run
FUZZ=$T/fuzz_tokenizer
if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -DSR_NO_MAIN -DVOCAB_DIR="\"$V\"" \
    -o "$FUZZ" "$ROOT/test/c/fuzz_tokenizer.c" -lm 2>"$T/fuzz_build.log"; then
    echo "FAIL tokenizer fuzz: cannot build with clang -fsanitize=fuzzer: $(grep -m1 error "$T/fuzz_build.log")"
else
    mkdir -p "$T/corpus"
    "$PY" "$ROOT/test/checks/tokenizer_checks.py" fuzz-corpus "$T/golden_lower.in.jsonl" "$T/corpus"
    if (cd "$T" && "$FUZZ" -max_total_time=20 -max_len=4096 corpus >fuzz.log 2>&1); then
        echo "PASS tokenizer fuzz: 20 s, $(grep -o 'Done [0-9]* runs' "$T/fuzz.log"), no finding"
    else
        echo "FAIL tokenizer fuzz: $(grep -m3 -E 'ERROR|SUMMARY|deadly' "$T/fuzz.log" | tr '\n' ' ')"
    fi
fi
