# sr.c section 1: the JSON-lines reader against Python's json module.
# tier: fast
set -u
if "$CC" -O1 -g -fsanitize=address,undefined -Wall -o "$OUT/utils_test" "$ROOT/test/c/utils_test.c" -lm 2>"$OUT/utils_build.log"; then
    echo "PASS utils harness builds (ASan+UBSan)"
    "$PY" "$ROOT/test/checks/utils_check.py" "$OUT/utils_test" "$OUT/utils_cases.jsonl"
else
    echo "FAIL utils harness build: $(head -c 1000 "$OUT/utils_build.log")"
fi
