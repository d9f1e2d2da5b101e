# Surrogates (phi.c "Surrogates", issue 12) on invented letters (test/data/surrogate, given
# PHI spans so the rules' detection is not what is tested), checked from the outputs alone
# by test/checks/surrogate_check.py (written apart from the C code): dates parse, one shift a
# document, intervals, weekdays, formats, shapes of numbers, NHS check digits, names
# consistent with their case and initials, no original left; same seed same output; the
# key's consistency across documents; sr generate with surrogates (leak check 0) and tags.
# --map-out (the original -> surrogate table: lines, mode 0600, /dev/full); --consistency markov;
# --explain for surrogates; a town beside a UK postcode is the post town of its surrogate area.
# tier: fast
set -u
S=$OUT/surrogate
rm -rf "$S"; mkdir -p "$S"
CHECK=$ROOT/test/checks/surrogate_check.py
SRC=$ROOT/test/data/surrogate
fail() { echo "FAIL $1"; }

"$PY" "$CHECK" prep "$S/in.jsonl" "$SRC"/*.txt || { fail "surrogate prep"; exit 0; }
DEID="$SR deid --replace surrogate --phi-input only --jsonl"

# 1. sr deid --replace surrogate: every check, per letter
$DEID "$S/in.jsonl" >"$S/deid.jsonl" 2>"$S/deid.err" || { fail "surrogate deid: $(head -3 "$S/deid.err")"; exit 0; }
"$PY" "$CHECK" deid "$SRC" "$S/deid.jsonl"
"$PY" "$CHECK" postcode "$SRC" "$S/deid.jsonl" "$ROOT/data/surrogate_uk_postcode_areas.txt"

# 2. the same seed gives the same output; another seed other surrogates
$DEID "$S/in.jsonl" >"$S/deid2.jsonl" 2>>"$S/deid.err" && "$PY" "$CHECK" same "$S/deid.jsonl" "$S/deid2.jsonl"
$DEID --seed 7 "$S/in.jsonl" >"$S/deid7.jsonl" 2>>"$S/deid.err" && "$PY" "$CHECK" differ "$S/deid.jsonl" "$S/deid7.jsonl"

# 3. a key: one patient's documents share names and the date shift, another key does not
printf 'sr stage 65 invented key number one\n' >"$S/key1"
printf 'sr stage 65 invented key number two\n' >"$S/key2"
NOTES="$S/notes.jsonl"
grep '"id": "note_' "$S/in.jsonl" >"$NOTES"
$DEID --surrogate-key "$S/key1" "$NOTES" >"$S/k1.jsonl" 2>>"$S/deid.err" &&
$DEID --surrogate-key "$S/key2" "$NOTES" >"$S/k2.jsonl" 2>>"$S/deid.err" &&
$DEID "$NOTES" >"$S/k0.jsonl" 2>>"$S/deid.err" &&
    "$PY" "$CHECK" keyed "$SRC" "$S/k1.jsonl" "$S/k2.jsonl" "$S/k0.jsonl" | grep -v '^PASS keyed' ||
    fail "surrogate keyed runs: $(tail -3 "$S/deid.err")"

# 4. bad options and a short key: one line, exit status 2
for bad in "--replace nope" "--date-shift 9:1" "--date-shift x" "--surrogate-key $S/none"; do
    $SR deid --replace surrogate $bad --text "Mr Tobias Quillfeather" >"$S/bad.out" 2>"$S/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$S/bad.err")" -eq 1 ]; then echo "PASS surrogate deid refuses $bad"
    else fail "surrogate deid $bad: exit $rc, $(head -c 200 "$S/bad.err")"; fi
done
printf 'short' >"$S/short.key"
$SR deid --replace surrogate --surrogate-key "$S/short.key" --text "Mr Tobias Quillfeather" >"$S/bad.out" 2>"$S/bad.err"
[ $? -eq 2 ] && grep -q "16 bytes" "$S/bad.err" && echo "PASS surrogate key shorter than 16 bytes refused" ||
    fail "surrogate short key: $(head -c 200 "$S/bad.err")"

# 5. sr generate (the demo model): surrogates before the fill, the leak check 0; tags
GEN="$SR generate --quiet --phi-input only --jsonl"
if $GEN "$S/in.jsonl" >"$S/gen.jsonl" 2>"$S/gen.err"; then
    "$PY" "$CHECK" generate "$SRC" "$S/gen.jsonl"
else
    fail "surrogate generate: $(head -3 "$S/gen.err")"
fi
if $GEN --phi-fill tag --ratio 0 "$S/in.jsonl" >"$S/tag.jsonl" 2>>"$S/gen.err"; then
    "$PY" "$CHECK" tag "$S/tag.jsonl"
else
    fail "surrogate generate --phi-fill tag: $(head -3 "$S/gen.err")"
fi
if $GEN --phi-fill mlm --ratio 0 "$S/in.jsonl" >"$S/mlm.jsonl" 2>>"$S/gen.err"; then
    "$PY" "$CHECK" mlm-fill "$S/mlm.jsonl"
else
    fail "surrogate generate --phi-fill mlm: $(head -3 "$S/gen.err")"
fi
printf "Mr Tobias Quillfeather was seen.\n" >"$S/one.txt"
$SR generate --quiet --paper --phi-fill surrogate "$S/one.txt" >"$S/bad.out" 2>"$S/bad.err"
[ $? -eq 2 ] && [ "$(wc -l <"$S/bad.err")" -eq 1 ] && grep -q -- "--paper" "$S/bad.err" && echo "PASS surrogate generate --paper refuses --phi-fill surrogate" ||
    fail "surrogate generate --paper --phi-fill surrogate: $(head -c 200 "$S/bad.err")"

# 6. --explain with surrogates: the model's contexts hold surrogates, never the originals
$SR generate --quiet --explain "$ROOT/data/example_letter.txt" >"$S/explain.txt" 2>&1
nd=$(grep -c '^decision ' "$S/explain.txt")
if [ "$nd" -gt 10 ] && ! grep -qiE 'Whitcombe|Marchetti|Okonkwo|40718236|943 476 5919|Kestrel' "$S/explain.txt"; then
    echo "PASS surrogate generate --explain: $nd decisions, no original name, MRN, NHS number or street"
else fail "surrogate generate --explain: $nd decisions (or an original shown)"; fi

# 7. --map-out: the original -> surrogate table (it holds PHI: mode 0600, asked for by name)
mode_of() { stat -c %a "$1" 2>/dev/null; }
if $DEID --map-out "$S/map.jsonl" "$S/in.jsonl" >"$S/mapdeid.jsonl" 2>"$S/map.err"; then
    "$PY" "$CHECK" map deid "$SRC" "$S/map.jsonl" "$S/mapdeid.jsonl"
    [ "$(mode_of "$S/map.jsonl")" = 600 ] && echo "PASS surrogate deid --map-out file mode 0600" || fail "surrogate deid --map-out mode $(mode_of "$S/map.jsonl")"
    cmp -s "$S/mapdeid.jsonl" "$S/deid.jsonl" && echo "PASS surrogate deid --map-out leaves the output as it was" || fail "surrogate deid --map-out changed the output"
else fail "surrogate deid --map-out: $(head -3 "$S/map.err")"; fi
if $GEN --map-out "$S/gmap.jsonl" "$S/in.jsonl" >"$S/mapgen.jsonl" 2>"$S/map.err"; then
    "$PY" "$CHECK" map generate "$SRC" "$S/gmap.jsonl" "$S/mapgen.jsonl"
    [ "$(mode_of "$S/gmap.jsonl")" = 600 ] && echo "PASS surrogate generate --map-out file mode 0600" || fail "surrogate generate --map-out mode $(mode_of "$S/gmap.jsonl")"
else fail "surrogate generate --map-out: $(head -3 "$S/map.err")"; fi
for which in deid generate; do
    if [ $which = deid ]; then cmd=$DEID; else cmd=$GEN; fi
    $cmd --map-out /dev/full "$S/in.jsonl" >/dev/null 2>"$S/full.err"
    rc=$?
    # (sr generate's note that it uses the demo model is not the error)
    if [ $rc -eq 1 ] && [ "$(grep -cv 'using the demo model' "$S/full.err")" -eq 1 ] && grep -q "map-out /dev/full" "$S/full.err"; then
        echo "PASS surrogate $which --map-out /dev/full: exit 1, one line"
    else fail "surrogate $which --map-out /dev/full: exit $rc, $(head -c 200 "$S/full.err")"; fi
done
$SR deid --map-out "$S/tagmap.jsonl" --text "Mr Tobias Quillfeather" >"$S/bad.out" 2>"$S/bad.err"
[ $? -eq 2 ] && [ "$(wc -l <"$S/bad.err")" -eq 1 ] && [ ! -e "$S/tagmap.jsonl" ] && echo "PASS surrogate deid --map-out without --replace surrogate refused" ||
    fail "surrogate deid --map-out without surrogates: $(head -c 200 "$S/bad.err")"

# 8. --consistency markov: repeats sometimes take a fresh surrogate, dates keep one shift,
#    the same seed gives the same chain; patient without a key and a bad value refused
if $DEID --consistency markov --map-out "$S/mk.map" "$S/in.jsonl" >"$S/mk.jsonl" 2>"$S/mk.err" &&
   $DEID --consistency markov "$S/in.jsonl" >"$S/mk2.jsonl" 2>>"$S/mk.err"; then
    "$PY" "$CHECK" markov "$S/mk.map"
    "$PY" "$CHECK" map deid "$SRC" "$S/mk.map" "$S/mk.jsonl" | sed 's/^\([A-Z]*\) map/\1 markov map/'
    "$PY" "$CHECK" same "$S/mk.jsonl" "$S/mk2.jsonl" | sed 's/^\([A-Z]*\) /\1 markov: /'
else fail "surrogate deid --consistency markov: $(head -3 "$S/mk.err")"; fi
for bad in "--consistency nope" "--consistency patient"; do
    $SR deid --replace surrogate $bad --text "Mr Tobias Quillfeather" >"$S/bad.out" 2>"$S/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$S/bad.err")" -eq 1 ]; then echo "PASS surrogate deid refuses $bad (without a key)"
    else fail "surrogate deid $bad: exit $rc, $(head -c 200 "$S/bad.err")"; fi
done

# 9. --explain with surrogates: one line per surrogate with its type, rule and kind, no
#    original in them; --show-phi shows the originals (so the check above can fail)
if $DEID --explain "$S/in.jsonl" >"$S/ex.jsonl" 2>"$S/ex.err" && $DEID --explain --show-phi "$S/in.jsonl" >/dev/null 2>"$S/exs.err"; then
    "$PY" "$CHECK" explain deid "$SRC" "$S/ex.jsonl" "$S/ex.err"
    "$PY" "$CHECK" explain deid "$SRC" "$S/ex.jsonl" "$S/exs.err" shown | grep -v "one explain line\|type, the rule"
else fail "surrogate deid --explain: $(head -3 "$S/ex.err")"; fi
if $GEN --explain "$S/in.jsonl" >"$S/gex.jsonl" 2>"$S/gex.err" && $GEN --explain --show-phi "$S/in.jsonl" >"$S/gexs.jsonl" 2>>"$S/gex.err"; then
    "$PY" "$CHECK" explain generate "$SRC" "$S/gex.jsonl"
    "$PY" "$CHECK" explain generate "$SRC" "$S/gexs.jsonl" - shown | grep -v "one explain line\|type, the rule"
else fail "surrogate generate --explain: $(head -3 "$S/gex.err")"; fi
ns=$(grep -c '^surrogate ' "$S/explain.txt")
[ "$ns" -gt 10 ] && echo "PASS surrogate generate --explain (text): $ns surrogate lines" || fail "surrogate generate --explain (text): $ns surrogate lines"

# 10. --map-out never replaces an input file
cp "$S/in.jsonl" "$S/victim.jsonl"
for which in deid generate; do
    if [ $which = deid ]; then cmd=$DEID; else cmd=$GEN; fi
    $cmd --map-out "$S/victim.jsonl" "$S/victim.jsonl" >/dev/null 2>"$S/victim.err"
    rc=$?
    if [ $rc -eq 2 ] && cmp -s "$S/in.jsonl" "$S/victim.jsonl" && grep -q "one of the input files" "$S/victim.err"; then
        echo "PASS surrogate $which --map-out refuses an input file (exit 2, input intact)"
    else fail "surrogate $which --map-out over an input: exit $rc, $(head -c 200 "$S/victim.err")"; fi
done
