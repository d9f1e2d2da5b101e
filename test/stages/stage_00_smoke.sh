# The binaries start and refuse an unknown command with a non-zero exit.
# tier: fast
set -u
if "$SR" 2>/dev/null; then echo "FAIL smoke: sr with no command exited 0"; else echo "PASS smoke: sr with no command exits non-zero"; fi
if "$SR" no-such-command 2>/dev/null; then echo "FAIL smoke: unknown command exited 0"; else echo "PASS smoke: unknown command exits non-zero"; fi
