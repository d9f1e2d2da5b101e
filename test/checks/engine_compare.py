#!/usr/bin/python3
"""engine_compare.py REFDIR OURDIR [--tol T] [--rel] [--name NAME]
engine_compare.py --batch FILE      (lines: REFDIR OURDIR NAME TOL [rel]; one process)

Compares sr's outputs (written by test/engine_dump run) with the reference outputs of
test/models/make_models.py: for each case K in REFDIR/cases.txt and each of hidden/mlm/cls
present in REFDIR, the max |difference| over the positions with attn=1. Prints one
PASS/FAIL line per tensor kind, with the worst difference (--rel: divided by the
largest |reference| value of that case and kind, for int8 models)."""
import os
import sys

import numpy as np


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--batch":
        bad = 0
        for line in open(args[1]):
            f = line.split()
            if len(f) >= 4:
                bad |= main([f[0], f[1], "--name", f[2], "--tol", f[3]] + (["--rel"] if "rel" in f[4:] else []))
        return bad
    tol, name, rel = 1e-4, None, "--rel" in args
    args = [a for a in args if a != "--rel"]
    if "--tol" in args:
        i = args.index("--tol"); tol = float(args[i + 1]); del args[i:i + 2]
    if "--name" in args:
        i = args.index("--name"); name = args[i + 1]; del args[i:i + 2]
    ref, ours = args
    name = name or os.path.basename(os.path.dirname(os.path.abspath(ref)))
    cases = [l for l in open(os.path.join(ref, "cases.txt")).read().splitlines() if l.strip()]
    worst = {}
    for k, line in enumerate(cases):
        f = dict(part.split("=", 1) for part in line.split(";"))
        n = len(f["ids"].split())
        attn = np.array([int(x) for x in f.get("attn", " ".join(["1"] * n)).split()], dtype=bool)
        for kind in ("hidden", "mlm", "cls"):
            rp = os.path.join(ref, "%s_%d.f32" % (kind, k))
            if not os.path.exists(rp):
                continue
            r = np.fromfile(rp, dtype="<f4").reshape(n, -1)
            op = os.path.join(ours, "%s_%d.f32" % (kind, k))
            if not os.path.exists(op):
                worst[kind] = (float("inf"), k)
                continue
            o = np.fromfile(op, dtype="<f4")
            if o.size != r.size:
                worst[kind] = (float("inf"), k)
                continue
            o = o.reshape(n, -1)
            d = float(np.max(np.abs(o[attn] - r[attn]))) if attn.any() else 0.0
            if rel and attn.any():
                d /= max(1e-30, float(np.max(np.abs(r[attn]))))
            if np.isnan(o[attn]).any():
                d = float("inf")
            if kind not in worst or d > worst[kind][0]:
                worst[kind] = (d, k)
    if not worst:
        print("FAIL parity %s: no reference tensors found in %s" % (name, ref))
        return 1
    bad = 0
    for kind, (d, k) in sorted(worst.items()):
        ok = d <= tol
        bad |= not ok
        print("%s parity %s %s: max |sr - torch|%s = %.3g (case %d, tolerance %g, %d cases)"
              % ("PASS" if ok else "FAIL", name, kind, " / max |torch|" if rel else "", d, k, tol, len(cases)))
    return bad


if __name__ == "__main__":
    sys.exit(main())
