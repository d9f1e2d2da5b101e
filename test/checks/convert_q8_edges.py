#!/usr/bin/python3
"""convert_q8_edges.py - q8 encoding on edge values: hand-checked results, and the numpy
and standard-library paths of convert_weights.py bit-identical.

    /usr/bin/python3 test/checks/convert_q8_edges.py

Hand-checked: a group whose max|w| is 127 has scale exactly 1.0, so w = 2.5 -> 3,
-2.5 -> -3, 0.5 -> 1, -0.5 -> -1, 1.49 -> 1 (halves away from zero), 127 -> 127;
an all-zero group has scale 0 and q 0; padding columns are 0. Then random rows with
subnormal groups, exact halves and zero groups must give the same bytes on both paths.
Prints PASS/FAIL lines.
"""
import os
import struct
import sys
from array import array

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))  # the repository
import convert_weights as cw  # noqa: E402

fails = 0


def report(ok, name, why=""):
    global fails
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
    fails += 0 if ok else 1


# hand-checked groups of 64: cols 70 -> padded to 128, two groups per row
rows, cols = 2, 70
w = np.zeros((rows, cols), dtype=np.float32)
w[0, :7] = [127, 2.5, -2.5, 0.5, -0.5, 1.49, -127]
w[0, 64:70] = 0  # second group of row 0: all zero
w[1, :] = 0.25
for backend in (cw.NumpyMath, cw.StdlibMath):
    a = w.reshape(-1) if backend is cw.NumpyMath else array("f", w.tobytes())
    qb, sb = backend.q8(a, rows, cols, 64)
    q = list(struct.unpack("<%db" % len(qb), qb))
    s = list(struct.unpack("<%df" % (len(sb) // 4), sb))
    want_q0 = [127, 3, -3, 1, -1, 1, -127] + [0] * 57 + [0] * 64
    s25 = float(np.float32(0.25) / np.float32(127))
    want_s = [1.0, 0.0, s25, s25]
    report(len(qb) == rows * 128 and len(sb) == rows * 2 * 4, "q8 %s sizes" % backend.name,
           "%d/%d bytes" % (len(qb), len(sb)))
    report(q[:128] == want_q0, "q8 %s halves away from zero, zero group, padding" % backend.name, str(q[:8]))
    report(q[128:128 + 70] == [127] * 70 and q[198:256] == [0] * 58, "q8 %s constant row, padding" % backend.name,
           str(q[128:132]))
    report(s == want_s, "q8 %s scales" % backend.name, "%s vs %s" % (s, want_s))

# random edge rows: both paths bit-identical
rng = np.random.default_rng(7)
rows, cols = 9, 200
w = (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32)
w[1, :64] = (rng.standard_normal(64) * 1e-43).astype(np.float32)  # subnormal group
w[2, 64:128] = 0
w[3, :] = np.float32(0.5)
w[4, :64] = np.arange(64, dtype=np.float32) - 32
w[5, 128:192] = (rng.standard_normal(64) * 1e-40).astype(np.float32)
w[6, :] = (rng.integers(-254, 255, cols) / 2).astype(np.float32)  # many exact halves
w[7, :] = -w[6, :]
w[8, :] = np.float32(3.4e38) * np.sign(rng.standard_normal(cols)).astype(np.float32)
a = w.reshape(-1)
for group in (16, 64, 128, 256):  # --group-size: 200 columns pad to 208, 256, 256, 256
    q1, s1 = cw.NumpyMath.q8(a, rows, cols, group)
    q2, s2 = cw.StdlibMath.q8(array("f", a.tobytes()), rows, cols, group)
    pc = (cols + group - 1) // group * group
    report(q1 == q2 and s1 == s2 and len(q1) == rows * pc and len(s1) == rows * pc // group * 4,
           "q8 numpy == stdlib on subnormal, zero, half and huge groups (group %d)" % group)
f1 = cw.NumpyMath.tobytes(a)
f2 = cw.StdlibMath.tobytes(array("f", a.tobytes()))
report(f1 == f2 == a.astype("<f4").tobytes(), "f32 bytes numpy == stdlib == input")
sys.exit(1 if fails else 0)
