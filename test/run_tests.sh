#!/usr/bin/env bash
# The test suite. Builds sr twice into test/out/ (portable -O2, and native + OpenMP),
# then runs every test/stages/stage_*.sh in name order. A stage prints one line per check:
#   PASS name            the check held
#   FAIL name: reason    it did not
#   SKIP name: reason    it could not run here (only for ../shared being absent)
# and this script tallies them into the closing line "N passed, N failed".
# Which stages:
#   make test              every stage
#   make test STAGE=40     the stages whose names start with test/stages/stage_40 (several:
#                          STAGE="40 85")
#   make check             the fast tier: the stages marked "# tier: fast" (they need only
#                          a C compiler and python3: no torch, npm, clang or qemu), with
#                          FAST=1 in their environment (stage 40 then leaves out its 20 s
#                          libFuzzer run), run side by side; under a minute on a 2-core
#                          laptop
# Environment given to every stage:
#   ROOT    the repository        SR        portable binary   SR_NATIVE  native binary
#   OUT     scratch (test/out)    PY        a Python 3 with torch and numpy (Debian's)
#   SHARED  ../shared, or empty when it is not there
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/test/out
mkdir -p "$OUT"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SHARED=""
[ -d "$ROOT/../shared" ] && SHARED=$(cd "$ROOT/../shared" && pwd)
CC=${CC:-cc}
SR=$OUT/sr-portable
SR_NATIVE=$OUT/sr-native
export ROOT OUT PY SHARED SR SR_NATIVE CC

STAGE=${STAGE:-}
FAST=${FAST:-0}
export FAST

pass=0 fail=0 skip=0
# The two builds run side by side (one compilation unit each: one core each).
build() { # name, flags...
    local out=$1; shift
    "$CC" "$@" -Wall -o "$out" "$ROOT/sr.c" -lm 2>"$out.build.log"
}
report_build() { # name, status, flags...
    local out=$1 rc=$2; shift 2
    if [ "$rc" -eq 0 ]; then
        echo "PASS build $(basename "$out") ($*)"; pass=$((pass + 1))
    else
        echo "FAIL build $(basename "$out"): $(head -c 2000 "$out.build.log")"; fail=$((fail + 1))
    fi
}
build "$SR" -O2 & p1=$!
build "$SR_NATIVE" -O3 -march=native -fopenmp & p2=$!
wait $p1; report_build "$SR" $? -O2
wait $p2; report_build "$SR_NATIVE" $? -O3 -march=native -fopenmp

# wanted NAME: is this stage in the run (STAGE prefixes, FAST tier)?
wanted() {
    local name=$1 stage=$2 p
    if [ "$FAST" = 1 ] && ! grep -q '^# tier: fast$' "$stage"; then return 1; fi
    [ -z "$STAGE" ] && return 0
    for p in $STAGE; do
        case "$name" in "stage_$p"*) return 0 ;; esac
    done
    return 1
}

# run_stage NAME SCRIPT: its log, exit status and seconds into $OUT/NAME.log(.rc, .secs)
run_stage() {
    local start; start=$(date +%s)
    bash "$2" >"$OUT/$1.log" 2>&1
    echo $? >"$OUT/$1.log.rc"
    echo $(( $(date +%s) - start )) >"$OUT/$1.log.secs"
}
# report NAME: its checks, tallied
report() {
    local name=$1 log=$OUT/$1.log rc p f s
    rc=$(cat "$log.rc")
    echo "== $name"
    grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed 's/^/  /'
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "  FAIL $name: exited with status $rc; last lines of $log:"
        tail -n 5 "$log" | sed 's/^/    /'
        fail=$((fail + 1))
    fi
    echo "  ($(cat "$log.secs") s)"
}

names=()
for stage in "$ROOT"/test/stages/stage_*.sh; do
    [ -e "$stage" ] || continue
    name=$(basename "$stage" .sh)
    wanted "$name" "$stage" || continue
    names+=("$name")
    if [ "$FAST" = 1 ]; then
        run_stage "$name" "$stage" & # the fast tier's stages share nothing: side by side
    else
        run_stage "$name" "$stage"
        report "$name"
    fi
done
if [ "$FAST" = 1 ]; then
    wait
    for name in "${names[@]}"; do report "$name"; done
fi
nstages=${#names[@]}

if [ $nstages -eq 0 ]; then
    echo "FAIL stages: no test/stages/stage_*.sh matches STAGE=\"$STAGE\" (FAST=$FAST)"; fail=$((fail + 1))
fi
if [ $skip -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
