#!/usr/bin/python3
"""engine_checksums.py SR ENGINE_DUMP OUTDIR MODEL.srm...
   engine_checksums.py --only-verify "CMD" MODEL.srm...   (the first two checks alone)
CMD is the verifying command the model's path is appended to, split like a shell line:
"SR info --verify -m" (the default use), or "qemu-aarch64 ... engine_dump verify".

The model file's checksums (sr.h, format version 2), checked against Python's zlib.crc32
(an implementation independent of sr's):
  - the converter's two CRC fields equal zlib.crc32 of the header (its field zero) and of
    everything after it;
  - `sr info --verify` passes a pristine file (exit 0, one line) and prints the same two
    CRCs zlib computes, also for a file whose length is not a multiple of 8;
  - a byte flipped in the header: every load refuses (sr info, tokenize, fill, bench and
    the API under ENGINE_DUMP), one line naming the file and the header checksum;
  - a byte flipped inside a weight tensor: the load works (only --verify reads the whole
    file), `sr info --verify` fails (exit 1, one line naming the file, the CRC it prints
    is zlib's of the damaged bytes);
  - a version 1 file (no checksums, bytes 152..159 zero) loads, `sr info` says it has no
    checksums, `sr info --verify` says it cannot verify (exit 1, one line); a version 2
    file whose version field reads 1 (its checksums still there) is refused;
  - a truncated file, a missing file and a missing -m under --verify.
Prints PASS/FAIL lines; exit 0 unless a check could not run."""
import os
import re
import shlex
import struct
import subprocess
import sys
import zlib

HDR = 256
HEADER_CRC_AT, CONTENTS_CRC_AT = 152, 156


def u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def u64(b, off):
    return struct.unpack_from("<Q", b, off)[0]


def header_crc(b):
    h = bytearray(b[:HDR])
    struct.pack_into("<I", h, HEADER_CRC_AT, 0)
    return zlib.crc32(bytes(h))


def contents_crc(b):
    return zlib.crc32(b[HDR:])


def seal(b):
    """Both checksums of b recomputed by zlib (for a file changed on purpose)."""
    b = bytearray(b)
    struct.pack_into("<Q", b, 16, len(b))
    struct.pack_into("<I", b, CONTENTS_CRC_AT, contents_crc(b))
    struct.pack_into("<I", b, HEADER_CRC_AT, header_crc(b))
    return bytes(b)


def tensor(b, name):
    """(offset, bytes) of a tensor's data, from the directory (sr.h)."""
    n, toff = u32(b, 92), u64(b, 128)
    for i in range(n):
        e = toff + 112 * i
        if b[e:e + 64].split(b"\0")[0].decode() == name:
            return u64(b, e + 80), u64(b, e + 88)
    raise KeyError(name)


fails = 0


def check(ok, name, why=""):
    global fails
    if ok:
        print("PASS engine checksums: %s" % name)
    else:
        fails += 1
        print("FAIL engine checksums: %s: %s" % (name, why))


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def verify_crcs(out):
    """The two CRCs an OK line of `sr info --verify` names: (header, contents)."""
    m = re.search(r"CRC-32 of the header 0x([0-9a-f]{8}), of the contents 0x([0-9a-f]{8})", out)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None


def check_model(sr, path, verify=None):
    """The converter's CRC fields and sr info --verify's CRCs (or those of the command
    `verify`) against zlib.crc32."""
    b = open(path, "rb").read()
    base = os.path.basename(path)
    check(u32(b, 8) == 2 and u32(b, HEADER_CRC_AT) == header_crc(b) and u32(b, CONTENTS_CRC_AT) == contents_crc(b),
          "%s: version 2, header and contents CRC fields = zlib.crc32" % base,
          "version %d, fields 0x%08x 0x%08x, zlib 0x%08x 0x%08x" % (u32(b, 8), u32(b, HEADER_CRC_AT),
                                                                    u32(b, CONTENTS_CRC_AT), header_crc(b), contents_crc(b)))
    check(b[160:HDR] == bytes(HDR - 160), "%s: header bytes 160..255 zero" % base)
    cmd = verify or [sr, "info", "--verify", "-m"]
    rc, out, err = run(cmd + [path])
    got = verify_crcs(out)
    check(rc == 0 and out.count("\n") == 1 and err == "" and " OK " in out and got == (header_crc(b), contents_crc(b)),
          "%s: %s OK, its CRCs = zlib.crc32 (%d bytes)" % (base, " ".join(os.path.basename(c) for c in cmd), len(b)),
          "exit %d, stdout %r, stderr %r, zlib 0x%08x 0x%08x" % (rc, out[:300], err[:300], header_crc(b), contents_crc(b)))


def main():
    if sys.argv[1] == "--only-verify":
        for path in sys.argv[3:]:
            check_model(None, path, shlex.split(sys.argv[2]))
        return 0
    sr, dump, outdir = sys.argv[1:4]
    models = sys.argv[4:]
    os.makedirs(outdir, exist_ok=True)

    def write(name, data):
        p = os.path.join(outdir, name)
        open(p, "wb").write(data)
        return p

    for path in models:
        check_model(sr, path)
        check_model(sr, path, [dump, "verify"])  # the API under ASan/UBSan
    b = open(models[0], "rb").read()

    # ---- a length that is no multiple of 8 (sr's CRC folds 8 bytes a step, then single bytes)
    for extra in (1, 3, 7):
        odd = seal(b + bytes(range(1, extra + 1)))
        p = write("odd_%d.srm" % extra, odd)
        rc, out, err = run([sr, "info", "--verify", "-m", p])
        check(rc == 0 and verify_crcs(out) == (header_crc(odd), contents_crc(odd)),
              "%d bytes (%d past a multiple of 8): sr's CRC = zlib.crc32" % (len(odd), len(odd) % 8),
              "exit %d, %r %r" % (rc, out[:200], err[:200]))

    # ---- header flips: every load refuses, naming the file and the header checksum
    flips = {"reserved byte 200": (200, 0x10), "lowercase flag": (60, 1), "header CRC field": (HEADER_CRC_AT, 0x01),
             "contents CRC field": (CONTENTS_CRC_AT + 3, 0x80), "n_layers": (32, 0x01)}
    for what, (off, mask) in flips.items():
        bad = bytearray(b)
        bad[off] ^= mask
        p = write("flip_header_%d.srm" % off, bytes(bad))
        cmds = {"info": [sr, "info", "-m", p], "tokenize": [sr, "tokenize", "-m", p, "--text", "chest pain"],
                "fill": [sr, "fill", "-m", p, "--text", "chest [MASK]"], "bench": [sr, "bench", "-m", p, "--seq", "4", "--iters", "1"],
                "info --verify": [sr, "info", "--verify", "-m", p], "API (asan)": [dump, "forward", p]}
        bad_cmds = []
        for cname, cmd in cmds.items():
            rc, out, err = run(cmd)
            want_rc = 1 if cname in ("info --verify", "API (asan)") else 2
            text = err if cname != "API (asan)" else out + err
            lines = text.strip("\n").split("\n")
            if not (rc == want_rc and len(lines) == 1 and p in lines[0] and "header checksum mismatch" in lines[0]):
                bad_cmds.append("%s: exit %d, %r" % (cname, rc, text[:200]))
        check(not bad_cmds, "header byte flipped (%s): %s refuse with one line naming the file and the header checksum"
              % (what, ", ".join(cmds)), "; ".join(bad_cmds))

    # ---- a flip inside a weight tensor: loads, and only --verify sees it
    off, nbytes = tensor(b, "encoder.layer.0.attention.self.query.weight")
    bad = bytearray(b)
    bad[off + nbytes // 2 + 1] ^= 0x01
    p = write("flip_weight.srm", bytes(bad))
    rc, out, err = run([sr, "info", "-m", p])
    check(rc == 0 and "format version 2" in out, "weight byte flipped: the load works (sr info exit 0)",
          "exit %d, %r" % (rc, err[:200]))
    rc, out, err = run([sr, "info", "--verify", "-m", p])
    m = re.search(r"is 0x([0-9a-f]{8}), the header says 0x([0-9a-f]{8})", err)
    check(rc == 1 and out == "" and err.count("\n") == 1 and p in err and "contents checksum mismatch" in err and m
          and int(m.group(1), 16) == contents_crc(bytes(bad)) and int(m.group(2), 16) == contents_crc(b),
          "weight byte flipped: sr info --verify exit 1, one line naming the file, sr's CRC = zlib.crc32 of the damaged bytes",
          "exit %d, stdout %r, stderr %r" % (rc, out[:200], err[:300]))
    rc, out, err = run([dump, "verify", p])
    check(rc == 1 and "contents checksum mismatch" in out, "weight byte flipped: sr_model_verify (ASan) says so, exit 1",
          "exit %d %r %r" % (rc, out[:200], err[:200]))
    rc, out, err = run([sr, "info", "--verify", "-m", models[0]])
    check(rc == 0, "the pristine copy of the same file verifies OK", "exit %d %r" % (rc, err[:200]))

    # ---- version 1: no checksums, loads, cannot be verified
    v1 = bytearray(b)
    struct.pack_into("<I", v1, 8, 1)
    v1[152:160] = bytes(8)
    p = write("version1.srm", bytes(v1))
    rc, out, err = run([sr, "info", "-m", p])
    check(rc == 0 and "format version 1" in out and "checksums: none" in out,
          "version 1 file loads; sr info says it carries no checksums", "exit %d, %r %r" % (rc, out[:200], err[:200]))
    rc, out, err = run([sr, "fill", "-m", p, "--text", "chest [MASK]"])
    check(rc == 0 and out != "", "version 1 file: sr fill runs", "exit %d, %r" % (rc, err[:200]))
    rc, out, err = run([sr, "info", "--verify", "-m", p])
    check(rc == 1 and out == "" and err.count("\n") == 1 and p in err and "cannot verify" in err,
          "version 1 file: sr info --verify cannot verify (exit 1, one line naming the file)",
          "exit %d, stdout %r, stderr %r" % (rc, out[:200], err[:200]))
    # a version 2 file whose version field became 1 keeps its checksums in 152..159:
    # refused (a version 1 file has zeros there), so it cannot slip past the checks
    demoted = bytearray(b)
    struct.pack_into("<I", demoted, 8, 1)
    p = write("version2_as_1.srm", bytes(demoted))
    rc, out, err = run([sr, "info", "-m", p])
    rc2, out2, err2 = run([sr, "info", "--verify", "-m", p])
    check(rc == 2 and err.count("\n") == 1 and p in err and "152..159" in err and rc2 == 1 and "152..159" in err2,
          "version 2 file with its version field set to 1 (checksums present): load and --verify refuse it, one line",
          "load exit %d %r; verify exit %d %r" % (rc, err[:200], rc2, err2[:200]))
    v1[200] ^= 1  # a version 1 header has no checksum to catch this: documented in sr.h
    p = write("version1_reserved.srm", bytes(v1))
    rc, out, err = run([sr, "info", "-m", p])
    check(rc == 0, "version 1 file: reserved header bytes are not checked (no checksum)", "exit %d %r" % (rc, err[:200]))

    # ---- versions this sr does not know (0 and 3), the checksums resealed: --verify refuses them
    for v in (0, 3):
        other = bytearray(b)
        struct.pack_into("<I", other, 8, v)
        other = seal(bytes(other))
        p = write("version%d.srm" % v, other)
        rc, out, err = run([sr, "info", "--verify", "-m", p])
        check(rc == 1 and err.count("\n") == 1 and p in err and ("format version %d," % v) in err,
              "version %d file: sr info --verify exit 1, one line naming the version" % v, "exit %d %r %r" % (rc, out[:200], err[:200]))

    # ---- truncated, missing, usage
    p = write("truncated.srm", b[:-64])
    rc, out, err = run([sr, "info", "--verify", "-m", p])
    check(rc == 1 and err.count("\n") == 1 and p in err and "truncated" in err,
          "truncated file: sr info --verify exit 1, one line", "exit %d %r" % (rc, err[:200]))
    rc, out, err = run([dump, "verify", p])
    check(rc == 1 and "truncated" in out, "truncated file: sr_model_verify (ASan) exit 1", "exit %d %r %r" % (rc, out[:200], err[:200]))
    p = os.path.join(outdir, "no-such.srm")
    rc, out, err = run([sr, "info", "--verify", "-m", p])
    check(rc == 2 and err.count("\n") == 1 and p in err, "missing file: sr info --verify exit 2, one line",
          "exit %d %r" % (rc, err[:200]))
    rc, out, err = run([sr, "info", "--verify"])
    check(rc == 2 and err.count("\n") == 1, "sr info --verify without a model: exit 2", "exit %d %r" % (rc, err[:200]))
    rc, out, err = run([sr, "info", "--help"])
    check(rc == 0 and "--verify" in out, "sr info --help names --verify", "exit %d" % rc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
