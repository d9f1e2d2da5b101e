#!/usr/bin/python3
"""The PyTorch side of the demo-model checks (test/stages/stage_70_demo.sh).

    demo_fill.py cases OUT.jsonl [--shared DIR --n 200]    masked sentences
    demo_fill.py export MODEL.srm HF_DIR                    .srm -> HF folder (fp32)
    demo_fill.py torch (--srm MODEL.srm | --hf HF_DIR) CASES.jsonl OUT.jsonl
    demo_fill.py compare CASES.jsonl REF.jsonl GOT.jsonl (--tol 1e-4 | --top1 0.98)

The torch model is train/model.py's BertForMaskedLM in eval mode, fp32, built from
the weights of an sr model file read here with numpy straight from the layout in
sr.h (q8 groups dequantised as q * scale: the exact weights sr's q8 engine holds) or
from a Hugging Face folder. Its tokenizer is train/wordpiece.py (Python), not sr's.
Output lines look like `sr fill --jsonl --top-k 5`:
    {"id":..., "masks":[{"index":i, "candidates":[{"id","token","prob"}, ...]}]}
Cases: hand-written clinical sentences (ours, committed here), each content word
masked in turn; with --shared, also sentences from the corpus's held-out split
(paragraphs 60-63% of each file, never trained on), one single-token content word
masked, with the answer recorded for top-1/top-5 accuracy. Those are written to the
scratch dir only (the corpus is never committed).
"""
import json
import os
import re
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "train"))

SENTENCES = """The patient is a 67-year-old man with a history of hypertension and type 2 diabetes.
She presents today for follow-up of her chronic kidney disease.
He denies any chest pain, shortness of breath, or palpitations.
On examination, the abdomen is soft and nontender without rebound or guarding.
Her blood pressure today is elevated at 150 over 90.
We will continue the current dose of metformin and recheck her hemoglobin A1c in three months.
The patient reports that the pain in his right knee has gotten worse over the past week.
An MRI of the lumbar spine showed a small disc herniation at L4-L5.
I have recommended physical therapy twice a week for six weeks.
She was started on lisinopril for her high blood pressure.
The wound is healing well with no signs of infection.
He was advised to avoid heavy lifting until the next visit.
Lungs are clear to auscultation bilaterally with no wheezes or crackles.
The heart has a regular rate and rhythm without murmurs.
Her symptoms improved after she stopped taking ibuprofen.
We discussed the risks and benefits of the surgery, and she wishes to proceed.
The patient was instructed to return to the clinic if the fever persists.
Laboratory results showed a mild anemia with a hemoglobin of 10.5.
He has been smoking one pack of cigarettes per day for twenty years.
The chest x-ray was negative for pneumonia.
She will follow up with cardiology regarding her atrial fibrillation.
There is mild swelling and tenderness over the left ankle.
The patient tolerated the procedure well and there were no complications.
His mother had breast cancer and his father had a heart attack at age 60.
I have asked her to keep a diary of her headaches.
Please take one tablet by mouth twice daily with food.
The rash on her arms has been itchy for about two weeks.
He was admitted to the hospital for management of his heart failure.
We will obtain an echocardiogram to evaluate his ejection fraction.
She reports feeling tired and has gained ten pounds since her last visit.
The patient is alert and oriented and in no acute distress.
Neurological examination is normal with intact strength and sensation.
Her thyroid function tests were within normal limits.
I will refer him to a dermatologist for a biopsy of the lesion.
The patient was counseled on diet and exercise for weight loss.
Dear Doctor, thank you for referring this patient to our clinic.
He underwent a colonoscopy last year which was normal.
We will increase the dose of his inhaler and see him again in two weeks.
She has a known allergy to penicillin which causes hives.
Overall, the patient is doing well and is happy with her progress.""".split("\n")


# ---------------------------------------------------------------- sr model file

def read_srm(path):
    """(config dict, vocab tokens, {name: fp32 array}) from an sr model file (sr.h)."""
    b = open(path, "rb").read()
    if b[:8] != b"SRBERT\0\0":
        raise SystemExit("%s: not an sr model file" % path)
    (version, header_size, file_size, V, H, L, nh, I, P, T, nl, eps, flags, wtype, G) = struct.unpack_from(
        "<IIQIIIIIIIIfIII", b, 8)
    cls_id, sep_id, pad_id, unk_id, mask_id, n_tensors = struct.unpack_from("<5iI", b, 72)
    vocab_off, vocab_bytes, _lo, _lb, tens_off = struct.unpack_from("<5Q", b, 96)
    if file_size != len(b):
        raise SystemExit("%s: header file_size %d != %d" % (path, file_size, len(b)))
    vocab = b[vocab_off:vocab_off + vocab_bytes].decode("utf-8").split("\n")[:V]
    tensors = {}
    for i in range(n_tensors):
        e = tens_off + 112 * i
        name = b[e:e + 64].rstrip(b"\0").decode()
        ttype, ndim, rows, cols, off, nbytes, soff, sbytes = struct.unpack_from("<IIIIQQQQ", b, e + 64)
        if ttype == 0:
            w = np.frombuffer(b, dtype="<f4", count=rows * cols, offset=off).reshape(rows, cols)
        else:
            pc = (cols + G - 1) // G * G
            q = np.frombuffer(b, dtype=np.int8, count=rows * pc, offset=off).reshape(rows, pc // G, G)
            s = np.frombuffer(b, dtype="<f4", count=rows * pc // G, offset=soff).reshape(rows, pc // G, 1)
            w = (q.astype(np.float32) * s).reshape(rows, pc)[:, :cols]
        tensors[name] = np.array(w.reshape(rows) if ndim == 1 else w, dtype=np.float32)
    cfg = {"vocab_size": V, "hidden": H, "layers": L, "heads": nh, "intermediate": I, "max_position": P,
           "type_vocab_size": T, "eps": eps, "flags": flags, "lowercase": bool(flags & 1), "mask_id": mask_id,
           "cls_id": cls_id, "sep_id": sep_id, "pad_id": pad_id, "weight_type": wtype}
    return cfg, vocab, tensors


def model_from_srm(path):
    import torch
    from model import BertForMaskedLM, hf_config
    cfg, vocab, t = read_srm(path)
    c = hf_config(cfg["vocab_size"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["intermediate"],
                  cfg["max_position"], pad_id=max(0, cfg["pad_id"]))
    c["layer_norm_eps"] = cfg["eps"]
    c["type_vocab_size"] = cfg["type_vocab_size"]
    m = BertForMaskedLM(c)
    sd = {}
    for name, w in t.items():
        key = name if name.startswith("cls.") else "bert." + name
        sd[key] = torch.from_numpy(w)
    m.load_hf_state_dict(sd)
    m.eval()
    return m, vocab, cfg


def model_from_hf(d):
    import torch
    from model import BertForMaskedLM
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    m = BertForMaskedLM(c)
    m.load_hf_state_dict(torch.load(os.path.join(d, "pytorch_model.bin")))
    m.eval()
    with open(os.path.join(d, "vocab.txt"), encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    return m, vocab, {"mask_id": vocab.index("[MASK]"), "cls_id": vocab.index("[CLS]"),
                      "sep_id": vocab.index("[SEP]"), "lowercase": False}


def export_hf(srm, outdir):
    """An fp32 Hugging Face folder holding exactly the weights of an sr file."""
    import torch
    m, vocab, cfg = model_from_srm(srm)
    os.makedirs(outdir, exist_ok=True)
    torch.save(m.hf_state_dict(), os.path.join(outdir, "pytorch_model.bin"))
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(m.config, f, indent=2, sort_keys=True)
    with open(os.path.join(outdir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": cfg["lowercase"]}, f)


# ---------------------------------------------------------------- cases

def content_word(w, stop):
    return w.isalpha() and len(w) >= 4 and w.lower() not in stop


def make_cases(out, shared, n):
    from train import STOP, VAL_FROM, VAL_TO, corpus_files
    from wordpiece import WordPiece
    cases = []
    for i, s in enumerate(SENTENCES):
        words = s.split(" ")
        for j, w in enumerate(words):
            core = w.strip(".,")
            if content_word(core, STOP):
                masked = words[:j] + [w.replace(core, "[MASK]")] + words[j + 1:]
                cases.append({"id": "s%d.%d" % (i, j), "text": " ".join(masked)})
    if shared:
        corpus = os.path.join(shared, "corpus")
        wp = WordPiece(os.path.join(shared, "vocab", "bert-base-cased-vocab.txt"))
        pool = []
        for f in corpus_files(corpus):
            with open(os.path.join(corpus, f), encoding="utf-8") as fh:
                paras = [p for p in fh.read().split("\n") if p.strip()]
            a, b = int(VAL_FROM * len(paras)), int(VAL_TO * len(paras))
            for p in paras[a:b]:
                for sent in re.split(r"(?<=[.!?])\s+", p):
                    words = sent.split(" ")
                    if 8 <= len(words) <= 40 and sent.isascii() and "[" not in sent:
                        pool.append((f, words))
        rng = np.random.RandomState(7)
        for k in rng.permutation(len(pool)):
            f, words = pool[k]
            cand = [j for j, w in enumerate(words) if content_word(w, STOP) and w in wp.ids]
            if not cand:
                continue
            j = cand[rng.randint(len(cand))]
            text = " ".join(words[:j] + ["[MASK]"] + words[j + 1:])
            cases.append({"id": "h%d" % len(cases), "text": text, "answer": wp.ids[words[j]],
                          "aci": f.startswith("aci_bench/")})
            if sum(1 for c in cases if "answer" in c) == n:
                break
    with open(out, "w") as fh:
        for c in cases:
            fh.write(json.dumps(c) + "\n")
    print("%d cases (%d held-out corpus sentences)" % (len(cases), sum(1 for c in cases if "answer" in c)))


# ---------------------------------------------------------------- torch fill

def run_torch(model_arg, cases_path, out, top_k=5):
    import torch
    from wordpiece import WordPiece
    kind, path = model_arg
    m, vocab, cfg = model_from_srm(path) if kind == "srm" else model_from_hf(path)
    wp = WordPiece.__new__(WordPiece)
    wp.tokens, wp.ids, wp.unk, wp.cache = vocab, {t: i for i, t in enumerate(vocab)}, vocab.index("[UNK]"), {}
    torch.set_num_threads(1)
    with open(cases_path) as f, open(out, "w") as fo, torch.no_grad():
        for line in f:
            c = json.loads(line)
            ids = [cfg["cls_id"]]
            for k, piece in enumerate(c["text"].split("[MASK]")):
                if k:
                    ids.append(cfg["mask_id"])
                ids.extend(wp.encode(piece))
            ids.append(cfg["sep_id"])
            x = torch.tensor([ids])
            rows = [i for i, t in enumerate(ids) if t == cfg["mask_id"]]
            logits = m.logits_at(m.bert(x), torch.tensor(rows))
            probs = torch.softmax(logits.double(), dim=-1)
            masks = []
            for r, p in zip(rows, probs):
                top = torch.topk(p, top_k)
                masks.append({"index": r, "candidates": [
                    {"id": int(i), "token": vocab[int(i)], "prob": float(v)} for v, i in zip(top.values, top.indices)]})
            fo.write(json.dumps({"id": c["id"], "masks": masks}) + "\n")


# ---------------------------------------------------------------- compare

def load_jsonl(p):
    with open(p) as f:
        return [json.loads(line) for line in f if line.strip()]


def compare(cases_path, ref_path, got_path, tol=None, top1=None):
    cases, ref, got = load_jsonl(cases_path), load_jsonl(ref_path), load_jsonl(got_path)
    if len(ref) != len(cases) or len(got) != len(cases):
        print("FAIL count: %d cases, %d reference lines, %d sr lines" % (len(cases), len(ref), len(got)))
        return 1
    fails, n_masks, agree1, maxdiff, idx_bad = [], 0, 0, 0.0, 0
    acc = {"ref": [0, 0], "got": [0, 0]}
    n_ans = 0
    for c, r, g in zip(cases, ref, got):
        if "error" in g or str(g.get("id")) != str(c["id"]):
            fails.append("%s: sr says %s" % (c["id"], g.get("error", "id %s" % g.get("id"))))
            continue
        if [m["index"] for m in r["masks"]] != [m["index"] for m in g["masks"]]:
            idx_bad += 1
            fails.append("%s: mask positions differ (tokenization): %s vs %s" % (
                c["id"], [m["index"] for m in r["masks"]], [m["index"] for m in g["masks"]]))
            continue
        for mr, mg in zip(r["masks"], g["masks"]):
            n_masks += 1
            cr, cg = mr["candidates"], mg["candidates"]
            agree1 += cr[0]["id"] == cg[0]["id"]
            pr = {x["id"]: x["prob"] for x in cr}
            for x in cg:  # probabilities of the shared candidates
                if x["id"] in pr:
                    maxdiff = max(maxdiff, abs(x["prob"] - pr[x["id"]]))
            if tol is not None:
                for a, b in zip(cr, cg):
                    if a["id"] != b["id"] and abs(a["prob"] - b["prob"]) > tol:
                        fails.append("%s: rank differs: torch %s %.6f, sr %s %.6f" % (
                            c["id"], a["token"], a["prob"], b["token"], b["prob"]))
                        break
                    if abs(a["prob"] - b["prob"]) > tol:
                        fails.append("%s: %s prob torch %.7f sr %.7f" % (c["id"], a["token"], a["prob"], b["prob"]))
                        break
        if "answer" in c:
            n_ans += 1
            for name, out in (("ref", r), ("got", g)):
                ids = [x["id"] for x in out["masks"][0]["candidates"]]
                acc[name][0] += ids[0] == c["answer"]
                acc[name][1] += c["answer"] in ids[:5]
    rate = agree1 / max(1, n_masks)
    print("masks %d, top-1 agreement %.4f, max |prob diff| %.3g, tokenization mismatches %d" % (
        n_masks, rate, maxdiff, idx_bad))
    if n_ans:
        print("held-out content words %d: torch top-1 %.3f top-5 %.3f | sr top-1 %.3f top-5 %.3f" % (
            n_ans, acc["ref"][0] / n_ans, acc["ref"][1] / n_ans, acc["got"][0] / n_ans, acc["got"][1] / n_ans))
    if top1 is not None and rate < top1:
        fails.append("top-1 agreement %.4f < %.2f" % (rate, top1))
    for f in fails[:10]:
        print("  " + f)
    return 1 if fails else 0


def main():
    a = sys.argv[1:]
    if not a:
        print(__doc__)
        return 2
    if a[0] == "cases":
        shared = a[a.index("--shared") + 1] if "--shared" in a else None
        n = int(a[a.index("--n") + 1]) if "--n" in a else 200
        make_cases(a[1], shared, n)
        return 0
    if a[0] == "export":
        export_hf(a[1], a[2])
        return 0
    if a[0] == "torch":
        run_torch((a[1][2:], a[2]), a[3], a[4])
        return 0
    if a[0] == "compare":
        tol = float(a[a.index("--tol") + 1]) if "--tol" in a else None
        top1 = float(a[a.index("--top1") + 1]) if "--top1" in a else None
        return compare(a[1], a[2], a[3], tol, top1)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
