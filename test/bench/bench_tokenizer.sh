#!/usr/bin/env bash
# Tokenizer throughput: sr_tokenize vs Hugging Face's Rust tokenizer (npm tokenizers),
# same input, same run, one thread each, tokenizer time only (no file I/O, no output).
#   bash test/bench/bench_tokenizer.sh [MB] [REPS]
# Input: ~MB megabytes (default 4) of clinical-style text, one paragraph a line: the
# ACI-BENCH visit notes and MedQuAD answers of ../shared/corpus when present, else
# generated clinical-style lines (test/checks/tokenizer_gen.py clinical).
# sr: test/c/tokenizer_bench.c times sr_tokenize over every line ([CLS]/[SEP] added),
# built -O3 -march=native and -O2 portable. Reference: test/bench/tokenizer_bench.js times
# encodeBatch (1000 lines a call) with RAYON_NUM_THREADS=1, reading back the ids; this
# includes the JS->Rust string copy and the binding's result objects, which are part of
# using that library from a program. Both print a checksum of all ids: they must agree.
# Both wall-clock and CPU-time medians are shown: on a shared machine CPU time is the
# fairer measure (node's CPU time counts all its threads).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/test/out/bench_tokenizer
mkdir -p "$OUT"
PY=/usr/bin/python3
MB=${1:-4}
REPS=${2:-5}
V=$ROOT/test/data/vocab/bert-base-cased-vocab.txt
IN=$OUT/input.txt
SHARED=$ROOT/../shared/corpus
if [ -d "$SHARED/aci_bench" ]; then
    src="../shared/corpus (aci_bench + medquad)"
    find "$SHARED/aci_bench" "$SHARED/medquad" -type f -name '*.txt' | sort | xargs cat 2>/dev/null | grep -v '^\s*$' |
        head -c $((MB * 1000000)) 2>/dev/null | sed '$d' >"$IN" || true
else
    src="generated clinical-style lines"
    "$PY" "$ROOT/test/checks/tokenizer_gen.py" clinical $((MB * 1000000)) 7 >"$IN"
fi
echo "input: $src, $(wc -c <"$IN") bytes, $(wc -l <"$IN") lines; $REPS runs each; cased vocab, lower-cased (Bio_ClinicalBERT setting)"
cc -O3 -march=native -DSR_NO_MAIN -o "$OUT/bench_native" "$ROOT/test/c/tokenizer_bench.c" -lm 2>"$OUT/build.log" || { echo "build failed: $(grep -m1 error "$OUT/build.log")"; exit 1; }
cc -O2 -DSR_NO_MAIN -o "$OUT/bench_portable" "$ROOT/test/c/tokenizer_bench.c" -lm 2>"$OUT/build.log" || { echo "build failed: $(grep -m1 error "$OUT/build.log")"; exit 1; }
for mode in lower cased; do
    echo "== setting: $mode"
    a=$("$OUT/bench_native" "$V" $mode "$IN" "$REPS")
    b=$("$OUT/bench_portable" "$V" $mode "$IN" "$REPS")
    c=$(RAYON_NUM_THREADS=1 node "$ROOT/test/bench/tokenizer_bench.js" "$V" $mode "$IN" "$REPS")
    echo "  sr (native):   $a"
    echo "  sr (portable): $b"
    echo "  HF tokenizers: $c"
    sa=$(echo "$a" | sed 's/.*checksum //'); sc=$(echo "$c" | sed 's/.*checksum //')
    [ "$sa" = "$sc" ] || echo "  WARNING: checksums differ: the two did not produce the same ids"
    wall() { echo "$1" | sed 's/.*wall [0-9.]* s \([0-9.]*\) MB.*/\1/'; }
    cpu() { echo "$1" | sed 's/.*cpu [0-9.]* s \([0-9.]*\) MB.*/\1/'; }
    r() { awk "BEGIN{printf \"%.1f\", $1/$2}"; }
    echo "  ratio sr/HF wall-clock: native $(r $(wall "$a") $(wall "$c"))x, portable $(r $(wall "$b") $(wall "$c"))x;" \
        "CPU time: native $(r $(cpu "$a") $(cpu "$c"))x, portable $(r $(cpu "$b") $(cpu "$c"))x"
done
