#!/usr/bin/env bash
# The test suite. Builds sr twice into test/out/ (portable -O2, and native + OpenMP),
# then runs every test/stage_*.sh in name order. A stage prints one line per check:
#   PASS name            the check held
#   FAIL name: reason    it did not
#   SKIP name: reason    it could not run here (only for ../shared being absent)
# and this script tallies them into the closing line "N passed, N failed".
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

pass=0 fail=0 skip=0
build() { # name, flags...
    local out=$1; shift
    if "$CC" "$@" -Wall -o "$out" "$ROOT/sr.c" -lm 2>"$OUT/build.log"; then
        echo "PASS build $(basename "$out") ($*)"; pass=$((pass + 1))
    else
        echo "FAIL build $(basename "$out"): $(head -c 2000 "$OUT/build.log")"; fail=$((fail + 1))
    fi
}
build "$SR" -O2
build "$SR_NATIVE" -O3 -march=native -fopenmp

for stage in "$ROOT"/test/stage_*.sh; do
    [ -e "$stage" ] || continue
    name=$(basename "$stage" .sh)
    echo "== $name"
    log=$OUT/$name.log
    start=$(date +%s)
    bash "$stage" >"$log" 2>&1
    rc=$?
    grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed 's/^/  /'
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "  FAIL $name: exited with status $rc; last lines of $log:"
        tail -n 5 "$log" | sed 's/^/    /'
        fail=$((fail + 1))
    fi
    echo "  ($(( $(date +%s) - start )) s)"
done

if [ $skip -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
