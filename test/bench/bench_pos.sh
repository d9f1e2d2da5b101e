#!/usr/bin/env bash
# The built-in tagger's speed and start-up beside its Python reference (train/train_pos.py,
# the same features and weights), one core, on UD EWT train (../shared/ud). Not a test:
# run it as /work/tools/quiet bash test/bench/bench_pos.sh on a shared machine.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
UD=${UD:-../shared/ud}
SR=${SR:-./sr}
[ -x "$SR" ] || cc -O3 -march=native -o "$SR" sr.c -lm
in="$UD/en_ewt-ud-train.conllu"
words=$(grep -cP '^\d+\t' "$in")
runs=()
# CPU seconds (user + sys) of the one-threaded process: what one core does, whatever else
# the machine runs; wall seconds beside them
for i in 1 2 3 4 5; do runs+=("$( { /usr/bin/time -f "%U %S %e %M" "$SR" pos --conllu "$in" >/dev/null; } 2>&1 | tail -1)"); done
med=$(printf '%s\n' "${runs[@]}" | awk '{print $1 + $2, $3, $4}' | sort -n | sed -n 3p)
set -- $med
echo "sr pos --conllu (read, tag, write CoNLL-U): $words words, median of 5: $1 CPU s ($2 s wall) = $(echo "$words / $1" | bc) words/s per core, peak RSS $3 KB"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs 30 --export-json /tmp/bench_pos_start.json "$SR pos --text x" >/dev/null 2>&1 &&
        /usr/bin/python3 -c "import json; r=json.load(open('/tmp/bench_pos_start.json'))['results'][0]; print('sr pos start-up (load data/pos_ewt.srp, tag one word, exit): median %.1f ms (hyperfine, 30 runs)' % (r['median'] * 1e3))"
fi
py=$( { /usr/bin/time -f "%U %S" /usr/bin/python3 train/train_pos.py tag data/pos_ewt.srp "$UD/en_ewt-ud-dev.conllu" >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}')
pyw=$(grep -cP '^\d+\t' "$UD/en_ewt-ud-dev.conllu")
echo "Python reference tagger (the same features and weights): $pyw words in $py CPU s = $(echo "$pyw / $py" | bc) words/s; sr/Python $(echo "($words / $1) / ($pyw / $py)" | bc)x"
