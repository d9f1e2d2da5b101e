#!/usr/bin/python3
"""convert_refusals.py - every folder convert_weights.py must refuse, refused properly.

    /usr/bin/python3 test/checks/convert_refusals.py MODELS_DIR SCRATCH_DIR

Starts from MODELS_DIR/tiny_mlm_zip (and tiny_mlm_legacy, odd_safetensors) as written by
make_models.py, breaks one thing per case, and expects from the converter: exit status
1, exactly one line on stderr "convert_weights.py: DIR: <reason>" with the reason naming
the problem, nothing on stdout, no output file. Malicious pickles (zip and legacy) that
would create a marker file when unpickled must be refused and the marker must not exist.
Prints PASS/FAIL lines (the standard-library path too, where tensor data decides).
"""
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVERTER = os.path.join(ROOT, "convert_weights.py")
models, scratch = sys.argv[1], sys.argv[2]
failures = 0


def fresh(name, base="tiny_mlm_zip"):
    d = os.path.join(scratch, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    shutil.copytree(os.path.join(models, base), d, ignore=shutil.ignore_patterns("ref", "*.srm"))
    return d


def edit_json(d, fname, **changes):
    p = os.path.join(d, fname)
    cfg = json.load(open(p))
    cfg.update(changes)
    json.dump(cfg, open(p, "w"))


def edit_state(d, fn):
    p = os.path.join(d, "pytorch_model.bin")
    sd = torch.load(p)
    fn(sd)
    torch.save(sd, p)


class Evil:
    """Unpickling this runs `touch MARKER`: the converter must never let it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


class EvilEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, ("open(%r, 'w').close()" % self.marker,))


def evil_zip(d, marker, cls=Evil):
    p = os.path.join(d, "pytorch_model.bin")
    os.remove(p)
    payload = {"bert.embeddings.word_embeddings.weight": cls(marker)}
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(payload, protocol=2))
        z.writestr("archive/version", "3\n")


def evil_legacy(d, marker, cls=Evil):
    p = os.path.join(d, "pytorch_model.bin")
    with open(p, "wb") as f:
        for obj in (0x1950a86a20f9469cfc6c, 1001, {"protocol_version": 1001, "little_endian": True,
                                                   "type_sizes": {"short": 2, "int": 4, "long": 4}}):
            pickle.dump(obj, f, protocol=2)
        pickle.dump({"x": cls(marker)}, f, protocol=2)
        pickle.dump([], f, protocol=2)


def run(d, expect, marker=None, both=False):
    """Run the converter on d (both backends when the refusal depends on tensor data);
    check the refusal."""
    global failures
    name = os.path.basename(d)
    backends = [("numpy", {})] + ([("stdlib", {"SR_CONVERT_NO_NUMPY": "1"})] if both or marker else [])
    for backend, env_extra in backends:
        out = os.path.join(scratch, name + ".srm")
        if os.path.exists(out):
            os.remove(out)
        env = dict(os.environ, **env_extra)
        r = subprocess.run([sys.executable, CONVERTER, d, out], capture_output=True, text=True, env=env)
        lines = r.stderr.splitlines()
        prefix = "convert_weights.py: %s: " % d
        problems = []
        if r.returncode != 1:
            problems.append("exit status %d" % r.returncode)
        if len(lines) != 1:
            problems.append("%d stderr lines: %r" % (len(lines), r.stderr[-300:]))
        elif not lines[0].startswith(prefix) or expect.lower() not in lines[0].lower():
            problems.append("reason %r lacks %r" % (lines[0], expect))
        if r.stdout:
            problems.append("stdout not empty")
        if os.path.exists(out) or os.path.exists(out + ".tmp"):
            problems.append("an output file was written")
        if marker and os.path.exists(marker):
            problems.append("THE MALICIOUS PICKLE RAN CODE (marker %s exists)" % marker)
            os.remove(marker)
        if problems:
            failures += 1
            print("FAIL convert refuses %s (%s): %s" % (name, backend, "; ".join(problems)))
        else:
            print("PASS convert refuses %s (%s): %s" % (name, backend, lines[0][len(prefix):]))


os.makedirs(scratch, exist_ok=True)

d = fresh("no_config"); os.remove(os.path.join(d, "config.json")); run(d, "config.json")
d = fresh("no_vocab"); os.remove(os.path.join(d, "vocab.txt")); run(d, "vocab.txt")
d = fresh("no_weights"); os.remove(os.path.join(d, "pytorch_model.bin")); run(d, "pytorch_model.bin")
d = fresh("sharded"); os.remove(os.path.join(d, "pytorch_model.bin"))
open(os.path.join(d, "pytorch_model.bin.index.json"), "w").write("{}"); run(d, "sharded")
d = fresh("bad_json"); open(os.path.join(d, "config.json"), "w").write("{not json"); run(d, "JSON")
d = fresh("roberta"); edit_json(d, "config.json", model_type="roberta"); run(d, "model_type")
d = fresh("relu"); edit_json(d, "config.json", hidden_act="relu"); run(d, "hidden_act")
d = fresh("gelu_new"); edit_json(d, "config.json", hidden_act="gelu_new"); run(d, "hidden_act")
d = fresh("relative_pos"); edit_json(d, "config.json", position_embedding_type="relative_key"); run(d, "position_embedding_type")
d = fresh("seq_cls_arch"); edit_json(d, "config.json", architectures=["BertForSequenceClassification"]); run(d, "architecture")
d = fresh("decoder_model"); edit_json(d, "config.json", is_decoder=True); run(d, "decoder")
d = fresh("vocab_short")
lines = open(os.path.join(d, "vocab.txt")).read().splitlines(True)
open(os.path.join(d, "vocab.txt"), "w").write("".join(lines[:-1])); run(d, "vocab")
d = fresh("config_shape"); edit_json(d, "config.json", intermediate_size=48); run(d, "shape")
d = fresh("missing_tensor"); edit_state(d, lambda sd: sd.pop("bert.encoder.layer.1.output.dense.bias")); run(d, "missing tensor")
d = fresh("extra_tensor")
edit_state(d, lambda sd: sd.__setitem__("bert.embeddings.distance_embedding.weight", torch.zeros(3, 32)))
run(d, "unexpected tensor")
d = fresh("too_many_layers")
edit_state(d, lambda sd: sd.__setitem__("bert.encoder.layer.2.output.dense.bias", torch.zeros(32)))
run(d, "unexpected tensor")
d = fresh("f64_storage")
edit_state(d, lambda sd: sd.__setitem__("bert.embeddings.LayerNorm.bias", sd["bert.embeddings.LayerNorm.bias"].double()))
run(d, "dtype", both=True)
d = fresh("decoder_bias_differs")
edit_state(d, lambda sd: sd.__setitem__("cls.predictions.decoder.bias", sd["cls.predictions.bias"] + 1))
run(d, "decoder.bias", both=True)
d = fresh("nan_weight")
def put_nan(sd):
    sd["bert.encoder.layer.0.attention.self.key.weight"] = sd["bert.encoder.layer.0.attention.self.key.weight"].clone()
    sd["bert.encoder.layer.0.attention.self.key.weight"][3, 4] = float("nan")
edit_state(d, put_nan); run(d, "NaN", both=True)
d = fresh("truncated_zip")
p = os.path.join(d, "pytorch_model.bin"); b = open(p, "rb").read(); open(p, "wb").write(b[:len(b) // 2])
run(d, "damaged zip", both=True)
d = fresh("truncated_legacy", "tiny_mlm_legacy")
p = os.path.join(d, "pytorch_model.bin"); b = open(p, "rb").read(); open(p, "wb").write(b[:len(b) - 100])
run(d, "truncated", both=True)
d = fresh("garbage_bin"); open(os.path.join(d, "pytorch_model.bin"), "wb").write(b"hello, not a checkpoint" * 10)
run(d, "not a torch checkpoint", both=True)
d = fresh("zip_missing_storage")
p = os.path.join(d, "pytorch_model.bin")
with zipfile.ZipFile(p) as z:
    members = [(i, z.read(i)) for i in z.infolist()]
dropped = [i.filename for i, _ in members if "/data/" in i.filename][0]
with zipfile.ZipFile(p, "w") as z:
    for i, data in members:
        if i.filename != dropped:
            z.writestr(i, data)
run(d, "lacks storage")
d = fresh("bad_persistent_id")


class Marker:
    pass


class PidPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ("storage", torch.FloatStorage, "0", "cpu", "many") if isinstance(obj, Marker) else None


p = os.path.join(d, "pytorch_model.bin")
os.remove(p)
import io
buf = io.BytesIO()
PidPickler(buf, protocol=2).dump({"bert.embeddings.word_embeddings.weight": Marker()})
with zipfile.ZipFile(p, "w") as z:
    z.writestr("archive/data.pkl", buf.getvalue())
    z.writestr("archive/data/0", bytes(64))
run(d, "unreadable")
d = fresh("whole_module_save")  # torch.save(model): unpickling would import and build classes
torch.save(torch.nn.Linear(2, 2), os.path.join(d, "pytorch_model.bin"))
run(d, "refused")
d = fresh("safetensors_offsets", "odd_safetensors")
p = os.path.join(d, "model.safetensors"); b = bytearray(open(p, "rb").read())
(n,) = struct.unpack("<Q", b[:8]); h = json.loads(b[8:8 + n])
k = sorted(x for x in h if x != "__metadata__")[0]
h[k]["data_offsets"][1] += 4
hj = json.dumps(h).encode(); hj += b" " * ((8 - len(hj) % 8) % 8)
open(p, "wb").write(struct.pack("<Q", len(hj)) + hj + bytes(b[8 + n:]))
run(d, "offsets", both=True)
d = fresh("safetensors_f64", "odd_safetensors")
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
from make_models import write_safetensors
p = os.path.join(d, "model.safetensors"); b = open(p, "rb").read()
(n,) = struct.unpack("<Q", b[:8]); h = json.loads(b[8:8 + n]); tensors = {}
for k, v in h.items():
    if k != "__metadata__":
        a, e = v["data_offsets"]
        tensors[k] = torch.frombuffer(bytearray(b[8 + n + a:8 + n + e]), dtype=torch.float32).reshape(v["shape"])
tensors["bert.embeddings.LayerNorm.bias"] = tensors["bert.embeddings.LayerNorm.bias"].double()
write_safetensors(p, tensors)
run(d, "unsupported dtype f64", both=True)
d = fresh("no_basic_tokenize"); json.dump({"do_basic_tokenize": False}, open(os.path.join(d, "tokenizer_config.json"), "w"))
run(d, "do_basic_tokenize")
d = fresh("seq_cls_shape", "tok_cls3"); edit_json(d, "config.json", architectures=None)
edit_state(d, lambda sd: sd.update({"bert.pooler.dense.weight": torch.zeros(40, 40), "bert.pooler.dense.bias": torch.zeros(40)}))
run(d, "sequence classification")
d = fresh("classifier_labels", "tok_cls3"); edit_json(d, "config.json", id2label={"0": "O", "1": "B"}); run(d, "shape")

# Not a refusal: a config pad_token_id that disagrees with vocab.txt converts, with a
# warning line on stderr and in the meta JSON.
d = fresh("pad_mismatch"); edit_json(d, "config.json", pad_token_id=7)
out = os.path.join(scratch, "pad_mismatch.srm")
r = subprocess.run([sys.executable, CONVERTER, d, out], capture_output=True, text=True)
blob = open(out, "rb").read() if os.path.exists(out) else b""
meta = json.loads(blob[struct.unpack_from("<Q", blob, 136)[0]:][:struct.unpack_from("<Q", blob, 144)[0]]) if blob else {}
if r.returncode == 0 and "warning: config pad_token_id 7" in r.stderr and \
        any("pad_token_id 7" in w for w in meta.get("warnings", [])):
    print("PASS convert warns on pad_token_id mismatch (exit 0, stderr + meta)")
else:
    failures += 1
    print("FAIL convert warns on pad_token_id mismatch: exit %d, stderr %r" % (r.returncode, r.stderr[-200:]))

for fmt, make in (("zip", evil_zip), ("legacy", evil_legacy)):
    for cls in (Evil, EvilEval):
        d = fresh("malicious_%s_%s" % (fmt, cls.__name__.lower()))
        marker = os.path.join(scratch, "PWNED_%s_%s" % (fmt, cls.__name__))
        if os.path.exists(marker):
            os.remove(marker)
        make(d, marker, cls)
        run(d, "refused", marker)

sys.exit(1 if failures else 0)
