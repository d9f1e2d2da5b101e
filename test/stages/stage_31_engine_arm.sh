# Engine on AArch64: the same single compilation unit cross-built with Debian's
# gcc-aarch64-linux-gnu and run under qemu-user (.ci/run installs both). The kernel sets
# dotprod (NEON f32 + SDOT int8), neon (NEON f32, plain C int8) and generic, each forced
# with SR_KERNELS: kernels against double-precision products, parity with PyTorch on
# the tiny models (dotprod on all; generic on three; neon is dotprod's f32 and generic's
# int8) (same tolerances as x86: f32 1e-4,
# q8 5% of scale), threads bit-identical, int8 top-1 agreement with f32 on the
# full-width heavy-tailed model. References come from PyTorch (test/models/make_models.py,
# test/models/engine_models.py), never from sr; the models are stage 30's when it ran.
set -u
XCC=aarch64-linux-gnu-gcc QEMU=qemu-aarch64
if ! command -v "$XCC" >/dev/null; then
    echo "SKIP engine aarch64: no $XCC (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
    exit 0
fi
E=$OUT/engine_arm
mkdir -p "$E"
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
if ! command -v "$QEMU" >/dev/null; then fail "engine aarch64: $XCC is here but $QEMU is not (apt-get install qemu-user)"; exit 0; fi
ED=$E/engine_dump-aarch64
if ! "$XCC" -O2 -fopenmp -Wall -Wno-unused-function -o "$ED" "$ROOT/test/c/engine_dump.c" -lm 2>"$E/build.log"; then
    fail "engine aarch64 build: $(head -c 600 "$E/build.log")"; exit 0
fi
arm() { local k=$1; shift; SR_KERNELS=$k "$QEMU" -L /usr/aarch64-linux-gnu "$ED" "$@"; }
SETS="dotprod neon generic"

# ---- which set the binary picks by itself, and each set's kernels
# qemu's default CPU has the dot-product extension; a Cortex-A53 has not
out=$("$QEMU" -L /usr/aarch64-linux-gnu "$ED" kernels 2>&1 | head -1; "$QEMU" -cpu cortex-a53 -L /usr/aarch64-linux-gnu "$ED" kernels 2>&1 | head -1)
grep -q '^ok  kernel set dotprod ' <<<"$(head -1 <<<"$out")" && grep -q '^ok  kernel set neon ' <<<"$(tail -1 <<<"$out")" &&
    pass "engine aarch64 picks its kernels from the CPU: dotprod (qemu max), neon (Cortex-A53)" || fail "engine aarch64 kernel choice: $out"
for k in $SETS; do
    if out=$(arm $k kernels 2>&1) && ! grep -q '^BAD' <<<"$out" && grep -q "^ok  kernel set $k " <<<"$out"; then
        pass "engine aarch64 kernels $k: $(grep -c '^ok' <<<"$out") checks ($(tail -1 <<<"$out" | cut -c5-))"
    else fail "engine aarch64 kernels $k: $(grep -v '^ok' <<<"$out" | head -3 | tr '\n' ' ')"; fi
done

# ---- tiny torch-built models: parity, threads
M=$OUT/engine/models
if [ ! -f "$M/tiny_mlm_zip.q8.srm" ]; then
    M=$E/models; rm -rf "$M"; mkdir -p "$M"
    "$PY" "$ROOT/test/models/make_models.py" "$M" >"$E/make_models.log" 2>&1 || fail "engine aarch64 make_models.py: $(tail -3 "$E/make_models.log")"
    for d in "$M"/*/; do
        d=${d%/}; n=$(basename "$d"); [ -f "$d/ref/cases.txt" ] || continue
        for t in f32 q8; do "$PY" "$ROOT/convert_weights.py" "$d" "$M/$n.$t.srm" --dtype $t >/dev/null 2>&1 || fail "engine aarch64 convert $n $t"; done
    done
fi
: >"$E/compare.txt"
nmodels=0 tbad="" tok=0
for d in "$M"/*/; do
    d=${d%/}; n=$(basename "$d")
    [ -f "$d/ref/cases.txt" ] && [ -f "$M/$n.f32.srm" ] || continue
    nmodels=$((nmodels + 1))
    sets=dotprod # (generic on three of the models: qemu is slow, and x86 runs it on all)
    case $n in tiny_mlm_zip|tok_cls3|odd_safetensors) sets="dotprod generic";; esac
    for t in f32 q8; do
        for k in $sets; do
            o=$E/out/$n.$t.$k; rm -rf "$o"; mkdir -p "$o"
            if ! arm $k run "$M/$n.$t.srm" "$d/ref/cases.txt" "$o" >"$E/run.log" 2>&1; then fail "engine aarch64 run $n $t $k: $(tail -1 "$E/run.log")"; continue; fi
            if [ $t = f32 ]; then echo "$d/ref $o $n-f32-aarch64-$k 1e-4" >>"$E/compare.txt"
            else echo "$d/ref $o $n-q8-aarch64-$k 0.05 rel" >>"$E/compare.txt"; fi
        done
        out=$(arm dotprod threads "$M/$n.$t.srm" "$d/ref/cases.txt" 2>&1) && tok=$((tok + 1)) || tbad="$tbad $n $t: $out;"
    done
done
"$PY" "$ROOT/test/checks/engine_compare.py" --batch "$E/compare.txt"
[ $nmodels -ge 9 ] && [ "$(wc -l <"$E/compare.txt")" -ge $((2 * nmodels + 6)) ] ||
    fail "engine aarch64 parity: $(wc -l <"$E/compare.txt") runs compared over $nmodels models (expected 2 a model + 6, 9+ models)"
[ -z "$tbad" ] && [ $tok -gt 0 ] && pass "engine aarch64 threads: $tok model files bit-identical with 1 and 2 threads (dotprod)" ||
    fail "engine aarch64 threads:$tbad"

# ---- int8 agreement on the full-width heavy-tailed model (the 128-token cases: qemu is slow)
Q=$OUT/engine/q8m
if [ ! -f "$Q/q8.srm" ]; then
    Q=$E/q8m; rm -rf "$Q"; mkdir -p "$Q"
    "$PY" "$ROOT/test/models/engine_models.py" "$Q" --only q8_heavy >"$E/engine_models.log" 2>&1 &&
        "$PY" "$ROOT/convert_weights.py" "$Q/q8_heavy" "$Q/f32.srm" --dtype f32 >/dev/null 2>&1 &&
        "$PY" "$ROOT/convert_weights.py" "$Q/q8_heavy" "$Q/q8.srm" --dtype q8 >/dev/null 2>&1 || fail "engine aarch64 q8_heavy model: $(tail -2 "$E/engine_models.log")"
fi
awk -F'ids=' '{ split($2, a, ";"); if (split(a[1], t, " ") <= 128) print }' "$Q/q8_heavy/ref/masked.txt" >"$E/masked128.txt"
ag=$(arm dotprod agree "$Q/f32.srm" "$Q/q8.srm" "$E/masked128.txt" 2>&1)
t1=$(sed -n 's/.*top1=\([0-9.]*\).*/\1/p' <<<"$ag"); t5=$(sed -n 's/.*top5=\([0-9.]*\).*/\1/p' <<<"$ag")
if [ -n "$t1" ] && awk "BEGIN{exit !($t1 >= 0.99 && $t5 >= 0.95)}"; then pass "engine aarch64 int8 vs f32 MLM on [MASK] positions (heavy-tailed weights, dotprod, $(wc -l <"$E/masked128.txt") cases of 128 tokens): $ag"
else fail "engine aarch64 int8 vs f32 agreement below 99% top-1 / 95% top-5: $ag"; fi

# ---- the model file's checksums read on AArch64: sr_model_verify's CRC-32 = zlib.crc32
"$PY" "$ROOT/test/checks/engine_checksums.py" --only-verify "$QEMU -L /usr/aarch64-linux-gnu $ED verify" \
    "$M/tiny_mlm_zip.q8.srm" "$M/tok_cls3.f32.srm" "$Q/q8.srm" 2>"$E/checksums.log" ||
    fail "engine aarch64 checksums: the checker did not run: $(tail -1 "$E/checksums.log")"
