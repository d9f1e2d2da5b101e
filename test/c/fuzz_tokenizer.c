/* test/c/fuzz_tokenizer.c - libFuzzer target for sr's WordPiece tokenizer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DSR_NO_MAIN \
 *         -DVOCAB_DIR='"test/data/vocab"' -o fuzz_tokenizer test/c/fuzz_tokenizer.c -lm
 *   ./fuzz_tokenizer -max_total_time=600 CORPUS_DIR
 *
 * The first input byte picks the setting (cased vocab lower-cased, cased vocab as is,
 * uncased vocab, and the other BertNormalizer settings: lower-casing without accent
 * stripping, stripping without lower-casing, no CJK spacing) and whether [CLS]/[SEP]
 * are added; the rest is the text, arbitrary
 * bytes (invalid UTF-8 must be refused cleanly). Besides the sanitizers, every result
 * is checked: ids in the vocabulary, byte spans inside the text and on UTF-8 character
 * boundaries, code-point spans equal to the byte spans counted in characters, word
 * indices non-decreasing, [CLS]/[SEP] where they belong. */
#include "../../sr.c"

#ifndef VOCAB_DIR
#define VOCAB_DIR "test/data/vocab"
#endif

#define FZ_N 6
static SrTokenizer *fz_tok[FZ_N];
static SrTokens fz_out;

static int fz_cp_index(const char *s, int byte) { /* code points before byte */
    int n = 0;
    for (int i = 0; i < byte; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int fz_boundary(const char *s, size_t len, int b) {
    return b == 0 || (size_t)b == len || ((size_t)b < len && ((unsigned char)s[b] & 0xC0) != 0x80);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SR_ERR_LEN];
    if (!fz_tok[0]) {
        fz_tok[0] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-cased-vocab.txt", 1, err);
        fz_tok[1] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-cased-vocab.txt", 0, err);
        fz_tok[2] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-uncased-vocab.txt", 1, err);
        fz_tok[3] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-cased-vocab.txt", 1, err);
        fz_tok[4] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-cased-vocab.txt", 0, err);
        fz_tok[5] = sr_tokenizer_from_vocab(VOCAB_DIR "/bert-base-cased-vocab.txt", 1, err);
        for (int k = 0; k < FZ_N; k++)
            if (!fz_tok[k]) { fprintf(stderr, "fuzz: %s\n", err); abort(); }
        fz_tok[3]->strip_accents = 0; /* lower-case only */
        fz_tok[4]->strip_accents = 1; /* strip accents, keep case */
        fz_tok[5]->chinese_chars = 0; /* no spaces around CJK */
    }
    if (size == 0) return 0;
    const SrTokenizer *t = fz_tok[(data[0] & 7) % FZ_N];
    int add_special = (data[0] >> 3) & 1;
    /* a copy of exactly the text bytes, so ASan sees any read past the end */
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    memcpy(text, data + 1, len);
    int valid = utf8_check(text, len, NULL) == 0;
    int rc = sr_tokenize(t, text, len, add_special, &fz_out, err);
    if (rc != (valid ? 0 : -1)) { fprintf(stderr, "fuzz: rc %d for valid=%d\n", rc, valid); abort(); }
    if (rc == 0) {
        int n = fz_out.n, V = sr_tokenizer_vocab_size(t), last_word = -1;
        if (add_special && (n < 2 || fz_out.tok[0].id != t->cls_id || fz_out.tok[n - 1].id != t->sep_id)) abort();
        for (int k = 0; k < n; k++) {
            const SrToken *x = &fz_out.tok[k];
            if (x->id < 0 || x->id >= V) abort();
            if (x->byte_start < 0 || x->byte_end < 0 || (size_t)x->byte_start > len || (size_t)x->byte_end > len) abort();
            if (!fz_boundary(text, len, x->byte_start) || !fz_boundary(text, len, x->byte_end)) abort();
            if (x->cp_start != fz_cp_index(text, x->byte_start) || x->cp_end != fz_cp_index(text, x->byte_end)) abort();
            int special = add_special && (k == 0 || k == n - 1);
            if (special) {
                if (x->word != -1 || x->byte_start || x->byte_end) abort();
            } else {
                if (x->word < last_word || x->word < 0) abort();
                last_word = x->word;
            }
        }
    } else if (!strstr(err, "invalid UTF-8")) {
        abort();
    }
    free(text);
    return 0;
}
