#!/usr/bin/env python3
"""convert_weights.py - a Hugging Face BERT folder -> one sr model file (format: sr.h).

    convert_weights.py HF_DIR OUT [--dtype f32|q8] [--group-size N] [--lowercase auto|true|false]

Plain Python 3 standard library; numpy is used when importable, only for speed (set
SR_CONVERT_NO_NUMPY=1 to force the standard-library path). Both paths write
byte-identical files, and converting the same folder twice gives the same bytes (the
meta JSON holds no timestamps and no absolute paths).

Inputs (HF_DIR)
  config.json            required: model_type "bert" (or absent, as in 2020 configs),
                         hidden_act "gelu", position_embedding_type "absolute" (or absent)
  vocab.txt              required: one WordPiece token a line (read like
                         BertTokenizer: universal newlines, only the "\\n" stripped)
  tokenizer_config.json  optional: do_lower_case, strip_accents, tokenize_chinese_chars,
                         cls/sep/pad/unk/mask_token
  model.safetensors      the weights (preferred when present, as Hugging Face does), or
  pytorch_model.bin      in either torch format: the zip format (torch >= 1.6) or the
                         legacy pickle stream (torch < 1.6; Bio_ClinicalBERT's file).

Safety: a checkpoint is untrusted input. Its pickles are read by a restricted unpickler
that can only build tensors (torch._utils._rebuild_tensor[_v2], _rebuild_parameter),
OrderedDicts and storage type markers; any other global is refused before anything
is called. torch itself is never imported.

Key layouts accepted: BertForMaskedLM, BertForPreTraining, BertForTokenClassification
and a bare BertModel, with or without the "bert." prefix; "LayerNorm.gamma/beta" are
renamed to ".weight/.bias". Ignored (listed in the meta JSON): embeddings.position_ids
(a buffer), pooler.* (not used by MLM or token classification; but a pooler beside a
classifier is refused unless config architectures names BertForTokenClassification,
since that is BertForSequenceClassification's shape),
cls.seq_relationship.* (next-sentence head of BertForPreTraining),
cls.predictions.decoder.bias when it equals cls.predictions.bias (Hugging Face ties
them), cls.predictions.decoder.weight when absent or bit-equal to the word embeddings
(tied; not stored). Any other tensor is refused: it would mean an architecture we do
not run. fp32, fp16 and bf16 storage are read (fp16/bf16 widen exactly to fp32).

Decisions recorded in the header and the meta JSON
  lower-casing   --lowercase auto = Hugging Face's effective behaviour: no
                 tokenizer_config.json -> lower-case (BertTokenizer's default
                 do_lower_case=True, as for Bio_ClinicalBERT); present -> its
                 do_lower_case (True when the key is missing). true/false override.
  strip_accents  tokenizer_config's strip_accents when set, else follows lower-casing.
  chinese chars  tokenizer_config's tokenize_chinese_chars, default true.
  special ids    the ids of [CLS] [SEP] [PAD] [UNK] [MASK] (or the tokens that
                 tokenizer_config.json names) in vocab.txt, -1 when absent; when a
                 token appears twice the last line wins (BertTokenizer's dict). A
                 config pad_token_id that disagrees is reported as a warning.
  labels         config id2label in id order; n_labels = number of labels, only when
                 a classifier head is present (its rows must match).
  q8             per sr.h: groups of --group-size columns along a row (default 128, a
                 multiple of 16 from 16 to 4096; the header's group_size); scale = float32(max|w|) / 127
                 rounded to float32 (0 for an all-zero group); q = w / scale rounded
                 to float32, then to the nearest integer with halves away from zero,
                 clamped to [-127, 127]. Quantised: word embeddings, an untied MLM
                 decoder, every encoder Linear weight and the MLM transform weight.
                 sr quantises activations in groups of the same size, so the group
                 trades accuracy for speed (README, "int8": smaller groups follow
                 outlier dimensions closer, larger ones spend less time per group).
  meta JSON      converter version, the folder's base name (never its absolute path),
                 weights file name and sha256, storage dtypes, the original config.json
                 and tokenizer_config.json, the decisions above, ignored and renamed
                 tensors, warnings. Sorted keys, no timestamps.
  checksums      file format version 2: CRC-32 (zlib.crc32) of everything after the
                 header, read back from the written file, and of the header with its
                 own field zero (sr.h); sr checks the header's on every load, `sr info
                 --verify -m OUT` the contents'.

Refused, with one line "convert_weights.py: HF_DIR: reason" on stderr and exit 1 (never
a traceback; no output file is left): a missing config.json / vocab.txt / weights,
sharded weights, another model_type or architecture (sequence classification, decoder,
cross-attention), hidden_act other than "gelu", non-absolute position embeddings,
do_basic_tokenize=false, vocab.txt length != vocab_size, a missing, duplicated,
unexpected or wrongly shaped tensor, storage other than fp32/fp16/bf16, NaN or infinity,
a decoder.bias different from cls.predictions.bias, id2label not matching the
classifier, damaged or truncated archives, and any pickle that names a global outside
the allow-list above. Usage errors exit 2. On success one summary line goes to stdout.
"""
import hashlib
import json
import math
import os
import pickle
import struct
import sys
import zipfile
import zlib
from array import array

CONVERTER_VERSION = 1
MAGIC = b"SRBERT\0\0"
FILE_VERSION = 2
HEADER_SIZE = 256
HEADER_CRC_AT, CONTENTS_CRC_AT = 152, 156  # version 2's checksums (sr.h)
ENTRY_SIZE = 112
ALIGN = 64
GROUP = 128  # the default q8 group (--group-size)
GROUP_MIN, GROUP_MAX = 16, 4096
FLAG_LOWERCASE, FLAG_STRIP_ACCENTS, FLAG_CHINESE_CHARS = 1, 2, 4
FLAG_MLM_HEAD, FLAG_CLASSIFIER = 8, 16
WEIGHTS_F32, WEIGHTS_Q8 = 0, 1
TENSOR_F32, TENSOR_Q8 = 0, 1

np = None
if not os.environ.get("SR_CONVERT_NO_NUMPY"):
    try:
        import numpy as np
    except ImportError:
        np = None


class Refuse(Exception):
    """A reason not to convert: printed as one line, exit 1."""


# ------------------------------------------------------------------ tensors in a file

# dtype name -> element size; only the first three can become model weights
DTYPE_SIZE = {"f32": 4, "f16": 2, "bf16": 2, "f64": 8, "i64": 8, "i32": 4, "i16": 2,
              "i8": 1, "u8": 1, "bool": 1}
TORCH_STORAGE_DTYPE = {"FloatStorage": "f32", "HalfStorage": "f16", "BFloat16Storage": "bf16",
                       "DoubleStorage": "f64", "LongStorage": "i64", "IntStorage": "i32",
                       "ShortStorage": "i16", "CharStorage": "i8", "ByteStorage": "u8",
                       "BoolStorage": "bool"}
SAFETENSORS_DTYPE = {"F32": "f32", "F16": "f16", "BF16": "bf16", "F64": "f64", "I64": "i64",
                     "I32": "i32", "I16": "i16", "I8": "i8", "U8": "u8", "BOOL": "bool"}


class Storage:
    """Where a torch storage's bytes are: read lazily, once."""

    def __init__(self, dtype, key, numel, read):
        self.dtype, self.key, self.numel, self._read = dtype, key, numel, read
        self._bytes = None

    def data(self):
        if self._bytes is None:
            self._bytes = self._read()
            need = self.numel * DTYPE_SIZE[self.dtype]
            if len(self._bytes) < need:
                raise Refuse("storage %s is truncated (%d of %d bytes)"
                             % (self.key, len(self._bytes), need))
        return self._bytes


class TensorRef:
    """A tensor as a view (offset, shape, stride in elements) of a storage."""

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset = storage, int(offset)
        self.shape, self.stride = tuple(int(s) for s in shape), tuple(int(s) for s in stride)

    @property
    def dtype(self):
        return self.storage.dtype


class StateDict(dict):
    """Stands for collections.OrderedDict (a state dict carries a _metadata attribute,
    so it needs a __dict__)."""


class StorageType:
    """Marker standing for torch.FloatStorage etc. inside a pickle."""

    def __init__(self, name):
        self.name = name


def _rebuild_tensor(storage, storage_offset, size, stride, *rest):
    if not isinstance(storage, Storage):
        raise Refuse("checkpoint pickle: tensor without a storage")
    return TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *rest):
    return data


class RestrictedUnpickler(pickle.Unpickler):
    """Builds only tensors, dicts and storage markers; refuses every other global
    before it could be called (a checkpoint must not be able to run code)."""

    ALLOWED = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
               ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
               ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
               ("collections", "OrderedDict"): StateDict}

    def __init__(self, f, persistent_load):
        super().__init__(f)
        self._persistent = persistent_load

    def find_class(self, module, name):
        fn = self.ALLOWED.get((module, name))
        if fn is not None:
            return fn
        if module == "torch" and name in TORCH_STORAGE_DTYPE:
            return StorageType(name)
        raise Refuse("checkpoint pickle wants %s.%s: refused (only tensor rebuilding is allowed)"
                     % (module, name))

    def persistent_load(self, pid):
        return self._persistent(pid)


def _ascii(v):
    """Python 2 era pickles may carry bytes where torch now writes str."""
    return v.decode("ascii", "replace") if isinstance(v, bytes) else v


def _storage_pid(pid):
    """A persistent id ("storage", type, key, location, numel[, view]) with str fields."""
    if not isinstance(pid, tuple) or len(pid) < 5 or _ascii(pid[0]) != "storage":
        kind = _ascii(pid[0]) if isinstance(pid, tuple) and pid else type(pid).__name__
        raise Refuse("checkpoint pickle: unsupported persistent id %r (a whole-model save?)" % (kind,))
    return (pid[1], str(_ascii(pid[2])), int(pid[4])) + tuple(pid[5:6])


def _storage_dtype(storage_type):
    if not isinstance(storage_type, StorageType):
        raise Refuse("checkpoint pickle: unknown storage type %r" % (storage_type,))
    return TORCH_STORAGE_DTYPE[storage_type.name]


def _unpickle(f, persistent_load):
    try:
        return RestrictedUnpickler(f, persistent_load).load()
    except Refuse:
        raise
    except Exception as e:  # a malformed pickle
        raise Refuse("checkpoint pickle unreadable: %s" % (str(e).splitlines() or [type(e).__name__])[0])


def read_torch_zip(path):
    """torch >= 1.6: a zip with PREFIX/data.pkl and PREFIX/data/KEY storages."""
    zf = zipfile.ZipFile(path)
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise Refuse("%s: no single */data.pkl in the zip" % os.path.basename(path))
    prefix = pkl[0][:-len("data.pkl")]
    if prefix + "byteorder" in names and zf.read(prefix + "byteorder").strip() != b"little":
        raise Refuse("%s: big-endian checkpoint not supported" % os.path.basename(path))
    storages = {}

    def persistent_load(pid):
        storage_type, key, numel = _storage_pid(pid)[:3]
        dtype = _storage_dtype(storage_type)
        if key not in storages:
            member = prefix + "data/" + key
            if member not in names:
                raise Refuse("checkpoint zip lacks storage %s" % member)
            storages[key] = Storage(dtype, key, numel, lambda m=member: zf.read(m))
        return storages[key]

    with zf.open(pkl[0]) as f:
        return _unpickle(f, persistent_load)


LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


def read_torch_legacy(path):
    """torch < 1.6: pickles of magic, protocol, sys_info, the data, the storage keys,
    then each storage as an 8-byte little-endian element count and its raw bytes."""
    f = open(path, "rb")
    nothing = lambda pid: (_ for _ in ()).throw(Refuse("unexpected persistent id in header"))
    if f.read(2) == b"PK":
        raise Refuse("%s: damaged zip archive" % os.path.basename(path))
    f.seek(0)
    try:
        magic = _unpickle(f, nothing)
    except Refuse:
        magic = None
    if magic != LEGACY_MAGIC:
        raise Refuse("%s: not a torch checkpoint (no legacy magic number, not a zip)" % os.path.basename(path))
    if _unpickle(f, nothing) != 1001:
        raise Refuse("%s: unsupported legacy protocol version" % os.path.basename(path))
    sys_info = _unpickle(f, nothing)
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise Refuse("%s: big-endian checkpoint not supported" % os.path.basename(path))
    storages = {}
    offsets = {}  # key -> file offset of its raw bytes (known after the data pickle)

    def persistent_load(pid):
        fields = _storage_pid(pid)
        storage_type, key, numel = fields[:3]
        view = fields[3] if len(fields) > 3 else None
        dtype = _storage_dtype(storage_type)
        if key not in storages:
            def read(k=key):
                if k not in offsets:
                    raise Refuse("legacy checkpoint: storage %s is not in its key list" % k)
                n, off = offsets[k]
                f.seek(off)
                return f.read(n * DTYPE_SIZE[storages[k].dtype])
            storages[key] = Storage(dtype, key, numel, read)
        st = storages[key]
        if view is not None:  # (view_key, offset, size): a slice of the root storage
            view_key, view_off, view_size = view
            vkey = "%s@%s" % (key, _ascii(view_key))
            if vkey not in storages:
                storages[vkey] = Storage(dtype, vkey, int(view_size),
                                         lambda s=st, o=int(view_off): s.data()[o * DTYPE_SIZE[s.dtype]:])
            return storages[vkey]
        return st

    data = _unpickle(f, persistent_load)
    keys = _unpickle(f, nothing)
    if not isinstance(keys, list):
        raise Refuse("%s: legacy checkpoint without a storage key list" % os.path.basename(path))
    pos = f.tell()
    size = os.fstat(f.fileno()).st_size
    for key in keys:
        key = str(_ascii(key))
        if key not in storages:
            raise Refuse("legacy checkpoint lists an unknown storage %s" % key)
        f.seek(pos)
        head = f.read(8)
        if len(head) != 8:
            raise Refuse("legacy checkpoint truncated at storage %s" % key)
        (n,) = struct.unpack("<q", head)
        nbytes = n * DTYPE_SIZE[storages[key].dtype]
        if n < 0 or pos + 8 + nbytes > size:
            raise Refuse("legacy checkpoint truncated at storage %s" % key)
        offsets[key] = (n, pos + 8)
        pos += 8 + nbytes
    return data


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, raw little-endian bytes."""
    size = os.path.getsize(path)
    f = open(path, "rb")
    head = f.read(8)
    if len(head) != 8:
        raise Refuse("%s: too short" % os.path.basename(path))
    (n,) = struct.unpack("<Q", head)
    if n > size - 8:
        raise Refuse("%s: header length %d beyond the file" % (os.path.basename(path), n))
    try:
        header = json.loads(f.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Refuse("%s: header is not JSON: %s" % (os.path.basename(path), e))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = SAFETENSORS_DTYPE.get(info["dtype"])
            shape = [int(s) for s in info["shape"]]
            a, b = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise Refuse("%s: bad header entry for %s" % (os.path.basename(path), name))
        if dtype is None:
            raise Refuse("tensor %s has unsupported dtype %s" % (name, info["dtype"]))
        numel = 1
        for s in shape:
            numel *= s
        if not (0 <= a <= b <= size - base) or b - a != numel * DTYPE_SIZE[dtype]:
            raise Refuse("%s: tensor %s has bad data offsets" % (os.path.basename(path), name))

        def read(a=a, b=b):
            f.seek(base + a)
            return f.read(b - a)
        stride, acc = [], 1
        for s in reversed(shape):
            stride.insert(0, acc)
            acc *= s
        out[name] = TensorRef(Storage(dtype, name, numel, read), 0, shape, stride)
    return out


def read_weights(hf_dir):
    st = os.path.join(hf_dir, "model.safetensors")
    pt = os.path.join(hf_dir, "pytorch_model.bin")
    if os.path.exists(st):
        path, tensors = st, read_safetensors(st)
    elif os.path.exists(pt):
        path = pt
        tensors = read_torch_zip(pt) if zipfile.is_zipfile(pt) else read_torch_legacy(pt)
    elif any(os.path.exists(os.path.join(hf_dir, n)) for n in
             ("model.safetensors.index.json", "pytorch_model.bin.index.json")):
        raise Refuse("sharded weights (*.index.json) are not supported; a BERT fits in one file")
    else:
        raise Refuse("no model.safetensors or pytorch_model.bin")
    if isinstance(tensors, dict) and "state_dict" in tensors and isinstance(tensors["state_dict"], dict):
        tensors = tensors["state_dict"]
    if not isinstance(tensors, dict):
        raise Refuse("%s does not hold a state dict" % os.path.basename(path))
    for k, v in tensors.items():
        if not isinstance(k, str) or not isinstance(v, TensorRef):
            raise Refuse("%s: entry %r is not a tensor" % (os.path.basename(path), k))
    return path, tensors


# ------------------------------------------------------------------ float32 arithmetic
# Two interchangeable backends; both produce the same bytes.

class NumpyMath:
    name = "numpy"

    @staticmethod
    def to_f32(t):
        """Contiguous float32 values of the tensor (row-major), as a numpy array."""
        raw = t.storage.data()
        kind = {"f32": "<f4", "f16": "<f2", "bf16": "<u2"}[t.dtype]
        flat = np.frombuffer(raw, dtype=kind, count=t.storage.numel)
        if t.shape and min(t.shape) == 0:
            view = np.zeros(t.shape, dtype=kind)
        else:
            last = t.offset + sum((s - 1) * st for s, st in zip(t.shape, t.stride))
            if t.offset < 0 or last >= t.storage.numel or min(t.stride or (0,)) < 0:
                raise Refuse("tensor view outside its storage")
            view = np.lib.stride_tricks.as_strided(
                flat[t.offset:], shape=t.shape, strides=[s * flat.itemsize for s in t.stride])
        if t.dtype == "bf16":
            out = (view.astype(np.uint32) << 16).view(np.float32)
        else:
            out = view.astype(np.float32)
        return np.ascontiguousarray(out).reshape(-1)

    @staticmethod
    def tobytes(a):
        return a.astype("<f4").tobytes()

    @staticmethod
    def finite(a):
        return bool(np.isfinite(a).all())

    @staticmethod
    def q8(a, rows, cols, group):
        pc = (cols + group - 1) // group * group
        w = np.zeros((rows, pc), dtype=np.float32)
        w[:, :cols] = a.reshape(rows, cols)
        g = w.reshape(rows, pc // group, group)
        amax = np.abs(g).max(axis=2)
        scale = (amax / np.float32(127)).astype(np.float32)
        safe = np.where(scale == 0, np.float32(1), scale).astype(np.float32)
        x = (g / safe[:, :, None]).astype(np.float32).astype(np.float64)
        q = np.sign(x) * np.floor(np.abs(x) + 0.5)
        q = np.clip(q, -127, 127).astype(np.int8)
        return q.reshape(rows, pc).tobytes(), scale.astype("<f4").tobytes()


class StdlibMath:
    name = "stdlib"

    @staticmethod
    def to_f32(t):
        raw = t.storage.data()
        n = t.storage.numel
        if t.dtype == "f32":
            flat = array("f")
            flat.frombytes(raw[:4 * n])
        elif t.dtype == "f16":
            flat = array("f", struct.unpack("<%de" % n, raw[:2 * n]))
        else:  # bf16: the upper half of a float32
            wide = bytearray(4 * n)
            wide[2::4] = raw[0:2 * n:2]
            wide[3::4] = raw[1:2 * n:2]
            flat = array("f")
            flat.frombytes(bytes(wide))
        if sys.byteorder != "little" and t.dtype != "f16":
            flat.byteswap()
        numel = 1
        for s in t.shape:
            numel *= s
        contiguous, acc = True, 1
        for s, st in zip(reversed(t.shape), reversed(t.stride)):
            if s != 1 and st != acc:
                contiguous = False
            acc *= s
        if numel == 0:
            return array("f")
        last = t.offset + sum((s - 1) * st for s, st in zip(t.shape, t.stride))
        if t.offset < 0 or last >= n or min(t.stride or (0,)) < 0:
            raise Refuse("tensor view outside its storage")
        if contiguous:
            return flat[t.offset:t.offset + numel]
        idx = [t.offset]  # gather a strided view in row-major order
        for s, st in zip(t.shape, t.stride):
            idx = [i + k * st for i in idx for k in range(s)]
        return array("f", [flat[i] for i in idx])

    @staticmethod
    def tobytes(a):
        if sys.byteorder != "little":
            a = array("f", a)
            a.byteswap()
        return a.tobytes()

    @staticmethod
    def finite(a):
        # sum() runs at C speed and is non-finite when any value is; only then (or on a
        # finite overflow) look value by value
        return math.isfinite(sum(a)) or all(math.isfinite(v) for v in a)

    @staticmethod
    def q8(a, rows, cols, group):
        pc = (cols + group - 1) // group * group
        q = bytearray(rows * pc)
        scales = array("f")
        for r in range(rows):
            row = a[r * cols:(r + 1) * cols]
            for g0 in range(0, pc, group):
                grp = row[g0:g0 + group]
                amax = max(max(grp), -min(grp)) if grp else 0.0  # max|w|, at C speed
                s = array("f", [amax / 127.0])[0]  # float32(amax) / 127, rounded to float32
                scales.append(s)
                if s == 0:
                    continue
                xs = array("f", map(s.__rtruediv__, grp))  # w / s, rounded to float32
                # halves away from zero: int() truncates toward zero, and x +- 0.5 is exact
                # in double. |x| <= 127 * (1 + 2^-23) unless the scale underflowed to a
                # subnormal (a group of subnormal weights): clamp, as the numpy path does.
                qs = [int(x + 0.5) if x >= 0 else int(x - 0.5) for x in xs]
                if max(qs) > 127 or min(qs) < -127:
                    qs = [max(-127, min(127, v)) for v in qs]
                qs = array("b", qs)
                base = r * pc + g0
                q[base:base + len(qs)] = qs.tobytes()
        if sys.byteorder != "little":
            scales.byteswap()
        return bytes(q), scales.tobytes()


MATH = NumpyMath if np is not None else StdlibMath


# ------------------------------------------------------------------ the HF folder

def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except ValueError as e:
        raise Refuse("%s is not valid JSON: %s" % (what, e))
    if not isinstance(obj, dict):
        raise Refuse("%s is not a JSON object" % what)
    return obj


def read_vocab(path):
    """As BertTokenizer's load_vocab: universal newlines, strip only the newline."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f.readlines()]
    except UnicodeDecodeError as e:
        raise Refuse("vocab.txt is not UTF-8: %s" % e)
    return tokens


def token_name(value, default):
    """tokenizer_config special tokens are strings or AddedToken dicts."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else default


ACCEPTED_ARCHS = {"BertForMaskedLM", "BertForPreTraining", "BertForTokenClassification", "BertModel"}

ENCODER_LINEARS = ["attention.self.query", "attention.self.key", "attention.self.value",
                   "attention.output.dense", "intermediate.dense", "output.dense"]


def canonical_name(key):
    """HF key -> the name in our file: no "bert." prefix, LayerNorm.weight/.bias."""
    if key.startswith("bert."):
        key = key[5:]
    if key.endswith("LayerNorm.gamma"):
        key = key[:-len("gamma")] + "weight"
    elif key.endswith("LayerNorm.beta"):
        key = key[:-len("beta")] + "bias"
    return key


def ignorable(name):
    return (name == "embeddings.position_ids" or name.startswith("pooler.")
            or name.startswith("cls.seq_relationship."))


def convert(hf_dir, out_path, dtype="f32", lowercase="auto", group=GROUP):
    # -------- config
    cfg_path = os.path.join(hf_dir, "config.json")
    if not os.path.isfile(cfg_path):
        raise Refuse("no config.json")
    cfg = read_json(cfg_path, "config.json")
    # Configs from before transformers 2.x (Bio_ClinicalBERT's, 2020) have no model_type:
    # Hugging Face then guesses from the repository name. We accept its absence; the
    # tensor names must still be exactly BERT's (checked below).
    if cfg.get("model_type", "bert") != "bert":
        raise Refuse("model_type is %r, not 'bert'" % cfg.get("model_type"))
    archs = cfg.get("architectures") or []
    bad = [a for a in archs if a not in ACCEPTED_ARCHS]
    if bad:
        raise Refuse("architecture %s is not supported (only %s)" % (bad[0], ", ".join(sorted(ACCEPTED_ARCHS))))
    if cfg.get("hidden_act", "gelu") != "gelu":
        raise Refuse("hidden_act is %r; only 'gelu' (erf) is supported" % cfg.get("hidden_act"))
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise Refuse("position_embedding_type is %r; only 'absolute' is supported"
                     % cfg.get("position_embedding_type"))
    if cfg.get("is_decoder") or cfg.get("add_cross_attention"):
        raise Refuse("decoder / cross-attention BERT is not supported")
    try:
        V, H = int(cfg["vocab_size"]), int(cfg["hidden_size"])
        NL, NH = int(cfg["num_hidden_layers"]), int(cfg["num_attention_heads"])
        I = int(cfg["intermediate_size"])
        P = int(cfg.get("max_position_embeddings", 512))
        T = int(cfg.get("type_vocab_size", 2))
        eps = float(cfg.get("layer_norm_eps", 1e-12))
    except (KeyError, TypeError, ValueError) as e:
        raise Refuse("config.json lacks or mangles %s" % e)
    if min(V, H, NL, NH, I, P, T) <= 0 or H % NH:
        raise Refuse("config.json sizes are inconsistent (hidden %d, heads %d)" % (H, NH))

    # -------- vocab and tokenizer settings
    vocab_path = os.path.join(hf_dir, "vocab.txt")
    if not os.path.isfile(vocab_path):
        raise Refuse("no vocab.txt")
    vocab = read_vocab(vocab_path)
    if len(vocab) != V:
        raise Refuse("vocab.txt has %d tokens but config vocab_size is %d" % (len(vocab), V))
    tc_path = os.path.join(hf_dir, "tokenizer_config.json")
    tc = read_json(tc_path, "tokenizer_config.json") if os.path.isfile(tc_path) else None
    if tc is not None and tc.get("tokenizer_class") and not str(tc["tokenizer_class"]).startswith("Bert"):
        raise Refuse("tokenizer_class %s is not a BERT WordPiece tokenizer" % tc["tokenizer_class"])
    if tc is not None and tc.get("do_basic_tokenize", True) is False:
        raise Refuse("tokenizer_config.json do_basic_tokenize=false is not supported")
    if lowercase == "auto":
        if tc is None:
            lower, lower_why = True, "tokenizer_config.json absent: BertTokenizer default do_lower_case=true"
        elif "do_lower_case" in tc:
            lower, lower_why = bool(tc["do_lower_case"]), "tokenizer_config.json do_lower_case"
        else:
            lower, lower_why = True, "tokenizer_config.json without do_lower_case: default true"
    else:
        lower, lower_why = lowercase == "true", "--lowercase %s" % lowercase
    sa = tc.get("strip_accents") if tc else None
    strip = lower if sa is None else bool(sa)
    chinese = bool(tc.get("tokenize_chinese_chars", True)) if tc else True
    tokdef = tc or {}
    special_names = {k: token_name(tokdef.get(k + "_token"), d) for k, d in
                     (("cls", "[CLS]"), ("sep", "[SEP]"), ("pad", "[PAD]"), ("unk", "[UNK]"),
                      ("mask", "[MASK]"))}
    index = {}
    for i, tok in enumerate(vocab):
        index[tok] = i  # the last line wins, as in BertTokenizer's dict
        if "\n" in tok:
            raise Refuse("vocab token %d holds a newline" % i)
    special = {k: index.get(v, -1) for k, v in special_names.items()}
    warnings = []
    if cfg.get("pad_token_id") is not None and cfg["pad_token_id"] != special["pad"]:
        warnings.append("config pad_token_id %s differs from the vocab id of %s (%d)"
                        % (cfg["pad_token_id"], special_names["pad"], special["pad"]))

    # -------- weights
    wpath, raw = read_weights(hf_dir)
    tensors, ignored, sources = {}, [], {}
    for key in raw:
        name = canonical_name(key)
        if ignorable(name):
            ignored.append(key)
            continue
        if name in tensors:
            raise Refuse("tensor %s appears twice (as %s and %s)" % (name, sources[name], key))
        tensors[name] = raw[key]
        sources[name] = key

    def shape_of(name, shape):
        if name not in tensors:
            raise Refuse("missing tensor %s" % name)
        t = tensors[name]
        if t.shape != tuple(shape):
            raise Refuse("tensor %s has shape %s, expected %s" % (sources[name], list(t.shape), list(shape)))
        if t.dtype not in ("f32", "f16", "bf16"):
            raise Refuse("tensor %s has unsupported dtype %s" % (sources[name], t.dtype))

    plan = []  # (name, shape, quantise?)
    plan += [("embeddings.word_embeddings.weight", (V, H), True),
             ("embeddings.position_embeddings.weight", (P, H), False),
             ("embeddings.token_type_embeddings.weight", (T, H), False),
             ("embeddings.LayerNorm.weight", (H,), False), ("embeddings.LayerNorm.bias", (H,), False)]
    for i in range(NL):
        p = "encoder.layer.%d." % i
        dims = {"attention.self.query": (H, H), "attention.self.key": (H, H),
                "attention.self.value": (H, H), "attention.output.dense": (H, H),
                "intermediate.dense": (I, H), "output.dense": (H, I)}
        for lin in ENCODER_LINEARS[:4]:
            plan += [(p + lin + ".weight", dims[lin], True), (p + lin + ".bias", dims[lin][:1], False)]
        plan += [(p + "attention.output.LayerNorm.weight", (H,), False),
                 (p + "attention.output.LayerNorm.bias", (H,), False)]
        for lin in ENCODER_LINEARS[4:]:
            plan += [(p + lin + ".weight", dims[lin], True), (p + lin + ".bias", dims[lin][:1], False)]
        plan += [(p + "output.LayerNorm.weight", (H,), False), (p + "output.LayerNorm.bias", (H,), False)]

    flags = (FLAG_LOWERCASE if lower else 0) | (FLAG_STRIP_ACCENTS if strip else 0) | \
        (FLAG_CHINESE_CHARS if chinese else 0)
    values = {}  # name -> f32 values, for the tensors compared with each other

    def values_of(name):
        if name not in values:
            values[name] = MATH.to_f32(tensors[name])
        return values[name]

    mlm_names = [n for n in tensors if n.startswith("cls.predictions.")]
    tied = None
    if mlm_names:
        flags |= FLAG_MLM_HEAD
        plan += [("cls.predictions.transform.dense.weight", (H, H), True),
                 ("cls.predictions.transform.dense.bias", (H,), False),
                 ("cls.predictions.transform.LayerNorm.weight", (H,), False),
                 ("cls.predictions.transform.LayerNorm.bias", (H,), False),
                 ("cls.predictions.bias", (V,), False)]
        dec_b = "cls.predictions.decoder.bias"
        if dec_b in tensors:
            shape_of(dec_b, (V,))
            shape_of("cls.predictions.bias", (V,))
            if MATH.tobytes(values_of(dec_b)) != MATH.tobytes(values_of("cls.predictions.bias")):
                raise Refuse("cls.predictions.decoder.bias differs from cls.predictions.bias")
            ignored.append(sources[dec_b])
            del tensors[dec_b]
        dec_w = "cls.predictions.decoder.weight"
        tied = True
        if dec_w in tensors:
            shape_of(dec_w, (V, H))
            shape_of("embeddings.word_embeddings.weight", (V, H))
            if MATH.tobytes(values_of(dec_w)) == MATH.tobytes(values_of("embeddings.word_embeddings.weight")):
                ignored.append(sources[dec_w])
                del tensors[dec_w]
            else:
                tied = False
                plan.append((dec_w, (V, H), True))
    labels = []
    if "classifier.weight" in tensors or "classifier.bias" in tensors:
        # A pooler beside a classifier is BertForSequenceClassification's shape (one label
        # per text, not per token) unless config.json says token classification (older
        # transformers saved a pooler in BertForTokenClassification too).
        if any(k.startswith("pooler.") for k in map(canonical_name, ignored)) and \
                "BertForTokenClassification" not in archs:
            raise Refuse("classifier with a pooler and no architectures "
                         "[\"BertForTokenClassification\"] in config.json: looks like sequence classification")
        flags |= FLAG_CLASSIFIER
        if "classifier.weight" not in tensors:
            raise Refuse("missing tensor classifier.weight")
        L = tensors["classifier.weight"].shape[0] if tensors["classifier.weight"].shape else 0
        id2label = cfg.get("id2label")
        if isinstance(id2label, dict) and id2label:
            try:
                ids = sorted(int(k) for k in id2label)
            except ValueError:
                raise Refuse("config id2label has a non-integer key")
            if ids != list(range(len(ids))):
                raise Refuse("config id2label ids are not 0..%d" % (len(ids) - 1))
            labels = [str(id2label[str(i)]) if str(i) in id2label else str(id2label[i]) for i in ids]
        else:
            labels = ["LABEL_%d" % i for i in range(int(cfg.get("num_labels", L)))]
        for lab in labels:
            if "\n" in lab:
                raise Refuse("label %r holds a newline" % lab)
        plan += [("classifier.weight", (len(labels), H), False), ("classifier.bias", (len(labels),), False)]
    planned = {n for n, _, _ in plan}
    extra = sorted(sources[n] for n in tensors if n not in planned)
    if extra:
        raise Refuse("unexpected tensor %s (not a BERT encoder / MLM / token-classification weight)" % extra[0])
    for name, shape, _ in plan:
        shape_of(name, shape)

    # -------- layout: header | vocab | labels | directory | meta | tensors (all 64-aligned)
    def align(x):
        return (x + ALIGN - 1) // ALIGN * ALIGN

    vocab_blob = "".join(t + "\n" for t in vocab).encode("utf-8")
    labels_blob = "".join(l + "\n" for l in labels).encode("utf-8")
    with open(wpath, "rb") as f:
        digest = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 24), b""):
            digest.update(chunk)
    meta = {
        "converter": "convert_weights.py", "converter_version": CONVERTER_VERSION,
        "file_version": FILE_VERSION, "source_folder": os.path.basename(os.path.abspath(hf_dir)),
        "weights_file": os.path.basename(wpath), "weights_sha256": digest.hexdigest(),
        "weights_storage_dtypes": sorted({raw[k].dtype for k in raw}),
        "dtype": dtype, "q8": {"group_size": group, "scale": "float32(max|w|)/127 rounded to float32",
                               "round": "float32(w/scale), nearest, halves away from zero, clamp +-127"}
        if dtype == "q8" else None,
        "lowercase": lower, "lowercase_source": lower_why, "strip_accents": strip,
        "tokenize_chinese_chars": chinese,
        "special_tokens": {k: {"token": special_names[k], "id": special[k]} for k in special_names},
        "heads": {"mlm": bool(flags & FLAG_MLM_HEAD), "classifier": bool(flags & FLAG_CLASSIFIER)},
        "decoder_tied": tied, "id2label": labels, "ignored_tensors": sorted(ignored),
        "renamed_from": {n: sources[n] for n, _, _ in plan if sources.get(n) != n},
        "warnings": warnings, "config": cfg, "tokenizer_config": tc,
    }
    meta_blob = json.dumps(meta, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")

    vocab_off = HEADER_SIZE
    labels_off = align(vocab_off + len(vocab_blob))
    dir_off = align(labels_off + len(labels_blob))
    meta_off = align(dir_off + ENTRY_SIZE * len(plan))
    pos = align(meta_off + len(meta_blob))
    entries = []  # sizes follow from the shapes, so the layout is known before any data
    for name, shape, quant in plan:
        rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        if len(name.encode("ascii")) > 63:
            raise Refuse("tensor name %s too long for the file format" % name)
        if dtype == "q8" and quant:
            pc = (cols + group - 1) // group * group
            off, nbytes = pos, rows * pc
            soff = align(off + nbytes)
            sbytes = rows * (pc // group) * 4
            pos = align(soff + sbytes)
            entries.append((name, TENSOR_Q8, len(shape), rows, cols, off, nbytes, soff, sbytes))
        else:
            off, nbytes = pos, rows * cols * 4
            pos = align(off + nbytes)
            entries.append((name, TENSOR_F32, len(shape), rows, cols, off, nbytes, 0, 0))
    file_size = pos

    header = struct.pack("<8sIIQ8IfIII5iIQQQQQQQ", MAGIC, FILE_VERSION, HEADER_SIZE, file_size,
                         V, H, NL, NH, I, P, T, len(labels), eps, flags,
                         WEIGHTS_Q8 if dtype == "q8" else WEIGHTS_F32, group if dtype == "q8" else 0,
                         special["cls"], special["sep"], special["pad"], special["unk"], special["mask"],
                         len(plan), vocab_off, len(vocab_blob), labels_off, len(labels_blob), dir_off,
                         meta_off, len(meta_blob))
    header += b"\0" * (HEADER_SIZE - len(header))
    directory = b"".join(struct.pack("<64sIIIIQQQQ", n.encode("ascii"), *rest) for n, *rest in entries)

    tmp = out_path + ".tmp"
    try:
        with open(tmp, "w+b") as f:
            def put(off, data, size):
                if f.tell() > off or len(data) != size:
                    raise AssertionError("layout error at %d" % off)
                f.write(b"\0" * (off - f.tell()))
                f.write(data)
            put(0, header, HEADER_SIZE)
            put(vocab_off, vocab_blob, len(vocab_blob))
            put(labels_off, labels_blob, len(labels_blob))
            put(dir_off, directory, ENTRY_SIZE * len(plan))
            put(meta_off, meta_blob, len(meta_blob))
            for name, ttype, ndim, rows, cols, off, nbytes, soff, sbytes in entries:
                vals = values.pop(name, None)
                if vals is None:
                    vals = MATH.to_f32(tensors[name])
                if not MATH.finite(vals):
                    raise Refuse("tensor %s holds NaN or infinity" % sources[name])
                if ttype == TENSOR_Q8:
                    qbytes, sbytes_data = MATH.q8(vals, rows, cols, group)
                    put(off, qbytes, nbytes)
                    put(soff, sbytes_data, sbytes)
                else:
                    put(off, MATH.tobytes(vals), nbytes)
                del vals
                tensors[name].storage._bytes = None  # let a storage go once read (most hold one tensor)
            f.write(b"\0" * (file_size - f.tell()))
            write_checksums(f, header)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, out_path)
    return meta


def write_checksums(f, header):
    """Version 2's checksums (sr.h), from what was written: CRC-32 (zlib's) of the bytes
    after the header, read back in pieces, then of the header with its own field zero."""
    f.flush()
    f.seek(HEADER_SIZE)
    crc = 0
    for chunk in iter(lambda: f.read(1 << 24), b""):
        crc = zlib.crc32(chunk, crc)
    header = bytearray(header)
    struct.pack_into("<II", header, HEADER_CRC_AT, 0, crc)
    struct.pack_into("<I", header, HEADER_CRC_AT, zlib.crc32(bytes(header)))
    f.seek(0)
    f.write(bytes(header))


def out_overwrites_input(hf_dir, out):
    """OUT lies in HF_DIR (or below it) and is not an sr model file written before."""
    real_out, real_dir = os.path.realpath(out), os.path.realpath(hf_dir)
    if os.path.commonpath([real_out, real_dir]) != real_dir:
        return False
    try:
        with open(out, "rb") as f:
            return f.read(len(MAGIC)) != MAGIC
    except OSError:
        return True


def main(argv):
    args, opts = [], {"--dtype": "f32", "--lowercase": "auto", "--group-size": None}
    i = 1
    while i < len(argv):
        a = argv[i]
        key, eq, val = a.partition("=")
        if key in opts:
            if not eq:
                if i + 1 >= len(argv):
                    print("convert_weights.py: %s needs a value" % key, file=sys.stderr)
                    return 2
                i += 1
                val = argv[i]
            opts[key] = val
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("--"):
            print("convert_weights.py: unknown option %s" % a, file=sys.stderr)
            return 2
        else:
            args.append(a)
        i += 1
    if len(args) != 2 or opts["--dtype"] not in ("f32", "q8") or \
            opts["--lowercase"] not in ("auto", "true", "false"):
        print("usage: convert_weights.py HF_DIR OUT [--dtype f32|q8] [--group-size N] [--lowercase auto|true|false]",
              file=sys.stderr)
        return 2
    group = GROUP
    if opts["--group-size"] is not None:
        g = opts["--group-size"]
        if not g.isdigit() or not GROUP_MIN <= int(g) <= GROUP_MAX or int(g) % 16:
            print("convert_weights.py: --group-size %s: expected a multiple of 16 from %d to %d"
                  % (g, GROUP_MIN, GROUP_MAX), file=sys.stderr)
            return 2
        if opts["--dtype"] != "q8":
            print("convert_weights.py: --group-size is for --dtype q8 (f32 files have no groups)", file=sys.stderr)
            return 2
        group = int(g)
    hf_dir, out = args
    # OUT must be a file name, and never one of the files the conversion reads
    if os.path.isdir(out):
        print("convert_weights.py: OUT %s is a folder: give the model file's name (e.g. %s)"
              % (out, os.path.join(out, "model.srm")), file=sys.stderr)
        return 2
    if os.path.exists(out) and os.path.isdir(hf_dir) and out_overwrites_input(hf_dir, out):
        print("convert_weights.py: OUT %s is a file of HF_DIR %s: not overwritten (give another name)"
              % (out, hf_dir), file=sys.stderr)
        return 2
    try:
        if not os.path.isdir(hf_dir):
            raise Refuse("not a folder")
        meta = convert(hf_dir, out, opts["--dtype"], opts["--lowercase"], group)
    except Refuse as e:
        print("convert_weights.py: %s: %s" % (hf_dir, e), file=sys.stderr)
        return 1
    except Exception as e:  # I/O errors, damaged archives, malformed values: one line, no traceback
        msg = str(e).splitlines()[0] if str(e) else ""
        print("convert_weights.py: %s: %s%s" % (hf_dir, type(e).__name__, ": " + msg if msg else ""),
              file=sys.stderr)
        return 1
    for w in meta["warnings"]:
        print("convert_weights.py: %s: warning: %s" % (hf_dir, w), file=sys.stderr)
    heads = [h for h in ("mlm", "classifier") if meta["heads"][h]]
    print("%s: %s, %s weights, heads: %s, lowercase %s, %d bytes (%s path)"
          % (out, meta["weights_file"], opts["--dtype"], "+".join(heads) or "none",
             str(meta["lowercase"]).lower(), os.path.getsize(out), MATH.name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
