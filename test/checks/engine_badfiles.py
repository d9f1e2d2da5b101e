#!/usr/bin/python3
"""engine_badfiles.py GOOD_F32 GOOD_Q8 OUTDIR

Writes corrupted, truncated and mismatched variants of two good sr model files (format:
sr.h) into OUTDIR, one file per case, and prints "NAME<TAB>PATH" lines. Every one of
them must be refused by the loader with a one-line error and a non-zero exit; none may
crash. Also writes OUTDIR/fuzz_*.srm: random byte flips in the header and tensor
directory, which must either load (and run) or be refused, never crash.

Format version 2 files carry a CRC-32 of their header (sr.h, bytes 152..155) that every
load checks. A case that changes a header field gets a header checksum recomputed here
(zlib.crc32), so that the loader's check of that field is what refuses it, not the
checksum; the cases named header_crc_* keep the old checksum, so only the checksum check
can refuse them (test/checks/engine_checksums.py checks the messages). Two thirds of the fuzzed
files are resealed too."""
import os
import random
import struct
import sys
import zlib

HDR = 256
ENTRY = 112
HEADER_CRC_AT = 152


def u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def u64(b, off):
    return struct.unpack_from("<Q", b, off)[0]


def put(b, fmt, off, v):
    b = bytearray(b)
    struct.pack_into(fmt, b, off, v)
    return bytes(b)


def seal(b):
    """A version 2 file's header checksum recomputed over its (changed) header."""
    if len(b) < HDR or b[:8] != b"SRBERT\0\0" or u32(b, 8) < 2:
        return bytes(b)
    h = bytearray(b[:HDR])
    struct.pack_into("<I", h, HEADER_CRC_AT, 0)
    struct.pack_into("<I", h, HEADER_CRC_AT, zlib.crc32(bytes(h)))
    return bytes(h) + bytes(b[HDR:])


def flip(b, off, mask):
    b = bytearray(b)
    b[off] ^= mask
    return bytes(b)


def entries(b):
    n, toff = u32(b, 92), u64(b, 128)
    out = []
    for i in range(n):
        e = toff + i * ENTRY
        name = b[e:e + 64].split(b"\0")[0].decode()
        out.append((name, e))
    return out


def entry_of(b, name):
    for n, e in entries(b):
        if n == name:
            return e
    raise KeyError(name)


def main():
    f32_path, q8_path, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    g = open(f32_path, "rb").read()
    q = open(q8_path, "rb").read()
    size = len(g)
    W = "encoder.layer.0.attention.self.query.weight"
    ew = entry_of(g, W)
    eb = entry_of(g, "encoder.layer.0.attention.self.query.bias")
    qw = entry_of(q, W)
    cases = {
        "empty": b"",
        "short_100_bytes": g[:100],
        "truncated_half": g[: size // 2],
        "truncated_1_byte": g[:-1],
        "extended_1_byte": g + b"\0",
        "bad_magic": b"XXBERT\0\0" + g[8:],
        "version_3": put(g, "<I", 8, 3),
        "version_0": put(g, "<I", 8, 0),
        "header_size_128": put(g, "<I", 12, 128),
        "file_size_field_wrong": put(g, "<Q", 16, size + 64),
        "hidden_0": put(g, "<I", 28, 0),
        "heads_not_dividing_hidden": put(g, "<I", 36, u32(g, 28) + 1),
        "hidden_mismatch_tensors": put(g, "<I", 28, u32(g, 28) * 2),
        "vocab_size_mismatch": put(g, "<I", 24, u32(g, 24) + 1),
        "more_layers_than_tensors": put(g, "<I", 32, u32(g, 32) + 1),
        "intermediate_mismatch": put(g, "<I", 40, u32(g, 40) + 4),
        "eps_nan": put(g, "<f", 56, float("nan")),
        "unknown_flags": put(g, "<I", 60, 1 << 20),
        "classifier_flag_no_labels": put(g, "<I", 60, u32(g, 60) | 16),
        "weight_type_5": put(g, "<I", 64, 5),
        "f32_with_group_size": put(g, "<I", 68, 64),
        "mask_id_out_of_range": put(g, "<i", 88, u32(g, 24)),
        "n_tensors_huge": put(g, "<I", 92, 0x7FFFFFFF),
        "n_tensors_0": put(g, "<I", 92, 0),
        "vocab_offset_past_end": put(g, "<Q", 96, size + 10),
        "vocab_bytes_huge": put(g, "<Q", 104, 1 << 62),
        "labels_offset_past_end": put(g, "<Q", 112, 1 << 63),
        "tensors_offset_past_end": put(g, "<Q", 128, size - 10),
        "meta_bytes_overflow": put(g, "<Q", 144, (1 << 64) - 1),
        "tensor_offset_past_end": put(g, "<Q", ew + 80, size + 4096),
        "tensor_offset_unaligned": put(g, "<Q", ew + 80, u64(g, ew + 80) + 4),
        "tensor_offset_overflow": put(g, "<Q", ew + 80, (1 << 64) - 64),
        "tensor_bytes_wrong": put(g, "<Q", ew + 88, u64(g, ew + 88) - 4),
        "tensor_name_unterminated": g[:ew] + b"x" * 64 + g[ew + 64:],
        "tensor_type_7": put(g, "<I", ew + 64, 7),
        "tensor_ndim_3": put(g, "<I", ew + 68, 3),
        "tensor_shape_transposed": put(put(g, "<I", ew + 72, u32(g, ew + 76) + 1), "<I", ew + 76, u32(g, ew + 72)),
        "bias_as_2d": put(g, "<I", eb + 68, 2),
        "missing_tensor": g[:ew] + b"renamed.weight".ljust(64, b"\0") + g[ew + 64:],
        "duplicate_tensor": g[:eb] + g[ew:ew + 64] + g[eb + 64:],
        "q8_tensor_in_f32_file": put(g, "<I", ew + 64, 1),
        "q8_group_size_0": put(q, "<I", 68, 0),
        "q8_group_size_6": put(q, "<I", 68, 6),
        "q8_scale_offset_past_end": put(q, "<Q", qw + 96, len(q) + 64),
        "q8_scale_bytes_wrong": put(q, "<Q", qw + 104, u64(q, qw + 104) + 4),
        "q8_bytes_wrong": put(q, "<Q", qw + 88, u64(q, qw + 88) + 64),
        "q8_header_says_f32": put(put(q, "<I", 64, 0), "<I", 68, 0),
        "random_garbage": bytes(random.Random(1).getrandbits(8) for _ in range(4096)),
    }
    # the vocab block loses its last newline
    voff, vbytes = u64(g, 96), u64(g, 104)
    cases["vocab_no_final_newline"] = g[:voff + vbytes - 1] + b"x" + g[voff + vbytes:]
    cases = {n: seal(d) for n, d in cases.items()}
    # changes only the header checksum can see: a reserved byte, the lower-casing flag
    # (it would load as a valid, different model), either checksum field
    cases.update({
        "header_crc_reserved_byte": flip(g, 200, 0x10),
        "header_crc_lowercase_flag": flip(g, 60, 1),
        "header_crc_field": flip(g, HEADER_CRC_AT + 1, 0x80),
        "header_crc_contents_field": flip(g, HEADER_CRC_AT + 5, 0x01),
        "header_crc_q8_flag": flip(q, 60, 1),
    })
    for name, data in cases.items():
        p = os.path.join(out, name + ".srm")
        open(p, "wb").write(data)
        print("%s\t%s" % (name, p))
    # random flips in the header and the directory (must never crash)
    rng = random.Random(7)
    toff, nt = u64(g, 128), u32(g, 92)
    for k in range(60):
        b = bytearray(g if k % 2 == 0 else q)
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.4:
                i = rng.randrange(0, 160)
            else:
                i = rng.randrange(toff, toff + nt * ENTRY)
            b[i] = rng.randrange(256)
        if k % 3:
            b = seal(b)
        open(os.path.join(out, "fuzz_%02d.srm" % k), "wb").write(bytes(b))


if __name__ == "__main__":
    main()
