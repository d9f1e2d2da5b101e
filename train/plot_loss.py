#!/usr/bin/env python3
"""Draw a training run's loss curve as a self-contained SVG (plain Python 3).

    python3 train/plot_loss.py models/train_log.jsonl models/loss_curve.svg \
        [--before OLD_LOG.jsonl] [--val PPL] [--title TEXT]

The step log (one JSON object per line with "step" and "loss", as train.py writes it,
a resumed run appending to the same file) gives the training loss at masked positions
(mean over --log-every steps). --before draws an earlier run's log in grey for
comparison; --val marks the held-out perplexity of the finished model as a point at the
last step (its log). The picture has no script, font files or links, so it renders the
same in a browser, an editor or on GitHub.
"""
import argparse
import json
import math
import sys


def read_log(path):
    """{step: loss}; a resumed run logs its steps again, the later line wins."""
    points = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
                points[int(rec["step"])] = float(rec["loss"])
            except (ValueError, KeyError, TypeError) as e:
                sys.exit("%s:%d: not a step-log line (%s)" % (path, n, e))
    if not points:
        sys.exit("%s: no steps" % path)
    return sorted(points.items())


def nice_ticks(lo, hi, n=6):
    step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-9:
        out.append(round(t, 10))
        t += step
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("svg")
    ap.add_argument("--before", help="an earlier run's step log, drawn in grey")
    ap.add_argument("--before-label", default="earlier model")
    ap.add_argument("--label", default="this model")
    ap.add_argument("--val", type=float, help="held-out perplexity of the finished model")
    ap.add_argument("--title", default="Demo model: training loss at masked positions")
    a = ap.parse_args()

    runs = [(read_log(a.log), "#1f5fa8", a.label)]
    if a.before:
        runs.insert(0, (read_log(a.before), "#9a9a9a", a.before_label))
    W, H, L, R, T, B = 760, 420, 64, 24, 48, 56
    xmax = max(p[-1][0] for p, _, _ in runs)
    ys = [v for p, _, _ in runs for _, v in p]
    if a.val:
        ys.append(math.log(a.val))
    ylo, yhi = math.floor(min(ys)), math.ceil(max(ys))
    X = lambda s: L + (W - L - R) * s / xmax
    Y = lambda v: T + (H - T - B) * (yhi - v) / (yhi - ylo)

    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="sans-serif" font-size="12">' % (W, H, W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="24" font-size="15">%s</text>' % (L, a.title)]
    for t in nice_ticks(0, xmax):
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>' % (X(t), T, X(t), H - B))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (X(t), H - B + 16, t))
    for t in nice_ticks(ylo, yhi):
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>' % (L, Y(t), W - R, Y(t)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (L - 6, Y(t) + 4, t))
        o.append('<text x="%d" y="%.1f" fill="#777" font-size="10">ppl %d</text>' % (L + 4, Y(t) - 3, round(math.exp(t))))
    o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>' % (L, T, W - L - R, H - T - B))
    o.append('<text x="%.1f" y="%d" text-anchor="middle">training step</text>' % ((L + W - R) / 2, H - 18))
    o.append('<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">cross-entropy (nats)</text>'
             % ((T + H - B) / 2))
    for i, (pts, colour, label) in enumerate(runs):
        path = " ".join("%s%.1f,%.1f" % ("M" if j == 0 else "L", X(s), Y(v)) for j, (s, v) in enumerate(pts))
        o.append('<path d="%s" fill="none" stroke="%s" stroke-width="1.6"/>' % (path, colour))
        ly = T + 18 + 18 * i
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>' % (W - R - 230, ly - 4, W - R - 205, ly - 4, colour))
        o.append('<text x="%d" y="%d">%s</text>' % (W - R - 198, ly, label))
    if a.val:
        s, v = runs[-1][0][-1][0], math.log(a.val)
        o.append('<circle cx="%.1f" cy="%.1f" r="4.5" fill="#c0392b"/>' % (X(s), Y(v)))
        o.append('<text x="%.1f" y="%.1f" text-anchor="end" fill="#c0392b">held-out perplexity %.1f</text>'
                 % (X(s) - 8, Y(v) + 16, a.val))
    o.append("</svg>")
    with open(a.svg, "w") as f:
        f.write("\n".join(o) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
