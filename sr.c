/* sr.c - synthetic medical records by masked language modelling, in plain C.
 *
 * One compilation unit, llama2.c style:   cc -O3 -o sr sr.c -lm
 *
 * Read top to bottom:
 *   1. small utilities shared by every part: errors, memory, files, UTF-8, JSON lines
 *   2. the model file (format documented in sr.h): map it, check every offset
 *   3. kernels: blocked matrix-matrix products (f32 and int8), LayerNorm, GELU, softmax
 *   4. the BERT encoder forward over the whole sequence, and its heads
 *   5. #include "tokenizer.c"  WordPiece exactly as Hugging Face
 *      #include "ner.c"        token classification decoding, PHI rules, the Masker
 *      #include "mlm.c"        MLM sampling, mask filling, sr fill / sr generate
 *   6. the command line: `sr COMMAND ...`; each module owns its commands (cmd_*),
 *      main() only dispatches.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sr.h"

/* ================================================================================
 * 1. Utilities
 * ================================================================================ */

/* Write a one-line reason into err (SR_ERR_LEN bytes); always returns -1. */
static int sr_fail(char *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, SR_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Out of memory is the one error we do not recover from. */
static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "sr: out of memory (%zu bytes)\n", n); exit(2); }
    return p;
}
static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) { fprintf(stderr, "sr: out of memory (%zu x %zu bytes)\n", n, size); exit(2); }
    return p;
}
static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) { fprintf(stderr, "sr: out of memory (%zu bytes)\n", n); exit(2); }
    return p;
}
/* Grow an array of elements of size `size` so it holds at least `need`. */
static void *grow(void *p, int *cap, int need, size_t size) {
    if (need <= *cap) return p;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    *cap = c;
    return xrealloc(p, (size_t)c * size);
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Read a whole file (or stdin for "-") into a NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len, char *err) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) { sr_fail(err, "%s: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = xrealloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) { free(buf); sr_fail(err, "%s: read error", path); return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Decode one UTF-8 code point at s[*i] (i < len), advancing *i. Returns the code
 * point, or -1 for an invalid sequence (overlong, surrogate, > U+10FFFF, truncated);
 * *i is then left unchanged. */
static int utf8_decode(const unsigned char *s, size_t len, size_t *i) {
    size_t p = *i;
    unsigned c = s[p];
    if (c < 0x80) { *i = p + 1; return (int)c; }
    int n;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
    else return -1;
    if (p + (size_t)n >= len) return -1; /* truncated */
    for (int k = 1; k <= n; k++) {
        unsigned cc = s[p + k];
        if ((cc & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *i = p + n + 1;
    return (int)cp;
}

/* Encode a code point as UTF-8 into out (>= 4 bytes); returns the byte count. */
static int utf8_encode(unsigned cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Check that s[0..len-1] is valid UTF-8; on failure name the byte offset. */
static int utf8_check(const char *s, size_t len, char *err) {
    size_t i = 0;
    while (i < len) {
        if (utf8_decode((const unsigned char *)s, len, &i) < 0)
            return sr_fail(err, "invalid UTF-8 at byte offset %zu", i);
    }
    return 0;
}

/* ---- JSON lines: {"id": ..., "text": "..."} in, one JSON object per line out ---- */

/* Print s[0..len-1] (valid UTF-8) as a JSON string literal. */
static void json_put_string(FILE *f, const char *s, size_t len) {
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7F) fprintf(f, "\\u%04x", c);
            else fputc(c, f);
        }
    }
    fputc('"', f);
}
static void json_put_cstr(FILE *f, const char *s) { json_put_string(f, s, strlen(s)); }

typedef struct {
    const char *s;
    size_t len, pos;
} JsonCursor;

static void json_ws(JsonCursor *c) {
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
                               c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
        c->pos++;
}

static int json_hex4(JsonCursor *c, unsigned *v) {
    if (c->pos + 4 > c->len) return -1;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char h = c->s[c->pos++];
        *v <<= 4;
        if (h >= '0' && h <= '9') *v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f') *v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') *v |= (unsigned)(h - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* Parse a JSON string at the cursor (on its opening quote). When out != NULL the
 * decoded UTF-8 is stored there (malloc'd, NUL-terminated) with its length. */
static int json_string(JsonCursor *c, char **out, size_t *out_len, char *err) {
    if (c->pos >= c->len || c->s[c->pos] != '"') return sr_fail(err, "expected a string at byte offset %zu", c->pos);
    c->pos++;
    char *buf = out ? xmalloc(c->len - c->pos + 1) : NULL;
    size_t n = 0;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->s[c->pos];
        if (ch == '"') {
            c->pos++;
            if (out) { buf[n] = 0; *out = buf; *out_len = n; }
            return 0;
        }
        if (ch < 0x20) { free(buf); return sr_fail(err, "control character in a string at byte offset %zu", c->pos); }
        if (ch == '\\') {
            size_t at = c->pos++;
            if (c->pos >= c->len) break;
            char e = c->s[c->pos++];
            unsigned cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (json_hex4(c, &cp) < 0) { free(buf); return sr_fail(err, "bad \\u escape at byte offset %zu", at); }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (c->pos + 2 > c->len || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u') {
                        free(buf); return sr_fail(err, "unpaired surrogate \\u%04X at byte offset %zu", cp, at);
                    }
                    c->pos += 2;
                    if (json_hex4(c, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        free(buf); return sr_fail(err, "unpaired surrogate \\u%04X at byte offset %zu", cp, at);
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    free(buf); return sr_fail(err, "unpaired surrogate \\u%04X at byte offset %zu", cp, at);
                }
                break;
            default: free(buf); return sr_fail(err, "bad escape \\%c at byte offset %zu", e, at);
            }
            if (buf) n += (size_t)utf8_encode(cp, buf + n);
            continue;
        }
        size_t start = c->pos;
        if (utf8_decode((const unsigned char *)c->s, c->len, &c->pos) < 0) {
            free(buf); return sr_fail(err, "invalid UTF-8 at byte offset %zu", start);
        }
        if (buf) { memcpy(buf + n, c->s + start, c->pos - start); n += c->pos - start; }
    }
    free(buf);
    return sr_fail(err, "unterminated string");
}

/* Skip any JSON value (checking its syntax). */
static int json_skip_value(JsonCursor *c, int depth, char *err) {
    json_ws(c);
    if (depth > 64) return sr_fail(err, "JSON nested too deeply at byte offset %zu", c->pos);
    if (c->pos >= c->len) return sr_fail(err, "unexpected end of line");
    char ch = c->s[c->pos];
    if (ch == '"') return json_string(c, NULL, NULL, err);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->pos++;
        json_ws(c);
        if (c->pos < c->len && c->s[c->pos] == close) { c->pos++; return 0; }
        for (;;) {
            if (ch == '{') {
                json_ws(c);
                if (json_string(c, NULL, NULL, err) < 0) return -1;
                json_ws(c);
                if (c->pos >= c->len || c->s[c->pos] != ':') return sr_fail(err, "expected ':' at byte offset %zu", c->pos);
                c->pos++;
            }
            if (json_skip_value(c, depth + 1, err) < 0) return -1;
            json_ws(c);
            if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; continue; }
            if (c->pos < c->len && c->s[c->pos] == close) { c->pos++; return 0; }
            return sr_fail(err, "expected ',' or '%c' at byte offset %zu", close, c->pos);
        }
    }
    size_t start = c->pos;
    while (c->pos < c->len && (isalnum((unsigned char)c->s[c->pos]) || strchr("+-.", c->s[c->pos])))
        c->pos++;
    size_t n = c->pos - start;
    if (n == 0) return sr_fail(err, "unexpected character at byte offset %zu", start);
    const char *w = c->s + start;
    if ((n == 4 && !memcmp(w, "true", 4)) || (n == 5 && !memcmp(w, "false", 5)) || (n == 4 && !memcmp(w, "null", 4)))
        return 0;
    char num[64];
    if (n >= sizeof num) return sr_fail(err, "bad value at byte offset %zu", start);
    memcpy(num, w, n);
    num[n] = 0;
    char *end;
    strtod(num, &end);
    if (*end || !(isdigit((unsigned char)num[0]) || num[0] == '-')) return sr_fail(err, "bad value at byte offset %zu", start);
    return 0;
}

/* One input record: the text to process and the "id" to echo back verbatim. */
typedef struct {
    char *text;    /* malloc'd, NUL-terminated UTF-8 */
    size_t len;
    char *id_json; /* the raw JSON of "id" (malloc'd), or NULL when absent */
} SrRecord;

static void record_free(SrRecord *r) {
    free(r->text);
    free(r->id_json);
    memset(r, 0, sizeof *r);
}

/* Parse one JSONL line into a record; "text" is required, "id" optional, other keys
 * are ignored. On error the record still carries the id when it could be read. */
static int json_parse_record(const char *line, size_t len, SrRecord *rec, char *err) {
    memset(rec, 0, sizeof *rec);
    JsonCursor c = {line, len, 0};
    json_ws(&c);
    if (c.pos >= c.len || line[c.pos] != '{') return sr_fail(err, "expected a JSON object at byte offset %zu", c.pos);
    c.pos++;
    int have_text = 0;
    json_ws(&c);
    if (c.pos < c.len && line[c.pos] == '}') { c.pos++; goto done; }
    for (;;) {
        char *key = NULL;
        size_t klen;
        json_ws(&c);
        if (json_string(&c, &key, &klen, err) < 0) return -1;
        json_ws(&c);
        if (c.pos >= c.len || line[c.pos] != ':') { free(key); return sr_fail(err, "expected ':' at byte offset %zu", c.pos); }
        c.pos++;
        json_ws(&c);
        int rc;
        if (strcmp(key, "text") == 0 && !have_text) {
            if (c.pos < c.len && line[c.pos] != '"') rc = sr_fail(err, "\"text\" is not a string");
            else rc = json_string(&c, &rec->text, &rec->len, err);
            have_text = rc == 0;
        } else if (strcmp(key, "id") == 0 && !rec->id_json) {
            size_t start = c.pos;
            rc = json_skip_value(&c, 0, err);
            if (rc == 0) {
                rec->id_json = xmalloc(c.pos - start + 1);
                memcpy(rec->id_json, line + start, c.pos - start);
                rec->id_json[c.pos - start] = 0;
            }
        } else {
            rc = json_skip_value(&c, 0, err);
        }
        free(key);
        if (rc < 0) return -1;
        json_ws(&c);
        if (c.pos < c.len && line[c.pos] == ',') { c.pos++; continue; }
        if (c.pos < c.len && line[c.pos] == '}') { c.pos++; break; }
        return sr_fail(err, "expected ',' or '}' at byte offset %zu", c.pos);
    }
done:
    json_ws(&c);
    if (c.pos != c.len) return sr_fail(err, "trailing characters at byte offset %zu", c.pos);
    if (!have_text) return sr_fail(err, "no \"text\" field");
    return 0;
}

/* ---- Inputs: text arguments, files, or stdin; plain text or JSON lines ---- */

/* Iterates over the records a command was given. Plain mode: each text argument is
 * one record, else each FILE is one record, else stdin is one record. JSONL mode: each
 * non-blank line of each FILE (or of stdin) is one record. */
typedef struct {
    int jsonl;
    char **items; /* file names (plain or jsonl) or, with texts=1, literal texts */
    int n_items, texts;
    int item;           /* next item */
    char *buf;          /* current file contents */
    size_t buf_len, buf_pos;
    const char *name;   /* current file name ("-" = stdin) */
    long line;          /* current line number in JSONL mode */
    long count;         /* records returned so far */
} SrInput;

/* Returns 1 with a record, 0 at the end, -1 for a record that could not be read: err
 * names the file and line, and rec->id_json is set when the id could be read, so the
 * command can print an error record and go on. */
static int input_next(SrInput *in, SrRecord *rec, char *err) {
    memset(rec, 0, sizeof *rec);
    for (;;) {
        if (!in->buf) {
            if (in->texts) {
                if (in->item >= in->n_items) return 0;
                const char *t = in->items[in->item++];
                rec->len = strlen(t);
                rec->text = xmalloc(rec->len + 1);
                memcpy(rec->text, t, rec->len + 1);
                in->count++;
                if (utf8_check(rec->text, rec->len, err) < 0) return -1;
                return 1;
            }
            if (in->item >= (in->n_items ? in->n_items : 1)) return 0;
            in->name = in->n_items ? in->items[in->item] : "-";
            in->item++;
            char e[SR_ERR_LEN];
            in->buf = read_file(in->name, &in->buf_len, e);
            in->buf_pos = 0;
            in->line = 0;
            if (!in->buf) { in->count++; sr_fail(err, "%s", e); return -1; }
            if (!in->jsonl) {
                rec->text = in->buf;
                rec->len = in->buf_len;
                in->buf = NULL;
                in->count++;
                if (utf8_check(rec->text, rec->len, e) < 0) { sr_fail(err, "%s: %s", in->name, e); return -1; }
                return 1;
            }
        }
        while (in->buf_pos < in->buf_len) {
            const char *line = in->buf + in->buf_pos;
            const char *nl = memchr(line, '\n', in->buf_len - in->buf_pos);
            size_t n = nl ? (size_t)(nl - line) : in->buf_len - in->buf_pos;
            in->buf_pos += n + (nl ? 1 : 0);
            in->line++;
            size_t k = 0;
            while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
            if (k == n) continue; /* blank line */
            in->count++;
            char e[SR_ERR_LEN];
            if (json_parse_record(line, n, rec, e) < 0) {
                sr_fail(err, "%s:%ld: %s", strcmp(in->name, "-") ? in->name : "stdin", in->line, e);
                return -1;
            }
            return 1;
        }
        free(in->buf);
        in->buf = NULL;
    }
}

static void input_close(SrInput *in) {
    free(in->buf);
    in->buf = NULL;
}

/* Print {"id": ..., "error": "..."} for a record that failed. */
static void print_error_record(FILE *f, const SrRecord *rec, long index, const char *msg) {
    fputs("{\"id\":", f);
    if (rec && rec->id_json) fputs(rec->id_json, f);
    else fprintf(f, "%ld", index);
    fputs(",\"error\":", f);
    json_put_cstr(f, msg);
    fputs("}\n", f);
}

/* Command-line helper: the value after option argv[*i], or exit with a message. */
static const char *opt_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) { fprintf(stderr, "sr: option %s needs a value\n", argv[*i]); exit(2); }
    return argv[++*i];
}

/* Directory holding the running binary (for the demo model and lexicons). */
static void exe_dir(char *out, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0) { snprintf(out, cap, "."); return; }
    out[n] = 0;
    char *slash = strrchr(out, '/');
    if (slash) *slash = 0;
}

/* ================================================================================
 * 2. The model file
 * ================================================================================ */

/* ENGINE: loader, SrModel / SrState definitions (see sr.h for the format).
 * Stubs until the engine lands. */
struct SrModel { SrConfig cfg; };
struct SrState { int unused; };
int sr_load(SrModel **out, const char *path, char *err) { *out = NULL; return sr_fail(err, "%s: model loading not implemented yet", path); }
void sr_free(SrModel *m) { free(m); }
const SrConfig *sr_config(const SrModel *m) { return &m->cfg; }
const char *sr_token_text(const SrModel *m, int id) { (void)m; (void)id; return ""; }
const char *sr_label_name(const SrModel *m, int label) { (void)m; (void)label; return ""; }
const char *sr_meta_json(const SrModel *m) { (void)m; return "{}"; }
SrState *sr_state_new(const SrModel *m, int max_tokens) { (void)m; (void)max_tokens; return xcalloc(1, sizeof(SrState)); }
void sr_state_free(SrState *s) { free(s); }
const float *sr_forward(const SrModel *m, SrState *s, const int *ids, const int *types, const uint8_t *attn, int n) {
    (void)m; (void)s; (void)ids; (void)types; (void)attn; (void)n; return NULL;
}
int sr_mlm_logits(const SrModel *m, SrState *s, const int *positions, int npos, float *out, char *err) {
    (void)m; (void)s; (void)positions; (void)npos; (void)out; return sr_fail(err, "not implemented");
}
int sr_classify_logits(const SrModel *m, SrState *s, float *out, char *err) {
    (void)m; (void)s; (void)out; return sr_fail(err, "not implemented");
}
void sr_set_threads(int n) { (void)n; }
static int cmd_bench(int argc, char **argv) { (void)argc; (void)argv; fputs("sr bench: not implemented yet\n", stderr); return 2; }
static int cmd_info(int argc, char **argv) { (void)argc; (void)argv; fputs("sr info: not implemented yet\n", stderr); return 2; }

/* ================================================================================
 * 3. Kernels
 * ================================================================================ */

/* ENGINE */

/* ================================================================================
 * 4. Encoder forward and heads
 * ================================================================================ */

/* ENGINE */

/* ================================================================================
 * 5. Tokenizer, NER + Masker, MLM + generation
 * ================================================================================ */

#include "tokenizer.c"
#include "ner.c"
#include "mlm.c"

/* ================================================================================
 * 6. Command line
 * ================================================================================ */

#ifndef SR_NO_MAIN

static void usage(void) {
    fputs("usage: sr COMMAND [options]\n"
          "  generate   turn letters into synthetic letters (the main job)\n"
          "  deid       find and mask PHI\n"
          "  tokenize   WordPiece tokens, ids and offsets\n"
          "  fill       fill [MASK] tokens (Hugging Face fill-mask)\n"
          "  ner        token classification (Hugging Face pipeline)\n"
          "  bench      time the encoder forward\n"
          "  info       describe a model file\n"
          "Run `sr COMMAND --help` for a command's options.\n",
          stderr);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    argc--, argv++;
    if (!strcmp(cmd, "tokenize")) return cmd_tokenize(argc, argv);
    if (!strcmp(cmd, "fill")) return cmd_fill(argc, argv);
    if (!strcmp(cmd, "generate")) return cmd_generate(argc, argv);
    if (!strcmp(cmd, "deid")) return cmd_deid(argc, argv);
    if (!strcmp(cmd, "ner")) return cmd_ner(argc, argv);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc, argv);
    if (!strcmp(cmd, "info")) return cmd_info(argc, argv);
    fprintf(stderr, "sr: unknown command '%s'\n", cmd);
    usage();
    return 2;
}

#endif
