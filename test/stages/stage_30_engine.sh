# Engine (sr.c sections 2-4): model loader, kernels, BERT forward, heads, sr bench/info.
# References come from PyTorch's own modules (test/models/make_models.py, test/models/engine_models.py),
# never from sr. Models are regenerated under $OUT each run.
set -u
E=$OUT/engine
mkdir -p "$E"
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
CFLAGS_W="-Wall -Wno-unused-function"

# ---- builds of the harness: portable, native, sanitizers
ED_P=$E/engine_dump-portable ED_N=$E/engine_dump-native ED_A=$E/engine_dump-asan
"$CC" -O2 $CFLAGS_W -o "$ED_P" "$ROOT/test/c/engine_dump.c" -lm 2>"$E/build.log" || fail "engine build portable: $(head -c 600 "$E/build.log")"
"$CC" -O3 -march=native -fopenmp $CFLAGS_W -o "$ED_N" "$ROOT/test/c/engine_dump.c" -lm 2>"$E/build.log" || fail "engine build native: $(head -c 600 "$E/build.log")"
"$CC" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all $CFLAGS_W \
    -o "$ED_A" "$ROOT/test/c/engine_dump.c" -lm 2>"$E/build.log" || fail "engine build asan: $(head -c 600 "$E/build.log")"
export ASAN_OPTIONS=detect_leaks=0
# Runtime dispatch: the portable build (no -march) holds every kernel set of its
# architecture and picks one from the CPU. What this CPU can run, read independently of
# sr from /proc/cpuinfo; every such set is forced (SR_KERNELS) in the portable build.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() { for f in "$@"; do grep -qw -- "$f" <<<"$flags" || return 1; done; }
SETS="generic"
has avx2 fma && SETS="avx2 $SETS"
has avx512f avx512bw avx512vl avx512dq avx512_vnni && SETS="avx512 $SETS"
BEST=${SETS%% *}
[ "$SETS" = generic ] && echo "note: this CPU has no AVX2+FMA: only the generic kernels run here"
# a run is BUILD:SET (SET "best": the build's own choice)
RUNS="native:best"
for k in $SETS; do RUNS="$RUNS portable:$k"; done
ed_run() { local b=${1%%:*} k=${1#*:}; shift; if [ "$k" = best ]; then "$E/engine_dump-$b" "$@"; else SR_KERNELS=$k "$E/engine_dump-$b" "$@"; fi; }
w=$(SR_KERNELS=no-such "$ED_P" kernels 2>&1 >/dev/null | head -1)
grep -q 'SR_KERNELS=no-such is not a kernel set' <<<"$w" && pass "engine SR_KERNELS with an unknown set: one-line warning, best set" ||
    fail "engine SR_KERNELS=no-such: '$w'"

# ---- kernels against double-precision products; exp/erf/gelu against libm
for r in $RUNS native:generic; do
    k=${r#*:}
    if out=$(ed_run $r kernels 2>&1) && ! grep -q '^BAD' <<<"$out" && { [ $k = best ] || grep -q "^ok  kernel set $k " <<<"$out"; }; then
        pass "engine kernels $r: $(grep -c '^ok' <<<"$out") checks ($(head -1 <<<"$out" | cut -c5-); $(tail -1 <<<"$out" | cut -c5-))"
    else fail "engine kernels $r: $(grep -v '^ok' <<<"$out" | head -3 | tr '\n' ' ')"; fi
done

# ---- tiny torch-built models: f32 parity (1e-4) in both builds, q8 within 5% of scale
# (q8: the default group of 128, one group a row at these widths; q8g16: groups of 16,
# so that the kernels' sums over several groups are checked too)
M=$E/models
rm -rf "$M"; mkdir -p "$M"
if ! "$PY" "$ROOT/test/models/make_models.py" "$M" >"$E/make_models.log" 2>&1; then
    fail "engine make_models.py: $(tail -3 "$E/make_models.log")"
fi
: >"$M/compare.txt"
for d in "$M"/*/; do
    d=${d%/}; n=$(basename "$d")
    [ -f "$d/ref/cases.txt" ] || continue
    for t in f32 q8 q8g16; do
        case $t in q8g16) conv="--dtype q8 --group-size 16";; *) conv="--dtype $t";; esac
        if ! "$PY" "$ROOT/convert_weights.py" "$d" "$M/$n.$t.srm" $conv >"$E/conv.log" 2>&1; then
            fail "engine convert $n $t: $(tail -1 "$E/conv.log")"; continue
        fi
        for r in $RUNS; do
            b=${r/:/-}; o=$M/$n.$t.$b; mkdir -p "$o"
            if ! ed_run $r run "$M/$n.$t.srm" "$d/ref/cases.txt" "$o" >"$E/run.log" 2>&1; then
                fail "engine run $n $t $r: $(tail -1 "$E/run.log")"; continue
            fi
            if [ $t = f32 ]; then echo "$d/ref $o $n-f32-$b 1e-4" >>"$M/compare.txt"
            else echo "$d/ref $o $n-q8-$b 0.05 rel" >>"$M/compare.txt"; fi
        done
        tout="" tbad=""
        for k in $SETS; do # the native build holds every set too, and has threads
            out=$(SR_KERNELS=$k "$ED_N" threads "$M/$n.$t.srm" "$d/ref/cases.txt" 2>&1) && tout="$tout $k" || tbad="$tbad $k: $out;"
        done
        [ -z "$tbad" ] && pass "engine threads $n $t: bit-identical with 1 and 2 threads under every kernel set ($tout )" ||
            fail "engine threads $n $t:$tbad"
    done
done
# f32 within 1e-4 of torch; q8 within 5% of the largest |value| (one Python process)
"$PY" "$ROOT/test/checks/engine_compare.py" --batch "$M/compare.txt"
nb=$(wc -w <<<"$RUNS")
[ "$(wc -l <"$M/compare.txt")" -ge $((27 * nb)) ] || fail "engine parity: only $(wc -l <"$M/compare.txt") model/build runs compared (expected $((27 * nb)))"
# the plain-C kernels inside the native build
o=$M/odd_generic; mkdir -p "$o"
SR_KERNELS=generic "$ED_N" run "$M/odd_safetensors.f32.srm" "$M/odd_safetensors/ref/cases.txt" "$o" >/dev/null 2>&1 &&
    "$PY" "$ROOT/test/checks/engine_compare.py" "$M/odd_safetensors/ref" "$o" --name "odd_safetensors-f32-native-generic" --tol 1e-4 ||
    fail "engine generic kernels in the native build"

# ---- API edges (ASan)
for n in tiny_mlm_zip.f32 tok_cls3.q8 bare_model.f32; do
    if out=$("$ED_A" edges "$M/$n.srm" 2>&1) && ! grep -q '^BAD' <<<"$out"; then pass "engine API edges $n (asan): $(grep -c '^ok' <<<"$out") checks"
    else fail "engine API edges $n: $(grep -v '^ok' <<<"$out" | head -3 | tr '\n' ' ')"; fi
done

# ---- sr info / sr bench on a tiny model
info=$("$SR" info -m "$M/tok_cls3.q8.srm" 2>&1)
if grep -q 'vocab_size=101 hidden=40 n_layers=2 n_heads=5 intermediate=72 max_position=48' <<<"$info" &&
   grep -q 'labels: 0=O 1=B-NAME 2=I-NAME' <<<"$info" && grep -q 'weights: q8 (group 128)' <<<"$info" &&
   grep -q 'special ids: cls=2(\[CLS\]) sep=3(\[SEP\]) pad=0(\[PAD\]) unk=1(\[UNK\]) mask=4(\[MASK\])' <<<"$info" &&
   grep -q '^meta: {' <<<"$info"; then pass "engine sr info shows config, labels, weights, special ids, meta"
else fail "engine sr info: $(head -c 400 <<<"$info")"; fi
# the portable sr (no -march) says which kernels it runs: the best this CPU has
pb=$("$SR" bench -m "$M/tiny_mlm_zip.q8.srm" --seq 16 --iters 1 2>&1)
if grep -q "^kernels: $BEST (" <<<"$info" && grep -q "^kernels: $BEST (" <<<"$pb"; then
    pass "engine portable build picks the best kernel set of this CPU ($BEST of: $SETS), sr info and sr bench say so"
else fail "engine portable build: this CPU runs $SETS; sr info / sr bench say: $(grep '^kernels' <<<"$info$pb" | tr '\n' ' ')"; fi
for k in $SETS; do
    grep -q "^kernels: $k (" <<<"$(SR_KERNELS=$k "$SR" bench -m "$M/tiny_mlm_zip.q8.srm" --seq 16 --iters 1 2>&1)" ||
        fail "engine SR_KERNELS=$k: sr bench does not run the $k kernels"
done
bench=$("$SR_NATIVE" bench -m "$M/tiny_mlm_zip.f32.srm" --seq 64 --iters 3 --threads 2 2>&1)
if grep -q '"median_ms":' <<<"$bench"; then pass "engine sr bench runs: $(grep '^seq' <<<"$bench")"
else fail "engine sr bench: $(head -c 300 <<<"$bench")"; fi

# ---- bad model files: one-line error, non-zero exit, never a crash (also under ASan)
B=$E/bad; rm -rf "$B"; mkdir -p "$B"
"$PY" "$ROOT/test/checks/engine_badfiles.py" "$M/tiny_mlm_zip.f32.srm" "$M/tiny_mlm_zip.q8.srm" "$B" >"$B/list.txt" 2>"$E/bad.log" ||
    fail "engine badfiles generator: $(tail -1 "$E/bad.log")"
nbad=0 okbad=0
while IFS=$'\t' read -r name path; do
    nbad=$((nbad + 1))
    "$SR" info -m "$path" >/dev/null 2>"$B/err.txt"; rc=$?
    lines=$(wc -l <"$B/err.txt")
    aout=$("$ED_A" forward "$path" 2>&1); arc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" -eq 1 ] && [ $arc -eq 1 ] && [ "$(wc -l <<<"$aout")" -eq 1 ]; then
        okbad=$((okbad + 1))
    else
        fail "engine bad file $name: sr info exit $rc with $lines stderr lines ($(head -c 200 "$B/err.txt")); asan exit $arc: $(head -c 300 <<<"$aout")"
    fi
done <"$B/list.txt"
[ $nbad -ge 20 ] && [ $okbad -eq $nbad ] && pass "engine bad model files: $okbad/$nbad refused with a one-line error, no crash (portable + ASan/UBSan)" ||
    fail "engine bad model files: $okbad of $nbad refused cleanly"
nf=0 crash=0 loaded=0
for f in "$B"/fuzz_*.srm; do
    nf=$((nf + 1))
    out=$("$ED_A" forward "$f" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then loaded=$((loaded + 1)); elif [ $rc -ne 1 ]; then crash=$((crash + 1)); echo "fuzz $f: $out" | head -5; fi
done
[ $crash -eq 0 ] && [ $nf -gt 0 ] && pass "engine fuzzed files under ASan/UBSan: $nf files, $loaded loaded, $((nf - loaded)) refused, 0 crashes" ||
    fail "engine fuzzed files: $crash of $nf crashed"

# ---- checksums (format version 2): header checked by every load, contents by
# sr info --verify; sr's CRC-32 against Python's zlib.crc32
C=$E/checksums; rm -rf "$C"
"$PY" "$ROOT/test/checks/engine_checksums.py" "$SR" "$ED_A" "$C" "$M/tiny_mlm_zip.f32.srm" "$M/tiny_mlm_zip.q8.srm" "$M/tok_cls3.q8.srm" 2>"$E/checksums.log" ||
    fail "engine checksums: the checker did not run: $(tail -1 "$E/checksums.log")"

# ---- full-width model (hidden 768, 12 heads, FFN 3072, 512 positions, vocab 28996,
# 2 layers, heavy-tailed weights): f32 parity, int8 agreement, memory
Q=$E/q8m
rm -rf "$Q"; mkdir -p "$Q"
if "$PY" "$ROOT/test/models/engine_models.py" "$Q" --only q8_heavy >"$E/engine_models.log" 2>&1; then
    d=$Q/q8_heavy
    "$PY" "$ROOT/convert_weights.py" "$d" "$Q/f32.srm" --dtype f32 >/dev/null 2>&1 &&
    "$PY" "$ROOT/convert_weights.py" "$d" "$Q/q8.srm" --dtype q8 >/dev/null 2>&1 || fail "engine convert q8_heavy"
    mkdir -p "$Q/out"
    "$ED_N" run "$Q/f32.srm" "$d/ref/cases.txt" "$Q/out" >/dev/null 2>&1 &&
        "$PY" "$ROOT/test/checks/engine_compare.py" "$d/ref" "$Q/out" --name "full-width-heavy-f32-native" --tol 1e-4 || fail "engine run q8_heavy f32"
    for r in $RUNS; do
        [ $r = portable:generic ] && continue # (the same integer sums as the others; 20x slower)
        b=$r
        ag=$(ed_run $r agree "$Q/f32.srm" "$Q/q8.srm" "$d/ref/masked.txt" 2>&1)
        t1=$(sed -n 's/.*top1=\([0-9.]*\).*/\1/p' <<<"$ag"); t5=$(sed -n 's/.*top5=\([0-9.]*\).*/\1/p' <<<"$ag")
        if [ -n "$t1" ] && awk "BEGIN{exit !($t1 >= 0.99 && $t5 >= 0.95)}"; then pass "engine int8 vs f32 MLM on [MASK] positions (heavy-tailed weights, $b): $ag"
        else fail "engine int8 vs f32 agreement below 99% top-1 / 95% top-5 ($b): $ag"; fi
    done
    # files of tens of MB: sr reads them in 4 MB pieces
    "$PY" "$ROOT/test/checks/engine_checksums.py" --only-verify "$SR info --verify -m" "$Q/f32.srm" "$Q/q8.srm" 2>"$E/checksums.log" ||
        fail "engine checksums full-width: $(tail -1 "$E/checksums.log")"
    out=$("$ED_N" threads "$Q/q8.srm" "$d/ref/masked.txt" 2>&1) && pass "engine threads full-width q8: $out" || fail "engine threads full-width q8: $out"
    # odd lengths (the iterative filler's windows): two threads split 257 rows 129 + 128,
    # inside a 64-key group of the int8 attention values; results must not move
    awk -F'ids=' 'NR == 1 { split($2, a, ";"); n = split(a[1], t, " "); for (L = 257; L >= 63; L = int(L / 2) + 1) {
        s = "ids="; for (i = 1; i <= L && i <= n; i++) s = s t[i] " "; print s } }' "$d/ref/masked.txt" >"$Q/odd.txt"
    for t in q8 f32; do
        out=$("$ED_N" threads "$Q/$t.srm" "$Q/odd.txt" 2>&1) && pass "engine threads full-width $t, odd lengths ($(awk '{print NF}' "$Q/odd.txt" | tr '\n' ' ')tokens): $out" ||
            fail "engine threads full-width $t odd lengths: $out"
    done
    bj=$("$SR_NATIVE" bench -m "$Q/q8.srm" --seq 512 --iters 2 --threads 2 2>&1 | grep '^{')
    rss=$(sed -n 's/.*"peak_rss_kb":\([0-9]*\).*/\1/p' <<<"$bj"); fb=$(sed -n 's/.*"file_bytes":\([0-9]*\).*/\1/p' <<<"$bj")
    if [ -n "$rss" ] && awk "BEGIN{exit !($rss * 1024 <= 1.3 * $fb + 64 * 1048576)}"; then
        pass "engine memory q8 seq 512: peak RSS $((rss / 1024)) MB <= 1.3 x file $((fb / 1048576)) MB + 64 MB"
    else fail "engine memory q8 seq 512: $bj"; fi
else
    fail "engine_models.py: $(tail -3 "$E/engine_models.log")"
fi
