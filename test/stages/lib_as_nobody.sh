# Sourced by stages 85 and 86 (not a stage itself: run_tests.sh runs only stage_*.sh).
#
# A check that wants "Permission denied" from a read-only folder cannot get it as root, who
# ignores permissions, so as root the command runs as nobody. nobody must then reach
# everything the command reads, and a clone under a folder of mode 700 (mktemp -d, a home
# directory) is out of its reach: the binary, its data/ and the inputs are copied into a
# world-readable folder of their own first.
#
#   as_nobody_setup FILE...   copies FILE... (by basename) into $NB and sets
#       $AS      the prefix that runs a command as nobody when root (empty otherwise)
#       $NB_SR   the sr binary to run under $AS
#       $NB      the folder holding the copies; $NB/ro is a read-only folder, empty
#   as_nobody_cleanup         removes $NB
as_nobody_setup() {
    AS=""
    NB_SR=$SR
    if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        NB=$(mktemp -d /tmp/sr-nobody.XXXXXX) || return 1
        cp "$SR" "$NB/sr" && cp -r "$ROOT/data" "$NB/data" || return 1
        NB_SR=$NB/sr
        AS="env SR_DATA=$NB/data setpriv --reuid=65534 --regid=65534 --clear-groups"
    else
        NB=$OUT/as_nobody.$$
        rm -rf "$NB" && mkdir -p "$NB" || return 1
    fi
    local f
    for f in "$@"; do cp "$f" "$NB/" || return 1; done
    chmod -R a+rX "$NB" && mkdir "$NB/ro" && chmod 555 "$NB/ro"
}

as_nobody_cleanup() {
    chmod 755 "$NB/ro" 2>/dev/null
    rm -rf "$NB"
}
