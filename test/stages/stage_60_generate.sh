# Generation (mlm.c): sampler and selection facts, `sr fill` against PyTorch, synthetic
# letters on small random models with the real BERT vocabularies: determinism over
# thread counts, valid output, protected entities kept, no PHI left, error records.
set -u
G=$OUT/gen
mkdir -p "$G"
CHECK=$ROOT/test/checks/gen_check.py
fail() { echo "FAIL $1"; }

# 1. the test driver (portable, and native + OpenMP for the thread check)
cc -O2 -Wall -Wno-unused-function -o "$G/gen_check" "$ROOT/test/c/gen_check.c" -lm 2>"$G/build.log" &&
cc -O3 -march=native -fopenmp -Wall -Wno-unused-function -o "$G/gen_check_native" "$ROOT/test/c/gen_check.c" -lm 2>>"$G/build.log" ||
    { fail "build gen_check: $(head -c 800 "$G/build.log")"; exit 0; }
"$G/gen_check" unit

# 2. models: hidden 32, 2 layers, the real cased / uncased BERT vocabularies
if ! "$PY" "$ROOT/test/models/gen_models.py" "$G" >"$G/models.log" 2>&1; then
    fail "gen_models.py: $(tail -3 "$G/models.log")"; exit 0
fi

# 3. sr fill = softmax over the vocabulary at each [MASK], as PyTorch
cat >"$G/fill_in.jsonl" <<'J'
{"id":1,"text":"The patient was [MASK] today with chest pain."}
{"id":"two","text":"[MASK] [MASK] reviewed in clinic on 12 March, BP 140/90 [MASK]."}
{"id":3,"text":"No [MASK]"}
J
for mdl in gen_cased gen_uncased; do
    "$SR" tokenize -m "$G/$mdl.srm" --jsonl "$G/fill_in.jsonl" >"$G/fill_tok_$mdl.jsonl" 2>"$G/fill.err" &&
    "$SR" fill -m "$G/$mdl.srm" --top-k 5 --jsonl "$G/fill_in.jsonl" >"$G/fill_$mdl.jsonl" 2>>"$G/fill.err" ||
        { fail "fill $mdl: $(head -3 "$G/fill.err")"; continue; }
    OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/test/checks/gen_fill_ref.py" "$G" "$mdl" "$G/fill_tok_$mdl.jsonl" "$G/fill_$mdl.jsonl"
done

# 4. the invented example letter with its hand-annotated PHI as the spans, every strategy
"$PY" "$CHECK" example "$ROOT/data/example_letter.txt" "$ROOT/test/data/gen_example_phi.json" "$G/ex_gold.jsonl"
"$PY" "$CHECK" prep "$G/ex_gold.jsonl" "$G/ex_texts.jsonl" "$G/ex_phi.txt"
for run in "gen_cased iterative" "gen_cased parallel" "gen_cased rounds:4" "gen_uncased iterative"; do
    set -- $run; mdl=$1 fill=$2
    {
        tag=${mdl}_${fill/:/}
        if "$G/gen_check" spans "$G/$mdl.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill "$fill" >"$G/ex_$tag.jsonl" 2>"$G/ex.err"; then
            "$PY" "$CHECK" check "example $tag" "$G/ex_gold.jsonl" "$G/ex_$tag.jsonl" --protected-rule
        else fail "example $tag: $(head -3 "$G/ex.err")"; fi
    }
done

# 4b. the leak check and --strict: a name given as PHI once but also left elsewhere
printf '%s\n' '{"id":"s","text":"Mr Quixworth was seen today. Later QUIXWORTH was well."}' >"$G/strict.jsonl"
echo "3 12 NAME" >"$G/strict_phi.txt"
"$G/gen_check" spans "$G/gen_cased.srm" "$G/strict.jsonl" "$G/strict_phi.txt" --ratio 0 >"$G/strict_off.jsonl" 2>&1
"$G/gen_check" spans "$G/gen_cased.srm" "$G/strict.jsonl" "$G/strict_phi.txt" --ratio 0 --strict >"$G/strict_on.jsonl" 2>&1
if grep -q '"leaks":1' "$G/strict_off.jsonl" && grep -q '"leaks":0' "$G/strict_on.jsonl" && grep -q 'Later \[\*\*NAME\*\*\] was well' "$G/strict_on.jsonl" &&
    ! grep -qi 'quixworth' "$G/strict_on.jsonl"; then
    echo "PASS leak check counts a PHI string left elsewhere (1); --strict overwrites it with [**NAME**] (0 left)"
else fail "leak check / --strict: $(head -c 300 "$G/strict_off.jsonl") / $(head -c 300 "$G/strict_on.jsonl")"; fi

# 5. same seed, same bytes with 1 and 2 threads (native + OpenMP); another seed differs
# (JSONL carries no wall-clock timings without --timings: the files compare as they are)
for fill in rounds:4; do
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 1 --seed 7 >"$G/t1.jsonl" 2>&1
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 2 --seed 7 >"$G/t2.jsonl" 2>&1
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 2 --seed 8 >"$G/t3.jsonl" 2>&1
    if cmp -s "$G/t1.jsonl" "$G/t2.jsonl" && ! cmp -s "$G/t1.jsonl" "$G/t3.jsonl" &&
        grep -q '"text"' "$G/t1.jsonl"; then
        echo "PASS determinism $fill: seed 7 identical with 1 and 2 threads, seed 8 differs"
    else fail "determinism $fill: outputs differ across threads (or seeds agree)"; fi
done

# 7. the command line, with the Masker (PHI rules + lexicons) deciding
M=$G/gen_cased.srm
if "$SR" generate -m "$M" --jsonl --quiet "$G/ex_texts.jsonl" >"$G/cli_ex.jsonl" 2>"$G/cli.err"; then
    "$PY" "$CHECK" check "cli example (Masker)" "$G/ex_gold.jsonl" "$G/cli_ex.jsonl"
else fail "cli example: $(head -3 "$G/cli.err")"; fi
"$SR" generate -m "$M" --quiet "$G/no-such-file.txt" 2>/dev/null; [ $? -ne 0 ] && echo "PASS cli: a missing file exits non-zero" || fail "cli: a missing file exited 0"
# error records: invalid UTF-8, empty text, 200 kB, bad JSON; the batch goes on
"$PY" "$CHECK" bad-input "$G/bad.jsonl"
"$SR" generate -m "$M" --jsonl --quiet "$G/bad.jsonl" >"$G/bad_out.jsonl" 2>"$G/bad.err"
rc=$?
"$PY" "$CHECK" bad-records "$G/bad_out.jsonl" $rc
# same seed, same bytes: 1 vs 2 threads (native + OpenMP), text output
"$SR_NATIVE" generate -m "$M" --threads 1 --seed 3 --quiet "$ROOT/data/example_letter.txt" >"$G/cli_t1.txt" 2>&1
"$SR_NATIVE" generate -m "$M" --threads 2 --seed 3 --quiet "$ROOT/data/example_letter.txt" >"$G/cli_t2.txt" 2>&1
"$SR" generate -m "$M" --seed 3 --quiet "$ROOT/data/example_letter.txt" >"$G/cli_p.txt" 2>&1
if cmp -s "$G/cli_t1.txt" "$G/cli_t2.txt" && cmp -s "$G/cli_t1.txt" "$G/cli_p.txt" && [ -s "$G/cli_t1.txt" ]; then
    echo "PASS cli determinism: --seed 3 byte-identical with 1 and 2 threads and the portable build"
else fail "cli determinism: outputs differ"; fi
# --shard I/N: two shards cover the batch exactly once, same letters as one run
"$PY" "$CHECK" shard-input >"$G/shard.jsonl"
"$SR" generate -m "$M" --jsonl --quiet --fill rounds:2 "$G/shard.jsonl" | sort >"$G/shard_all.txt"
for i in 0 1 2; do "$SR" generate -m "$M" --jsonl --quiet --fill rounds:2 --shard $i/3 "$G/shard.jsonl"; done | sort >"$G/shard_3.txt"
if cmp -s "$G/shard_all.txt" "$G/shard_3.txt" && [ "$(wc -l <"$G/shard_3.txt")" -eq 9 ]; then
    echo "PASS cli --shard I/3: the three shards together give the 9 letters of one run, once each"
else fail "cli --shard: shards differ from the single run"; fi
# scale-out as the README runs it: GNU parallel, 4 processes, --shard {}/4 of one batch;
# together the shards are the one-process output byte for byte, each record once
if command -v parallel >/dev/null; then
    "$PY" "$CHECK" batch-input >"$G/batch.jsonl"
    "$SR" generate -m "$M" --jsonl --quiet --seed 5 "$G/batch.jsonl" >"$G/batch_one.jsonl"
    rm -f "$G"/batch_part.*.jsonl
    parallel -j4 "'$SR' generate -m '$M' --jsonl --seed 5 --shard {}/4 --quiet '$G/batch.jsonl' > '$G/batch_part.{}.jsonl'" ::: 0 1 2 3
    "$PY" "$CHECK" scale-out "$G/batch.jsonl" "$G/batch_one.jsonl" "$G"/batch_part.*.jsonl
else
    fail "cli scale-out: GNU parallel is not installed (Debian package parallel; .ci/run installs it)"
fi
# --explain: every decision shows its context, candidates and choice, no original PHI
"$SR" generate -m "$M" --phi-fill mlm --explain --quiet "$ROOT/data/example_letter.txt" >"$G/explain.txt" 2>&1
nd=$(grep -c '^decision ' "$G/explain.txt"); nc=$(grep -c '^  candidates:' "$G/explain.txt"); nx=$(grep -c '^  context: .*>>\[MASK\]<<' "$G/explain.txt")
if [ "$nd" -gt 50 ] && [ "$nd" -eq "$nc" ] && [ "$nd" -eq "$nx" ] && ! grep -qiE 'Whitcombe|Marchetti|Okonkwo|40718236' "$G/explain.txt"; then
    echo "PASS cli --explain: $nd decisions, each with context, candidates and choice; no original names or MRN"
else fail "cli --explain: decisions $nd, candidates $nc, contexts $nx (or PHI shown)"; fi
# formats: i2b2 XML parses and its PHI offsets hold; brat .ann offsets hold
"$SR" generate -m "$M" --format i2b2 --quiet "$ROOT/data/example_letter.txt" >"$G/ex.xml" 2>/dev/null
rm -rf "$G/brat" && "$SR" generate -m "$M" --format brat --out "$G/brat" --quiet "$ROOT/data/example_letter.txt" 2>/dev/null
"$PY" "$CHECK" formats "$G/ex.xml" "$G/brat/example_letter"
# the demo model: without -m, sr-demo.srm beside the binary
mkdir -p "$G/bin" && cp "$SR" "$G/bin/sr" && cp "$M" "$G/bin/sr-demo.srm"
if "$G/bin/sr" generate --data "$ROOT/data" "$ROOT/data/example_letter.txt" >"$G/demo.txt" 2>"$G/demo.err" &&
    grep -q "using the demo model $G/bin/sr-demo.srm" "$G/demo.err" && [ -s "$G/demo.txt" ]; then
    echo "PASS cli default model: sr-demo.srm beside the binary, named on stderr"
else fail "cli default model: $(head -2 "$G/demo.err")"; fi
rm -f "$G/bin/sr-demo.srm"
"$G/bin/sr" generate --data "$ROOT/data" --quiet "$ROOT/data/example_letter.txt" >/dev/null 2>"$G/demo.err"
[ $? -ne 0 ] && grep -q "no model" "$G/demo.err" && echo "PASS cli without any model: one clear line, non-zero exit" || fail "cli without a model: $(head -2 "$G/demo.err")"

# 6. the real de-identification notes, gold PHI spans as the spans (needs ../shared):
#    the first 20 notes with the default strategy, the first 150 with rounds:4
if [ -n "$SHARED" ] && [ -f "$SHARED/deid-dev/notes.jsonl" ]; then
    "$PY" "$CHECK" prep "$SHARED/deid-dev/notes.jsonl" "$G/deid_texts.jsonl" "$G/deid_phi.txt"
    for n in 20 150; do
        head -$n "$G/deid_texts.jsonl" >"$G/deid${n}_texts.jsonl"
        head -$n "$G/deid_phi.txt" >"$G/deid${n}_phi.txt"
    done
    for run in "iterative deid20" "rounds:4 deid150"; do
        set -- $run
        if "$G/gen_check" spans "$G/gen_cased.srm" "$G/${2}_texts.jsonl" "$G/${2}_phi.txt" --fill "$1" >"$G/${2}_out.jsonl" 2>"$G/deid.err"; then
            "$PY" "$CHECK" check "deid-dev gold spans $1" "$SHARED/deid-dev/notes.jsonl" "$G/${2}_out.jsonl" --protected-rule --partial
        else fail "deid-dev gold spans $1: $(head -3 "$G/deid.err")"; fi
    done
else
    echo "SKIP deid-dev gold spans: ../shared not found"
fi
exit 0
