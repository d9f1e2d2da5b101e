#!/usr/bin/env python3
"""Generate data/unicode_tables.h: the Unicode data sr's WordPiece tokenizer needs.

    python3 test/tools/gen_unicode_tables.py > data/unicode_tables.h

Uses only Python's own unicodedata (Python 3.11 = Unicode 14.0.0); see VERSION NOTES
in the generated header for how the tables are matched to the Rust `tokenizers`
library (which mixes several Unicode versions). Nothing here reads ../shared.

Per code point flags (two-stage table, 256-code-point blocks):
  UC_DROP   BertNormalizer clean_text removes it: NUL, U+FFFD and "other" (Cc Cf Cn Co
            Cs) except tab, newline, CR
  UC_SPACE  White_Space (as Rust's char::is_whitespace): mapped to ' ', splits words
  UC_PUNCT  BertPreTokenizer isolates it: ASCII punctuation or Unicode P*
  UC_CJK    BertNormalizer handle_chinese_chars puts spaces around it
  UC_MN     nonspacing mark: dropped after NFD when stripping accents
  UC_DECOMP has a canonical decomposition (NFD), in the decomposition table
  UC_LOWER  to_lowercase changes it, in the lower-case table
  UC_CCC    non-zero canonical combining class, in the ccc table
"""
import sys
import unicodedata as ud

# VERSION NOTES. The Rust `tokenizers` library (npm tokenizers 0.23.2, the reference)
# mixes Unicode versions: its category tests (is_other, is_punctuation,
# is_mark_nonspacing: crate unicode_categories) follow Unicode 8.0, its NFD (crate
# unicode-normalization-alignments) Unicode 9.0, while lower-casing is Rust's
# char::to_lowercase (Unicode 17.0 in the Rust that built it). Found by the exhaustive
# per-code-point comparison with the reference (every code point, both normalizer
# settings and the pre-tokenizer); these tables reproduce it as follows:
#  - categories: Python's UCD (14.0) with every character assigned after AGE_CUTOFF
#    treated as unassigned (Cn), plus CATEGORY_8_0 for the few characters whose
#    category changed since 8.0;
#  - decompositions and combining classes: Python's UCD with characters assigned after
#    NFD_AGE_CUTOFF having none (no decomposition, class 0);
#  - unassigned (Cn) characters are NOT removed by clean_text (the library keeps them),
#    only Cc, Cf, Co (and surrogates, which UTF-8 cannot carry);
#  - lower case: Python's (14.0) plus LOWER_AFTER_14 (case pairs added in 16.0 and 17.0;
#    15.0 and 15.1 added none).
AGE_CUTOFF = "8.0"
NFD_AGE_CUTOFF = "9.0"
DERIVED_AGE = "/usr/share/unicode/DerivedAge.txt"  # Debian package unicode-data

# Unicode 8.0 general category of characters that have changed it since.
CATEGORY_8_0 = {
    0x1734: "Mn",   # HANUNOO SIGN PAMUDPOD: Mc since 14.0
    0x1885: "Lo",   # MONGOLIAN LETTER ALI GALI BALUDA: Mn since 9.0
    0x1886: "Lo",   # MONGOLIAN LETTER ALI GALI THREE BALUDA: Mn since 9.0
    0xA9BD: "Mc",   # JAVANESE CONSONANT SIGN KERET: Mn since 12.0
    0x111C9: "Po",  # SHARADA SANDHI MARK: Mn since 11.0
    0x166D: "Po",   # CANADIAN SYLLABICS CHI SIGN: So since 12.0
}

# Simple lower-case mappings added in Unicode 16.0 and 17.0 (UnicodeData.txt field 13).
LOWER_AFTER_14 = {0x1C89: 0x1C8A, 0xA7CB: 0x0264, 0xA7CC: 0xA7CD, 0xA7CE: 0xA7CF,
                  0xA7D2: 0xA7D3, 0xA7D4: 0xA7D5, 0xA7DA: 0xA7DB, 0xA7DC: 0x019B}
LOWER_AFTER_14.update({cp: cp + 0x20 for cp in range(0x10D50, 0x10D66)})  # Garay (16.0)
LOWER_AFTER_14.update({cp: cp + 0x1B for cp in range(0x16EA0, 0x16EB9)})  # Beria Erfe (17.0)

# BertNormalizer's is_chinese_char ranges, exactly as in the Rust source.
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]

# Rust char::is_whitespace = the White_Space property (PropList.txt); fixed since 6.3.
WHITE_SPACE = set(list(range(0x09, 0x0E)) + [0x20, 0x85, 0xA0, 0x1680] +
                  list(range(0x2000, 0x200B)) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])

UC_DROP, UC_SPACE, UC_PUNCT, UC_CJK, UC_MN, UC_DECOMP, UC_LOWER, UC_CCC = (1 << i for i in range(8))
MAXCP = 0x110000


def load_ages():
    ages = {}
    with open(DERIVED_AGE) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            rng, age = [x.strip() for x in line.split(";")]
            a, _, b = rng.partition("..")
            for cp in range(int(a, 16), int(b or a, 16) + 1):
                ages[cp] = tuple(int(x) for x in age.split("."))
    return ages


def category(cp, ages, cutoff):
    if cp in CATEGORY_8_0:
        return CATEGORY_8_0[cp]
    cat = ud.category(chr(cp))
    if cutoff is not None and cat != "Cn":
        if ages.get(cp, (99, 0)) > cutoff:
            return "Cn"
    return cat


def is_hangul_syllable(cp):
    return 0xAC00 <= cp <= 0xD7A3


def full_decomposition(cp):
    """Canonical decomposition, applied recursively (no Hangul: done in code)."""
    d = ud.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None
    out = []
    for part in d.split():
        sub = full_decomposition(int(part, 16))
        out.extend(sub if sub else [int(part, 16)])
    return out


def main():
    cutoff = tuple(int(x) for x in AGE_CUTOFF.split(".")) if AGE_CUTOFF else None
    nfd_cutoff = tuple(int(x) for x in NFD_AGE_CUTOFF.split("."))
    ages = load_ages()
    flags = bytearray(MAXCP)
    decomp, ccc, lower = {}, {}, {}
    for cp in range(MAXCP):
        if 0xD800 <= cp <= 0xDFFF:
            flags[cp] = UC_DROP  # never reaches the tokenizer (invalid UTF-8)
            continue
        c = chr(cp)
        cat = category(cp, ages, cutoff)
        f = 0
        if cp in (0, 0xFFFD) or (cat in ("Cc", "Cf", "Co", "Cs") and cp not in (9, 10, 13)):
            f |= UC_DROP
        if cp in WHITE_SPACE:
            f |= UC_SPACE
        if (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126) or cat[0] == "P":
            f |= UC_PUNCT
        if any(a <= cp <= b for a, b in CJK_RANGES):
            f |= UC_CJK
        if cat == "Mn":
            f |= UC_MN
        new = ages.get(cp, (99, 0)) > nfd_cutoff
        d = None if new else full_decomposition(cp)
        if d:
            decomp[cp] = d
            f |= UC_DECOMP
        k = 0 if new else ud.combining(c)
        if k:
            ccc[cp] = k
            f |= UC_CCC
        lo = chr(LOWER_AFTER_14[cp]) if cp in LOWER_AFTER_14 else c.lower()
        if lo != c:
            if len(lo) == 1:
                lower[cp] = ord(lo)
                f |= UC_LOWER
            elif cp == 0x130:
                f |= UC_LOWER  # "i\u0307": the one multi-character lower case, in code
            else:
                sys.exit("unexpected multi-character lower case for U+%04X" % cp)
        flags[cp] = f

    # two-stage table
    blocks, index = {}, []
    for b in range(MAXCP >> 8):
        blk = bytes(flags[b << 8:(b + 1) << 8])
        if blk not in blocks:
            blocks[blk] = len(blocks)
        index.append(blocks[blk])
    out = sys.stdout
    out.write("/* data/unicode_tables.h - GENERATED by test/tools/gen_unicode_tables.py; do not edit.\n")
    out.write(" * Unicode data for tokenizer.c, from Python %s unicodedata (Unicode %s).\n" %
              (sys.version.split()[0], ud.unidata_version))
    out.write(" * Flags per code point: two-stage table; sorted tables for the rest.\n")
    out.write(" * As the Rust tokenizers library: categories as of Unicode %s, NFD as of %s,\n"
              " * lower case as of 17.0 (see VERSION NOTES in the generator). */\n" % (AGE_CUTOFF, NFD_AGE_CUTOFF))
    out.write("#define SR_UNICODE_VERSION \"UCD %s; categories %s, NFD %s, lower case 17.0 (as HF tokenizers)\"\n" % (
        ud.unidata_version, AGE_CUTOFF, NFD_AGE_CUTOFF))
    out.write("enum { UC_DROP = 1, UC_SPACE = 2, UC_PUNCT = 4, UC_CJK = 8, UC_MN = 16,\n"
              "       UC_DECOMP = 32, UC_LOWER = 64, UC_CCC = 128 };\n")
    out.write("static const uint16_t uc_stage1[%d] = {\n" % len(index))
    for i in range(0, len(index), 16):
        out.write("    " + ",".join(str(x) for x in index[i:i + 16]) + ",\n")
    out.write("};\n")
    out.write("static const uint8_t uc_stage2[%d][256] = {\n" % len(blocks))
    for blk in sorted(blocks, key=blocks.get):
        out.write("    {" + ",".join(str(x) for x in blk) + "},\n")
    out.write("};\n")
    # decompositions: key, (offset << 3 | length) into uc_decomp_data
    keys = sorted(decomp)
    data, idx = [], []
    for k in keys:
        d = decomp[k]
        assert len(d) < 8
        idx.append(len(data) << 3 | len(d))
        data.extend(d)
    write_array(out, "uint32_t", "uc_decomp_key", keys)
    write_array(out, "uint32_t", "uc_decomp_idx", idx)
    write_array(out, "uint32_t", "uc_decomp_data", data)
    keys = sorted(ccc)
    write_array(out, "uint32_t", "uc_ccc_key", keys)
    write_array(out, "uint8_t", "uc_ccc_val", [ccc[k] for k in keys])
    keys = sorted(lower)
    write_array(out, "uint32_t", "uc_lower_key", keys)
    write_array(out, "uint32_t", "uc_lower_val", [lower[k] for k in keys])


def write_array(out, ctype, name, values):
    out.write("static const %s %s[%d] = {\n" % (ctype, name, len(values)))
    for i in range(0, len(values), 12):
        out.write("    " + ",".join("0x%X" % v for v in values[i:i + 12]) + ",\n")
    out.write("};\n")


if __name__ == "__main__":
    main()
