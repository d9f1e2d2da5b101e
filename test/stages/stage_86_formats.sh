# i2b2 XML and BRAT standoff from sr deid and sr generate (issue 16, items 3 and 6),
# read back by test/checks/formats_check.py, a reader written from the formats' definitions
# (XML 1.0 through Python's xml.etree, BRAT's standoff), not from sr's code: letters with
# every C0 control character, "]]>", markup characters and non-ASCII parse as XML 1.0,
# every tag's offsets index the parsed TEXT to its text, each .ann's offsets slice its
# .txt to its annotated text, annotation.conf lists every type, several documents on
# stdout are one XML document. Then sr deid --out / --shard / --quiet, and /dev/full.
# The checker's own negative controls (a form feed in the XML, an offset moved by one, a
# type missing from annotation.conf) show that each kind of check can fail.
set -u
D=$OUT/formats
rm -rf "$D" && mkdir -p "$D/in"
pass() { echo "PASS formats $1"; }
fail() { echo "FAIL formats $1"; }
CHECK="$PY $ROOT/test/checks/formats_check.py"

# the letters (invented): every C0 control character, CRLF, a form feed page break,
# "]]>", & < > " ', non-ASCII (two-byte, CJK, astral), U+FFFE, U+FFFF, NEL, U+2028
"$PY" "$ROOT/test/checks/formats_cases.py" letters "$D"
ls "$D/in/ctl.txt" >/dev/null || { fail "setup: letters not written"; exit 0; }

# 1. i2b2 from sr deid: one document (exact with --show-phi, '*'-masked by default), a set
"$SR" deid --format i2b2 --show-phi "$D/in/ctl.txt" >"$D/deid_show.xml" 2>"$D/err"
$CHECK i2b2 "deid i2b2 --show-phi: XML 1.0, TEXT = the letter (VT, FF as spaces, other forbidden characters U+FFFD), tags at their offsets" \
    "$D/deid_show.xml" "$D/one.jsonl" exact --want-tags 4
"$SR" deid --format i2b2 "$D/in/ctl.txt" >"$D/deid.xml" 2>"$D/err"
$CHECK i2b2 "deid i2b2: XML 1.0, TEXT the letter with PHI starred, tags at their offsets" "$D/deid.xml" "$D/one.jsonl" masked --want-tags 4
"$SR" deid --format i2b2 --jsonl "$D/odd.jsonl" >"$D/deid_set.xml" 2>"$D/err"
$CHECK i2b2 "deid i2b2 --jsonl: one XML document, a <deIdi2b2Set> of 3 with their ids (escaped)" "$D/deid_set.xml" "$D/odd.jsonl" masked --set --want-tags 6
"$SR" deid --format i2b2 --show-phi "$D/in/ctl.txt" "$D/in/two.txt" >"$D/deid_files.xml" 2>"$D/err"
$CHECK i2b2 "deid i2b2 FILE FILE: a <deIdi2b2Set> named by path" "$D/deid_files.xml" "$D/paths.jsonl" exact --set --want-tags 6

# 2. i2b2 from sr generate (--ratio 0: only PHI changes, so every character XML cannot
#    hold is still there and must come out as U+FFFD)
G="$SR generate -m $ROOT/models/sr-demo.srm --quiet --ratio 0"
$G --format i2b2 "$D/in/ctl.txt" >"$D/gen.xml" 2>"$D/err"
$CHECK i2b2 "generate i2b2: XML 1.0, tags at their offsets, every forbidden character but VT, FF U+FFFD" "$D/gen.xml" "$D/one.jsonl" synthetic --want-tags 4
$G --format i2b2 --jsonl "$D/odd.jsonl" >"$D/gen_set.xml" 2>"$D/err"
$CHECK i2b2 "generate i2b2 --jsonl: one XML document, a <deIdi2b2Set> of 3" "$D/gen_set.xml" "$D/odd.jsonl" synthetic --set --want-tags 6
$G --format i2b2 "$D/in/ctl.txt" "$D/in/two.txt" >"$D/gen_files.xml" 2>"$D/err"
$CHECK i2b2 "generate i2b2 FILE FILE: a <deIdi2b2Set> named by path" "$D/gen_files.xml" "$D/paths.jsonl" synthetic --set --want-tags 6

# sr eval reads generate's i2b2 folder as it reads its text folder: the same numbers (the
# TEXT holds every word of the letter: CR, CRLF, controls and "]]>" come back in place)
$G --format i2b2 --out "$D/ev/xml" "$D/ev/in" 2>/dev/null
$G --format text --out "$D/ev/txt" "$D/ev/in" 2>/dev/null
"$SR" eval --json "$D/ev/orig.jsonl" "$D/ev/xml" >"$D/ev/xml.json" 2>"$D/err"; rc1=$?
"$SR" eval --json "$D/ev/orig.jsonl" "$D/ev/txt" >"$D/ev/txt.json" 2>>"$D/err"; rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -s "$D/ev/xml.json" ] && cmp -s "$D/ev/xml.json" "$D/ev/txt.json" &&
    pass "sr eval on generate's i2b2 --out folder: every number as on its text folder (form feeds, controls, CRLF)" ||
    fail "sr eval i2b2 vs text folder: exits $rc1 $rc2, $(cmp "$D/ev/xml.json" "$D/ev/txt.json" 2>&1 | head -c 200) $(head -c 200 "$D/err")"

# 3. BRAT from both commands: NAME.txt beside NAME.ann, annotation.conf
"$SR" deid --quiet --format brat --show-phi --out "$D/b_show" "$D/in" 2>"$D/err"
$CHECK brat "deid brat --out --show-phi: .txt = the letter, offsets slice it, fragments stop at line breaks, annotation.conf" \
    "$D/b_show" "$D/orig.jsonl" exact --want-tags 8
"$SR" deid --quiet --format brat --out "$D/b_mask" "$D/in" 2>"$D/err"
$CHECK brat "deid brat --out: .txt the letter with PHI starred, offsets slice it" "$D/b_mask" "$D/orig.jsonl" masked --want-tags 8
"$SR" deid --quiet --format brat --show-phi --phi-input only --jsonl --out "$D/b_frag" "$D/frag.jsonl" 2>"$D/err"
$CHECK brat "deid brat: spans over CRLF, FF, LS, NEL split into fragments that slice the .txt; a TAB kept inside" \
    "$D/b_frag" "$D/frag.orig.jsonl" exact --want-tags 9 --want-split 4
$G --format brat --out "$D/b_gen" "$D/in" 2>"$D/err"
$CHECK brat "generate brat --out: offsets slice each .txt, annotation.conf lists every type" "$D/b_gen" "$D/orig.jsonl" synthetic --want-tags 8
"$SR" deid --format brat --show-phi "$D/in/ctl.txt" >"$D/one.ann" 2>"$D/err"; rc=$?
[ $rc -eq 0 ] && $CHECK ann "deid brat, one document on stdout: the .ann of the letter as given" "$D/one.ann" "$D/in/ctl.txt" ||
    fail "deid brat on stdout: exit $rc, $(head -c 200 "$D/err")"
"$SR" deid --format brat --jsonl "$D/odd.jsonl" >"$D/o" 2>"$D/err"; rc=$?
[ $rc -eq 2 ] && [ ! -s "$D/o" ] && [ "$(wc -l <"$D/err")" -eq 1 ] && grep -q "need --out" "$D/err" &&
    pass "deid brat with several documents and no --out: refused (exit 2, one line)" || fail "deid brat several on stdout: exit $rc, $(head -c 200 "$D/err")"

# 4. the checker's negative controls: each kind of check must be able to fail
"$PY" "$ROOT/test/checks/formats_cases.py" break "$D"
neg() { # NAME CHECK ARGS...: the checker must FAIL on a broken copy
    local name=$1
    shift
    if $CHECK "$@" | grep -q '^FAIL'; then pass "negative control: the checker fails $name"; else fail "negative control: the checker passes $name"; fi
}
neg "a raw form feed in the XML (not XML 1.0)" i2b2 x "$D/bad_ff.xml" "$D/one.jsonl" exact
neg "a raw CR in TEXT (the parser reads LF: offsets move)" i2b2 x "$D/bad_cr.xml" "$D/one.jsonl" exact
neg "an i2b2 start moved by one" i2b2 x "$D/bad_off.xml" "$D/one.jsonl" exact
neg "a .ann offset moved by one" brat x "$D/bad_ann" "$D/orig.jsonl" exact
neg "a type missing from annotation.conf" brat x "$D/bad_conf" "$D/orig.jsonl" exact
neg "a masked .txt compared as the letter itself" brat x "$D/b_mask" "$D/orig.jsonl" exact

# 5. sr deid --out: atomic files, unique names, never over an input, not a folder, read-only
mkdir -p "$D/dup/a" "$D/dup/b" && cp "$D/in/two.txt" "$D/dup/a/note.txt" && cp "$D/in/two.txt" "$D/dup/b/note.txt"
"$SR" deid --out "$D/o1" "$D/dup/a/note.txt" "$D/dup/b/note.txt" >"$D/o1.out" 2>"$D/o1.err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$D/o1.out" ] && [ -s "$D/o1/note.txt" ] && [ -s "$D/o1/note-2.txt" ] && grep -q "written as $D/o1/note-2" "$D/o1.err" &&
    [ "$(ls -A "$D/o1" | wc -l)" -eq 2 ] && ! grep -q "Jones" "$D/o1/note.txt" && grep -q "2 documents written to $D/o1" "$D/o1.err"; then
    pass "deid --out: two inputs named note.txt give note.txt and note-2.txt (said), masked, nothing on stdout, no temporary file"
else fail "deid --out same names: exit $rc, $(ls -A "$D/o1" | tr '\n' ' '), $(head -c 300 "$D/o1.err")"; fi
"$SR" deid --quiet --out "$D/o1q" "$D/dup/a/note.txt" >/dev/null 2>"$D/o1q.err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$D/o1q.err" ] && [ -s "$D/o1q/note.txt" ] && pass "deid --out --quiet: nothing on stderr" || fail "deid --quiet: exit $rc, $(head -c 200 "$D/o1q.err")"
"$SR" deid --format jsonl --out "$D/o2" --jsonl "$D/odd.jsonl" >"$D/o2.out" 2>/dev/null; rc=$?
"$PY" "$ROOT/test/checks/formats_cases.py" out-jsonl "$D/o2" "$rc" "$D/o2.out"
cp "$D/dup/a/note.txt" "$D/note.orig"
"$SR" deid --out "$D/dup/a" "$D/dup/a" >/dev/null 2>"$D/o3.err"; rc=$?
if [ $rc -eq 1 ] && cmp -s "$D/dup/a/note.txt" "$D/note.orig" && grep -q "is one of the input files: not overwritten" "$D/o3.err" &&
    [ "$(ls -A "$D/dup/a" | wc -l)" -eq 1 ]; then pass "deid --out letters letters: the input is not overwritten (exit 1, said)"
else fail "deid --out onto the inputs: exit $rc, $(ls -A "$D/dup/a" | tr '\n' ' '), $(head -c 200 "$D/o3.err")"; fi
"$SR" deid --out "$D/in/two.txt" "$D/in/two.txt" >/dev/null 2>"$D/o4.err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$D/o4.err")" -eq 1 ] && grep -q "is not a folder" "$D/o4.err" && pass "deid --out FILE: not a folder, exit 2" ||
    fail "deid --out FILE: exit $rc, $(head -c 200 "$D/o4.err")"
. "$ROOT/test/stages/lib_as_nobody.sh" # a read-only folder, as nobody when root
if as_nobody_setup "$D/in/two.txt"; then
    $AS "$NB_SR" deid --quiet --format brat --out "$NB/ro" "$NB/two.txt" >/dev/null 2>"$D/ro.err"; rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <"$D/ro.err")" -eq 1 ] && grep -q "Permission denied" "$D/ro.err" && [ -z "$(ls -A "$NB/ro")" ] &&
        pass "deid --out read-only folder: exit 1, one line, nothing written" || fail "deid read-only --out: exit $rc, $(head -c 200 "$D/ro.err"), left $(ls -A "$NB/ro")"
    as_nobody_cleanup
else fail "deid read-only --out: could not copy the binary and inputs for the unprivileged run"; fi

# 6. sr deid --shard I/N: disjoint, together every record once; into one BRAT folder the
#    shards' annotation.conf holds both shards' types
for k in 0 1; do "$SR" deid --jsonl --shard $k/2 "$D/odd.jsonl" >"$D/shard$k.jsonl" 2>/dev/null; done
"$PY" "$ROOT/test/checks/formats_cases.py" shard "$D"
for k in 0 1; do "$SR" deid --quiet --format brat --show-phi --shard $k/2 --out "$D/b_shard" "$D/in" 2>/dev/null; done
$CHECK brat "deid brat --shard 0/2 and 1/2 into one folder: annotation.conf has both shards' types" "$D/b_shard" "$D/orig.jsonl" exact --want-tags 8
types() { grep '^T' "$1" | cut -f2 | cut -d' ' -f1 | sort -u; }
only0=$(comm -23 <(types "$D/b_shard/ctl.ann") <(types "$D/b_shard/two.ann") | tr '\n' ' ')
[ -n "$only0" ] && pass "the shard check can fail: shard 0 alone has the types $only0(shard 1 writes annotation.conf last)" ||
    fail "the shard check cannot fail: shard 0 has no type of its own"
"$SR" deid --shard 2/2 --text x >/dev/null 2>"$D/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--shard wants I/N" "$D/err" && pass "deid --shard 2/2: refused, exit 2" || fail "deid --shard 2/2: exit $rc"

# 7. /dev/full: the new outputs fail loudly (exit 1, one line), never exit 0
full() { # NAME CMD...
    local name=$1
    shift
    "$@" >/dev/full 2>"$D/full.err" </dev/null
    local rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <"$D/full.err")" -eq 1 ] && grep -q "write error on stdout" "$D/full.err" && pass "/dev/full $name: exit 1, one line" ||
        fail "/dev/full $name: exit $rc, $(head -c 200 "$D/full.err")"
}
full "deid i2b2 set" "$SR" deid --format i2b2 --jsonl "$D/odd.jsonl"
full "deid brat" "$SR" deid --format brat "$D/in/ctl.txt"
full "generate i2b2 set" $G --format i2b2 --jsonl "$D/odd.jsonl"
exit 0
