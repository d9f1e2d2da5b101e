# Stage 20: convert_weights.py, no C engine needed.
# Tiny random BERTs written by Debian's PyTorch (zip, legacy and safetensors; fp32, fp16,
# bf16; every key layout) are converted to f32 and q8 model files; each file is parsed
# independently (test/checks/convert_check.py) and compared with torch's own tensors; converting
# twice and converting without numpy must give the same bytes; every folder that must be
# refused is refused with one line (test/checks/convert_refusals.py), malicious pickles included.
set -u
M=$OUT/conv/models
W=$OUT/conv/work
rm -rf "$OUT/conv"
mkdir -p "$M" "$W"
export OMP_WAIT_POLICY=PASSIVE
CONV=$ROOT/convert_weights.py
CHECK=$ROOT/test/checks/convert_check.py
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; }

if "$PY" "$ROOT/test/models/make_models.py" "$M" >"$W/make.log" 2>&1; then
    ok "make_models: $(wc -l <"$W/make.log" | tr -d ' ') models written by torch"
else
    bad "make_models: $(tail -n 3 "$W/make.log" | tr '\n' ' ')"
    exit 1
fi

# The fixtures really are what they claim (else the tests below prove less than they say).
if "$PY" "$ROOT/test/checks/convert_cases.py" fixtures "$M" >"$W/fixtures.log" 2>&1
then ok "fixtures: zip is zip, legacy is legacy, strided + offset views, shared tied storage, fp16 + bf16 pickles, untied PreTraining"
else bad "fixtures: $(tail -n 2 "$W/fixtures.log" | tr '\n' ' ')"; fi

pairs=()
for dir in "$M"/*/; do
    name=$(basename "$dir")
    for dtype in f32 q8; do
        f=$W/$name.$dtype.srm
        if ! "$PY" "$CONV" "$dir" "$f" --dtype $dtype >/dev/null 2>"$W/err"; then
            bad "convert $name $dtype: $(head -c 300 "$W/err")"; continue
        fi
        ok "convert $name $dtype ($(stat -c %s "$f") bytes)"
        case $name in tiny_mlm_zip|tiny_mlm_legacy|odd_safetensors|tok_cls3) # one per format
            "$PY" "$CONV" "$dir" "$f.again" --dtype $dtype >/dev/null 2>&1
            if cmp -s "$f" "$f.again"; then ok "reconvert $name $dtype: byte-identical"
            else bad "reconvert $name $dtype: files differ"; fi;;
        esac
        SR_CONVERT_NO_NUMPY=1 "$PY" "$CONV" "$dir" "$f.stdlib" --dtype $dtype >/dev/null 2>&1
        if cmp -s "$f" "$f.stdlib"; then ok "stdlib path $name $dtype: byte-identical to numpy path"
        else bad "stdlib path $name $dtype: files differ from the numpy path"; fi
        pairs+=("$dir" "$f")
    done
done

# Every file against torch's tensors (one checker process: importing torch is slow).
"$PY" "$CHECK" "${pairs[@]}" >"$W/check" 2>&1
for ((i = 1; i < ${#pairs[@]}; i += 2)); do
    f=${pairs[$i]}; name=$(basename "$f" .srm)
    if grep -q "^ok $f:" "$W/check"; then ok "check $name: $(grep "^ok $f:" "$W/check" | sed 's/.*: //')"
    else bad "check $name: $(grep -F "$f" "$W/check" | head -n 3 | tr '\n' ' ')"; fi
done

# A Python without numpy (the pyenv python3, if it has none) takes the stdlib path by itself.
if command -v python3 >/dev/null && ! python3 -c 'import numpy' 2>/dev/null; then
    python3 "$CONV" "$M/odd_safetensors" "$W/nonumpy.srm" --dtype q8 2>/dev/null
    if cmp -s "$W/nonumpy.srm" "$W/odd_safetensors.q8.srm"; then ok "python3 without numpy: same bytes"
    else bad "python3 without numpy: different bytes"; fi
fi

# The checker itself must catch a wrong file: one changed weight bit, one changed scale.
"$PY" "$ROOT/test/checks/convert_cases.py" corrupt "$W"
"$PY" "$CHECK" "$M/tiny_mlm_zip" "$W/bad_weight.srm" "$M/tiny_mlm_zip" "$W/bad_scale.srm" >"$W/check" 2>&1
for f in bad_weight bad_scale; do
    if grep -q "^error: $W/$f.srm" "$W/check"; then ok "checker catches $f"
    else bad "checker catches $f: it did not"; fi
done

# Lower-casing: auto follows HF (no tokenizer_config -> lower; tok_cls1 has do_lower_case false),
# and --lowercase overrides it.
lc=()
for c in "tiny_mlm_zip false" "tok_cls1 true" "tok_cls1 false"; do
    set -- $c
    "$PY" "$CONV" "$M/$1" "$W/lc_$1_$2.srm" --lowercase $2 >/dev/null 2>&1
    lc+=(--lowercase $2 "$M/$1" "$W/lc_$1_$2.srm")
done
"$PY" "$CHECK" "${lc[@]}" >"$W/check" 2>&1
for c in "tiny_mlm_zip false" "tok_cls1 true" "tok_cls1 false"; do
    set -- $c
    if grep -q "^ok $W/lc_$1_$2.srm:" "$W/check"; then ok "--lowercase $2 on $1"
    else bad "--lowercase $2 on $1: $(grep -F "lc_$1_$2" "$W/check" | head -n 2 | tr '\n' ' ')"; fi
done
flags() { "$PY" -c 'import struct,sys; print(struct.unpack_from("<I", open(sys.argv[1],"rb").read(), 60)[0] & 3)' "$1"; }
if [ "$(flags "$W/tiny_mlm_zip.f32.srm")" = 3 ] && [ "$(flags "$W/tok_cls1.f32.srm")" = 0 ]; then
    ok "lowercase auto: no tokenizer_config.json -> lower+strip; do_lower_case false -> neither"
else bad "lowercase auto flags: $(flags "$W/tiny_mlm_zip.f32.srm") $(flags "$W/tok_cls1.f32.srm")"; fi

# tokenizer_config.json settings: strip_accents false with lower-casing, no CJK spacing,
# special tokens renamed (an AddedToken dict), [UNK] absent -> -1. Expected values are
# Hugging Face's documented BertTokenizer semantics, written out by hand here.
"$PY" "$ROOT/test/checks/convert_cases.py" tokenizer-config "$M" "$W" "$CONV" >"$W/tc.log" 2>&1
if grep -q "tokenizer_config ok" "$W/tc.log"; then
    ok "tokenizer_config: strip_accents false, no CJK, renamed [MASK], absent [UNK] -> -1, duplicate -> last line"
else bad "tokenizer_config variant: $(tail -n 2 "$W/tc.log" | tr '\n' ' ')"; fi

# The real bert-base-cased / Bio_ClinicalBERT vocabulary (../shared): a small model with it,
# no tokenizer_config.json (as Bio_ClinicalBERT's repo): lower-cased, and the special ids
# known for that vocab: [CLS] 101, [SEP] 102, [PAD] 0, [UNK] 100, [MASK] 103.
if [ -n "$SHARED" ] && [ -f "$SHARED/vocab/bert-base-cased-vocab.txt" ]; then
    "$PY" "$ROOT/test/checks/convert_cases.py" cased-vocab "$M" "$W" "$CONV" "$SHARED/vocab/bert-base-cased-vocab.txt" >"$W/cased.log" 2>&1
    if grep -q "cased vocab ok" "$W/cased.log" && "$PY" "$CHECK" "$W/cased_vocab" "$W/cased_vocab.srm" >"$W/check" 2>&1; then
        ok "bert-base-cased vocab: special ids 101/102/0/100/103, lower-cased by default, file checks"
    else bad "bert-base-cased vocab: $(tail -n 2 "$W/cased.log" "$W/check" | tr '\n' ' ')"; fi
else
    echo "SKIP bert-base-cased vocab: ../shared not found"
fi

# No absolute path of the source in the file, and the same bytes from another place.
if grep -q "$OUT" "$W/tiny_mlm_zip.f32.srm"; then bad "meta holds the absolute source path"
else ok "meta holds no absolute path"; fi
mkdir -p "$W/elsewhere" && cp -r "$M/tiny_mlm_zip" "$W/elsewhere/"
(cd "$W/elsewhere" && "$PY" "$CONV" tiny_mlm_zip "$W/elsewhere.srm" 2>/dev/null)
if cmp -s "$W/elsewhere.srm" "$W/tiny_mlm_zip.f32.srm"; then ok "convert from another folder: byte-identical"
else bad "convert from another folder: files differ"; fi

# --group-size: other q8 groups (16 splits these widths into several groups, 256 is wider
# than any row), each file checked against torch with its group, both paths the same bytes.
GROUP_CASES=("tiny_mlm_zip 16" "tok_cls3 16" "tiny_mlm_zip 256" "odd_safetensors 32")
gs=()
for c in "${GROUP_CASES[@]}"; do
    set -- $c
    "$PY" "$CONV" "$M/$1" "$W/g$2_$1.srm" --dtype q8 --group-size $2 >/dev/null 2>&1
    SR_CONVERT_NO_NUMPY=1 "$PY" "$CONV" "$M/$1" "$W/g$2_$1.stdlib.srm" --dtype q8 --group-size $2 >/dev/null 2>&1
    cmp -s "$W/g$2_$1.srm" "$W/g$2_$1.stdlib.srm" && ok "--group-size $2 on $1: stdlib path byte-identical" ||
        bad "--group-size $2 on $1: stdlib and numpy paths differ"
    gs+=(--group $2 "$M/$1" "$W/g$2_$1.srm")
done
"$PY" "$CHECK" "${gs[@]}" >"$W/check" 2>&1
for c in "${GROUP_CASES[@]}"; do
    set -- $c
    if grep -q "^ok $W/g$2_$1.srm:" "$W/check"; then ok "--group-size $2 on $1: file checks (groups of $2)"
    else bad "--group-size $2 on $1: $(grep -F "g$2_$1" "$W/check" | head -n 2 | tr '
' ' ')"; fi
done

# Usage errors: exit 2, one line.
for args in "" "$M/tiny_mlm_zip" "$M/tiny_mlm_zip $W/x.srm --dtype q4" "$M/tiny_mlm_zip $W/x.srm --lowercase maybe" \
    "$M/tiny_mlm_zip $W/x.srm --dtype q8 --group-size 24" "$M/tiny_mlm_zip $W/x.srm --dtype q8 --group-size 0" \
    "$M/tiny_mlm_zip $W/x.srm --dtype q8 --group-size 8192" "$M/tiny_mlm_zip $W/x.srm --dtype q8 --group-size x" \
    "$M/tiny_mlm_zip $W/x.srm --dtype f32 --group-size 64"; do
    "$PY" "$CONV" $args >/dev/null 2>"$W/err"; rc=$?
    if [ $rc = 2 ] && [ "$(wc -l <"$W/err")" = 1 ]; then ok "usage error [${args##*/}]: exit 2, one line"
    else bad "usage error [${args##*/}]: exit $rc, $(wc -l <"$W/err") lines"; fi
done

# A Python checker's PASS/FAIL lines; a crash (non-zero exit without a FAIL line) is a FAIL.
py_checks() { # name, script args...
    local name=$1; shift
    "$PY" "$@" >"$W/$name.log" 2>&1; local rc=$?
    grep -E '^(PASS|FAIL) ' "$W/$name.log"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$W/$name.log"; then
        bad "$name: exit $rc: $(tail -n 1 "$W/$name.log")"
    fi
}
py_checks refusals "$ROOT/test/checks/convert_refusals.py" "$M" "$W/refusals"

# q8 edge values: hand-checked rounding and scales; numpy and stdlib paths bit-identical.
py_checks q8_edges "$ROOT/test/checks/convert_q8_edges.py"
