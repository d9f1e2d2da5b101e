#!/usr/bin/env bash
# Speed of `sr eval` on 1,000 letter pairs, one core, beside its peer in the same run.
# Not a test: medians of several runs, the ratio, peak RSS.
#   bash test/bench/bench_eval.sh [SR_BINARY]      (run it through /work/tools/quiet here)
# Letters: data/example_letter.txt with invented names swapped in (2.4 kB, 331 words,
# gold NAME spans), synthetic = 30% of the words replaced (test/checks/eval_cases.py letters).
# Rows: sr eval with the Masker (rules and lexicons, as sr generate), sr eval with
# --phi-pred (metrics alone), and the peer: test/checks/eval_ref.py (the independent Python
# scorer: no other implementation of these metrics is installable here, no PyPI).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SR=${1:-$ROOT/sr}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
OUT=$ROOT/test/out/bench_eval
mkdir -p "$OUT"
[ -x "$SR" ] || { cc -O3 -o "$ROOT/sr" "$ROOT/sr.c" -lm && SR=$ROOT/sr; }
RUNS=5
N=1000
cp "$ROOT/data/example_letter.txt" "$OUT/letter.txt"
"$PY" "$ROOT/test/checks/eval_cases.py" letters $N "$OUT"
"$SR" deid --jsonl "$OUT/speed_orig.jsonl" >"$OUT/pred.jsonl" 2>/dev/null
echo "letters: $N pairs, $(wc -c <"$OUT/speed_orig.jsonl") + $(wc -c <"$OUT/speed_syn.jsonl") bytes of JSONL; one core (taskset -c 0, OMP_NUM_THREADS=1)"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
run() { # tag, label, runs, command...
    local tag=$1 label=$2 runs=$3; shift 3
    : >"$OUT/times"
    local rss=0
    for r in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$OUT/time1" taskset -c 0 env OMP_NUM_THREADS=1 "$@" >"$OUT/run.out" 2>"$OUT/run.err" ||
            { echo "$label: failed: $(head -c 300 "$OUT/run.err")"; return; }
        read -r s kb <"$OUT/time1"
        echo "$s" >>"$OUT/times"
        [ "$kb" -gt "$rss" ] && rss=$kb
    done
    local med
    med=$(median <"$OUT/times")
    printf '%-44s %8.2f s  %7.2f ms/pair  peak RSS %6d kB\n' "$label" "$med" "$(echo "$med * 1000 / $N" | bc -l)" "$rss"
    echo "$med" >"$OUT/median.$tag"
}
run masker "sr eval (Masker on the originals)" $RUNS "$SR" eval "$OUT/speed_orig.jsonl" "$OUT/speed_syn.jsonl" --json
run metrics "sr eval --phi-pred (metrics only)" $RUNS "$SR" eval "$OUT/speed_orig.jsonl" "$OUT/speed_syn.jsonl" --json --phi-pred "$OUT/pred.jsonl"
run peer "test/checks/eval_ref.py (Python peer)" 1 "$PY" "$ROOT/test/checks/eval_ref.py" "$OUT/speed_orig.jsonl" "$OUT/speed_syn.jsonl" "$OUT/pred.jsonl" "$ROOT/data"
a=$(cat "$OUT/median.metrics" 2>/dev/null)
b=$(cat "$OUT/median.peer" 2>/dev/null)
[ -n "$a" ] && [ -n "$b" ] && printf 'eval_ref.py / sr eval --phi-pred: %.1fx\n' "$(echo "$b / $a" | bc -l)"
