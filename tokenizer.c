/* tokenizer.c - BERT WordPiece tokenizer, identical to Hugging Face's BertTokenizerFast
 * (Rust `tokenizers`): BertNormalizer, BertPreTokenizer, WordPiece, with byte and
 * code-point offsets. Included by sr.c. */

/* Stubs until the tokenizer lands. */
struct SrTokenizer { int unused; };
SrTokenizer *sr_tokenizer_from_model(const SrModel *m, char *err) { (void)m; sr_fail(err, "tokenizer not implemented yet"); return NULL; }
SrTokenizer *sr_tokenizer_from_vocab(const char *vocab_path, int lowercase, char *err) { (void)vocab_path; (void)lowercase; sr_fail(err, "tokenizer not implemented yet"); return NULL; }
void sr_tokenizer_free(SrTokenizer *t) { free(t); }
int sr_tokenize(const SrTokenizer *t, const char *text, size_t len, int add_special, SrTokens *out, char *err) {
    (void)t; (void)text; (void)len; (void)add_special; (void)out; return sr_fail(err, "tokenizer not implemented yet");
}
void sr_tokens_free(SrTokens *t) { free(t->tok); memset(t, 0, sizeof *t); }
int sr_tokenizer_vocab_size(const SrTokenizer *t) { (void)t; return 0; }
const char *sr_tokenizer_token(const SrTokenizer *t, int id) { (void)t; (void)id; return ""; }
int sr_tokenizer_lookup(const SrTokenizer *t, const char *piece, size_t len) { (void)t; (void)piece; (void)len; return -1; }
static int cmd_tokenize(int argc, char **argv) { (void)argc; (void)argv; fputs("sr tokenize: not implemented yet\n", stderr); return 2; }
