#!/usr/bin/env python3
"""Test lines for the tokenizer comparison with Hugging Face's Rust tokenizer.

    python3 test/checks/tokenizer_gen.py lines N SEED > lines.jsonl   N random lines
    python3 test/checks/tokenizer_gen.py codepoints > cps.jsonl       every code point
    python3 test/checks/tokenizer_gen.py clinical BYTES SEED > x.txt  plain clinical-style text

`lines`: clinical sentences and abbreviations, dosage and lab strings, names with
accents, ALL CAPS, every Unicode general category sampled across all planes,
combining sequences (including reordering), CJK, Hangul, emoji and ZWJ sequences,
NBSP, soft hyphens, zero-width and bidi controls, words of 99, 100 and 101 characters
(also where normalisation changes the length), literal special tokens next to
punctuation. `codepoints`: each Unicode scalar value (no surrogates) alone, inside a
word and next to itself, 16 a line. Output: {"id":..., "text":...} lines.
Stdlib only; deterministic for a given seed. Nothing here reads ../shared.
"""
import json
import random
import sys
import unicodedata as ud

CLINICAL = """patient pt presents with sob cp n/v d c/o denies fever chills hx of htn dm2 copd
chf cad s/p cabg mi afib on warfarin inr subtherapeutic bp hr rr spo2 temp afebrile
tachycardic bradycardic hypotensive ra nc bipap intubated extubated sedated propofol
fentanyl midazolam vancomycin piperacillin tazobactam ceftriaxone metoprolol lisinopril
furosemide lasix kcl potassium sodium creatinine bun wbc hgb hct plt lactate troponin
bnp abg ph pco2 po2 hco3 cxr ct mri echo ekg ecg nsr sinus rhythm st elevation ef
ventricular abdomen soft nontender distended bowel sounds present foley draining clear
yellow urine wound dressing dry intact pain controlled family meeting dnr dni full code
discharge plan rehab follow up pcp cardiology nephrology oncology neurology gcs pupils
perrla sedation rass cam icu delirium ambulating tolerating diet npo tpn ngt ogt peg
hyperkalemia hyponatremia acute kidney injury sepsis pneumonia cellulitis uti dvt pe
""".split()
CAPS = ["PT", "SOB", "HTN", "COPD", "NPO", "DNR", "ICU", "PRN", "BID", "TID", "QID", "QHS",
        "IV", "IM", "PO", "SQ", "NKDA", "CHF", "MRSA", "VRE", "ARDS", "AKI", "RLE", "LUQ"]
NAMES = ["José Núñez", "Zoë Brontë", "Ødegaard", "Straße", "İstanbul", "François", "Ærøskøbing",
         "Łódź", "Dvořák", "Søren Kierkegaard", "Renée O'Connor", "Ñandú", "ǅemal", "Ǆ", "ǲ",
         "Đặng Thị Ngọc", "Μαρία Παπαδοπούλου", "Дмитрий Иванов", "محمد", "דוד", "Nguyễn",
         "Müller-Lüdenscheidt", "Çağlar Öztürk", "Ævar", "Þórunn", "ΣΟΦΙΑ", "ὈΔΥΣΣΕΎΣ",
         "ﬁnancial ﬂow", "Ａｂｃ", "Å", "Ω", "K", "ÅNGSTRÖM", "µg μg", "ß ẞ", "ı İ i̇",
         "e\u0301 e\u0301\u0323 e\u0323\u0301 a\u0308\u0304", "\u1e0b\u0323 \u1e0d\u0307",
         "\ud55c\uad6d\uc5b4 \u1100\u1161\u11a8", "日本語のテキスト", "中文病历", "𠀀𠀁 𪜀",
         "Ελληνικά ΐ ΰ", "\u0344 \u0f73 \u0f75 \u0f81", "\u1d15e\u1d165", "a\U0001D16D\U0001D165b",
         "x\u302e\u302fy", "\u0958\u0959 \u09dc", "\u2126\u212a\u212b", "\u037e \u0387 \u1fef \u1ffd"]
UNITS = ["mg", "mcg", "µg", "μg", "g", "kg", "mL", "ml", "L", "mmol/L", "mEq/L", "mg/dL",
         "U/L", "IU", "units", "mm Hg", "mmHg", "°C", "°F", "℃", "bpm", "%", "cm", "mm", "m²",
         "×10⁹/L", "x10^9/L", "10³/µL", "g/dL", "ng/mL", "pg/mL", "µmol/L", "mL/min/1.73m²"]
PUNCT = list(".,;:!?()[]{}<>/\\-_+=*&^%$#@~`'\"|") + ["–", "—", "‘", "’", "“", "”", "…", "•",
         "·", "«", "»", "¿", "¡", "§", "¶", "†", "‡", "′", "″", "‰", "№", "±", "≥", "≤", "≈",
         "→", "←", "↑", "↓", "½", "¼", "¾", "²", "³", "¹", "°", "™", "®", "©", "€", "£", "¥",
         "、", "。", "「", "」", "（", "）", "！", "？", "＃", "﹏", "‿", "⁀"]
SPECIAL = ["[MASK]", "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[mask]", "[MASK", "MASK]", "[ MASK ]",
           "[MASK][MASK]", "[[MASK]]", "x[MASK]y", "[MASK].", ".[MASK]", "([MASK])", "[MASK]'s"]
SPACES = [" ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u202f", "\u2009", "\u3000",
          "\u2028", "\u2029", "\u000b", "\u000c", "\u0085", "\u1680", "\u200a", "\u205f"]
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
             "\u202a", "\u202e", "\u2066", "\u2069", "\u061c", "\u180e", "\ufe0f", "\ufe0e",
             "\U000e0041", "\U000e007f", "\u0000", "\ufffd", "\u0007", "\u001b", "\u007f",
             "\u0080", "\u009f", "\ue000", "\U000f0000", "\U0010fffd", "\u0378", "\U000e01ef"]
EMOJI = ["😀", "👍", "👍🏽", "❤️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑‍⚕️", "👩🏾‍⚕️", "🇺🇸", "🇬🇧",
         "1️⃣", "#️⃣", "🩺", "💊", "🥰", "🫀", "🫁", "🦠", "🧬", "☕", "⚕", "✔", "✗", "©️"]
# blocks to sample characters from, across all planes
BLOCKS = [(0x20, 0x7E), (0xA0, 0x24F), (0x250, 0x2FF), (0x300, 0x36F), (0x370, 0x3FF),
          (0x400, 0x52F), (0x530, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0x980, 0xDFF),
          (0xE00, 0xEFF), (0xF00, 0xFFF), (0x1000, 0x10FF), (0x1100, 0x11FF), (0x1200, 0x139F),
          (0x13A0, 0x1CFF), (0x1D00, 0x1FFF), (0x2000, 0x206F), (0x2070, 0x2BFF),
          (0x2C00, 0x2E7F), (0x2E80, 0x2FDF), (0x3000, 0x33FF), (0x3400, 0x4DBF),
          (0x4E00, 0x9FFF), (0xA000, 0xABFF), (0xAC00, 0xD7FF), (0xE000, 0xF8FF),
          (0xF900, 0xFAFF), (0xFB00, 0xFFFF), (0x10000, 0x1FFFF), (0x1D100, 0x1D24F),
          (0x1F000, 0x1FAFF), (0x20000, 0x2FFFF), (0x30000, 0x3FFFF), (0xE0000, 0xE01EF),
          (0xF0000, 0x10FFFF), (0, 0x10FFFF)]
COMBINING = [0x300, 0x301, 0x302, 0x303, 0x304, 0x308, 0x30A, 0x30C, 0x323, 0x327, 0x328,
             0x331, 0x334, 0x345, 0x35C, 0x361, 0x5B4, 0x64B, 0x651, 0x93C, 0x94D, 0xE48,
             0x1AB0, 0x1DC0, 0x20D7, 0x20DD, 0x302A, 0x302E, 0x3099, 0x309A, 0xFE20,
             0x1D165, 0x1D167, 0x1D16D, 0x1E94A, 0x0F71, 0x0F72, 0x0F74, 0x0F80, 0x0F39]


def by_category():
    cats = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        cats.setdefault(ud.category(chr(cp)), []).append(cp)
    return cats


def rand_char(r, cats):
    k = r.random()
    if k < 0.4:  # a category, uniformly: reaches rare ones (Zl, Me, Pc, Cf, ...)
        cps = cats[r.choice(sorted(cats))]
        return chr(r.choice(cps))
    lo, hi = r.choice(BLOCKS)
    cp = r.randint(lo, hi)
    if 0xD800 <= cp <= 0xDFFF:
        cp = 0xFFFD
    return chr(cp)


def word(r, cats):
    k = r.random()
    if k < 0.30:
        w = r.choice(CLINICAL)
        return w.upper() if r.random() < 0.2 else w.capitalize() if r.random() < 0.2 else w
    if k < 0.38:
        return r.choice(CAPS)
    if k < 0.46:
        return r.choice(NAMES)
    if k < 0.56:
        n = r.choice(["5", "0.5", "12.5", "1,000", "120/80", "38.2", "7.35", "1:1000", "3x", "q6h", "2-3"])
        return n + r.choice(["", " ", "\u00a0"]) + r.choice(UNITS)
    if k < 0.62:
        return r.choice(PUNCT)
    if k < 0.67:
        return r.choice(SPECIAL)
    if k < 0.72:
        return r.choice(EMOJI)
    if k < 0.76:
        w = r.choice(CLINICAL)
        i = r.randint(0, len(w))
        return w[:i] + r.choice(INVISIBLE) + w[i:]
    if k < 0.82:  # a base letter with a run of combining marks (canonical reordering)
        base = r.choice("aeiouncAEOUZ") if r.random() < 0.8 else rand_char(r, cats)
        return base + "".join(chr(r.choice(COMBINING)) for _ in range(r.randint(1, 4)))
    if k < 0.84:  # long words around the 100-character limit
        n = r.choice([98, 99, 100, 101, 102])
        unit = r.choice(["a", "e\u0301", "é", "ab", "İ", "ß", "x", "1", "\u00ad" + "b", "한"])
        s = (unit * n)[: n if len(unit) == 1 else n * len(unit)]
        return s[:n] if r.random() < 0.5 else unit * n
    if k < 0.86:  # long lab strings
        return "".join(r.choice("0123456789.,/-+:;=()abcdefghKLMNOPmgdlµ%") for _ in range(r.randint(20, 140)))
    return "".join(rand_char(r, cats) for _ in range(r.randint(1, 6)))


def line(r, cats):
    n = r.randint(1, 25)
    parts = []
    for _ in range(n):
        parts.append(word(r, cats))
        parts.append(r.choice(SPACES) if r.random() < 0.85 else r.choice(PUNCT + INVISIBLE + [""]))
    s = "".join(parts)
    if r.random() < 0.05:
        s = s.upper()
    if r.random() < 0.03:
        s = r.choice(["", " ", "\u200b", "[MASK]", "\u00ad\u00ad", " \t\n"])
    return s


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    out = sys.stdout
    if mode == "codepoints":
        cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
        for i in range(0, len(cps), 16):
            text = "".join("%sa%s%s " % (chr(c), chr(c), chr(c)) for c in cps[i:i + 16])
            out.write(json.dumps({"id": "U+%04X" % cps[i], "text": text}) + "\n")
    elif mode == "lines":
        n, seed = int(sys.argv[2]), int(sys.argv[3])
        r = random.Random(seed)
        cats = by_category()
        for i in range(n):
            out.write(json.dumps({"id": i, "text": line(r, cats)}) + "\n")
    elif mode == "clinical":  # benchmark text: notes-like lines, mostly ASCII
        size, seed = int(sys.argv[2]), int(sys.argv[3])
        r = random.Random(seed)
        total = 0
        while total < size:
            words = []
            for _ in range(r.randint(8, 120)):
                k = r.random()
                if k < 0.70:
                    w = r.choice(CLINICAL)
                    words.append(w.upper() if r.random() < 0.15 else w.capitalize() if r.random() < 0.15 else w)
                elif k < 0.80:
                    words.append(r.choice(CAPS))
                elif k < 0.90:
                    words.append(r.choice(["5", "0.5", "12.5", "120/80", "38.2", "7.35", "q6h"]) + " " + r.choice(UNITS))
                elif k < 0.97:
                    words.append(r.choice(".,;:()/-") + r.choice(CLINICAL))
                else:
                    words.append(r.choice(NAMES[:12]))
            s = " ".join(words) + ".\n"
            out.write(s)
            total += len(s.encode())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
