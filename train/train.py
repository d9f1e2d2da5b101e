#!/usr/bin/python3
"""Train sr's demo masked-LM: a small BERT (Hugging Face BertForMaskedLM layout) from
scratch on ../shared/corpus with Bio_ClinicalBERT's cased WordPiece vocabulary.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 train/train.py \
        --out /work/train_runs/run1 --steps N            # full run (see README.md)
    /usr/bin/python3 train/train.py --out DIR --check-reproducible
                                   # rerun the first steps from scratch and compare
                                   # the losses with DIR/metrics.json's record
    /usr/bin/python3 train/train.py --out DIR --eval-only   # re-evaluate DIR/hf

Deterministic: one thread, fixed seeds; every step's batch and masks come from a
numpy RandomState seeded with (seed, step), so a run resumed from a checkpoint or
rerun from scratch sees exactly the same data.

Data: every corpus file is split into paragraphs (lines); the paragraphs from 60% to
63% of each file are the validation split, the rest is training. Training windows
are sampled from the training streams with probability proportional to their length,
the ACI-BENCH visit notes weighted --aci-weight times (the letter register).
Masking: whole-word, 15% of the words of a window, 80% [MASK] / 10% random token /
10% unchanged; loss at the masked positions only.
"""
import argparse
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as M  # noqa: E402
from model import BertForMaskedLM, hf_config, mlm_loss  # noqa: E402
from wordpiece import WordPiece  # noqa: E402

PREP_VERSION = 1
VAL_FROM, VAL_TO = 0.60, 0.63


# ----------------------------------------------------------------------- data

def corpus_files(corpus):
    out = []
    for sub in sorted(os.listdir(corpus)):
        d = os.path.join(corpus, sub)
        if os.path.isdir(d):
            out += [os.path.join(sub, f) for f in sorted(os.listdir(d)) if f.endswith(".txt")]
    return out


def prepare(corpus, vocab, cache_dir):
    """Tokenize the corpus once; cache streams as int32 arrays. Returns dict with
    ids (all tokens), streams [n][4] = (offset, length, is_val, is_aci), names."""
    files = corpus_files(corpus)
    h = hashlib.sha256()
    h.update(open(vocab, "rb").read())
    for f in files:
        h.update(f.encode())
        h.update(str(os.path.getsize(os.path.join(corpus, f))).encode())
    h.update(str(PREP_VERSION).encode())
    key = h.hexdigest()[:16]
    path = os.path.join(cache_dir, "corpus_%s.npz" % key)
    if os.path.exists(path):
        z = np.load(path)
        return {"ids": z["ids"], "streams": z["streams"], "names": list(z["names"]), "key": key}
    os.makedirs(cache_dir, exist_ok=True)
    wp = WordPiece(vocab)
    t0 = time.time()
    chunks, streams, names, off = [], [], [], 0
    for f in files:
        with open(os.path.join(corpus, f), encoding="utf-8") as fh:
            paras = [p for p in fh.read().split("\n") if p.strip()]
        n = len(paras)
        a, b = int(VAL_FROM * n), int(VAL_TO * n)
        is_aci = int(f.startswith("aci_bench/"))
        for lo, hi, is_val in ((0, a, 0), (a, b, 1), (b, n, 0)):
            ids = []
            for p in paras[lo:hi]:
                ids.extend(wp.encode(p))
            arr = np.asarray(ids, dtype=np.int32)
            chunks.append(arr)
            streams.append((off, len(arr), is_val, is_aci))
            names.append(f)
            off += len(arr)
        print("prepare: %-70s %7d paragraphs  (%.0f s)" % (f, n, time.time() - t0), flush=True)
    ids = np.concatenate(chunks)
    streams = np.asarray(streams, dtype=np.int64)
    np.savez(path, ids=ids, streams=streams, names=np.asarray(names))
    return {"ids": ids, "streams": streams, "names": names, "key": key}


class Masker:
    """Whole-word masking over windows of the token streams."""

    def __init__(self, tokens, data):
        self.ids = data["ids"]
        self.is_cont = np.array([t.startswith("##") for t in tokens], dtype=bool)
        self.cls, self.sep, self.mask = tokens.index("[CLS]"), tokens.index("[SEP]"), tokens.index("[MASK]")
        # random replacements: real tokens only (after [PAD], [unusedN], [UNK], [CLS], ...)
        self.first_real = max(i for i, t in enumerate(tokens[:1000]) if t.startswith("[") and t.endswith("]")) + 1
        self.vocab_size = len(tokens)

    def window(self, off, length, start, n):
        """[CLS] + n tokens from stream position start (moved back to a word start) + [SEP]."""
        ids = self.ids
        while start > 0 and self.is_cont[ids[off + start]]:
            start -= 1
        w = ids[off + start: off + start + n]
        return np.concatenate(([self.cls], w, [self.sep])).astype(np.int64)

    def mask_row(self, row, rng, rate=0.15):
        """In place: whole-word masking. Returns labels (-100 where not masked)."""
        L = len(row)
        starts = np.nonzero(~self.is_cont[row[1:L - 1]])[0] + 1
        labels = np.full(L, -100, dtype=np.int64)
        if len(starts) == 0:
            return labels
        ends = np.append(starts[1:], L - 1)
        k = max(1, int(round(rate * len(starts))))
        chosen = np.sort(rng.choice(len(starts), k, replace=False))
        for w in chosen:
            a, b = starts[w], ends[w]
            labels[a:b] = row[a:b]
            r = rng.rand()
            if r < 0.8:
                row[a:b] = self.mask
            elif r < 0.9:
                row[a:b] = rng.randint(self.first_real, self.vocab_size, size=b - a)
        return labels


def step_shape(step, rng, args):
    """(batch, length) of a step: mostly batch x seq; every 8th step long sequences
    (so all position embeddings up to max_position are trained), every 8th short ones
    (so [SEP] is seen early)."""
    if step % 8 == 3:
        L = args.max_position
        return max(1, args.batch * args.seq // L), L
    if step % 8 == 1:
        return args.batch, int(rng.randint(12, args.seq))
    return args.batch, args.seq


def train_batch(step, masker, data, args):
    rng = np.random.RandomState([args.seed, step])
    B, L = step_shape(step, rng, args)
    st = data["streams"]
    n = L - 2
    ok = (st[:, 2] == 0) & (st[:, 1] > n)
    w = st[:, 1] * np.where(st[:, 3] == 1, args.aci_weight, 1.0) * ok
    p = w / w.sum()
    rows, labels = [], []
    for _ in range(B):
        s = rng.choice(len(st), p=p)
        off, length = st[s, 0], st[s, 1]
        start = rng.randint(0, length - n + 1)
        row = masker.window(off, length, start, n)
        if len(row) < L:  # moved back to a word start near the end: cannot happen with start <= length-n
            row = np.pad(row, (0, L - len(row)))
        row = row[:L]
        row[-1] = masker.sep
        labels.append(masker.mask_row(row, rng))
        rows.append(row)
    return torch.from_numpy(np.stack(rows)), torch.from_numpy(np.stack(labels))


def val_windows(data, masker, seq, only_aci=False):
    """Non-overlapping windows of the validation streams, in corpus order."""
    st = data["streams"]
    out = []
    n = seq - 2
    for s in range(len(st)):
        off, length, is_val, is_aci = st[s]
        if not is_val or (only_aci and not is_aci):
            continue
        for start in range(0, length - n + 1, n):
            out.append((s, masker.window(off, length, start, n)[:seq]))
    return out


# ----------------------------------------------------------------------- eval

STOP = set("""a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours ourselves
out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves may must might shall upon which
whose""".split())


@torch.no_grad()
def evaluate(model, masker, data, tokens, args, max_windows=1500, n_words=1000):
    """Validation perplexity (whole-word masking as in training, fixed seed) over the
    validation windows (all ACI ones + an even spread of the rest), and top-1/top-5
    accuracy at 1,000 single-token content words masked with [MASK], one a window."""
    model.eval()
    M.BF16 = False
    wins = val_windows(data, masker, args.seq)
    aci = [w for w in wins if data["streams"][w[0], 3] == 1]
    rest = [w for w in wins if data["streams"][w[0], 3] == 0]
    stride = max(1, len(rest) // max(1, max_windows - len(aci)))
    chosen = aci + rest[::stride][: max(0, max_windows - len(aci))]
    res = {}
    for name, group in (("all", chosen), ("aci", aci)):
        nll, cnt = 0.0, 0
        for i in range(0, len(group), 32):
            rows, labs = [], []
            for j, (s, w) in enumerate(group[i:i + 32]):
                rng = np.random.RandomState([args.seed, 1_000_000 + i + j])
                r = w.copy()
                labs.append(masker.mask_row(r, rng))
                rows.append(r)
            x, y = torch.from_numpy(np.stack(rows)), torch.from_numpy(np.stack(labs))
            h = model.bert(x)
            sel = y.reshape(-1) >= 0
            logits = model.logits_at(h, sel.reshape(y.shape))
            nll += F.cross_entropy(logits, y.reshape(-1)[sel], reduction="sum").item()
            cnt += int(sel.sum())
        res["val_ppl_" + name] = float(np.exp(nll / max(1, cnt)))
        res["val_masked_tokens_" + name] = cnt
        res["val_windows_" + name] = len(group)
    # content-word accuracy
    rng = np.random.RandomState([args.seed, 2_000_000])
    order = rng.permutation(len(wins))
    items = []
    for k in order:
        s, w = wins[k]
        cand = []
        for p in range(1, len(w) - 2):
            t = tokens[w[p]]
            if (t.isalpha() and len(t) >= 4 and t.lower() not in STOP and not masker.is_cont[w[p]]
                    and not masker.is_cont[w[p + 1]]):
                cand.append(p)
        if cand:
            items.append((s, w, cand[rng.randint(len(cand))]))
        if len(items) == n_words:
            break
    top1 = top5 = top1_aci = top5_aci = n_aci = 0
    for i in range(0, len(items), 32):
        part = items[i:i + 32]
        rows = []
        for s, w, p in part:
            r = w.copy()
            r[p] = masker.mask
            rows.append(r)
        x = torch.from_numpy(np.stack(rows))
        pos = torch.tensor([j * x.shape[1] + p for j, (_, _, p) in enumerate(part)])
        logits = model.logits_at(model.bert(x), pos)
        best = logits.topk(5, dim=-1).indices.numpy()
        for j, (s, w, p) in enumerate(part):
            h1, h5 = int(best[j, 0] == w[p]), int(w[p] in best[j])
            top1 += h1
            top5 += h5
            if data["streams"][s, 3] == 1:
                n_aci += 1
                top1_aci += h1
                top5_aci += h5
    res.update({"content_words": len(items), "top1": top1 / max(1, len(items)),
                "top5": top5 / max(1, len(items)), "content_words_aci": n_aci,
                "top1_aci": top1_aci / max(1, n_aci), "top5_aci": top5_aci / max(1, n_aci)})
    model.train()
    return res


# ----------------------------------------------------------------------- train

def lr_at(step, args):
    """Warmup (a fixed number of steps), constant, then linear decay to 0 over the last
    --decay fraction of --steps. The warmup and constant phases do not depend on
    --steps, so a run resumed from a constant-phase checkpoint with a different
    --steps (if the machine turns out slower than planned) is the same run as one
    started with that --steps."""
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    d = int(args.steps * (1.0 - args.decay)) if args.decay_start is None else args.decay_start
    if step < d:
        return args.lr
    return args.lr * max(0.0, (args.steps - step) / max(1, args.steps - d))


def make_model(args, vocab_size):
    torch.manual_seed(args.seed)
    cfg = hf_config(vocab_size, args.hidden, args.layers, args.heads, args.ffn, args.max_position)
    model = BertForMaskedLM(cfg)
    model.init_weights()
    return model


def make_optimizer(model, args):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if n.endswith("bias") or "LayerNorm" in n else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=args.lr, betas=(0.9, 0.98), eps=1e-6)


def save_hf(model, tokens, vocab_path, outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.save(model.hf_state_dict(), os.path.join(outdir, "pytorch_model.bin"))
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(model.config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(vocab_path, "rb") as src, open(os.path.join(outdir, "vocab.txt"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": False, "strip_accents": None, "tokenize_chinese_chars": True,
                   "model_max_length": model.config["max_position_embeddings"],
                   "tokenizer_class": "BertTokenizer"}, f, indent=2, sort_keys=True)
        f.write("\n")


def run_training(args, data, tokens, masker, stop_at=None, log=None):
    """Train; returns (model, per-step losses). stop_at: stop early (reproducibility check)."""
    model = make_model(args, len(tokens))
    opt = make_optimizer(model, args)
    losses, start_step = [], 0
    ckpt = os.path.join(args.out, "ckpt.pt")
    if args.resume and os.path.exists(ckpt):
        c = torch.load(ckpt)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        losses, start_step = c["losses"], c["step"]
        print("resumed at step %d" % start_step, flush=True)
    model.train()
    t0, tok_count = time.time(), 0
    end = args.steps if stop_at is None else min(stop_at, args.steps)
    for step in range(start_step, end):
        x, y = train_batch(step, masker, data, args)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        M.BF16 = True
        loss = mlm_loss(model, model.bert(x), y)
        M.BF16 = False
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.item()))
        tok_count += x.numel()
        if (step + 1) % args.log_every == 0 or step == end - 1:
            el = time.time() - t0
            rec = {"step": step + 1, "loss": float(np.mean(losses[-args.log_every:])),
                   "lr": lr_at(step, args), "tokens_per_s": tok_count / el, "elapsed_s": el}
            print(json.dumps(rec), flush=True)
            if log:
                log.write(json.dumps(rec) + "\n")
                log.flush()
        if stop_at is None and args.ckpt_every and (step + 1) % args.ckpt_every == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "losses": losses,
                        "step": step + 1}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
    return model, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(HERE)
    shared = os.path.join(os.path.dirname(root), "shared")
    ap.add_argument("--corpus", default=os.path.join(shared, "corpus"))
    ap.add_argument("--vocab", default=os.path.join(shared, "vocab", "bert-base-cased-vocab.txt"))
    ap.add_argument("--cache", default="/work/train_runs/cache")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--max-position", type=int, default=512)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup-steps", type=int, default=50)
    ap.add_argument("--decay", type=float, default=0.3, help="fraction of --steps with linear decay")
    ap.add_argument("--decay-start", type=int, default=None,
                    help="the step where the linear decay to 0 at --steps begins (instead of --decay): "
                         "a cooldown branch of a long constant-rate run, resumed from its checkpoint")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--aci-weight", type=float, default=16.0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--eval-windows", type=int, default=1500)
    ap.add_argument("--eval-words", type=int, default=1000)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--check-reproducible", type=int, nargs="?", const=50, default=0, metavar="STEPS",
                    help="rerun the first STEPS (50) steps from scratch with the arguments recorded in "
                         "OUT/metrics.json and compare the per-step losses")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.check_reproducible:
        with open(os.path.join(args.out, "metrics.json")) as f:
            rec = json.load(f)
        k = args.check_reproducible
        for key, v in rec["args"].items():
            if key not in ("out", "check_reproducible", "resume", "eval_only", "corpus", "vocab", "cache"):
                setattr(args, key, v)
        args.resume = False
        torch.set_num_threads(args.threads)
        tokens = WordPiece(args.vocab).tokens
        data = prepare(args.corpus, args.vocab, args.cache)
        if data["key"] != rec["data_key"]:
            print("FAIL: corpus/vocab differ from the recorded run (%s != %s)" % (data["key"], rec["data_key"]))
            return 1
        masker = Masker(tokens, data)
        _, losses = run_training(args, data, tokens, masker, stop_at=k)
        ref = rec["losses"][:k]
        diff = max(abs(a - b) for a, b in zip(losses, ref))
        print("rerun of %d steps: max |loss - recorded| = %.3g (first %.6f vs %.6f)" % (k, diff, losses[0], ref[0]))
        ok = diff <= 1e-4
        print("PASS reproducible" if ok else "FAIL reproducible")
        return 0 if ok else 1

    os.makedirs(args.out, exist_ok=True)
    tokens = WordPiece(args.vocab).tokens
    data = prepare(args.corpus, args.vocab, args.cache)
    st = data["streams"]
    print("corpus: %d tokens (%d train, %d val; ACI train %d)" % (
        len(data["ids"]), st[st[:, 2] == 0, 1].sum(), st[st[:, 2] == 1, 1].sum(),
        st[(st[:, 2] == 0) & (st[:, 3] == 1), 1].sum()), flush=True)
    masker = Masker(tokens, data)
    hfdir = os.path.join(args.out, "hf")
    if args.eval_only:
        model = make_model(args, len(tokens))
        model.load_hf_state_dict(torch.load(os.path.join(hfdir, "pytorch_model.bin")))
        print(json.dumps(evaluate(model, masker, data, tokens, args, args.eval_windows, args.eval_words), indent=2))
        return 0

    t0 = time.time()
    with open(os.path.join(args.out, "train_log.jsonl"), "a") as log:
        model, losses = run_training(args, data, tokens, masker, log=log)
    train_s = time.time() - t0
    save_hf(model, tokens, args.vocab, hfdir)
    t1 = time.time()
    ev = evaluate(model, masker, data, tokens, args, args.eval_windows, args.eval_words)
    eval_s = time.time() - t1
    n_params = sum(p.numel() for p in model.parameters())
    tok_per_step = [args.batch * args.seq]
    metrics = {"args": vars(args), "data_key": data["key"], "params": n_params,
               "train_seconds": train_s, "eval_seconds": eval_s,
               "tokens_seen": int(sum(np.prod(step_shape(s, np.random.RandomState([args.seed, s]), args))
                                      for s in range(args.steps))),
               "torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(),
               "command": " ".join([sys.executable] + sys.argv), "final_loss": float(np.mean(losses[-50:])),
               "eval": ev, "losses": [round(v, 6) for v in losses]}
    del tok_per_step
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps({k: v for k, v in metrics.items() if k != "losses"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
