"""BERT basic tokenizer + WordPiece, cased (no lower-casing, no accent stripping).

Written for preparing training data: it follows Hugging Face's BertTokenizer
(clean text, whitespace split, split on punctuation, greedy longest-match WordPiece
with "##" continuations, [UNK] for words longer than 100 characters or with no
match) closely, but it is not the project's reference tokenizer (that is sr's C
tokenizer, checked byte-exact against Hugging Face). Known simplification: CJK
ideographs are not split into single characters (there are none in the corpus).
"""
import unicodedata


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        tokens = [line.rstrip("\n") for line in f]
    return tokens, {t: i for i, t in enumerate(tokens)}


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")


def _is_space(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


class WordPiece:
    def __init__(self, vocab_path):
        self.tokens, self.ids = load_vocab(vocab_path)
        self.unk = self.ids["[UNK]"]
        self.cache = {}  # whitespace-separated chunk -> list of ids

    def _wordpiece(self, word, out):
        if len(word) > 100:
            out.append(self.unk)
            return
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            cur = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.ids:
                    cur = self.ids[sub]
                    break
                end -= 1
            if cur is None:
                out.append(self.unk)
                return
            pieces.append(cur)
            start = end
        out.extend(pieces)

    def _chunk(self, chunk):
        """ids of one whitespace-free chunk: split on punctuation, then WordPiece."""
        out, word = [], []
        for ch in chunk:
            if ord(ch) == 0 or ord(ch) == 0xFFFD or _is_control(ch):
                continue
            if _is_space(ch):  # e.g. no-break space inside a str.split() chunk
                if word:
                    self._wordpiece("".join(word), out)
                    word = []
            elif _is_punct(ch):
                if word:
                    self._wordpiece("".join(word), out)
                    word = []
                self._wordpiece(ch, out)
            else:
                word.append(ch)
        if word:
            self._wordpiece("".join(word), out)
        return out

    def encode(self, text):
        """token ids of text (no [CLS]/[SEP])."""
        ids = []
        cache = self.cache
        for chunk in text.split():
            r = cache.get(chunk)
            if r is None:
                r = self._chunk(chunk)
                if len(cache) < 2_000_000:
                    cache[chunk] = r
            ids.extend(r)
        return ids
