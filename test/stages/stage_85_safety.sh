# Nothing lost, nothing silently wrong (issue 16): every command's output checked
# (/dev/full), --out written atomically and never over an input, strict option values,
# leaks failing closed, byte-identical output, one command line (--help, --version, exit
# statuses 0/1/2), JSONL error records, BOM, duplicate keys, a converter that refuses
# bad OUT names, model files whose flipped bytes are caught by checksums. Each case names its
# expected outcome; the expectations are the issue's, not sr's own output.
set -u
S=$OUT/safety
rm -rf "$S" && mkdir -p "$S"
pass() { echo "PASS safety $1"; }
fail() { echo "FAIL safety $1"; }
CHECKS=$ROOT/test/checks/safety_checks.py # the checks that read the outputs in Python

# models: a small masked LM with the real cased BERT vocabulary, a token classifier
if ! "$PY" "$ROOT/test/models/gen_models.py" "$S" >"$S/models.log" 2>&1 ||
    ! "$PY" "$ROOT/test/models/make_models.py" "$S" --only tok_cls1,tiny_mlm_zip --convert >>"$S/models.log" 2>&1; then
    fail "models: $(tail -3 "$S/models.log")"; exit 0
fi
M=$S/gen_cased.srm
NER=$S/tok_cls1/model.f32.srm
LETTER=$ROOT/data/example_letter.txt
printf '%s\n' '{"id":"a","text":"Mr John Smith was seen on 12/03/2024 with chest pain."}' \
    '{"id":"b","text":"Seen by Dr Jones at 9 Elm Road."}' >"$S/two.jsonl"

# one_line_error NAME WANT_RC WANT_TEXT CMD...: exit WANT_RC, exactly one stderr line holding WANT_TEXT
one_line_error() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    "$@" >"$S/o.out" 2>"$S/o.err" </dev/null
    local rc=$? n
    n=$(wc -l <"$S/o.err")
    if [ $rc -eq "$want_rc" ] && [ "$n" -eq 1 ] && grep -qF -- "$want" "$S/o.err"; then pass "$name: exit $rc, $(head -c 150 "$S/o.err")"
    else fail "$name: exit $rc (want $want_rc), $n stderr lines (want 1 with '$want'): $(head -c 300 "$S/o.err")"; fi
}

# 1. /dev/full: every command says so in one line and exits 1 (not 0 with lost output)
"$SR" generate -m "$M" --jsonl --quiet "$S/two.jsonl" >"$S/syn.jsonl" 2>/dev/null
full() { # NAME CMD...
    local name=$1
    shift
    "$@" >/dev/full 2>"$S/full.err" </dev/null
    local rc=$? n
    n=$(wc -l <"$S/full.err")
    if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && grep -q "write error on stdout" "$S/full.err"; then pass "/dev/full $name: exit 1, one line"
    else fail "/dev/full $name: exit $rc, $n lines: $(head -c 300 "$S/full.err")"; fi
}
full "generate text" "$SR" generate -m "$M" --quiet "$LETTER"
full "generate jsonl" "$SR" generate -m "$M" --jsonl --quiet "$S/two.jsonl"
full "generate i2b2" "$SR" generate -m "$M" --format i2b2 --quiet "$LETTER"
full "deid" "$SR" deid --text "Mr John Smith"
full "deid jsonl" "$SR" deid --jsonl "$S/two.jsonl"
full "tokenize" "$SR" tokenize -m "$M" --text "Mr John Smith"
full "tokenize jsonl" "$SR" tokenize -m "$M" --jsonl "$S/two.jsonl"
full "fill" "$SR" fill -m "$M" --text "The patient was [MASK] today."
full "ner" "$SR" ner -m "$NER" --text "hello world"
full "pos" "$SR" pos --text "Mr John Smith was seen today."
full "eval" "$SR" eval "$S/two.jsonl" "$S/syn.jsonl"
full "bench" "$SR" bench -m "$M" --seq 8 --iters 1
full "info" "$SR" info -m "$M"
full "--help" "$SR" --help
full "--version" "$SR" --version
full "generate --help" "$SR" generate --help

# 2. strict option values: the whole value, in range, else one line naming the option, exit 2
one_line_error "--seed abc" 2 "--seed wants an integer" "$SR" generate -m "$M" --seed abc "$LETTER"
one_line_error "--seed -1" 2 "--seed wants an integer" "$SR" generate -m "$M" --seed -1 "$LETTER"
one_line_error "--top-k abc" 2 "--top-k wants an integer" "$SR" generate -m "$M" --top-k abc "$LETTER"
one_line_error "--temperature abc" 2 "--temperature wants a number" "$SR" generate -m "$M" --temperature abc "$LETTER"
one_line_error "--temperature nan" 2 "--temperature wants a number" "$SR" generate -m "$M" --temperature nan "$LETTER"
one_line_error "--ratio ''" 2 "--ratio wants a number in [0, 1]" "$SR" generate -m "$M" --ratio "" "$LETTER"
one_line_error "--ratio 1.5" 2 "--ratio wants a number in [0, 1]" "$SR" generate -m "$M" --ratio 1.5 "$LETTER"
one_line_error "--top-p 0" 2 "--top-p wants a number in (0, 1]" "$SR" generate -m "$M" --top-p 0 "$LETTER"
one_line_error "--window 5x" 2 "--window wants an integer" "$SR" generate -m "$M" --window 5x "$LETTER"
one_line_error "--max-pieces 9" 2 "--max-pieces wants an integer in 1..8" "$SR" generate -m "$M" --max-pieces 9 "$LETTER"
one_line_error "--threads 0" 2 "--threads wants an integer in 1..1024" "$SR" generate -m "$M" --threads 0 "$LETTER"
one_line_error "--threads -4" 2 "--threads wants an integer in 1..1024" "$SR" generate -m "$M" --threads -4 "$LETTER"
one_line_error "--threads abc" 2 "--threads wants an integer in 1..1024" "$SR" generate -m "$M" --threads abc "$LETTER"
one_line_error "--max-bytes abc" 2 "--max-bytes wants an integer" "$SR" generate -m "$M" --max-bytes abc "$LETTER"
one_line_error "--shard 1/x" 2 "--shard wants I/N" "$SR" generate -m "$M" --shard 1/x "$LETTER"
one_line_error "--fill rounds:x" 2 "--fill rounds:N wants N" "$SR" generate -m "$M" --fill rounds:x "$LETTER"
one_line_error "--seed without a value" 2 "option --seed needs a value" "$SR" generate -m "$M" --seed
one_line_error "fill --top-k 0" 2 "--top-k wants an integer in 1.." "$SR" fill -m "$M" --top-k 0 --text "a [MASK]"
one_line_error "fill --threads 0" 2 "--threads wants an integer" "$SR" fill -m "$M" --threads 0 --text "a [MASK]"
one_line_error "bench --warmup -1" 2 "--warmup wants an integer in 0..100000" "$SR" bench -m "$M" --warmup -1
one_line_error "bench --iters 0" 2 "--iters wants an integer in 1..100000" "$SR" bench -m "$M" --iters 0
one_line_error "ner --stride -1" 2 "--stride wants an integer in 0.." "$SR" ner -m "$NER" --stride -1 --text "hello"
one_line_error "ner --window 2" 2 "--window wants an integer in 3.." "$SR" ner -m "$NER" --window 2 --text "hello"
one_line_error "eval --threads abc" 2 "--threads wants an integer" "$SR" eval --threads abc a b
one_line_error "eval --sweep --seed abc" 2 "--seed wants an integer" "$SR" eval --sweep --seed abc a --report r

# 3. exit statuses: a model that does not load is a setup error (2) in every command
printf 'not a model' >"$S/bad.srm"
for c in "tokenize -m $S/bad.srm hello" "fill -m $S/bad.srm a" "generate -m $S/bad.srm --quiet $LETTER" "ner -m $S/bad.srm hello" \
    "bench -m $S/bad.srm" "info -m $S/bad.srm" "deid --phi-model $S/bad.srm --text hello" "eval -m $S/bad.srm $S/two.jsonl $S/syn.jsonl"; do
    # shellcheck disable=SC2086
    one_line_error "model load fails: sr ${c%% *}" 2 "bad.srm" "$SR" $c
done
"$SR" generate -m "$M" --jsonl --quiet - >"$S/mixed.jsonl" 2>/dev/null <<'J'
{"id":"ok","text":"Mr John Smith was seen today."}
{"id":"bad","text":""}
J
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$S/mixed.jsonl")" -eq 2 ] && pass "some records failed: exit 1, every record answered" || fail "some records failed: exit $rc"
"$SR" generate -m "$M" --quiet --no-such-option 2>/dev/null; rc=$?
[ $rc -eq 2 ] && pass "unknown option: exit 2" || fail "unknown option: exit $rc"

# 4. --help on stdout with exit 0; --version
for c in generate deid eval tokenize fill ner pos bench info; do
    "$SR" $c --help >"$S/help.out" 2>"$S/help.err"; rc=$?
    if [ $rc -eq 0 ] && grep -q "usage: sr $c" "$S/help.out" && [ ! -s "$S/help.err" ]; then pass "sr $c --help: stdout, exit 0"
    else fail "sr $c --help: exit $rc, stdout $(head -c 80 "$S/help.out"), stderr $(head -c 80 "$S/help.err")"; fi
done
"$SR" --help >"$S/help.out" 2>"$S/help.err"; rc=$?
[ $rc -eq 0 ] && grep -q "usage: sr COMMAND" "$S/help.out" && [ ! -s "$S/help.err" ] && pass "sr --help: stdout, exit 0" || fail "sr --help: exit $rc"
"$SR_NATIVE" --version >"$S/version.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "^sr [0-9]" "$S/version.out" && grep -q "^compiler: " "$S/version.out" && grep -q "^build: .*OpenMP" "$S/version.out" &&
    grep -q "^kernels: ." "$S/version.out"; then pass "sr --version: $(tr '\n' ';' <"$S/version.out")"
else fail "sr --version: exit $rc, $(head -c 300 "$S/version.out")"; fi

# 5. --out: atomic files, unique names, never over an input, every --format
mkdir -p "$S/in/a" "$S/in/b"
cp "$LETTER" "$S/in/a/note.txt" && cp "$LETTER" "$S/in/b/note.txt"
"$SR" generate -m "$M" --quiet --out "$S/o1" "$S/in/a/note.txt" "$S/in/b/note.txt" >/dev/null 2>"$S/o1.err"; rc=$?
if [ $rc -eq 0 ] && [ -s "$S/o1/note.txt" ] && [ -s "$S/o1/note-2.txt" ] && grep -q "written as $S/o1/note-2" "$S/o1.err" &&
    [ "$(ls -A "$S/o1" | wc -l)" -eq 2 ]; then pass "--out: two inputs named note.txt give note.txt and note-2.txt (said on stderr), no temporary file left"
else fail "--out same names: exit $rc, $(ls -A "$S/o1" | tr '\n' ' '), $(head -c 200 "$S/o1.err")"; fi
printf '%s\n' '{"id":"x","text":"Mr John Smith was seen."}' '{"id":"x","text":"Mrs Ada Jones was seen."}' >"$S/dup.jsonl"
"$SR" generate -m "$M" --jsonl --quiet --format text --out "$S/o2" "$S/dup.jsonl" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && [ -s "$S/o2/x.txt" ] && [ -s "$S/o2/x-2.txt" ] && pass "--out: two records with id x give x.txt and x-2.txt" || fail "--out same ids: exit $rc, $(ls -A "$S/o2" 2>&1 | tr '\n' ' ')"
"$PY" -c "import json; [print(json.dumps({'id': 'x' * 300, 'text': 'Mr John Smith was seen %d.' % i})) for i in (1, 2)]" >"$S/long.jsonl"
"$SR" generate -m "$M" --jsonl --quiet --format text --out "$S/o7" "$S/long.jsonl" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(ls -A "$S/o7" | wc -l)" -eq 2 ] && [ "$(ls -A "$S/o7" | awk 'length($0) > 255' | wc -l)" -eq 0 ] &&
    pass "--out: two records with a 300-byte id give two files, names within 255 bytes" || fail "--out long ids: exit $rc, $(ls -A "$S/o7" 2>&1 | head -c 200)"
cp "$S/in/a/note.txt" "$S/note.orig"
"$SR" generate -m "$M" --quiet --out "$S/in/a" "$S/in/a" >/dev/null 2>"$S/o3.err"; rc=$?
if [ $rc -eq 1 ] && cmp -s "$S/in/a/note.txt" "$S/note.orig" && grep -q "is one of the input files: not overwritten" "$S/o3.err" &&
    [ "$(ls -A "$S/in/a" | wc -l)" -eq 1 ]; then pass "--out letters letters: the input is not overwritten (exit 1, said on stderr)"
else fail "--out onto the inputs: exit $rc, $(ls -A "$S/in/a" | tr '\n' ' '), $(head -c 200 "$S/o3.err")"; fi
"$SR" generate -m "$M" --quiet --format jsonl --out "$S/o4" "$S/two.jsonl" >"$S/o4.stdout" 2>/dev/null; rc=$?
"$SR" generate -m "$M" --quiet --jsonl --format jsonl --out "$S/o4" "$S/two.jsonl" >"$S/o4.stdout" 2>/dev/null; rc2=$?
"$SR" generate -m "$M" --quiet --format i2b2 --out "$S/o5" "$LETTER" >/dev/null 2>&1; rc3=$?
"$SR" generate -m "$M" --quiet --format brat --out "$S/o6" "$LETTER" >/dev/null 2>&1; rc4=$?
"$PY" "$CHECKS" out-formats "$S" "$rc" "$rc2" "$rc3" "$rc4"
# a read-only --out folder: one line per letter, exit 1, nothing left behind (as nobody
# when root: lib_as_nobody.sh)
. "$ROOT/test/stages/lib_as_nobody.sh"
if as_nobody_setup "$M" "$LETTER" "$S/two.jsonl"; then
    NM=$NB/$(basename "$M") NL=$NB/$(basename "$LETTER") RO=$NB/ro
    $AS "$NB_SR" generate -m "$NM" --quiet --out "$RO" "$NL" >/dev/null 2>"$S/ro.err"; rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <"$S/ro.err")" -eq 1 ] && grep -q "$RO/example_letter.txt: Permission denied" "$S/ro.err" && [ -z "$(ls -A "$RO")" ]; then
        pass "read-only --out: exit 1, one line ($(head -c 120 "$S/ro.err")), nothing written"
    else fail "read-only --out: exit $rc, $(head -c 300 "$S/ro.err"), left: $(ls -A "$RO" | tr '\n' ' ')"; fi
    $AS "$NB_SR" generate -m "$NM" --quiet --format brat --out "$RO" "$NL" >/dev/null 2>"$S/ro.err"; rc=$?
    [ $rc -eq 1 ] && [ -z "$(ls -A "$RO")" ] && pass "read-only --out brat: exit 1, nothing written" || fail "read-only --out brat: exit $rc, $(head -c 200 "$S/ro.err")"
    $AS "$NB_SR" eval --sweep "$NB/two.jsonl" -m "$NM" --fill parallel --ratios 0.5 --quiet --report "$RO" >/dev/null 2>"$S/ro.err"; rc=$?
    [ $rc -ne 0 ] && [ "$(wc -l <"$S/ro.err")" -eq 1 ] && grep -q "Permission denied" "$S/ro.err" && [ -z "$(ls -A "$RO")" ] &&
        pass "read-only eval --sweep --report: exit $rc, one line, nothing written" || fail "read-only --report: exit $rc, $(head -c 200 "$S/ro.err")"
    as_nobody_cleanup
else fail "read-only --out: could not copy the binary and inputs for the unprivileged run"; fi
"$SR" generate -m "$M" --quiet --out "$LETTER" "$LETTER" >/dev/null 2>"$S/nd.err"; rc=$?
[ $rc -eq 2 ] && grep -q "is not a folder" "$S/nd.err" && pass "--out FILE: not a folder, exit 2" || fail "--out FILE: exit $rc, $(head -c 200 "$S/nd.err")"

# 6. leaks fail closed: a PHI string given once but also left elsewhere is resampled, then
#    written as [**NAME**], and the record says so; --allow-leaks writes it as found
printf '%s\n' '{"id":"s","text":"Mr Quixworth was seen today. Later QUIXWORTH was well.","given_phi":[{"start":3,"end":12,"type":"NAME"}]}' >"$S/leak.jsonl"
"$SR" generate -m "$M" --jsonl --quiet --phi-input only --ratio 0 "$S/leak.jsonl" >"$S/leak_on.jsonl" 2>"$S/leak_on.err"; rc1=$?
"$SR" generate -m "$M" --jsonl --quiet --phi-input only --ratio 0 --allow-leaks "$S/leak.jsonl" >"$S/leak_off.jsonl" 2>"$S/leak_off.err"; rc2=$?
"$PY" "$CHECKS" leaks "$S/leak_on.jsonl" "$S/leak_off.jsonl" "$S/leak_off.err" $rc1 $rc2

# 7. byte-reproducible: no timings without --timings; same seed, same bytes at 1 and 2 threads
"$SR_NATIVE" generate -m "$M" --jsonl --quiet --threads 1 --seed 5 "$S/two.jsonl" "$S/dup.jsonl" >"$S/r1.jsonl" 2>/dev/null
"$SR_NATIVE" generate -m "$M" --jsonl --quiet --threads 2 --seed 5 "$S/two.jsonl" "$S/dup.jsonl" >"$S/r2.jsonl" 2>/dev/null
"$SR_NATIVE" generate -m "$M" --jsonl --quiet --threads 2 --seed 5 "$S/two.jsonl" "$S/dup.jsonl" >"$S/r3.jsonl" 2>/dev/null
"$SR_NATIVE" generate -m "$M" --jsonl --quiet --timings --seed 5 "$S/two.jsonl" >"$S/rt.jsonl" 2>/dev/null
"$SR_NATIVE" generate -m "$M" --format i2b2 --quiet --threads 1 --seed 5 "$LETTER" >"$S/x1.xml" 2>/dev/null
"$SR_NATIVE" generate -m "$M" --format i2b2 --quiet --threads 2 --seed 5 "$LETTER" >"$S/x2.xml" 2>/dev/null
if [ -s "$S/r1.jsonl" ] && cmp -s "$S/r1.jsonl" "$S/r2.jsonl" && cmp -s "$S/r2.jsonl" "$S/r3.jsonl" && cmp -s "$S/x1.xml" "$S/x2.xml" &&
    ! grep -q '_seconds\|"seconds"' "$S/r1.jsonl" && grep -q '"seconds":.*"forward_seconds":' "$S/rt.jsonl"; then
    pass "byte-identical: JSONL and i2b2 at --threads 1 and 2 and run to run; timings only with --timings"
else fail "byte-identical: r1/r2/r3/x differ, or timings present without --timings"; fi

# 8. JSONL input: a BOM is skipped, a key given twice is an error, an error record carries
#    the id when it was read (else null) and its line
printf '\xef\xbb\xbf{"id":"bom","text":"Mr John Smith"}\n{"id":"dup","text":"a","text":"b"}\n\n{"text":5}\n{"id":4,"text":"ok"}\n' >"$S/in.jsonl"
for c in "tokenize -m $M --jsonl" "deid --jsonl" "generate -m $M --jsonl --quiet" "pos --jsonl"; do
    # shellcheck disable=SC2086
    "$SR" $c "$S/in.jsonl" >"$S/in.out" 2>/dev/null; rc=$?
    "$PY" "$CHECKS" jsonl-errors "$S/in.out" "$rc" "${c%% *}"
done
# 8b. files are identified by their path (error records too), --text and stdin by index
printf 'Mr John Smith was seen.\n' >"$S/id_a.txt"
for c in "deid --format jsonl" "generate -m $M --format jsonl --quiet"; do
    # shellcheck disable=SC2086
    "$SR" $c "$S/id_a.txt" "$S/no_such.txt" >"$S/ids.out" 2>/dev/null; rc=$?
    # shellcheck disable=SC2086
    printf 'Mr John Smith\n' | "$SR" $c >>"$S/ids.out" 2>/dev/null
    "$PY" "$CHECKS" file-ids "$S/ids.out" "$rc" "${c%% *}" "$S/id_a.txt" "$S/no_such.txt"
done
# 8c. --encoding cp1252|latin1 converts legacy files as Python's codecs do; without it the
#     refusal names the offset and the way out; a byte cp1252 leaves undefined is refused
"$PY" "$CHECKS" encoding-files "$S"
"$PY" "$CHECKS" encoding "$SR" "$S"
# 8d. --keep-fields carries named input keys through verbatim (after "id"), absent ones
#     stay absent, sr's own keys cannot be kept
printf '{"id":"k1","site":"north \\u00e9","when":{"y":[2020,1.5e3]},"text":"Mr John Smith seen.","drop":1}\n{"id":"k2","text":"Dr Jane Doe"}\n' >"$S/keep.jsonl"
for c in "deid --jsonl" "generate -m $M --jsonl --quiet" "tokenize -m $M --jsonl"; do
    # shellcheck disable=SC2086
    "$SR" $c --keep-fields site,when "$S/keep.jsonl" >"$S/keep.out" 2>/dev/null; rc=$?
    "$PY" "$CHECKS" keep-fields "$S/keep.jsonl" "$S/keep.out" "$rc" "${c%% *}"
done
"$SR" deid --jsonl --keep-fields site,text "$S/keep.jsonl" >/dev/null 2>"$S/keep.err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$S/keep.err")" -eq 1 ] && grep -q -- "--keep-fields" "$S/keep.err" &&
    echo "PASS safety --keep-fields text refused (exit 2, one line)" || echo "FAIL safety --keep-fields text: exit $rc $(head -c 200 "$S/keep.err")"
# 8e. sr generate --text: letters from the command line (ids by index), not mixed with files;
#     --quiet says nothing on stderr
"$SR" generate --quiet --format jsonl --text "Mr John Smith was seen." --text "Dr Jane Doe called." >"$S/gt.out" 2>"$S/gt.err"; rc=$?
"$SR" generate --text "x" "$S/id_a.txt" >/dev/null 2>"$S/gt2.err"; rc2=$?
"$PY" "$CHECKS" generate-text "$S/gt.out" "$rc" "$S/gt.err" "$rc2" "$S/gt2.err"
# 8f. one input grammar for every command: positional arguments are files, --text TEXT
#     is text, both at once refused (exit 2); text given where a file goes is a missing
#     file (exit 1) whose one-line error says where text goes; -f before files still works
gram() { # NAME CMD... (the input arguments are appended; the text has a [MASK] for fill)
    local name=$1 text="Mr John Smith was seen [MASK]."
    shift
    printf '%s\n' "$text" >"$S/g.txt"
    "$@" --text "$text" >"$S/g1.out" 2>"$S/g1.err" </dev/null; local r1=$?
    "$@" "$S/g.txt" >"$S/g2.out" 2>"$S/g2.err" </dev/null; local r2=$?
    "$@" -f "$S/g.txt" >"$S/g3.out" 2>"$S/g3.err" </dev/null; local r3=$?
    "$@" "$text" >/dev/null 2>"$S/g4.err" </dev/null; local r4=$?
    "$@" --text "x" "$S/g.txt" >/dev/null 2>"$S/g5.err" </dev/null; local r5=$?
    local why=""
    [ $r1 -eq 0 ] && [ -s "$S/g1.out" ] || why="$why --text: exit $r1;"
    [ $r2 -eq 0 ] && [ -s "$S/g2.out" ] || why="$why a file: exit $r2;"
    [ $r3 -eq 0 ] && cmp -s "$S/g2.out" "$S/g3.out" || why="$why -f FILE: exit $r3 or other output;"
    { [ $r4 -eq 1 ] && [ "$(wc -l <"$S/g4.err")" -eq 1 ] && grep -q "goes after --text" "$S/g4.err"; } || why="$why text as a file: exit $r4, $(head -c 150 "$S/g4.err");"
    { [ $r5 -eq 2 ] && [ "$(wc -l <"$S/g5.err")" -eq 1 ] && grep -q "not both" "$S/g5.err"; } || why="$why --text with a file: exit $r5, $(head -c 150 "$S/g5.err");"
    if [ -z "$why" ]; then pass "input grammar $name: --text, FILE, -f FILE, text-as-file refused with a hint, --text+FILE refused"
    else fail "input grammar $name:$why"; fi
}
gram tokenize "$SR" tokenize -m "$M"
gram fill "$SR" fill -m "$M"
gram ner "$SR" ner -m "$NER"
gram pos "$SR" pos
gram deid "$SR" deid
gram generate "$SR" generate -m "$M" --quiet
# 9. a model with fewer positions than the window needs (64 < 2 x 128 + 3): the window
#    shrinks to fit, said once on stderr (not with --quiet), every strategy runs
SMALL=$S/tiny_mlm_zip/model.f32.srm
ok=1
for fill in iterative parallel rounds:3; do
    "$SR" generate -m "$SMALL" --fill $fill "$LETTER" >"$S/small.txt" 2>"$S/small.err" || ok=0
    [ "$(grep -c 'the model has 64 positions: --window 128 becomes 30' "$S/small.err")" -eq 1 ] && [ -s "$S/small.txt" ] || ok=0
done
"$SR" generate -m "$SMALL" --quiet "$LETTER" >/dev/null 2>"$S/small.err" && [ ! -s "$S/small.err" ] || ok=0
[ $ok -eq 1 ] && pass "64-position model: --window 128 becomes 30 (said once), iterative/parallel/rounds:3 run" ||
    fail "64-position model: $(head -c 300 "$S/small.err")"

# 10. the converter: OUT a folder, or a file of HF_DIR, is refused (exit 2, one line), the input unchanged
HF=$S/tiny_mlm_zip
cp "$HF/config.json" "$S/config.orig"
one_line_error "convert OUT = HF_DIR/config.json" 2 "is a file of HF_DIR" "$PY" "$ROOT/convert_weights.py" "$HF" "$HF/config.json"
cmp -s "$HF/config.json" "$S/config.orig" && pass "convert: config.json unchanged" || fail "convert: config.json was overwritten"
mkdir -p "$S/cv_out"
one_line_error "convert OUT a folder" 2 "is a folder" "$PY" "$ROOT/convert_weights.py" "$HF" "$S/cv_out"
[ -z "$(ls -A "$S/cv_out")" ] && [ ! -e "$S/cv_out.tmp" ] && pass "convert: nothing left behind for OUT a folder" || fail "convert: files left: $(ls -A "$S/cv_out" "$S"/cv_out.tmp 2>&1 | tr '\n' ' ')"

# 11. flipped bytes inside a copied model file: in the body, sr info --verify says so
#     (exit 1, one line; the original verifies, exit 0); in the header, every load refuses
#     (exit 2, one line). test/checks/engine_checksums.py (stage 30) checks the CRCs themselves.
flip_copy() { # SRC DST OFFSET: DST = SRC with the byte at OFFSET (negative: from the end) xor 0x01
    "$PY" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[3])] ^= 1; open(sys.argv[2], "wb").write(b)' "$@"
}
flip_copy "$SMALL" "$S/copy_body.srm" -1000
flip_copy "$SMALL" "$S/copy_header.srm" 60
"$SR" info --verify -m "$SMALL" >"$S/v.out" 2>&1 && grep -q ': OK (format version 2' "$S/v.out" &&
    pass "converted model: sr info --verify OK, exit 0" || fail "converted model: sr info --verify: $(head -c 300 "$S/v.out")"
"$SR" info -m "$S/copy_body.srm" >/dev/null 2>&1 && pass "copy with a flipped body byte: loads (sr info exit 0)" ||
    fail "copy with a flipped body byte: sr info fails to load it"
one_line_error "copy with a flipped body byte: sr info --verify" 1 "contents checksum mismatch" "$SR" info --verify -m "$S/copy_body.srm"
H="$S/copy_header.srm: header checksum mismatch"
one_line_error "copy with a flipped header byte: sr generate" 2 "$H" "$SR" generate -m "$S/copy_header.srm" --quiet "$LETTER"
one_line_error "copy with a flipped header byte: sr fill" 2 "$H" "$SR" fill -m "$S/copy_header.srm" --text "chest [MASK]"
one_line_error "copy with a flipped header byte: sr tokenize" 2 "$H" "$SR" tokenize -m "$S/copy_header.srm" --text chest
one_line_error "copy with a flipped header byte: sr info" 2 "$H" "$SR" info -m "$S/copy_header.srm"
exit 0
