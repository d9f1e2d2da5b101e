#!/usr/bin/env bash
# bench_generate.sh - what one synthetic letter costs, per filling strategy.
#
#   bash test/bench/bench_generate.sh    (RUNS=3 ITER_RUNS=1 THREADS=2 WORDS=650 to change)
#
# A letter of about 1,200 WordPieces (the invented example letter, repeated), ratio 0.5,
# on random models of Bio_ClinicalBERT's shape (test/models/make_models.py --full, converted to
# int8 and float32). For each strategy: words refilled, masks, forward passes, seconds
# per letter (median of RUNS runs, seeds 1..RUNS) and where the time goes: encoder
# forward, MLM head, everything else (Masker, sampling, splicing, output). Reference
# point (not run here): the paper's iterative filler, 6.6 s per letter on a T4 GPU.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/test/out/bench
mkdir -p "$B"
PY=${PY:-/usr/bin/python3}
SR=${SR:-$ROOT/test/out/sr-native}
RUNS=${RUNS:-3}
ITER_RUNS=${ITER_RUNS:-1}
THREADS=${THREADS:-2}
[ -x "$SR" ] || cc -O3 -march=native -fopenmp -Wall -o "$SR" "$ROOT/sr.c" -lm || exit 1
if [ ! -f "$B/full_q8.srm" ] || [ ! -f "$B/full_f32.srm" ]; then
    echo "making the Bio_ClinicalBERT-shaped random model (a few minutes)..." >&2
    OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/test/models/make_models.py" "$B" --full --only bioclinical_shape >&2 &&
    "$PY" "$ROOT/convert_weights.py" "$B/bioclinical_shape" "$B/full_f32.srm" --dtype f32 &&
    "$PY" "$ROOT/convert_weights.py" "$B/bioclinical_shape" "$B/full_q8.srm" --dtype q8 || exit 1
fi
# the letter: the example, repeated until about 1,200 WordPieces
"$PY" - "$ROOT/data/example_letter.txt" "$B/letter.jsonl" "${WORDS:-650}" <<'P'
import json, sys
ex = open(sys.argv[1], encoding="utf-8").read()
paras = ex.split("\n\n")
text, i = "", 0
while len(text.split()) < int(sys.argv[3]):   # WORDS: ~1.85 WordPieces a word here
    text += paras[i % len(paras)] + "\n\n"
    i += 1
open(sys.argv[2], "w").write(json.dumps({"id": "bench", "text": text}) + "\n")
P
ntok=$("$SR" tokenize -m "$B/full_q8.srm" --jsonl "$B/letter.jsonl" | "$PY" -c "import json,sys; print(len(json.loads(sys.stdin.readline())['ids']) - 2)")
echo "letter: $ntok WordPieces, ratio 0.5, window 128, threads $THREADS, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf "%-6s %-10s %6s %6s %8s %10s %8s %6s %8s\n" model fill words masks forwards s/letter encoder head other
for w in q8 f32; do
    for fill in rounds:4 parallel iterative; do
        runs=$RUNS; [ "$fill" = iterative ] && runs=$ITER_RUNS
        : >"$B/runs.jsonl"
        for seed in $(seq 1 "$runs"); do
            "$SR" generate -m "$B/full_$w.srm" --fill "$fill" --ratio 0.5 --seed "$seed" --threads "$THREADS" --jsonl --timings --quiet "$B/letter.jsonl" >>"$B/runs.jsonl" 2>/dev/null
        done
        "$PY" - "$B/runs.jsonl" "$w" "$fill" <<'P'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rs = [r for r in rs if "text" in r]
if not rs:
    print("%-6s %-10s failed" % (sys.argv[2], sys.argv[3])); sys.exit()
med = lambda k: statistics.median(r[k] for r in rs)
s, f, h = med("seconds"), med("forward_seconds"), med("head_seconds")
print("%-6s %-10s %6d %6d %8d %10.2f %7.1f%% %5.1f%% %7.1f%%" % (sys.argv[2], sys.argv[3], med("fills"), med("masks"),
      med("forwards"), s, 100 * f / s, 100 * h / s, 100 * (s - f - h) / s))
P
    done
done
echo "other = time outside the encoder forward and the MLM head (Masker, softmax + sampling, splicing, output)"
