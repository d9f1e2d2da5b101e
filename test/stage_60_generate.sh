# Generation (mlm.c): sampler and selection facts, `sr fill` against PyTorch, synthetic
# letters on small random models with the real BERT vocabularies: determinism over
# thread counts, valid output, protected entities kept, no PHI left, error records.
set -u
G=$OUT/gen
mkdir -p "$G"
CHECK=$ROOT/test/gen_check.py
fail() { echo "FAIL $1"; }

# 1. the test driver (portable, and native + OpenMP for the thread check)
cc -O2 -Wall -Wno-unused-function -o "$G/gen_check" "$ROOT/test/gen_check.c" -lm 2>"$G/build.log" &&
cc -O3 -march=native -fopenmp -Wall -Wno-unused-function -o "$G/gen_check_native" "$ROOT/test/gen_check.c" -lm 2>>"$G/build.log" ||
    { fail "build gen_check: $(head -c 800 "$G/build.log")"; exit 0; }
"$G/gen_check" unit

# 2. models: hidden 32, 2 layers, the real cased / uncased BERT vocabularies
if ! "$PY" "$ROOT/test/gen_models.py" "$G" >"$G/models.log" 2>&1; then
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
    OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/test/gen_fill_ref.py" "$G" "$mdl" "$G/fill_tok_$mdl.jsonl" "$G/fill_$mdl.jsonl"
done

# 4. the invented example letter with its hand-annotated PHI as the spans, every strategy
"$PY" "$CHECK" example "$ROOT/data/example_letter.txt" "$ROOT/test/gen_example_phi.json" "$G/ex_gold.jsonl"
"$PY" "$CHECK" prep "$G/ex_gold.jsonl" "$G/ex_texts.jsonl" "$G/ex_phi.txt"
for mdl in gen_cased gen_uncased; do
    for fill in iterative parallel rounds:4; do
        tag=${mdl}_${fill/:/}
        if "$G/gen_check" spans "$G/$mdl.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill "$fill" >"$G/ex_$tag.jsonl" 2>"$G/ex.err"; then
            "$PY" "$CHECK" check "example $tag" "$G/ex_gold.jsonl" "$G/ex_$tag.jsonl" --protected-rule
        else fail "example $tag: $(head -3 "$G/ex.err")"; fi
    done
done

# 5. same seed, same bytes with 1 and 2 threads (native + OpenMP); another seed differs
strip_times() { sed -E 's/"(seconds|forward_seconds|head_seconds|masker_seconds)":[0-9.e+-]+//g' "$1"; }
for fill in iterative rounds:4; do
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 1 --seed 7 >"$G/t1.jsonl" 2>&1
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 2 --seed 7 >"$G/t2.jsonl" 2>&1
    "$G/gen_check_native" spans "$G/gen_cased.srm" "$G/ex_texts.jsonl" "$G/ex_phi.txt" --fill $fill --threads 2 --seed 8 >"$G/t3.jsonl" 2>&1
    if cmp -s <(strip_times "$G/t1.jsonl") <(strip_times "$G/t2.jsonl") && ! cmp -s <(strip_times "$G/t1.jsonl") <(strip_times "$G/t3.jsonl") &&
        grep -q '"text"' "$G/t1.jsonl"; then
        echo "PASS determinism $fill: seed 7 identical with 1 and 2 threads, seed 8 differs"
    else fail "determinism $fill: outputs differ across threads (or seeds agree)"; fi
done

# 6. the real de-identification notes, gold PHI spans as the spans (needs ../shared):
#    the first 60 notes with the default strategy, all 1,450 with rounds:4
if [ -n "$SHARED" ] && [ -f "$SHARED/deid-dev/notes.jsonl" ]; then
    "$PY" "$CHECK" prep "$SHARED/deid-dev/notes.jsonl" "$G/deid_texts.jsonl" "$G/deid_phi.txt"
    head -60 "$G/deid_texts.jsonl" >"$G/deid60_texts.jsonl"
    head -60 "$G/deid_phi.txt" >"$G/deid60_phi.txt"
    for run in "iterative deid60" "rounds:4 deid"; do
        set -- $run
        if "$G/gen_check" spans "$G/gen_cased.srm" "$G/${2}_texts.jsonl" "$G/${2}_phi.txt" --fill "$1" >"$G/${2}_out.jsonl" 2>"$G/deid.err"; then
            "$PY" "$CHECK" check "deid-dev gold spans $1" "$SHARED/deid-dev/notes.jsonl" "$G/${2}_out.jsonl" --protected-rule --partial
        else fail "deid-dev gold spans $1: $(head -3 "$G/deid.err")"; fi
    done
else
    echo "SKIP deid-dev gold spans: ../shared not found"
fi
exit 0
