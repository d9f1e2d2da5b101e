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
 *      #include "ner.c"        token classification decoding, the Masker; it includes
 *               "phi.c"        the PHI rules
 *      #include "mlm.c"        MLM sampling, mask filling, sr fill / sr generate
 *   6. the command line: `sr COMMAND ...`; each module owns its commands (cmd_*),
 *      main() only dispatches.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <dirent.h> /* folders given as inputs */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h> /* flock: shards sharing one annotation.conf */
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

/* The command running, for messages: "sr generate" (main() sets it). */
static char sr_cmd[64] = "sr";

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

/* s as a JSON string literal (malloc'd), e.g. a file's path as a record's "id" */
static char *json_quote(const char *s) {
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f) { fprintf(stderr, "sr: out of memory\n"); exit(2); }
    json_put_cstr(f, s);
    if (fclose(f) != 0 || !out) { fprintf(stderr, "sr: out of memory\n"); exit(2); }
    return out;
}

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

/* One input record: the text to process and the "id" to echo back verbatim; and PHI
 * known from outside (another tool, a reviewer, the EHR): "given_phi" spans and
 * "known_phi" strings. A "phi" field (gold annotations) is never read as input. */
typedef struct {
    char *text;    /* malloc'd, NUL-terminated UTF-8 */
    size_t len;
    char *id_json; /* the raw JSON of "id" (malloc'd), or NULL when absent */
    long line;     /* JSONL: its line in the file (1-based); 0 for other inputs */
    SrSpan *given; /* given_phi: code-point spans, category = type (byte offsets set
                      once the text is known) */
    int n_given, cap_given;
    char **known;  /* known_phi: strings (malloc'd) and their types ("" = guess) */
    char **known_type;
    int n_known, cap_known, cap_known_type;
    char *patient; /* "patient" (a string), or NULL: with a surrogate key, one date shift a patient */
    char **extra_key, **extra_json; /* the record's other keys and their raw JSON values,
                                       for --keep-fields */
    int n_extra, cap_extra_key, cap_extra_json;
} SrRecord;

static void record_free(SrRecord *r) {
    free(r->text);
    free(r->id_json);
    free(r->given);
    for (int k = 0; k < r->n_known; k++) { free(r->known[k]); free(r->known_type[k]); }
    free(r->known);
    free(r->known_type);
    free(r->patient);
    for (int k = 0; k < r->n_extra; k++) { free(r->extra_key[k]); free(r->extra_json[k]); }
    free(r->extra_key);
    free(r->extra_json);
    memset(r, 0, sizeof *r);
}

/* A JSON integer (no fraction, no exponent) in [lo, hi]. */
static int json_int(JsonCursor *c, long lo, long hi, long *out, char *err) {
    json_ws(c);
    size_t start = c->pos;
    if (c->pos < c->len && c->s[c->pos] == '-') c->pos++;
    while (c->pos < c->len && isdigit((unsigned char)c->s[c->pos])) c->pos++;
    if (c->pos == start || (c->pos - start == 1 && c->s[start] == '-') || c->pos - start > 18 ||
        (c->pos < c->len && strchr(".eE", c->s[c->pos])))
        return sr_fail(err, "expected an integer at byte offset %zu", start);
    long v = strtol(c->s + start, NULL, 10);
    if (v < lo || v > hi) return sr_fail(err, "%ld out of range at byte offset %zu", v, start);
    *out = v;
    return 0;
}

/* "given_phi": [{"start": N, "end": N, "type": "NAME"}, ...] (code points, end exclusive) */
static int json_given_phi(JsonCursor *c, SrRecord *rec, char *err) {
    json_ws(c);
    if (c->pos >= c->len || c->s[c->pos] != '[') return sr_fail(err, "\"given_phi\" is not an array at byte offset %zu", c->pos);
    c->pos++;
    json_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
    for (;;) {
        json_ws(c);
        size_t at = c->pos;
        if (c->pos >= c->len || c->s[c->pos] != '{') return sr_fail(err, "a given_phi entry is not an object at byte offset %zu", at);
        c->pos++;
        long start = -1, end = -1;
        char type[24] = "PHI";
        json_ws(c);
        while (c->pos < c->len && c->s[c->pos] != '}') {
            char *key = NULL;
            size_t kl;
            if (json_string(c, &key, &kl, err) < 0) return -1;
            json_ws(c);
            if (c->pos >= c->len || c->s[c->pos] != ':') { free(key); return sr_fail(err, "expected ':' at byte offset %zu", c->pos); }
            c->pos++;
            json_ws(c);
            int rc;
            if (!strcmp(key, "start")) rc = json_int(c, 0, INT32_MAX, &start, err);
            else if (!strcmp(key, "end")) rc = json_int(c, 0, INT32_MAX, &end, err);
            else if (!strcmp(key, "type")) {
                char *v = NULL;
                size_t vl;
                rc = c->pos < c->len && c->s[c->pos] == '"' ? json_string(c, &v, &vl, err) : sr_fail(err, "a given_phi \"type\" is not a string");
                if (rc == 0 && (vl == 0 || vl >= sizeof type)) rc = sr_fail(err, "a given_phi \"type\" must have 1-23 bytes");
                if (rc == 0) for (size_t k = 0; k <= vl; k++) type[k] = (char)toupper((unsigned char)v[k]);
                free(v);
            } else rc = json_skip_value(c, 1, err);
            free(key);
            if (rc < 0) return -1;
            json_ws(c);
            if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; json_ws(c); }
        }
        if (c->pos >= c->len) return sr_fail(err, "unterminated given_phi entry");
        c->pos++;
        if (start < 0 || end < 0) return sr_fail(err, "a given_phi entry at byte offset %zu needs \"start\" and \"end\"", at);
        if (end <= start) return sr_fail(err, "a given_phi entry at byte offset %zu has end %ld <= start %ld", at, end, start);
        rec->given = grow(rec->given, &rec->cap_given, rec->n_given + 1, sizeof *rec->given);
        SrSpan *sp = &rec->given[rec->n_given++];
        memset(sp, 0, sizeof *sp);
        sp->cp_start = (int)start;
        sp->cp_end = (int)end;
        sp->action = SR_ACT_PHI;
        snprintf(sp->category, sizeof sp->category, "%s", type);
        snprintf(sp->source, sizeof sp->source, "given");
        sp->score = 1;
        json_ws(c);
        if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; continue; }
        if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
        return sr_fail(err, "expected ',' or ']' at byte offset %zu", c->pos);
    }
}

/* "known_phi": ["Marian Lovelace", "7730215", {"text": "...", "type": "MRN"}, ...] */
static int json_known_phi(JsonCursor *c, SrRecord *rec, char *err) {
    json_ws(c);
    if (c->pos >= c->len || c->s[c->pos] != '[') return sr_fail(err, "\"known_phi\" is not an array at byte offset %zu", c->pos);
    c->pos++;
    json_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
    for (;;) {
        json_ws(c);
        size_t at = c->pos;
        char *text = NULL, *type = NULL;
        size_t tl = 0, yl = 0;
        if (c->pos < c->len && c->s[c->pos] == '"') {
            if (json_string(c, &text, &tl, err) < 0) return -1;
        } else if (c->pos < c->len && c->s[c->pos] == '{') {
            c->pos++;
            json_ws(c);
            while (c->pos < c->len && c->s[c->pos] != '}') {
                char *key = NULL;
                size_t kl;
                if (json_string(c, &key, &kl, err) < 0) { free(text); free(type); return -1; }
                json_ws(c);
                if (c->pos >= c->len || c->s[c->pos] != ':') { free(key); free(text); free(type); return sr_fail(err, "expected ':' at byte offset %zu", c->pos); }
                c->pos++;
                json_ws(c);
                int rc;
                char **slot = !strcmp(key, "text") ? &text : !strcmp(key, "type") ? &type : NULL;
                if (slot && !*slot && c->pos < c->len && c->s[c->pos] == '"') rc = json_string(c, slot, slot == &text ? &tl : &yl, err);
                else if (slot) rc = sr_fail(err, "a known_phi \"%s\" is not a string (or given twice)", key);
                else rc = json_skip_value(c, 1, err);
                free(key);
                if (rc < 0) { free(text); free(type); return -1; }
                json_ws(c);
                if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; json_ws(c); }
            }
            if (c->pos >= c->len) { free(text); free(type); return sr_fail(err, "unterminated known_phi entry"); }
            c->pos++;
        } else return sr_fail(err, "a known_phi entry at byte offset %zu is neither a string nor an object", at);
        if (!text || tl == 0) { free(text); free(type); return sr_fail(err, "a known_phi entry at byte offset %zu has no text", at); }
        if (!type) { type = xmalloc(1); type[0] = 0; }
        for (char *p = type; *p; p++) *p = (char)toupper((unsigned char)*p);
        rec->known = grow(rec->known, &rec->cap_known, rec->n_known + 1, sizeof *rec->known);
        rec->known_type = grow(rec->known_type, &rec->cap_known_type, rec->n_known + 1, sizeof *rec->known_type);
        rec->known[rec->n_known] = text;
        rec->known_type[rec->n_known++] = type;
        json_ws(c);
        if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; continue; }
        if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
        return sr_fail(err, "expected ',' or ']' at byte offset %zu", c->pos);
    }
}

/* Parse one JSONL line into a record; "text" is required, "id", "given_phi" and
 * "known_phi" optional, other keys are ignored. On error the record still carries the
 * id when it could be read. */
typedef struct { char **key; int n, cap; } JsonKeys; /* a record's keys so far */

/* A key sr does not read, kept raw (its JSON value as written) for --keep-fields. */
static void record_keep_raw(SrRecord *rec, const char *key, const char *value, size_t n) {
    rec->extra_key = grow(rec->extra_key, &rec->cap_extra_key, rec->n_extra + 1, sizeof *rec->extra_key);
    rec->extra_json = grow(rec->extra_json, &rec->cap_extra_json, rec->n_extra + 1, sizeof *rec->extra_json);
    rec->extra_key[rec->n_extra] = strdup(key);
    rec->extra_json[rec->n_extra] = xmalloc(n + 1);
    memcpy(rec->extra_json[rec->n_extra], value, n);
    rec->extra_json[rec->n_extra][n] = 0;
    rec->n_extra++;
}

/* --keep-fields a,b: the input keys every JSON output record carries through, after its
 * "id", verbatim (they are not de-identified: keep only metadata without PHI). One list
 * for the whole command, like sr_cmd. */
static char **keep_fields;
static int n_keep_fields, cap_keep_fields;

/* ,"a":value for each kept key the record has */
static void put_kept_fields(FILE *f, const SrRecord *rec) {
    for (int k = 0; rec && k < n_keep_fields; k++)
        for (int e = 0; e < rec->n_extra; e++)
            if (!strcmp(rec->extra_key[e], keep_fields[k])) {
                fputc(',', f);
                json_put_cstr(f, keep_fields[k]);
                fputc(':', f);
                fputs(rec->extra_json[e], f);
            }
}

static int json_parse_record_keys(const char *line, size_t len, SrRecord *rec, JsonKeys *seen, char *err);
static int json_parse_record(const char *line, size_t len, SrRecord *rec, char *err) {
    JsonKeys seen = {0};
    int rc = json_parse_record_keys(line, len, rec, &seen, err);
    for (int k = 0; k < seen.n; k++) free(seen.key[k]);
    free(seen.key);
    return rc;
}

/* A key given twice is an error: Python's json keeps the last value, a first-wins reader
 * the first, and a record that two tools read differently is not a record. */
static int json_parse_record_keys(const char *line, size_t len, SrRecord *rec, JsonKeys *seen, char *err) {
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
        size_t key_at = c.pos;
        if (json_string(&c, &key, &klen, err) < 0) return -1;
        for (int k = 0; k < seen->n; k++)
            if (!strcmp(seen->key[k], key)) {
                sr_fail(err, "key \"%.60s\" given twice (at byte offset %zu)", key, key_at);
                free(key);
                return -1;
            }
        seen->key = grow(seen->key, &seen->cap, seen->n + 1, sizeof *seen->key);
        seen->key[seen->n] = xmalloc(klen + 1);
        memcpy(seen->key[seen->n++], key, klen + 1);
        json_ws(&c);
        if (c.pos >= c.len || line[c.pos] != ':') { free(key); return sr_fail(err, "expected ':' at byte offset %zu", c.pos); }
        c.pos++;
        json_ws(&c);
        int rc;
        if (strcmp(key, "text") == 0 && !have_text) {
            if (c.pos < c.len && line[c.pos] != '"') rc = sr_fail(err, "\"text\" is not a string");
            else rc = json_string(&c, &rec->text, &rec->len, err);
            have_text = rc == 0;
        } else if (strcmp(key, "given_phi") == 0 && !rec->n_given) {
            rc = json_given_phi(&c, rec, err);
        } else if (strcmp(key, "known_phi") == 0 && !rec->n_known) {
            rc = json_known_phi(&c, rec, err);
        } else if (strcmp(key, "patient") == 0 && !rec->patient && c.pos < c.len && line[c.pos] == '"') {
            size_t plen, start = c.pos;
            rc = json_string(&c, &rec->patient, &plen, err);
            if (rc == 0) record_keep_raw(rec, key, line + start, c.pos - start);
        } else if (strcmp(key, "id") == 0 && !rec->id_json) {
            size_t start = c.pos;
            rc = json_skip_value(&c, 0, err);
            if (rc == 0) {
                rec->id_json = xmalloc(c.pos - start + 1);
                memcpy(rec->id_json, line + start, c.pos - start);
                rec->id_json[c.pos - start] = 0;
            }
        } else {
            size_t start = c.pos;
            rc = json_skip_value(&c, 0, err);
            if (rc == 0) record_keep_raw(rec, key, line + start, c.pos - start);
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
    if (rec->n_given) { /* code points -> bytes, checked against the text */
        int cps = 0;
        size_t i = 0;
        int *at = xmalloc(((size_t)rec->len + 2) * sizeof *at);
        while (i < rec->len) {
            at[cps++] = (int)i;
            if (utf8_decode((const unsigned char *)rec->text, rec->len, &i) < 0) { free(at); return sr_fail(err, "invalid UTF-8 in \"text\""); }
        }
        at[cps] = (int)rec->len;
        for (int k = 0; k < rec->n_given; k++) {
            SrSpan *sp = &rec->given[k];
            if (sp->cp_end > cps) {
                free(at);
                return sr_fail(err, "given_phi span %d-%d ends beyond the text (%d code points)", sp->cp_start, sp->cp_end, cps);
            }
            sp->byte_start = at[sp->cp_start];
            sp->byte_end = at[sp->cp_end];
        }
        free(at);
    }
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
    int encoding;       /* SR_ENC_*: what the files and stdin hold (--encoding) */
} SrInput;

/* --encoding: files and stdin are UTF-8 (the default), Windows-1252 or Latin-1 (legacy
 * EHR exports); the other two are converted to UTF-8 as they are read, so every offset
 * sr writes counts code points of the converted text. */
enum { SR_ENC_UTF8 = 0, SR_ENC_CP1252 = 1, SR_ENC_LATIN1 = 2 };

/* Windows-1252's 0x80..0x9F (0: a byte the code page leaves undefined); the rest of it,
 * and all of Latin-1, is the code point of the byte. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* buf[0..*len-1] in `encoding` -> a new UTF-8 buffer (the old one freed). A byte
 * Windows-1252 leaves undefined is an error naming its offset. */
static int to_utf8(char **buf, size_t *len, int encoding, char *err) {
    const unsigned char *in = (const unsigned char *)*buf;
    char *out = xmalloc(3 * *len + 1), *o = out;
    for (size_t i = 0; i < *len; i++) {
        unsigned cp = in[i];
        if (encoding == SR_ENC_CP1252 && cp >= 0x80 && cp < 0xA0) {
            cp = cp1252_high[cp - 0x80];
            if (!cp) { free(out); return sr_fail(err, "byte 0x%02X at byte offset %zu is not a Windows-1252 character", in[i], i); }
        }
        if (cp < 0x80) *o++ = (char)cp;
        else if (cp < 0x800) { *o++ = (char)(0xC0 | cp >> 6); *o++ = (char)(0x80 | (cp & 0x3F)); }
        else { *o++ = (char)(0xE0 | cp >> 12); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F)); }
    }
    *o = 0;
    free(*buf);
    *buf = out;
    *len = (size_t)(o - out);
    return 0;
}

/* invalid UTF-8 in a file: say so, with the way out for legacy exports */
static int utf8_check_file(const char *s, size_t len, char *err) {
    if (utf8_check(s, len, err) == 0) return 0;
    size_t n = strlen(err);
    snprintf(err + n, SR_ERR_LEN - n, " (a Windows-1252 or Latin-1 export? give --encoding cp1252 or latin1)");
    return -1;
}

/* A plain file's record is identified by the file's path (stdin and --text by index). */
static void input_file_id(const SrInput *in, SrRecord *rec) {
    if (!in->jsonl && strcmp(in->name, "-")) rec->id_json = json_quote(in->name);
}

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
            if (!in->buf) {
                in->count++;
                input_file_id(in, rec);
                struct stat sb;
                /* positional arguments were texts once: say where text goes now */
                if (stat(in->name, &sb) != 0 && errno == ENOENT) sr_fail(err, "%s (text on the command line goes after --text)", e);
                else sr_fail(err, "%s", e);
                return -1;
            }
            if (in->encoding != SR_ENC_UTF8 && to_utf8(&in->buf, &in->buf_len, in->encoding, e) < 0) {
                in->count++;
                input_file_id(in, rec);
                sr_fail(err, "%s: %s", strcmp(in->name, "-") ? in->name : "stdin", e);
                free(in->buf);
                in->buf = NULL;
                return -1;
            }
            /* a UTF-8 byte order mark (Windows editors write one) is no text */
            if (in->buf_len >= 3 && !memcmp(in->buf, "\xEF\xBB\xBF", 3)) {
                memmove(in->buf, in->buf + 3, in->buf_len - 2);
                in->buf_len -= 3;
            }
            if (!in->jsonl) {
                rec->text = in->buf;
                rec->len = in->buf_len;
                in->buf = NULL;
                in->count++;
                input_file_id(in, rec);
                if (utf8_check_file(rec->text, rec->len, e) < 0) { sr_fail(err, "%s: %s", in->name, e); return -1; }
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
            int bad = json_parse_record(line, n, rec, e) < 0;
            rec->line = in->line;
            if (bad) {
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

/* Print {"id": ..., "line": N, "error": "..."} for a record that failed: "id" as the
 * record gave it, null when it could not be read (never a made-up number that might be
 * another record's id); "line" its JSONL line, else "record": its index (from 0). */
static void print_error_record(FILE *f, const SrRecord *rec, long index, const char *msg) {
    fputs("{\"id\":", f);
    fputs(rec && rec->id_json ? rec->id_json : "null", f);
    put_kept_fields(f, rec);
    if (rec && rec->line > 0) fprintf(f, ",\"line\":%ld", rec->line);
    else fprintf(f, ",\"record\":%ld", index);
    fputs(",\"error\":", f);
    json_put_cstr(f, msg);
    fputs("}\n", f);
}

/* Command-line helper: the value after option argv[*i], or exit with a message. */
static const char *opt_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) { fprintf(stderr, "%s: option %s needs a value\n", sr_cmd, argv[*i]); exit(2); }
    return argv[++*i];
}

/* Strict option values: the whole value must parse (no leading blanks, no trailing
 * characters, not empty) and lie in [lo, hi], else one line naming the option and exit
 * 2 (a usage error). Every command parses its numbers with these, so `--seed abc` or
 * `--threads 0` is refused rather than read as 0 or as "the default". */
static void opt_bad(const char *opt, const char *v, const char *want) {
    fprintf(stderr, "%s: %s wants %s, not '%s'\n", sr_cmd, opt, want, v);
    exit(2);
}
static long opt_int(int argc, char **argv, int *i, long lo, long hi) {
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    char want[96];
    snprintf(want, sizeof want, "an integer in %ld..%ld", lo, hi);
    char *e;
    errno = 0;
    long x = strtol(v, &e, 10);
    if (!*v || isspace((unsigned char)*v) || *e || errno || x < lo || x > hi) opt_bad(opt, v, want);
    return x;
}
static uint64_t opt_u64(int argc, char **argv, int *i) {
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    char *e;
    errno = 0;
    unsigned long long x = strtoull(v, &e, 10);
    if (!isdigit((unsigned char)*v) || *e || errno) opt_bad(opt, v, "an integer in 0..18446744073709551615");
    return (uint64_t)x;
}
/* A finite number in [lo, hi]; open_lo: lo itself excluded. */
static double opt_float(int argc, char **argv, int *i, double lo, double hi, int open_lo) {
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    char want[96];
    snprintf(want, sizeof want, "a number in %s%g, %g]", open_lo ? "(" : "[", lo, hi);
    char *e;
    double x = strtod(v, &e);
    if (!*v || isspace((unsigned char)*v) || *e || !isfinite(x) || x < lo || x > hi || (open_lo && x == lo)) opt_bad(opt, v, want);
    return x;
}
/* --threads N: 1..1024 (the default, one per core, is what omitting it gives). */
static int opt_threads(int argc, char **argv, int *i) { return (int)opt_int(argc, argv, i, 1, 1024); }
/* --keep-fields a,b (into keep_fields): names of input keys; the keys sr reads or writes
 * itself cannot be kept (they would clash with the output's own) */
static void opt_keep_fields(int argc, char **argv, int *i) {
    static const char *reserved[] = {"id", "text", "given_phi", "known_phi", "phi", "spans", "entities", "changes",
                                     "explain", "error", "line", "record", "original", "tokens", "fills", NULL};
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    char *list = strdup(v), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        for (int r = 0; reserved[r]; r++)
            if (!strcmp(name, reserved[r])) opt_bad(opt, v, "names of other input keys (id, text, phi, ... are sr's own)");
        keep_fields = grow(keep_fields, &cap_keep_fields, n_keep_fields + 1, sizeof *keep_fields);
        keep_fields[n_keep_fields++] = strdup(name);
    }
    if (!n_keep_fields) opt_bad(opt, v, "a comma-separated list of input keys");
    free(list);
}

/* --encoding utf-8|cp1252|latin1 (SR_ENC_*) */
static int opt_encoding(int argc, char **argv, int *i) {
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    if (!strcmp(v, "utf-8") || !strcmp(v, "utf8")) return SR_ENC_UTF8;
    if (!strcmp(v, "cp1252") || !strcmp(v, "windows-1252")) return SR_ENC_CP1252;
    if (!strcmp(v, "latin1") || !strcmp(v, "iso-8859-1")) return SR_ENC_LATIN1;
    opt_bad(opt, v, "utf-8, cp1252 or latin1");
    return 0;
}
/* --shard I/N: records I, I+N, I+2N, ... (0 <= I < N). */
static void opt_shard(int argc, char **argv, int *i, int *shard_i, int *shard_n) {
    const char *opt = argv[*i], *v = opt_value(argc, argv, i);
    char *e;
    errno = 0;
    long a = isdigit((unsigned char)v[0]) ? strtol(v, &e, 10) : -1, b = -1;
    if (a >= 0 && *e == '/' && isdigit((unsigned char)e[1])) b = strtol(e + 1, &e, 10);
    if (b < 1 || *e || errno || b > INT32_MAX || a >= b) opt_bad(opt, v, "I/N with 0 <= I < N");
    *shard_i = (int)a;
    *shard_n = (int)b;
}

/* ---- Inputs named on the command line ---- */

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Expand directories into their regular files (sorted, hidden files skipped). */
static char **expand_inputs(char **items, int n, int *out_n) {
    char **out = NULL;
    int cap = 0, m = 0;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (strcmp(items[i], "-") && stat(items[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(items[i]);
            if (!d) { out = grow(out, &cap, m + 1, sizeof *out); out[m++] = strdup(items[i]); continue; }
            int first = m;
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                size_t l = strlen(items[i]) + strlen(e->d_name) + 2;
                char *p = xmalloc(l);
                snprintf(p, l, "%s/%s", items[i], e->d_name);
                if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) { out = grow(out, &cap, m + 1, sizeof *out); out[m++] = p; }
                else free(p);
            }
            closedir(d);
            qsort(out + first, (size_t)(m - first), sizeof *out, name_cmp);
        } else {
            out = grow(out, &cap, m + 1, sizeof *out);
            out[m++] = strdup(items[i]);
        }
    }
    *out_n = m;
    return out;
}

/* The command line's inputs, one grammar for every command: positional arguments are
 * files (a folder stands for its files, '-' for stdin), --text T is one literal text
 * (repeatable), neither reads stdin. "-f" is still accepted before files, as scripts
 * wrote it when positional arguments were texts; it changes nothing. */
typedef struct {
    char **args;  /* positional arguments, as given */
    char **texts; /* --text values */
    char **files; /* the files args name (folders expanded), set by input_args_open */
    int n_args, n_texts, n_files;
} SrInputArgs;

static void input_args_init(SrInputArgs *a, int argc) {
    memset(a, 0, sizeof *a);
    a->args = xmalloc((size_t)(argc + 1) * sizeof *a->args);
    a->texts = xmalloc((size_t)(argc + 1) * sizeof *a->texts);
}

/* 1 when argv[*i] is an input argument (taken), else 0. Call it after a command's own
 * options and before its "unknown option" check. */
static int opt_input(int argc, char **argv, int *i, SrInputArgs *a) {
    const char *s = argv[*i];
    if (!strcmp(s, "--text")) { a->texts[a->n_texts++] = (char *)opt_value(argc, argv, i); return 1; }
    if (!strcmp(s, "-f") || !strcmp(s, "--file")) return 1;
    if (s[0] == '-' && s[1]) return 0;
    a->args[a->n_args++] = (char *)s;
    return 1;
}

/* Check that the inputs go together and set `in` up to read them (jsonl, encoding as
 * given). -1 after a one-line error on stderr: a usage error (exit 2). */
static int input_args_open(const char *cmd, SrInputArgs *a, int jsonl, int encoding, SrInput *in) {
    if (a->n_texts && (a->n_args || jsonl)) {
        fprintf(stderr, "sr %s: give either --text or files (or --jsonl), not both\n", cmd);
        return -1;
    }
    a->files = expand_inputs(a->args, a->n_args, &a->n_files);
    memset(in, 0, sizeof *in);
    in->jsonl = jsonl;
    in->encoding = encoding;
    in->texts = a->n_texts > 0;
    in->items = in->texts ? a->texts : a->files;
    in->n_items = in->texts ? a->n_texts : a->n_files;
    return 0;
}

static void input_args_free(SrInputArgs *a) {
    for (int k = 0; k < a->n_files; k++) free(a->files[k]);
    free(a->files);
    free(a->args);
    free(a->texts);
    memset(a, 0, sizeof *a);
}

/* ---- Output: every write checked ---- */

/* stdout flushed and its error flag read: 0, or -1 after saying once on stderr that
 * the output is incomplete (a full disk, a closed pipe). main() checks it after every
 * command, so a command only calls it to stop early. */
static int stdout_failed_said;
static int stdout_check(void) {
    if (stdout_failed_said) return -1;
    errno = 0;
    int bad = fflush(stdout) != 0;
    int e = errno;
    if (!bad && !ferror(stdout)) return 0;
    fprintf(stderr, "%s: write error on stdout%s%s: the output is incomplete\n", sr_cmd, e ? ": " : "", e ? strerror(e) : "");
    stdout_failed_said = 1;
    return -1;
}

/* A file written whole or not at all: the bytes go to a temporary file beside it
 * (".sr-tmp-XXXXXX", same folder, so the rename cannot cross file systems), which is
 * flushed, synced and renamed over NAME only when every write succeeded. A reader never
 * sees half a letter, and a failed run leaves the old file as it was. */
typedef struct {
    FILE *f;
    char path[4096], tmp[4200];
} SrOutFile;

/* mode: the file's permissions before the umask (0666; 0600 for a file only its owner
 * may read, such as the surrogate map). A path that exists and is not a regular file
 * (/dev/full, /dev/null, a FIFO) is written in place: a temporary file renamed over a
 * device would replace the device. */
static int outfile_open_mode(SrOutFile *o, const char *path, mode_t mode, char *err) {
    memset(o, 0, sizeof *o);
    if (strlen(path) >= sizeof o->path) return sr_fail(err, "%.200s...: path too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(o->f = fopen(path, "wb"))) return sr_fail(err, "%s: %s", path, strerror(errno));
        return 0; /* o->tmp empty: nothing to rename */
    }
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    snprintf(o->tmp, sizeof o->tmp, "%.*s.sr-tmp-XXXXXX", dl, path); /* short: NAME may be near NAME_MAX */
    int fd = mkstemp(o->tmp);
    if (fd < 0) return sr_fail(err, "%s: %s", path, strerror(errno));
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, mode & ~um) != 0 || !(o->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        return sr_fail(err, "%s: %s", path, strerror(e));
    }
    return 0;
}

static int outfile_open(SrOutFile *o, const char *path, char *err) { return outfile_open_mode(o, path, 0666, err); }

static void outfile_abort(SrOutFile *o) {
    if (o->f) { fclose(o->f); if (o->tmp[0]) unlink(o->tmp); }
    o->f = NULL;
}

/* Flush, sync, close and rename; on any failure the temporary file is removed. */
static int outfile_commit(SrOutFile *o, char *err) {
    errno = 0;
    int bad = ferror(o->f) || fflush(o->f) != 0 || (o->tmp[0] && fsync(fileno(o->f)) != 0);
    int e = errno;
    if (fclose(o->f) != 0 && !bad) { bad = 1; e = errno; }
    o->f = NULL;
    if (!bad && o->tmp[0] && rename(o->tmp, o->path) != 0) { bad = 1; e = errno; }
    if (bad) {
        if (o->tmp[0]) unlink(o->tmp);
        return sr_fail(err, "%s: write error%s%s (not written)", o->path, e ? ": " : "", e ? strerror(e) : "");
    }
    return 0;
}

/* A set of strings (file names given out so far): 1 when s was added, 0 when present. */
typedef struct {
    char **slot;
    int n, cap; /* cap: a power of two, at most half full */
} SrStrSet;

static uint32_t strset_hash(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}
static int strset_add(SrStrSet *t, const char *s) {
    if (2 * (t->n + 1) > t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        char **slot = xcalloc((size_t)cap, sizeof *slot);
        for (int k = 0; k < t->cap; k++) {
            if (!t->slot[k]) continue;
            uint32_t h = strset_hash(t->slot[k]) & (uint32_t)(cap - 1);
            while (slot[h]) h = (h + 1) & (uint32_t)(cap - 1);
            slot[h] = t->slot[k];
        }
        free(t->slot);
        t->slot = slot;
        t->cap = cap;
    }
    uint32_t h = strset_hash(s) & (uint32_t)(t->cap - 1);
    for (; t->slot[h]; h = (h + 1) & (uint32_t)(t->cap - 1))
        if (!strcmp(t->slot[h], s)) return 0;
    t->slot[h] = strdup(s);
    if (!t->slot[h]) { fputs("sr: out of memory\n", stderr); exit(2); }
    t->n++;
    return 1;
}
static void strset_free(SrStrSet *t) {
    for (int k = 0; k < t->cap; k++) free(t->slot[k]);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* Directory holding the running binary (for the demo model and lexicons). */
static void exe_dir(char *out, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0) { snprintf(out, cap, "."); return; }
    out[n] = 0;
    char *slash = strrchr(out, '/');
    if (slash) *slash = 0;
}

/* Where a shipped data file (lexicons, cue words, tagger weights...) is: in the folder
 * given (--data DIR) and nowhere else; otherwise in the first of $SR_DATA, data/ beside
 * the binary, one or two levels up (test binaries live in test/out/), and the data/
 * folder of the source tree this binary was compiled from, that holds it. Every data
 * file is found here. */
static int data_file(const char *data_dir, const char *name, char *out, size_t cap, char *err) {
    char dirs[6][4096];
    int nd = 0;
    if (data_dir) snprintf(dirs[nd++], sizeof dirs[0], "%s", data_dir);
    else {
        const char *env = getenv("SR_DATA");
        if (env && *env) snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
        char exe[4000];
        exe_dir(exe, sizeof exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/data", exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/../data", exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/../../data", exe);
        char src[4000];
        snprintf(src, sizeof src, "%s", __FILE__);
        char *slash = strrchr(src, '/');
        if (slash) { *slash = 0; snprintf(dirs[nd++], sizeof dirs[0], "%s/data", src); }
        else snprintf(dirs[nd++], sizeof dirs[0], "data");
    }
    for (int i = 0; i < nd; i++) {
        size_t nd_len = strlen(dirs[i]), nn = strlen(name);
        if (nd_len + nn + 2 > cap) continue; /* never a truncated path */
        memcpy(out, dirs[i], nd_len);
        out[nd_len] = '/';
        memcpy(out + nd_len + 1, name, nn + 1);
        if (access(out, R_OK) == 0) return 0;
    }
    if (data_dir) return sr_fail(err, "%s: no %s there (pass --data DIR with sr's data/ folder)", data_dir, name);
    return sr_fail(err, "data file %s not found ($SR_DATA, data/ beside the binary or 1-2 levels up, "
                        "the source tree's data/); set SR_DATA or pass --data DIR", name);
}

/* ================================================================================
 * 2. The model file
 * ================================================================================ */

/* A 2-D weight as the file stores it: a view into the mapping. */
typedef struct {
    int type;        /* SR_TENSOR_F32 or SR_TENSOR_Q8 */
    int rows, cols;
    int pcols;       /* q8: cols rounded up to the group size; f32: cols */
    const float *f;  /* f32: [rows][cols] */
    const int8_t *q; /* q8: [rows][pcols] */
    const float *s;  /* q8: [rows][pcols / group] */
} SrMat;

/* Output columns per packed panel: one 512-bit vector of f32 or int32. */
#define SR_NR 16

/* A Linear layer (y = x W^T + b, W [N][K] as in the file) repacked at load time into
 * panels of SR_NR output columns, so that the GEMM kernels read the weights
 * contiguously and broadcast the activations:
 *   f32: panel p holds W[p*16 + j][k] at f[(p*K + k)*16 + j]
 *   q8:  panel p holds W[p*16 + j][4*t + b] at q[((p*Kp/4 + t)*16 + j)*4 + b]
 *        (the layout of vpdpbusd: 4 consecutive k of 16 outputs per 64 bytes),
 *        with its scale s[(p*ngroups + g)*16 + j]. The kernel feeds activations as
 *        a + 128 (unsigned, for vpdpbusd), which adds 128 * sum_{k in g} q[n][k] to
 *        every group's int32 sum: wsum[(p*ngroups + g)*16 + j] holds it, subtracted
 *        exactly before the sum is scaled.
 * Rows beyond N are zero. Several files' matrices may be stacked (query, key, value
 * become one N = 3H layer, so the activations are read once). */
typedef struct {
    int type;      /* SR_TENSOR_F32 or SR_TENSOR_Q8 */
    int N, K;
    int Kp;        /* q8: K rounded up to the group size; f32: K */
    int group;     /* q8 group size (a multiple of 4) */
    int npanels;   /* ceil(N / 16) */
    float *f;      /* f32 panels */
    int8_t *q;     /* q8 panels */
    float *s;      /* q8 scales */
    int32_t *wsum; /* q8: [npanels][ngroups][16] 128 * the group's weight sum */
    int plain_u8;  /* q8: activations are plain u8, not q + 128 (attention probabilities;
                      wsum is then zero) */
    float *bias;   /* [npanels * 16], zero-padded */
} SrLinear;

typedef struct {
    SrLinear qkv; /* query, key and value stacked: N = 3H */
    SrLinear attn_out, ffn_in, ffn_out;
    const float *ln1_w, *ln1_b; /* attention.output.LayerNorm */
    const float *ln2_w, *ln2_b; /* output.LayerNorm */
} SrLayer;

struct SrModel {
    SrConfig cfg;
    const uint8_t *map; /* the whole file, read-only */
    size_t map_bytes;
    char *vocab_text;   /* copy of the vocab block, '\n' -> '\0' */
    const char **vocab; /* [vocab_size] */
    char *label_text;
    const char **labels; /* [n_labels] */
    char *meta;          /* NUL-terminated copy of the meta JSON */
    int n_tensors;
    uint32_t version;    /* file format version (1: no checksums) */
    uint32_t header_crc, data_crc; /* version 2: the checksums the header holds */
    SrMat word_emb;
    const float *pos_emb, *type_emb, *emb_ln_w, *emb_ln_b;
    SrLayer *layer;
    /* MLM head (flag SR_FLAG_MLM_HEAD), packed like the layers: the decoder is a Linear
     * of N = vocab_size outputs (the word embeddings unless the file has its own
     * decoder) with the output bias cls.predictions.bias */
    SrLinear mlm_transform, mlm_decoder;
    const float *mlm_ln_w, *mlm_ln_b;
    const float *cls_w, *cls_b;     /* classifier (flag SR_FLAG_CLASSIFIER) */
};

/* One checked entry of the tensor directory. */
typedef struct {
    char name[65];
    uint32_t type, ndim, rows, cols;
    uint64_t offset, bytes, scale_offset, scale_bytes;
} SrTensorEntry;

static uint32_t rd_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* 64-byte aligned allocation (zeroed), for packed weights and activations. */
static void *xalign(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0 || !p) {
        fprintf(stderr, "sr: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    memset(p, 0, n);
    return p;
}

/* Is [off, off + len) inside a file of `size` bytes (no overflow)? */
static int in_file(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320, initial and final value
 * inverted), so Python's zlib.crc32 gives the same number: the model file's checksums
 * (sr.h). Slice-by-8: eight 256-entry tables, each step folds 8 bytes with 8 lookups.
 * The tables are built on the caller's stack (8 KB, a few microseconds), so there is no
 * shared state to initialise. */
typedef struct {
    uint32_t t[8][256];
} SrCrcTable;

static void crc_table_init(SrCrcTable *T) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        T->t[0][i] = c;
    }
    for (int s = 1; s < 8; s++)
        for (int i = 0; i < 256; i++) T->t[s][i] = T->t[0][T->t[s - 1][i] & 0xFF] ^ (T->t[s - 1][i] >> 8);
}

/* zlib.crc32(p[0..n), crc): feed a file in pieces by passing the last result back. */
static uint32_t crc32_update(const SrCrcTable *T, uint32_t crc, const uint8_t *p, size_t n) {
    uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = c ^ rd_u32(p), hi = rd_u32(p + 4);
        c = T->t[7][lo & 0xFF] ^ T->t[6][(lo >> 8) & 0xFF] ^ T->t[5][(lo >> 16) & 0xFF] ^ T->t[4][lo >> 24] ^
            T->t[3][hi & 0xFF] ^ T->t[2][(hi >> 8) & 0xFF] ^ T->t[1][(hi >> 16) & 0xFF] ^ T->t[0][hi >> 24];
    }
    for (; n; n--, p++) c = T->t[0][(c ^ *p) & 0xFF] ^ (c >> 8);
    return ~c;
}

/* Version 1 left bytes 152..159 zero: a version 1 header with anything there is a
 * version 2 file whose version field was damaged, and must not load without checks. */
static int v1_checksum_bytes_zero(const uint8_t *h) {
    for (int i = SR_HEADER_CRC_OFFSET; i < SR_DATA_CRC_OFFSET + 4; i++)
        if (h[i]) return 0;
    return 1;
}

/* The header's own checksum: CRC-32 of its 256 bytes with the field at 152 read as 0. */
static uint32_t header_crc(const uint8_t *h) {
    uint8_t copy[SR_HEADER_SIZE];
    memcpy(copy, h, SR_HEADER_SIZE);
    memset(copy + SR_HEADER_CRC_OFFSET, 0, 4);
    SrCrcTable T;
    crc_table_init(&T);
    return crc32_update(&T, 0, copy, SR_HEADER_SIZE);
}

/* Split a block of `count` '\n'-terminated lines into a NUL-separated copy. */
static int split_lines(const uint8_t *p, uint64_t bytes, int count, char **text, const char ***lines,
                       const char *what, char *err) {
    *text = xmalloc(bytes + 1);
    *lines = xcalloc(count ? count : 1, sizeof(char *));
    memcpy(*text, p, bytes);
    (*text)[bytes] = 0;
    int n = 0;
    uint64_t start = 0;
    for (uint64_t i = 0; i < bytes; i++) {
        if ((*text)[i] == 0) return sr_fail(err, "%s contains a NUL byte at offset %llu", what, (unsigned long long)i);
        if ((*text)[i] != '\n') continue;
        if (n >= count) return sr_fail(err, "%s has more than the %d entries the header declares", what, count);
        (*text)[i] = 0;
        (*lines)[n++] = *text + start;
        start = i + 1;
    }
    if (start != bytes) return sr_fail(err, "%s does not end with a newline", what);
    if (n != count) return sr_fail(err, "%s has %d entries, the header declares %d", what, n, count);
    return 0;
}

static const SrTensorEntry *find_entry(const SrTensorEntry *dir, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(dir[i].name, name)) return &dir[i];
    return NULL;
}

/* A 1-D f32 tensor of exactly `len` floats. */
static const float *get_vec(const SrModel *m, const SrTensorEntry *dir, int n, const char *name, int len, char *err) {
    const SrTensorEntry *e = find_entry(dir, n, name);
    if (!e) { sr_fail(err, "missing tensor %s", name); return NULL; }
    if (e->type != SR_TENSOR_F32 || e->ndim != 1 || e->rows != (uint32_t)len) {
        sr_fail(err, "tensor %s: expected f32 [%d], found %s ndim %u [%u][%u]", name, len,
                e->type == SR_TENSOR_F32 ? "f32" : "q8", e->ndim, e->rows, e->cols);
        return NULL;
    }
    return (const float *)(m->map + e->offset);
}

/* A 2-D tensor [rows][cols]; q8 allowed only when the file's weights are q8. */
static int get_mat(const SrModel *m, const SrTensorEntry *dir, int n, const char *name, int rows, int cols,
                   int allow_q8, SrMat *out, char *err) {
    const SrTensorEntry *e = find_entry(dir, n, name);
    if (!e) return sr_fail(err, "missing tensor %s", name);
    if (e->ndim != 2 || e->rows != (uint32_t)rows || e->cols != (uint32_t)cols)
        return sr_fail(err, "tensor %s: expected shape [%d][%d], found ndim %u [%u][%u]", name, rows, cols,
                       e->ndim, e->rows, e->cols);
    if (e->type == SR_TENSOR_Q8 && !allow_q8) return sr_fail(err, "tensor %s: q8 is not allowed here", name);
    memset(out, 0, sizeof *out);
    out->type = (int)e->type;
    out->rows = rows;
    out->cols = cols;
    if (e->type == SR_TENSOR_F32) {
        out->pcols = cols;
        out->f = (const float *)(m->map + e->offset);
    } else {
        int G = m->cfg.group_size;
        out->pcols = (cols + G - 1) / G * G;
        out->q = (const int8_t *)(m->map + e->offset);
        out->s = (const float *)(m->map + e->scale_offset);
    }
    return 0;
}

/* Read and check the tensor directory: names terminated, types and shapes sane, every
 * data and scale block inside the file, aligned and of the size its shape implies. */
static int read_directory(const SrModel *m, uint64_t off, SrTensorEntry *dir, int n, char *err) {
    const SrConfig *c = &m->cfg;
    for (int i = 0; i < n; i++) {
        const uint8_t *p = m->map + off + (uint64_t)i * SR_TENSOR_ENTRY_SIZE;
        SrTensorEntry *e = &dir[i];
        if (!memchr(p, 0, 64)) return sr_fail(err, "tensor entry %d: name is not NUL-terminated", i);
        memcpy(e->name, p, 64);
        e->name[64] = 0;
        if (!e->name[0]) return sr_fail(err, "tensor entry %d: empty name", i);
        e->type = rd_u32(p + 64);
        e->ndim = rd_u32(p + 68);
        e->rows = rd_u32(p + 72);
        e->cols = rd_u32(p + 76);
        e->offset = rd_u64(p + 80);
        e->bytes = rd_u64(p + 88);
        e->scale_offset = rd_u64(p + 96);
        e->scale_bytes = rd_u64(p + 104);
        const char *nm = e->name;
        if (e->type != SR_TENSOR_F32 && e->type != SR_TENSOR_Q8)
            return sr_fail(err, "tensor %s: unknown type %u", nm, e->type);
        if (e->ndim != 1 && e->ndim != 2) return sr_fail(err, "tensor %s: ndim %u (expected 1 or 2)", nm, e->ndim);
        if (e->rows == 0 || e->cols == 0 || e->rows > (1u << 24) || e->cols > (1u << 24))
            return sr_fail(err, "tensor %s: bad shape [%u][%u]", nm, e->rows, e->cols);
        if (e->ndim == 1 && e->cols != 1) return sr_fail(err, "tensor %s: 1-D with cols %u (expected 1)", nm, e->cols);
        if (e->offset % 64) return sr_fail(err, "tensor %s: data offset %llu is not 64-byte aligned", nm, (unsigned long long)e->offset);
        uint64_t want, want_s = 0;
        if (e->type == SR_TENSOR_F32) {
            want = (uint64_t)e->rows * e->cols * 4;
            if (e->scale_offset || e->scale_bytes) return sr_fail(err, "tensor %s: f32 tensor with a scale block", nm);
        } else {
            if (c->weight_type != SR_WEIGHTS_Q8) return sr_fail(err, "tensor %s: q8 tensor in a file whose weight type is f32", nm);
            if (e->ndim != 2) return sr_fail(err, "tensor %s: q8 tensors must be 2-D", nm);
            uint64_t G = (uint64_t)c->group_size, pc = (e->cols + G - 1) / G * G;
            want = (uint64_t)e->rows * pc;
            want_s = (uint64_t)e->rows * (pc / G) * 4;
            if (e->scale_offset % 64) return sr_fail(err, "tensor %s: scale offset is not 64-byte aligned", nm);
            if (e->scale_bytes != want_s)
                return sr_fail(err, "tensor %s: scale block has %llu bytes, its shape needs %llu", nm,
                               (unsigned long long)e->scale_bytes, (unsigned long long)want_s);
            if (!in_file(e->scale_offset, e->scale_bytes, m->map_bytes))
                return sr_fail(err, "tensor %s: scales lie outside the file (offset %llu + %llu > %zu bytes)", nm,
                               (unsigned long long)e->scale_offset, (unsigned long long)e->scale_bytes, m->map_bytes);
        }
        if (e->bytes != want)
            return sr_fail(err, "tensor %s: %llu bytes, its shape needs %llu", nm, (unsigned long long)e->bytes,
                           (unsigned long long)want);
        if (!in_file(e->offset, e->bytes, m->map_bytes))
            return sr_fail(err, "tensor %s: data lies outside the file (offset %llu + %llu > %zu bytes)", nm,
                           (unsigned long long)e->offset, (unsigned long long)e->bytes, m->map_bytes);
        for (int j = 0; j < i; j++)
            if (!strcmp(dir[j].name, nm)) return sr_fail(err, "tensor %s appears twice", nm);
    }
    return 0;
}

/* Drop the mapped pages of a tensor we have copied elsewhere (they are file-backed and
 * come back on demand), so the resident memory does not hold the weights twice. */
static void release_pages(const SrModel *m, const void *p, size_t bytes) {
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p, b = a + bytes;
    a = (a + pg - 1) / pg * pg;
    b = b / pg * pg;
    if (b > a && a >= (uintptr_t)m->map && b <= (uintptr_t)m->map + m->map_bytes)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

static void release_mat(const SrModel *m, const SrMat *w) {
    if (w->type == SR_TENSOR_F32) release_pages(m, w->f, (size_t)w->rows * w->cols * 4);
    else release_pages(m, w->q, (size_t)w->rows * w->pcols); /* (the scales are small) */
}

/* Stack the matrices parts[0..nparts-1] (same cols, same type) and their biases into
 * one packed Linear. */
static void pack_linear(SrLinear *L, const SrMat *parts, const float **biases, int nparts, int group) {
    memset(L, 0, sizeof *L);
    int N = 0, K = parts[0].cols;
    for (int i = 0; i < nparts; i++) N += parts[i].rows;
    L->type = parts[0].type;
    L->N = N;
    L->K = K;
    L->npanels = (N + SR_NR - 1) / SR_NR;
    L->bias = xalign((size_t)L->npanels * SR_NR * sizeof(float));
    int row = 0;
    for (int i = 0; i < nparts; i++) {
        memcpy(L->bias + row, biases[i], (size_t)parts[i].rows * sizeof(float));
        row += parts[i].rows;
    }
    if (L->type == SR_TENSOR_F32) {
        L->Kp = K;
        L->f = xalign((size_t)L->npanels * K * SR_NR * sizeof(float));
        row = 0;
        for (int i = 0; i < nparts; i++) {
            for (int r = 0; r < parts[i].rows; r++, row++) {
                const float *src = parts[i].f + (size_t)r * K;
                float *dst = L->f + (size_t)(row / SR_NR) * K * SR_NR + row % SR_NR;
                for (int k = 0; k < K; k++) dst[(size_t)k * SR_NR] = src[k];
            }
        }
        return;
    }
    int G = group, Kp = parts[0].pcols, ng = Kp / G;
    L->Kp = Kp;
    L->group = G;
    L->q = xalign((size_t)L->npanels * Kp * SR_NR);
    L->s = xalign((size_t)L->npanels * ng * SR_NR * sizeof(float));
    L->wsum = xalign((size_t)L->npanels * ng * SR_NR * sizeof(int32_t));
    row = 0;
    for (int i = 0; i < nparts; i++) {
        for (int r = 0; r < parts[i].rows; r++, row++) {
            const int8_t *src = parts[i].q + (size_t)r * Kp;
            size_t p = (size_t)(row / SR_NR);
            int j = row % SR_NR;
            int8_t *dst = L->q + p * Kp * SR_NR;
            for (int k = 0; k < Kp; k++) dst[((size_t)(k / 4) * SR_NR + j) * 4 + k % 4] = src[k];
            for (int g = 0; g < ng; g++) {
                int32_t sum = 0;
                for (int k = g * G; k < g * G + G; k++) sum += src[k];
                L->s[(p * ng + g) * SR_NR + j] = parts[i].s[(size_t)r * ng + g];
                L->wsum[(p * ng + g) * SR_NR + j] = 128 * sum;
            }
        }
    }
}

static void free_linear(SrLinear *L) {
    free(L->f); free(L->q); free(L->s); free(L->wsum); free(L->bias);
}

void sr_free(SrModel *m) {
    if (!m) return;
    if (m->layer)
        for (int i = 0; i < m->cfg.n_layers; i++) {
            free_linear(&m->layer[i].qkv); free_linear(&m->layer[i].attn_out);
            free_linear(&m->layer[i].ffn_in); free_linear(&m->layer[i].ffn_out);
        }
    free(m->layer);
    free_linear(&m->mlm_transform);
    free_linear(&m->mlm_decoder);
    free(m->vocab_text); free(m->vocab);
    free(m->label_text); free(m->labels);
    free(m->meta);
    if (m->map) munmap((void *)m->map, m->map_bytes);
    free(m);
}

/* Header fields -> config, with every value range-checked. */
static int read_header(SrModel *m, const char *path, char *err) {
    const uint8_t *h = m->map;
    SrConfig *c = &m->cfg;
    if (memcmp(h, SR_MAGIC, 8) != 0) return sr_fail(err, "%s: not an sr model file (bad magic)", path);
    uint32_t version = rd_u32(h + 8);
    if (version < SR_FILE_VERSION_OLDEST || version > SR_FILE_VERSION)
        return sr_fail(err, "%s: file format version %u, this sr reads versions %d to %d", path, version,
                       SR_FILE_VERSION_OLDEST, SR_FILE_VERSION);
    if (rd_u32(h + 12) != SR_HEADER_SIZE) return sr_fail(err, "%s: header size %u (expected %d)", path, rd_u32(h + 12), SR_HEADER_SIZE);
    m->version = version;
    if (version == 1 && !v1_checksum_bytes_zero(h))
        return sr_fail(err, "%s: format version 1 with bytes 152..159 set: a damaged version 2 file?", path);
    /* version 2 carries checksums: the header's is checked on every load (256 bytes);
     * the contents' only by sr_model_verify (it reads the whole file) */
    if (version >= 2) {
        m->header_crc = rd_u32(h + SR_HEADER_CRC_OFFSET);
        m->data_crc = rd_u32(h + SR_DATA_CRC_OFFSET);
        uint32_t got = header_crc(h);
        if (got != m->header_crc)
            return sr_fail(err, "%s: header checksum mismatch (CRC-32 0x%08x, the header says 0x%08x): the file is damaged",
                           path, got, m->header_crc);
    }
    uint64_t fsize = rd_u64(h + 16);
    if (fsize != m->map_bytes)
        return sr_fail(err, "%s: file is %zu bytes, its header says %llu (truncated or corrupted)", path, m->map_bytes,
                       (unsigned long long)fsize);
    const uint32_t lim[8] = {1u << 24, 1u << 16, 1024, 1024, 1u << 18, 1u << 16, 1024, 1u << 16};
    const char *names[8] = {"vocab_size", "hidden", "n_layers", "n_heads", "intermediate", "max_position",
                            "type_vocab_size", "n_labels"};
    uint32_t v[8];
    for (int i = 0; i < 8; i++) {
        v[i] = rd_u32(h + 24 + 4 * i);
        if (v[i] > lim[i] || (v[i] == 0 && i != 7 && i != 2))
            return sr_fail(err, "%s: header field %s = %u is out of range", path, names[i], v[i]);
    }
    c->vocab_size = (int)v[0]; c->hidden = (int)v[1]; c->n_layers = (int)v[2]; c->n_heads = (int)v[3];
    c->intermediate = (int)v[4]; c->max_position = (int)v[5]; c->type_vocab_size = (int)v[6]; c->n_labels = (int)v[7];
    if (c->hidden % c->n_heads) return sr_fail(err, "%s: hidden %d is not a multiple of n_heads %d", path, c->hidden, c->n_heads);
    memcpy(&c->layer_norm_eps, h + 56, 4);
    if (!(c->layer_norm_eps > 0 && c->layer_norm_eps < 1)) return sr_fail(err, "%s: layer_norm_eps out of range", path);
    c->flags = rd_u32(h + 60);
    if (c->flags & ~31u) return sr_fail(err, "%s: unknown flags 0x%x", path, c->flags);
    uint32_t wt = rd_u32(h + 64), gs = rd_u32(h + 68);
    if (wt == SR_WEIGHTS_F32) {
        if (gs != 0) return sr_fail(err, "%s: f32 file with group_size %u (expected 0)", path, gs);
    } else if (wt == SR_WEIGHTS_Q8) {
        if (gs == 0 || gs % 4 || gs > 4096) return sr_fail(err, "%s: q8 group_size %u (expected a multiple of 4)", path, gs);
    } else {
        return sr_fail(err, "%s: unknown weight type %u", path, wt);
    }
    c->weight_type = (int)wt;
    c->group_size = (int)gs;
    int32_t ids[5];
    memcpy(ids, h + 72, sizeof ids);
    const char *idn[5] = {"cls_id", "sep_id", "pad_id", "unk_id", "mask_id"};
    for (int i = 0; i < 5; i++)
        if (ids[i] < -1 || ids[i] >= c->vocab_size) return sr_fail(err, "%s: %s = %d is out of range", path, idn[i], ids[i]);
    c->cls_id = ids[0]; c->sep_id = ids[1]; c->pad_id = ids[2]; c->unk_id = ids[3]; c->mask_id = ids[4];
    if ((c->flags & SR_FLAG_CLASSIFIER) && c->n_labels == 0) return sr_fail(err, "%s: classifier flag set but n_labels is 0", path);
    return 0;
}

int sr_load(SrModel **out, const char *path, char *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sr_fail(err, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) { close(fd); return sr_fail(err, "%s: %s", path, strerror(errno)); }
    if (!S_ISREG(st.st_mode)) { close(fd); return sr_fail(err, "%s: not a regular file", path); }
    if (st.st_size < SR_HEADER_SIZE) {
        close(fd);
        return sr_fail(err, "%s: %lld bytes, too short for an sr model file (header is %d)", path, (long long)st.st_size, SR_HEADER_SIZE);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return sr_fail(err, "%s: mmap: %s", path, strerror(errno));
    SrModel *m = xcalloc(1, sizeof *m);
    m->map = map;
    m->map_bytes = (size_t)st.st_size;
    char e2[SR_ERR_LEN];
    if (read_header(m, path, err) < 0) { sr_free(m); return -1; }
    SrConfig *c = &m->cfg;
    const uint8_t *h = m->map;
    uint64_t size = m->map_bytes;
    uint32_t nt = rd_u32(h + 92);
    uint64_t voff = rd_u64(h + 96), vbytes = rd_u64(h + 104), loff = rd_u64(h + 112), lbytes = rd_u64(h + 120);
    uint64_t toff = rd_u64(h + 128), moff = rd_u64(h + 136), mbytes = rd_u64(h + 144);
    if (!in_file(voff, vbytes, size) || voff < SR_HEADER_SIZE) { sr_fail(err, "%s: vocab block lies outside the file", path); goto fail; }
    if (!in_file(loff, lbytes, size) || (lbytes && loff < SR_HEADER_SIZE)) { sr_fail(err, "%s: labels block lies outside the file", path); goto fail; }
    if (!in_file(moff, mbytes, size) || (mbytes && moff < SR_HEADER_SIZE)) { sr_fail(err, "%s: meta block lies outside the file", path); goto fail; }
    if (nt == 0 || nt > 100000 || toff < SR_HEADER_SIZE || !in_file(toff, (uint64_t)nt * SR_TENSOR_ENTRY_SIZE, size)) {
        sr_fail(err, "%s: tensor directory (%u entries at offset %llu) lies outside the file", path, nt, (unsigned long long)toff);
        goto fail;
    }
    if (split_lines(h + voff, vbytes, c->vocab_size, &m->vocab_text, &m->vocab, "vocab", e2) < 0) { sr_fail(err, "%s: %s", path, e2); goto fail; }
    if (split_lines(h + loff, lbytes, c->n_labels, &m->label_text, &m->labels, "labels", e2) < 0) { sr_fail(err, "%s: %s", path, e2); goto fail; }
    m->meta = xmalloc(mbytes + 1);
    memcpy(m->meta, h + moff, mbytes);
    m->meta[mbytes] = 0;
    m->n_tensors = (int)nt;

    SrTensorEntry *dir = xcalloc(nt, sizeof *dir);
    int H = c->hidden, I = c->intermediate, V = c->vocab_size, q8 = c->weight_type == SR_WEIGHTS_Q8;
    if (read_directory(m, toff, dir, (int)nt, e2) < 0) goto fail_dir;
#define VEC(dst, name, len) do { if (!((dst) = get_vec(m, dir, (int)nt, (name), (len), e2))) goto fail_dir; } while (0)
#define MAT(dst, name, r, cc, allow) do { if (get_mat(m, dir, (int)nt, (name), (r), (cc), (allow), &(dst), e2) < 0) goto fail_dir; } while (0)
    {
        SrMat pos, typ;
        MAT(m->word_emb, "embeddings.word_embeddings.weight", V, H, q8);
        MAT(pos, "embeddings.position_embeddings.weight", c->max_position, H, 0);
        MAT(typ, "embeddings.token_type_embeddings.weight", c->type_vocab_size, H, 0);
        m->pos_emb = pos.f;
        m->type_emb = typ.f;
        VEC(m->emb_ln_w, "embeddings.LayerNorm.weight", H);
        VEC(m->emb_ln_b, "embeddings.LayerNorm.bias", H);
    }
    m->layer = xcalloc(c->n_layers ? c->n_layers : 1, sizeof(SrLayer));
    for (int l = 0; l < c->n_layers; l++) {
        SrLayer *L = &m->layer[l];
        char nm[128];
        SrMat w[3];
        const float *b[3];
        const char *qkv[3] = {"query", "key", "value"};
        for (int i = 0; i < 3; i++) {
            snprintf(nm, sizeof nm, "encoder.layer.%d.attention.self.%s.weight", l, qkv[i]);
            MAT(w[i], nm, H, H, q8);
            snprintf(nm, sizeof nm, "encoder.layer.%d.attention.self.%s.bias", l, qkv[i]);
            VEC(b[i], nm, H);
        }
        /* the packed layers need one weight type per file */
#define SAME_TYPE(mat, nm) do { if ((mat).type != c->weight_type) { snprintf(e2, sizeof e2, "tensor %s: type %s, the header says %s", nm, (mat).type ? "q8" : "f32", q8 ? "q8" : "f32"); goto fail_dir; } } while (0)
        for (int i = 0; i < 3; i++) SAME_TYPE(w[i], qkv[i]);
        SrMat wo, wi, wf;
        const float *bo, *bi, *bf;
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.dense.weight", l); MAT(wo, nm, H, H, q8); SAME_TYPE(wo, nm);
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.dense.bias", l); VEC(bo, nm, H);
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.weight", l); VEC(L->ln1_w, nm, H);
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.bias", l); VEC(L->ln1_b, nm, H);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.weight", l); MAT(wi, nm, I, H, q8); SAME_TYPE(wi, nm);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.bias", l); VEC(bi, nm, I);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.weight", l); MAT(wf, nm, H, I, q8); SAME_TYPE(wf, nm);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.bias", l); VEC(bf, nm, H);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.weight", l); VEC(L->ln2_w, nm, H);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.bias", l); VEC(L->ln2_b, nm, H);
        int G = c->group_size;
        pack_linear(&L->qkv, w, b, 3, G);
        pack_linear(&L->attn_out, &wo, &bo, 1, G);
        pack_linear(&L->ffn_in, &wi, &bi, 1, G);
        pack_linear(&L->ffn_out, &wf, &bf, 1, G);
        for (int i = 0; i < 3; i++) release_mat(m, &w[i]);
        release_mat(m, &wo); release_mat(m, &wi); release_mat(m, &wf);
    }
    if (c->flags & SR_FLAG_MLM_HEAD) {
        SrMat dense, decoder;
        const float *dense_b, *mlm_bias;
        MAT(dense, "cls.predictions.transform.dense.weight", H, H, q8);
        VEC(dense_b, "cls.predictions.transform.dense.bias", H);
        VEC(m->mlm_ln_w, "cls.predictions.transform.LayerNorm.weight", H);
        VEC(m->mlm_ln_b, "cls.predictions.transform.LayerNorm.bias", H);
        VEC(mlm_bias, "cls.predictions.bias", V);
        if (find_entry(dir, (int)nt, "cls.predictions.decoder.weight")) MAT(decoder, "cls.predictions.decoder.weight", V, H, q8);
        else decoder = m->word_emb;
        pack_linear(&m->mlm_transform, &dense, &dense_b, 1, c->group_size);
        pack_linear(&m->mlm_decoder, &decoder, &mlm_bias, 1, c->group_size);
        /* the embedding lookup faults back in only the rows it reads */
        release_mat(m, &dense);
        release_mat(m, &decoder);
    }
    if (c->flags & SR_FLAG_CLASSIFIER) {
        SrMat cw;
        MAT(cw, "classifier.weight", c->n_labels, H, 0);
        m->cls_w = cw.f;
        VEC(m->cls_b, "classifier.bias", c->n_labels);
    }
#undef VEC
#undef MAT
#undef SAME_TYPE
    free(dir);
    *out = m;
    return 0;
fail_dir:
    free(dir);
    sr_fail(err, "%s: %s", path, e2);
fail:
    sr_free(m);
    return -1;
}

/* read() until n bytes or the end of the file: the count read, or -1 (errno set). */
static ssize_t read_upto(int fd, uint8_t *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Both checksums of a model file (sr.h), read with read() in pieces rather than mapped
 * (a file cut short while it is read is an error here, not a SIGBUS). */
int sr_model_verify(const char *path, char *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sr_fail(err, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) { sr_fail(err, "%s: %s", path, strerror(errno)); close(fd); return -1; }
    if (!S_ISREG(st.st_mode)) { close(fd); return sr_fail(err, "%s: not a regular file", path); }
    uint8_t h[SR_HEADER_SIZE];
    ssize_t got = read_upto(fd, h, SR_HEADER_SIZE);
    int rc = 1;
    if (got < 0) { rc = sr_fail(err, "%s: %s", path, strerror(errno)); goto done; }
    if (got < SR_HEADER_SIZE) { sr_fail(err, "%s: %zd bytes, too short for an sr model file (header is %d)", path, got, SR_HEADER_SIZE); goto done; }
    if (memcmp(h, SR_MAGIC, 8) != 0) { sr_fail(err, "%s: not an sr model file (bad magic)", path); goto done; }
    uint32_t version = rd_u32(h + 8);
    if (version == 1 && !v1_checksum_bytes_zero(h)) {
        sr_fail(err, "%s: format version 1 with bytes 152..159 set: a damaged version 2 file?", path);
        goto done;
    }
    if (version == 1) {
        sr_fail(err, "%s: format version 1 carries no checksums: cannot verify (convert it again with convert_weights.py)", path);
        goto done;
    }
    if (version < SR_FILE_VERSION_OLDEST || version > SR_FILE_VERSION) { sr_fail(err, "%s: file format version %u, this sr reads versions %d to %d", path, version, SR_FILE_VERSION_OLDEST, SR_FILE_VERSION); goto done; }
    uint32_t want_h = rd_u32(h + SR_HEADER_CRC_OFFSET), want_d = rd_u32(h + SR_DATA_CRC_OFFSET);
    uint32_t got_h = header_crc(h);
    if (got_h != want_h) {
        sr_fail(err, "%s: header checksum mismatch (CRC-32 0x%08x, the header says 0x%08x): the file is damaged", path, got_h, want_h);
        goto done;
    }
    uint64_t fsize = rd_u64(h + 16);
    if (fsize != (uint64_t)st.st_size) {
        sr_fail(err, "%s: file is %lld bytes, its header says %llu (truncated or corrupted)", path, (long long)st.st_size, (unsigned long long)fsize);
        goto done;
    }
    SrCrcTable T;
    crc_table_init(&T);
    size_t cap = 1u << 22;
    uint8_t *buf = xmalloc(cap);
    uint64_t done_bytes = SR_HEADER_SIZE;
    uint32_t crc = 0;
    while (done_bytes < fsize) {
        size_t want = fsize - done_bytes < cap ? (size_t)(fsize - done_bytes) : cap;
        ssize_t r = read_upto(fd, buf, want);
        if (r < 0) { free(buf); rc = sr_fail(err, "%s: %s", path, strerror(errno)); goto done; }
        if (r == 0) break;
        crc = crc32_update(&T, crc, buf, (size_t)r);
        done_bytes += (uint64_t)r;
    }
    free(buf);
    if (done_bytes != fsize) {
        sr_fail(err, "%s: the file ended at byte %llu while it was read, its header says %llu", path, (unsigned long long)done_bytes, (unsigned long long)fsize);
        goto done;
    }
    if (crc != want_d) {
        sr_fail(err, "%s: contents checksum mismatch (CRC-32 of bytes %d..%llu is 0x%08x, the header says 0x%08x): the file is damaged",
                path, SR_HEADER_SIZE, (unsigned long long)fsize - 1, crc, want_d);
        goto done;
    }
    rc = 0;
    if (err) snprintf(err, SR_ERR_LEN, "%s: OK (format version %u, %llu bytes; CRC-32 of the header 0x%08x, of the contents 0x%08x)",
                      path, version, (unsigned long long)fsize, got_h, crc);
done:
    close(fd);
    return rc;
}

const SrConfig *sr_config(const SrModel *m) { return &m->cfg; }
const char *sr_token_text(const SrModel *m, int id) {
    return id >= 0 && id < m->cfg.vocab_size ? m->vocab[id] : "";
}
const char *sr_label_name(const SrModel *m, int label) {
    return label >= 0 && label < m->cfg.n_labels ? m->labels[label] : "";
}
const char *sr_meta_json(const SrModel *m) { return m->meta[0] ? m->meta : "{}"; }

/* The numeric core (sections 3 and 4, and the tokenizer) is where the time goes; the
 * text rules (NER, Masker, PHI, generation plumbing, command line) run in a small
 * fraction of it and are most of the source. `make` builds at -O1 with SR_O3_CORE, which
 * compiles the core at -O3 anyway (gcc; clang has no such pragma and the Makefile gives
 * it -O3 throughout): half the build time (8 s instead of 17 s of CPU), the same forward
 * speed and the same output bytes. `cc -O3 sr.c` needs none of this. */
#if defined(SR_O3_CORE) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("O3")
#endif

/* ================================================================================
 * 3. Kernels
 * ================================================================================
 * GEMM: C[M][N] = A[M][K] W^T + bias over a packed Linear (section 2), in blocks of
 * 2 panels (32 output columns) x tiles of 6 rows held in registers. Every output
 * element is accumulated over k (f32) or over groups of k (q8: exact int32 sums per
 * group, then scaled in float) in the same order whatever the tile, block or thread it
 * falls in, so results are bit-identical with 1 or many threads. The forward (section
 * 4) gives each thread whole rows; gemm_f32(parallel = 1) splits column blocks instead.
 *
 * Kernel sets, chosen once at run time from what the CPU has (one binary runs fast on
 * every CPU of its architecture, whatever -march it was built with):
 *   generic  plain C that any compiler can vectorize: the readable reference, here first;
 *   avx2     x86-64 with AVX2 + FMA (f32 FMA, int8 vpmaddubsw);
 *   avx512   x86-64 with AVX-512 F/BW/VL/DQ + VNNI (f32 FMA, int8 vpdpbusd);
 *   dotprod  AArch64 with the dot-product extension (f32 FMA, vfmaq_f32; int8 SDOT);
 *   neon     AArch64 Advanced SIMD (f32 FMA, vfmaq_f32; int8 in plain C).
 * The x86 sets are compiled into the same unit with per-function target attributes
 * (gcc and clang; other compilers and architectures get the generic set) and live
 * together after the generic code, behind one table of function pointers (SrKernels).
 * SR_KERNELS=generic|avx2|avx512|neon in the environment forces a set (tests; a set the
 * CPU lacks is refused with a message). The sets agree to float rounding, not bit for bit
 * (FMA contraction, exp's last bit), so a seed's letter may differ between CPUs.
 * Measured on one Zen core (test/c/engine_dump.c, gemmbench): f32 ~185-200 GFLOP/s, int8
 * ~670-730 GOP/s. */

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SR_X86 1
#define SR_AVX2 __attribute__((target("avx2,fma")))
#define SR_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#else
#define SR_X86 0
#endif
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#include <arm_neon.h> /* Advanced SIMD is part of every AArch64 CPU */
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#define SR_ARM 1
#if !defined(__clang__)
#define SR_ARM_DOT 1 /* int8 on SDOT (Armv8.2 dotprod): gcc's per-function target */
#define SR_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#else
#define SR_ARM_DOT 0
#endif
#else
#define SR_ARM 0
#define SR_ARM_DOT 0
#endif
#define SR_INLINE static inline __attribute__((always_inline))

/* One set of micro-kernels (see above). The generic ones are the reference; the others
 * give the same integer sums and quantized bytes, and floats within rounding. */
typedef struct {
    const char *name; /* as SR_KERNELS spells it */
    const char *what; /* for sr bench / sr info */
    void (*tile_f32)(int mr, int np, const float *A, int lda, const float *W, size_t pstride, int K, float *C,
                     int ldc, const float *bias, int ncols);
    void (*tile_q8)(int mr, int np, const uint8_t *A, int lda, const int8_t *W, size_t pq, const float *S,
                    const int32_t *wsum, size_t ps, int ng, int G, const float *as, int lds, float *C, int ldc,
                    const float *bias, int ncols, int plain_u8);
    void (*quantize_group)(const float *a, int n, int G, uint8_t *q, float *scale);
    void (*quantize_values)(const float *V, int ld, int k0, int kn, int width, const float *inv, int8_t *panel);
    void (*softmax_row)(float *row, int n, const float *keep, float scale);
    void (*softmax_quantize_row)(float *row, int n, const float *keep, float scale, uint8_t *q, float *qscale);
    void (*gelu)(float *x, size_t n);
    void (*add_layernorm_row)(float *out, const float *a, const float *b, const float *w, const float *bias, int n,
                              float eps);
} SrKernels;
static const SrKernels *sr_kernels(void);

/* OpenMP work sharing, written so builds without -fopenmp see nothing (no warnings).
 * Dynamic schedules: each task (a column block, a head, a chunk of rows) computes its
 * outputs the same way whichever thread runs it, so results stay independent of the
 * thread count, and on a busy machine a thread that loses its core does not hold up
 * the others for a whole static share. */
#ifdef _OPENMP
#define SR_OMP_FOR _Pragma("omp parallel for schedule(dynamic)")
#define SR_OMP_ROWS _Pragma("omp parallel for schedule(dynamic, 16)")
#define SR_OMP_FOR_NT _Pragma("omp parallel for schedule(dynamic) num_threads(nt)") /* a variable nt in scope */
#else
#define SR_OMP_FOR
#define SR_OMP_ROWS
#define SR_OMP_FOR_NT
#endif

#define SR_MR 6    /* rows of A per f32 tile */
#define SR_MR_Q8 6 /* rows of A per q8 tile */

/* q8 attention: the probabilities and the values are quantized in groups of this many
 * keys (the int8 GEMM's group along k); the threads' chunks of rows are multiples of
 * it, so each group lies in one chunk and the result does not depend on the chunking. */
#define SR_ATT_G 64

static int sr_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
void sr_set_threads(int n) {
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* ---- f32 tile: rows A[0..mr-1] x np panels (np = 1 or 2) ---- */

static void tile_f32_generic(int mr, int np, const float *A, int lda, const float *W, size_t pstride, int K,
                             float *C, int ldc, const float *bias, int ncols) {
    float acc[SR_MR][2 * SR_NR];
    memset(acc, 0, sizeof acc);
    for (int k = 0; k < K; k++) {
        for (int p = 0; p < np; p++) {
            const float *w = W + p * pstride + (size_t)k * SR_NR;
            for (int r = 0; r < mr; r++) {
                float a = A[(size_t)r * lda + k];
                for (int j = 0; j < SR_NR; j++) acc[r][p * SR_NR + j] += a * w[j];
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < ncols && j < np * SR_NR; j++)
            C[(size_t)r * ldc + j] = acc[r][j] + (bias ? bias[j] : 0.0f);
}

/* ---- int8 tile: activations u8 (q + 128, or plain u8 with wsum 0) [mr][Kp] x np q8 panels ---- */

static void tile_q8_generic(int mr, int np, const uint8_t *A, int lda, const int8_t *W, size_t pstride_q,
                            const float *S, const int32_t *wsum, size_t pstride_s, int ngroups, int G,
                            const float *ascale, int lds, float *C, int ldc, const float *bias, int ncols,
                            int plain_u8) {
    (void)plain_u8; /* the u8 activations are what they are: no sign trick here */
    float acc[SR_MR_Q8][2 * SR_NR];
    memset(acc, 0, sizeof acc);
    for (int g = 0; g < ngroups; g++) {
        for (int p = 0; p < np; p++) {
            const int8_t *w = W + p * pstride_q + (size_t)g * G * SR_NR;
            const float *s = S + p * pstride_s + (size_t)g * SR_NR;
            const int32_t *ws = wsum + p * pstride_s + (size_t)g * SR_NR;
            for (int r = 0; r < mr; r++) {
                const uint8_t *a = A + (size_t)r * lda + (size_t)g * G;
                float as = ascale[(size_t)r * lds + g];
                int32_t isum[SR_NR];
                for (int j = 0; j < SR_NR; j++) isum[j] = 0;
                for (int t = 0; t < G / 4; t++)
                    for (int j = 0; j < SR_NR; j++)
                        for (int u = 0; u < 4; u++) isum[j] += (int32_t)a[4 * t + u] * w[(t * SR_NR + j) * 4 + u];
                for (int j = 0; j < SR_NR; j++) acc[r][p * SR_NR + j] += (float)(isum[j] - ws[j]) * (s[j] * as);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < ncols && j < np * SR_NR; j++) {
            float *c = &C[(size_t)r * ldc + j];
            *c = bias ? acc[r][j] + bias[j] : *c + acc[r][j];
        }
}

/* Quantize rows of A [M][K] to u8 = round(a / scale) + 128, one scale per group of G
 * columns: scale = max|a| / 127 over the group (rounding half away from zero), so an
 * outlier dimension (trained BERTs have a few, x10 and more) costs precision in its own
 * group only, not in the whole row. Zero-padded to Kp (padding = 128, i.e. 0); row i
 * goes to Q + i * ldq, its Kp / G scales to scale + i * lds (quantize_rows, below).
 * Every kernel set gives the same bytes. One group: */
SR_INLINE void quantize_group_body(const float *a, int n, int G, uint8_t *q, float *scale) {
    float amax = 0;
    for (int k = 0; k < n; k++) {
        float v = fabsf(a[k]);
        amax = v > amax ? v : amax;
    }
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (int k = 0; k < n; k++) {
        float v = a[k] * inv;
        int r = (int)(v + (v >= 0 ? 0.5f : -0.5f));
        r = r > 127 ? 127 : (r < -127 ? -127 : r);
        q[k] = (uint8_t)(r + 128);
    }
    for (int k = n; k < G; k++) q[k] = 128;
    *scale = amax / 127.0f;
}
static void quantize_group_generic(const float *a, int n, int G, uint8_t *q, float *scale) {
    quantize_group_body(a, n, G, q, scale);
}

/* ---- q8 attention: the values as GEMM weights, the probabilities as activations ---- */

/* The values V[key][0..width) (row stride ld) of keys [k0, kn) times inv[j] (127 / the
 * group's largest |value| of dimension j, see pack_value_group), rounded half away
 * from zero, into a q8 panel (section 2's layout, keys as k: the 4 keys 4t..4t+3 of
 * dimension j are the 4 bytes at (t * 16 + j) * 4); keys from kn to k0 + SR_ATT_G and
 * dimensions from width to 16 are zero. Every kernel set gives the same bytes. */
static void quantize_values_generic(const float *V, int ld, int k0, int kn, int width, const float *inv,
                                    int8_t *panel) {
    for (int key = k0; key < k0 + SR_ATT_G; key++) {
        int8_t *d = panel + (size_t)(key / 4) * SR_NR * 4 + key % 4;
        for (int j = 0; j < SR_NR; j++) {
            float v = key < kn && j < width ? V[(size_t)key * ld + j] * inv[j] : 0.0f;
            int r = (int)(v + (v >= 0 ? 0.5f : -0.5f));
            d[j * 4] = (int8_t)(r > 127 ? 127 : (r < -127 ? -127 : r));
        }
    }
}

/* ---- dense helpers for the heads (few rows: memory bound, no packing) ---- */

/* Dot product with 16 independent partial sums (vectorizable, fixed order). */
static float dot_f32(const float *a, const float *b, int n) {
    float acc[16] = {0};
    int k = 0;
    for (; k + 16 <= n; k += 16)
        for (int j = 0; j < 16; j++) acc[j] += a[k + j] * b[k + j];
    float s = 0;
    for (int j = 0; j < 16; j++) s += acc[j];
    for (; k < n; k++) s += a[k] * b[k];
    return s;
}

/* Row r of a stored matrix as floats. */
static void mat_row(const SrMat *w, int r, float *out, int group) {
    if (w->type == SR_TENSOR_F32) { memcpy(out, w->f + (size_t)r * w->cols, (size_t)w->cols * sizeof(float)); return; }
    const int8_t *q = w->q + (size_t)r * w->pcols;
    const float *s = w->s + (size_t)r * (w->pcols / group);
    for (int k = 0; k < w->cols; k++) out[k] = (float)q[k] * s[k / group];
}

/* ---- element-wise functions, written to vectorize ----
 * Each is an always-inline body with a generic wrapper; the x86 sets compile the same
 * body again under their own target (section "x86 kernel sets"). */

/* exp(x) for x <= 88: Cephes' range reduction and polynomial (~1 ulp). */
SR_INLINE float sr_expf(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    float y = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

/* erf(x): the rational approximation used by Eigen and XLA (|error| < 4e-7). */
SR_INLINE float sr_erff(float x) {
    float c = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
    float x2 = c * c;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return c * p / q;
}

/* GELU with the exact erf form: 0.5 x (1 + erf(x / sqrt 2)), in place. */
SR_INLINE void gelu_body(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + sr_erff(x[i] * 0.70710678118654752f));
}
static void gelu_generic(float *x, size_t n) { gelu_body(x, n); }

/* The softmaxes' first pass: row *= scale, and the largest scaled score of the keys with
 * keep[j] != 0 (-inf if none). */
SR_INLINE float scale_row_max_body(float *row, int n, const float *keep, float scale) {
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) {
        row[j] *= scale;
        if (keep[j] != 0.0f && row[j] > mx) mx = row[j];
    }
    return mx;
}

/* One row of attention probabilities, in place: row = softmax(row * scale) over the
 * keys with keep[j] = 1; keys with keep[j] = 0 get exactly 0. */
SR_INLINE void softmax_row_body(float *row, int n, const float *keep, float scale) {
    float mx = scale_row_max_body(row, n, keep, scale);
    float sum = 0;
    for (int j = 0; j < n; j++) {
        float e = keep[j] != 0.0f ? sr_expf(row[j] - mx) : 0.0f;
        row[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++) row[j] *= inv;
}
static void softmax_row_generic(float *row, int n, const float *keep, float scale) {
    softmax_row_body(row, n, keep, scale);
}

/* q8 attention: softmax_row, with the probabilities going straight to u8 for the int8
 * P V product: q = round(p / scale) with one scale per group of SR_ATT_G keys, scale =
 * the group's largest p / 255 (unsigned and without the +128 of quantize_rows, since
 * probabilities have no sign to spend a bit on; so the values' wsum is zero). Rounding
 * e = exp(s - max) against the group's largest e gives the same bytes as rounding p,
 * without the normalising pass; 1 / sum goes into the scale. row keeps the e's; q is
 * zero-padded to a multiple of SR_ATT_G, qscale gets one scale per group. */
SR_INLINE void softmax_quantize_row_body(float *row, int n, const float *keep, float scale, uint8_t *q,
                                         float *qscale) {
    float mx = scale_row_max_body(row, n, keep, scale);
    float sum = 0;
    for (int k0 = 0, g = 0; k0 < n; k0 += SR_ATT_G, g++) {
        float gmax = 0;
        for (int j = k0; j < n && j < k0 + SR_ATT_G; j++) {
            float e = keep[j] != 0.0f ? sr_expf(row[j] - mx) : 0.0f;
            row[j] = e;
            sum += e;
            gmax = e > gmax ? e : gmax;
        }
        qscale[g] = gmax;
    }
    float inv_sum = 1.0f / sum;
    for (int k0 = 0, g = 0; k0 < n; k0 += SR_ATT_G, g++) {
        float gmax = qscale[g], inv = gmax > 0 ? 255.0f / gmax : 0.0f;
        for (int j = k0; j < k0 + SR_ATT_G; j++) {
            float v = j < n ? row[j] * inv : 0.0f;
            int r = (int)(v + 0.5f);
            q[j] = (uint8_t)(v >= 255.0f ? 255 : r); /* (a second use of v: no fused multiply-add) */
        }
        qscale[g] = gmax * inv_sum / 255.0f;
    }
}
static void softmax_quantize_row_generic(float *row, int n, const float *keep, float scale, uint8_t *q, float *qscale) {
    softmax_quantize_row_body(row, n, keep, scale, q, qscale);
}

/* out = LayerNorm(a + b) (b may be NULL) over rows of length n: two-pass mean and
 * variance, as torch. out may alias a. */
SR_INLINE void add_layernorm_body(float *out, const float *a, const float *b, const float *w, const float *bias, int n,
                                  float eps) {
    float acc[16] = {0};
    int k;
    if (b)
        for (k = 0; k < n; k++) out[k] = a[k] + b[k];
    else if (out != a)
        memcpy(out, a, (size_t)n * sizeof(float));
    for (k = 0; k + 16 <= n; k += 16)
        for (int j = 0; j < 16; j++) acc[j] += out[k + j];
    float sum = 0;
    for (int j = 0; j < 16; j++) sum += acc[j];
    for (; k < n; k++) sum += out[k];
    float mean = sum / n;
    float vacc[16] = {0};
    for (k = 0; k + 16 <= n; k += 16)
        for (int j = 0; j < 16; j++) { float d = out[k + j] - mean; vacc[j] += d * d; }
    float var = 0;
    for (int j = 0; j < 16; j++) var += vacc[j];
    for (; k < n; k++) { float d = out[k] - mean; var += d * d; }
    var /= n;
    float rstd = 1.0f / sqrtf(var + eps);
    for (k = 0; k < n; k++) out[k] = (out[k] - mean) * rstd * w[k] + bias[k];
}
static void add_layernorm_generic(float *out, const float *a, const float *b, const float *w, const float *bias,
                                  int n, float eps) {
    add_layernorm_body(out, a, b, w, bias, n, eps);
}

/* The int8 tile driver of the AVX2 and SDOT sets: np panels of SR_NR columns, rows in
 * groups of 3, each group one call of TILE (a static inline of the same target, so it
 * is compiled into the driver); the sums come out without the +128, so wsum is unused. */
#define SR_Q8_TILE_CASE(TILE, m)                                                                                 \
    case m:                                                                                                      \
        if (plain_u8) TILE(m, 1, Ar, lda, Wp, Sp, ng, G, ar, lds, Cr, ldc, bp, left);                            \
        else TILE(m, 0, Ar, lda, Wp, Sp, ng, G, ar, lds, Cr, ldc, bp, left);                                     \
        break;
#define SR_Q8_TILE_DRIVER(NAME, TARGET, TILE)                                                                    \
    static TARGET void NAME(int mr, int np, const uint8_t *A, int lda, const int8_t *W, size_t pq, const float *S, \
                            const int32_t *wsum, size_t ps, int ng, int G, const float *as, int lds, float *C,   \
                            int ldc, const float *bias, int ncols, int plain_u8) {                               \
        (void)wsum;                                                                                              \
        for (int p = 0; p < np; p++) {                                                                           \
            int left = ncols - p * SR_NR;                                                                        \
            if (left <= 0) break;                                                                                \
            const int8_t *Wp = W + p * pq;                                                                       \
            const float *Sp = S + p * ps, *bp = bias ? bias + p * SR_NR : NULL;                                  \
            for (int r0 = 0; r0 < mr; r0 += 3) {                                                                 \
                const uint8_t *Ar = A + (size_t)r0 * lda;                                                        \
                const float *ar = as + (size_t)r0 * lds;                                                         \
                float *Cr = C + (size_t)r0 * ldc + p * SR_NR;                                                    \
                switch (mr - r0 < 3 ? mr - r0 : 3) { SR_Q8_TILE_CASE(TILE, 1) SR_Q8_TILE_CASE(TILE, 2) SR_Q8_TILE_CASE(TILE, 3) } \
            }                                                                                                    \
        }                                                                                                        \
    }

/* ================================================================================
 * 3b. x86 kernel sets: AVX-512 (+VNNI) and AVX2 (+FMA)
 * ================================================================================
 * Each function carries its own target attribute, so a build without -march holds
 * them all; sr_kernels() (below) runs one only where the CPU has its instructions. */
#if SR_X86

/* ---- AVX-512: f32 FMA, int8 VNNI ---- */

SR_INLINE SR_AVX512 void f32_tile_avx512(const int MR, const int NP, const float *A, int lda, const float *W, size_t pstride, int K, float *C,
                                                                  int ldc, const float *bias, int ncols) {
    __m512 acc[SR_MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const float *W1 = W + (NP > 1 ? pstride : 0);
    for (int k = 0; k < K; k++) {
        __m512 w0 = _mm512_loadu_ps(W + (size_t)k * SR_NR);
        __m512 w1 = NP > 1 ? _mm512_loadu_ps(W1 + (size_t)k * SR_NR) : w0;
        for (int r = 0; r < MR; r++) {
            __m512 a = _mm512_set1_ps(A[(size_t)r * lda + k]);
            acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
            if (NP > 1) acc[r][1] = _mm512_fmadd_ps(a, w1, acc[r][1]);
        }
    }
    for (int p = 0; p < NP; p++) {
        int left = ncols - p * SR_NR;
        if (left <= 0) break;
        __mmask16 mask = left >= SR_NR ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + p * SR_NR) : _mm512_setzero_ps();
        for (int r = 0; r < MR; r++) _mm512_mask_storeu_ps(C + (size_t)r * ldc + p * SR_NR, mask, _mm512_add_ps(acc[r][p], b));
    }
}
#define SR_F32_CASE(mr)                                                                                         \
    case mr:                                                                                                    \
        if (np == 2) f32_tile_avx512(mr, 2, A, lda, W, pstride, K, C, ldc, bias, ncols);                        \
        else f32_tile_avx512(mr, 1, A, lda, W, pstride, K, C, ldc, bias, ncols);                                \
        break;
static SR_AVX512 void tile_f32_avx512(int mr, int np, const float *A, int lda, const float *W, size_t pstride, int K, float *C,
                          int ldc, const float *bias, int ncols) {
    switch (mr) {
        SR_F32_CASE(1) SR_F32_CASE(2) SR_F32_CASE(3) SR_F32_CASE(4) SR_F32_CASE(5) SR_F32_CASE(6)
    }
}

/* acc += a (u8) . w (s8) in groups of 4 (vpdpbusd). Inline assembly: gcc 12 surrounds
 * the intrinsic with register copies that halve the kernel's speed. */
SR_INLINE SR_AVX512 __m512i sr_dpbusd(__m512i acc, __m512i a, __m512i w) {
#if defined(__GNUC__) && !defined(__clang__)
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
    return acc;
#else
    return _mm512_dpbusd_epi32(acc, a, w);
#endif
}
SR_INLINE SR_AVX512 void q8_tile_avx512(const int MR, const int NP, const uint8_t *A, int lda,
                                                                 const int8_t *W, size_t pstride_q, const float *S,
                                                                 const int32_t *wsum, size_t pstride_s, int ngroups,
                                                                 int G, const float *ascale, int lds, float *C,
                                                                 int ldc, const float *bias, int ncols) {
    __m512 facc[SR_MR_Q8][2];
    for (int r = 0; r < MR; r++) facc[r][0] = facc[r][1] = _mm512_setzero_ps();
    const int8_t *W1 = W + (NP > 1 ? pstride_q : 0);
    for (int g = 0; g < ngroups; g++) {
        /* the integer sums start at -wsum (the u8 offset's correction), not at 0: one
         * subtraction a panel instead of one an accumulator */
        __m512i iacc[SR_MR_Q8][2], start[2];
        for (int p = 0; p < NP; p++)
            start[p] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_loadu_si512((const void *)(wsum + p * pstride_s + (size_t)g * SR_NR)));
        for (int r = 0; r < MR; r++) { iacc[r][0] = start[0]; iacc[r][1] = NP > 1 ? start[1] : start[0]; }
        size_t base = (size_t)g * G * SR_NR;
        for (int t = 0; t < G / 4; t++) {
            __m512i w0 = _mm512_loadu_si512((const void *)(W + base + (size_t)t * 64));
            __m512i w1 = NP > 1 ? _mm512_loadu_si512((const void *)(W1 + base + (size_t)t * 64)) : w0;
            for (int r = 0; r < MR; r++) {
                int32_t a4;
                memcpy(&a4, A + (size_t)r * lda + (size_t)g * G + 4 * t, 4);
                __m512i a = _mm512_set1_epi32(a4);
                iacc[r][0] = sr_dpbusd(iacc[r][0], a, w0);
                if (NP > 1) iacc[r][1] = sr_dpbusd(iacc[r][1], a, w1);
            }
        }
        __m512 s0 = _mm512_loadu_ps(S + (size_t)g * SR_NR), s1 = NP > 1 ? _mm512_loadu_ps(S + pstride_s + (size_t)g * SR_NR) : s0;
        for (int r = 0; r < MR; r++) {
            __m512 a = _mm512_set1_ps(ascale[(size_t)r * lds + g]);
            facc[r][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[r][0]), _mm512_mul_ps(s0, a), facc[r][0]);
            if (NP > 1) facc[r][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[r][1]), _mm512_mul_ps(s1, a), facc[r][1]);
        }
    }
    for (int p = 0; p < NP; p++) {
        int left = ncols - p * SR_NR;
        if (left <= 0) break;
        __mmask16 mask = left >= SR_NR ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + p * SR_NR) : _mm512_setzero_ps();
        for (int r = 0; r < MR; r++) {
            float *c = C + (size_t)r * ldc + p * SR_NR;
            _mm512_mask_storeu_ps(c, mask, bias ? _mm512_add_ps(facc[r][p], b) : _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c), facc[r][p]));
        }
    }
}
#define SR_Q8_CASE(mr)                                                                                          \
    case mr:                                                                                                    \
        if (np == 2) q8_tile_avx512(mr, 2, A, lda, W, pq, S, wsum, ps, ng, G, as, lds, C, ldc, bias, ncols);    \
        else q8_tile_avx512(mr, 1, A, lda, W, pq, S, wsum, ps, ng, G, as, lds, C, ldc, bias, ncols);            \
        break;
static SR_AVX512 void tile_q8_avx512(int mr, int np, const uint8_t *A, int lda, const int8_t *W, size_t pq, const float *S,
                         const int32_t *wsum, size_t ps, int ng, int G, const float *as, int lds, float *C, int ldc,
                         const float *bias, int ncols, int plain_u8) {
    (void)plain_u8; /* vpdpbusd takes u8 as it is */
    switch (mr) {
        SR_Q8_CASE(1) SR_Q8_CASE(2) SR_Q8_CASE(3) SR_Q8_CASE(4) SR_Q8_CASE(5) SR_Q8_CASE(6)
    }
}

static SR_AVX512 void quantize_group_avx512(const float *a, int n, int G, uint8_t *q, float *scale) {
    __m512 vmax = _mm512_setzero_ps();
    for (int k = 0; k < n; k += 16) {
        __mmask16 m = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_maskz_loadu_ps(m, a + k)));
    }
    float amax = _mm512_reduce_max_ps(vmax);
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    __m512 vinv = _mm512_set1_ps(inv), half = _mm512_set1_ps(0.5f);
    __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), off = _mm512_set1_epi32(128);
    __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    for (int k = 0; k < n; k += 16) {
        __mmask16 m = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + k), vinv);
        /* v + copysign(0.5, v), truncated: half away from zero, as the generic code */
        __m512 h = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(half), _mm512_and_si512(_mm512_castps_si512(v), sign)));
        __m512i r = _mm512_cvttps_epi32(_mm512_add_ps(v, h));
        r = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(r, lo), hi), off);
        _mm_mask_storeu_epi8(q + k, m, _mm512_cvtepi32_epi8(r));
    }
    for (int k = n; k < G; k++) q[k] = 128;
    *scale = amax / 127.0f;
}

static SR_AVX512 void quantize_values_avx512(const float *V, int ld, int k0, int kn, int width, const float *inv,
                                             int8_t *panel) {
    __mmask16 wm = (__mmask16)((1u << width) - 1);
    __m512 vinv = _mm512_loadu_ps(inv), half = _mm512_set1_ps(0.5f);
    __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), byte = _mm512_set1_epi32(0xFF);
    __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    for (int key4 = k0; key4 < k0 + SR_ATT_G; key4 += 4) {
        __m512i word = _mm512_setzero_si512();
        for (int b = 0; b < 4; b++) {
            int key = key4 + b;
            if (key >= kn) break;
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(wm, V + (size_t)key * ld), vinv);
            __m512 hs = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(half), _mm512_and_si512(_mm512_castps_si512(v), sign)));
            __m512i r = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvttps_epi32(_mm512_add_ps(v, hs)), lo), hi);
            word = _mm512_or_si512(word, _mm512_slli_epi32(_mm512_and_si512(r, byte), 8 * b));
        }
        _mm512_storeu_si512((void *)(panel + (size_t)(key4 / 4) * SR_NR * 4), word);
    }
}

/* exp of 16 floats <= 88: the same reduction and polynomial as sr_expf; 2^n by scalef. */
SR_INLINE SR_AVX512 __m512 sr_exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}

/* The softmaxes' first pass: row *= scale, and the largest scaled score of the keys with
 * keep[j] != 0 (-inf if none). */
SR_INLINE SR_AVX512 float scale_row_max_avx512(float *row, int n, const float *keep, float scale) {
    __m512 vmx = _mm512_set1_ps(-INFINITY), vs = _mm512_set1_ps(scale), zero = _mm512_setzero_ps();
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), vs);
        _mm512_mask_storeu_ps(row + j, m, v);
        __mmask16 valid = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, keep + j), zero, _CMP_NEQ_OQ);
        vmx = _mm512_mask_max_ps(vmx, valid, vmx, v);
    }
    return _mm512_reduce_max_ps(vmx);
}

static SR_AVX512 void softmax_row_avx512(float *row, int n, const float *keep, float scale) {
    __m512 vmax = _mm512_set1_ps(scale_row_max_avx512(row, n, keep, scale)), zero = _mm512_setzero_ps(), vsum = zero;
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 e = sr_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), vmax));
        __mmask16 valid = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, keep + j), zero, _CMP_NEQ_OQ);
        e = _mm512_maskz_mov_ps(valid, e);
        _mm512_mask_storeu_ps(row + j, m, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
    }
}

static SR_AVX512 void softmax_quantize_row_avx512(float *row, int n, const float *keep, float scale, uint8_t *q, float *qscale) {
    __m512 vmax = _mm512_set1_ps(scale_row_max_avx512(row, n, keep, scale)), zero = _mm512_setzero_ps(), vsum = zero;
    for (int k0 = 0, g = 0; k0 < n; k0 += SR_ATT_G, g++) {
        __m512 gmax = zero;
        for (int j = k0; j < n && j < k0 + SR_ATT_G; j += 16) {
            __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
            __m512 e = sr_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), vmax));
            __mmask16 valid = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, keep + j), zero, _CMP_NEQ_OQ);
            e = _mm512_maskz_mov_ps(valid, e);
            _mm512_mask_storeu_ps(row + j, m, e);
            vsum = _mm512_add_ps(vsum, e);
            gmax = _mm512_max_ps(gmax, e);
        }
        qscale[g] = _mm512_reduce_max_ps(gmax);
    }
    float inv_sum = 1.0f / _mm512_reduce_add_ps(vsum);
    __m512 half = _mm512_set1_ps(0.5f);
    __m512i top = _mm512_set1_epi32(255);
    for (int k0 = 0, g = 0; k0 < n; k0 += SR_ATT_G, g++) {
        float gm = qscale[g];
        __m512 inv = _mm512_set1_ps(gm > 0 ? 255.0f / gm : 0.0f);
        for (int j = k0; j < k0 + SR_ATT_G; j += 16) {
            __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (n - j > 0 ? (__mmask16)((1u << (n - j)) - 1) : 0);
            __m512i r = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv), half));
            _mm_storeu_si128((__m128i *)(q + j), _mm512_cvtepi32_epi8(_mm512_min_epi32(r, top)));
        }
        qscale[g] = gm * inv_sum / 255.0f;
    }
}

static SR_AVX512 void gelu_avx512(float *x, size_t n) { gelu_body(x, n); }
static SR_AVX512 void add_layernorm_avx512(float *out, const float *a, const float *b, const float *w,
                                           const float *bias, int n, float eps) {
    add_layernorm_body(out, a, b, w, bias, n, eps);
}

/* ---- AVX2 + FMA: f32 FMA, int8 vpmaddubsw; the element-wise bodies compiled for AVX2 ---- */

/* Lanes j < n of 8 set (for AVX2 masked loads and stores). */
SR_INLINE SR_AVX2 __m256i sr_mask8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
/* C[r][j] = acc[r][j] (+ bias[j]) for the first ncols of 16 columns, or (bias NULL and
 * add) C += acc. */
SR_INLINE SR_AVX2 void store16_avx2(float *c, __m256 lo, __m256 hi, const float *bias, int add, int ncols) {
    __m256i m0 = sr_mask8(ncols), m1 = sr_mask8(ncols - 8);
    if (bias) {
        lo = _mm256_add_ps(lo, _mm256_maskload_ps(bias, m0));
        hi = _mm256_add_ps(hi, _mm256_maskload_ps(bias + 8, m1));
    } else if (add) {
        lo = _mm256_add_ps(_mm256_maskload_ps(c, m0), lo);
        hi = _mm256_add_ps(_mm256_maskload_ps(c + 8, m1), hi);
    }
    _mm256_maskstore_ps(c, m0, lo);
    _mm256_maskstore_ps(c + 8, m1, hi);
}
/* One panel (16 columns, two 8-float halves) x MR rows: 2 MR + 3 of the 16 registers. */
SR_INLINE SR_AVX2 void f32_tile_avx2(const int MR, const float *A, int lda, const float *W, int K, float *C, int ldc,
                                     const float *bias, int ncols) {
    __m256 acc[SR_MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m256 w0 = _mm256_loadu_ps(W + (size_t)k * SR_NR), w1 = _mm256_loadu_ps(W + (size_t)k * SR_NR + 8);
        for (int r = 0; r < MR; r++) {
            __m256 a = _mm256_broadcast_ss(A + (size_t)r * lda + k);
            acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
        }
    }
    for (int r = 0; r < MR; r++) store16_avx2(C + (size_t)r * ldc, acc[r][0], acc[r][1], bias, 0, ncols);
}
#define SR_F32_AVX2_CASE(mr) case mr: f32_tile_avx2(mr, A, lda, Wp, K, Cp, ldc, bp, left); break;
static SR_AVX2 void tile_f32_avx2(int mr, int np, const float *A, int lda, const float *W, size_t pstride, int K, float *C,
                          int ldc, const float *bias, int ncols) {
    for (int p = 0; p < np; p++) {
        int left = ncols - p * SR_NR;
        if (left <= 0) break;
        const float *Wp = W + p * pstride, *bp = bias ? bias + p * SR_NR : NULL;
        float *Cp = C + p * SR_NR;
        switch (mr) {
            SR_F32_AVX2_CASE(1) SR_F32_AVX2_CASE(2) SR_F32_AVX2_CASE(3)
            SR_F32_AVX2_CASE(4) SR_F32_AVX2_CASE(5) SR_F32_AVX2_CASE(6)
        }
    }
}

/* int8 without VNNI. vpmaddubsw multiplies u8 by s8 and adds pairs into int16, which
 * saturates for u8 > 127, so the u8 activation q + 128 is not fed as it is:
 *   q + 128 (the usual case): |q| times w with q's sign (vpsignb); each pair is at most
 *     2 x 127 x 127 < 2^15, and the sum is sum q w itself, so wsum is not subtracted;
 *   plain u8 (attention probabilities, wsum = 0): u = 128 h + l with h in {0, 1} and
 *     l < 128, two products that cannot saturate.
 * Either way the int32 group sums equal the VNNI kernel's, and the float steps are the
 * same, so the results are too. One panel (two 8-output halves) x MR <= 3 rows. */
SR_INLINE SR_AVX2 void q8_tile_avx2(const int MR, const int PLAIN, const uint8_t *A,
                                                               int lda, const int8_t *W, const float *S, int ngroups,
                                                               int G, const float *ascale, int lds, float *C, int ldc,
                                                               const float *bias, int ncols) {
    __m256 facc[3][2];
    for (int r = 0; r < MR; r++) facc[r][0] = facc[r][1] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8((char)0x80);
    const __m256i low7 = _mm256_set1_epi8(0x7F), bit0 = _mm256_set1_epi8(1), w128 = _mm256_set1_epi16(128);
    for (int g = 0; g < ngroups; g++) {
        __m256i iacc[3][2];
        for (int r = 0; r < MR; r++) iacc[r][0] = iacc[r][1] = _mm256_setzero_si256();
        const int8_t *Wg = W + (size_t)g * G * SR_NR;
        for (int t = 0; t < G / 4; t++) {
            __m256i w[2] = {_mm256_loadu_si256((const __m256i *)(Wg + (size_t)t * 64)),
                            _mm256_loadu_si256((const __m256i *)(Wg + (size_t)t * 64 + 32))};
            for (int r = 0; r < MR; r++) {
                int32_t a4;
                memcpy(&a4, A + (size_t)r * lda + (size_t)g * G + 4 * t, 4);
                __m256i a = _mm256_set1_epi32(a4);
                if (!PLAIN) {
                    __m256i q = _mm256_xor_si256(a, flip), aq = _mm256_abs_epi8(q);
                    for (int h = 0; h < 2; h++)
                        iacc[r][h] = _mm256_add_epi32(iacc[r][h],
                            _mm256_madd_epi16(_mm256_maddubs_epi16(aq, _mm256_sign_epi8(w[h], q)), ones));
                } else {
                    __m256i lo = _mm256_and_si256(a, low7), hi = _mm256_and_si256(_mm256_srli_epi16(a, 7), bit0);
                    for (int h = 0; h < 2; h++)
                        iacc[r][h] = _mm256_add_epi32(iacc[r][h], _mm256_add_epi32(
                            _mm256_madd_epi16(_mm256_maddubs_epi16(lo, w[h]), ones),
                            _mm256_madd_epi16(_mm256_maddubs_epi16(hi, w[h]), w128)));
                }
            }
        }
        for (int h = 0; h < 2; h++) {
            __m256 sc = _mm256_loadu_ps(S + (size_t)g * SR_NR + 8 * h);
            for (int r = 0; r < MR; r++) {
                __m256 sa = _mm256_mul_ps(sc, _mm256_set1_ps(ascale[(size_t)r * lds + g]));
                facc[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[r][h]), sa, facc[r][h]);
            }
        }
    }
    for (int r = 0; r < MR; r++) store16_avx2(C + (size_t)r * ldc, facc[r][0], facc[r][1], bias, 1, ncols);
}
SR_Q8_TILE_DRIVER(tile_q8_avx2, SR_AVX2, q8_tile_avx2)

static SR_AVX2 void quantize_group_avx2(const float *a, int n, int G, uint8_t *q, float *scale) {
    quantize_group_body(a, n, G, q, scale);
}
static SR_AVX2 void softmax_row_avx2(float *row, int n, const float *keep, float scale) {
    softmax_row_body(row, n, keep, scale);
}
static SR_AVX2 void softmax_quantize_row_avx2(float *row, int n, const float *keep, float scale, uint8_t *q,
                                              float *qscale) {
    softmax_quantize_row_body(row, n, keep, scale, q, qscale);
}
static SR_AVX2 void gelu_avx2(float *x, size_t n) { gelu_body(x, n); }
static SR_AVX2 void add_layernorm_avx2(float *out, const float *a, const float *b, const float *w, const float *bias,
                                       int n, float eps) {
    add_layernorm_body(out, a, b, w, bias, n, eps);
}
#endif /* SR_X86 */

/* ================================================================================
 * 3b'. AArch64 kernel set: NEON f32 FMA
 * ================================================================================ */
#if SR_ARM
/* One panel (16 columns, four 4-float vectors) x MR rows: 4 MR + 4 of the 32 registers. */
SR_INLINE void f32_tile_neon(const int MR, const float *A, int lda, const float *W, int K, float *C, int ldc,
                             const float *bias, int ncols) {
    float32x4_t acc[SR_MR][4];
    for (int r = 0; r < MR; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = vdupq_n_f32(0.0f);
    for (int k = 0; k < K; k++) {
        const float *w = W + (size_t)k * SR_NR;
        float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8), w3 = vld1q_f32(w + 12);
        for (int r = 0; r < MR; r++) {
            float32x4_t a = vdupq_n_f32(A[(size_t)r * lda + k]);
            acc[r][0] = vfmaq_f32(acc[r][0], a, w0);
            acc[r][1] = vfmaq_f32(acc[r][1], a, w1);
            acc[r][2] = vfmaq_f32(acc[r][2], a, w2);
            acc[r][3] = vfmaq_f32(acc[r][3], a, w3);
        }
    }
    for (int r = 0; r < MR; r++) {
        float out[SR_NR];
        for (int q = 0; q < 4; q++) {
            float32x4_t v = acc[r][q];
            if (bias) { /* bias may be short: it has ncols entries */
                float b4[4];
                for (int j = 0; j < 4; j++) b4[j] = 4 * q + j < ncols ? bias[4 * q + j] : 0.0f;
                v = vaddq_f32(v, vld1q_f32(b4));
            }
            vst1q_f32(out + 4 * q, v);
        }
        float *c = C + (size_t)r * ldc;
        if (ncols >= SR_NR) memcpy(c, out, sizeof out);
        else memcpy(c, out, (size_t)ncols * sizeof(float));
    }
}
#define SR_F32_NEON_CASE(mr) case mr: f32_tile_neon(mr, A, lda, Wp, K, Cp, ldc, bp, left); break;
static void tile_f32_neon(int mr, int np, const float *A, int lda, const float *W, size_t pstride, int K, float *C,
                          int ldc, const float *bias, int ncols) {
    for (int p = 0; p < np; p++) {
        int left = ncols - p * SR_NR;
        if (left <= 0) break;
        const float *Wp = W + p * pstride, *bp = bias ? bias + p * SR_NR : NULL;
        float *Cp = C + p * SR_NR;
        switch (mr) {
            SR_F32_NEON_CASE(1) SR_F32_NEON_CASE(2) SR_F32_NEON_CASE(3)
            SR_F32_NEON_CASE(4) SR_F32_NEON_CASE(5) SR_F32_NEON_CASE(6)
        }
    }
}

#if SR_ARM_DOT
/* int8 on SDOT (signed x signed, groups of 4), as the AVX2 kernel does without VNNI:
 *   q + 128 (the usual case): q itself (u8 ^ 0x80) times w, so wsum is not subtracted;
 *   plain u8 (attention probabilities, wsum = 0): u = 64 (2h) + l with l < 128, h in
 *     {0, 1}: l w + (64 h) w + (64 h) w, exact in int32.
 * The int32 group sums equal the other kernels'. One panel (four 4-output vectors) x
 * MR <= 3 rows: 8 MR + 4 + 1 of the 32 registers. */
SR_INLINE SR_DOTPROD void q8_tile_dot(const int MR, const int PLAIN, const uint8_t *A, int lda, const int8_t *W,
                                      const float *S, int ngroups, int G, const float *ascale, int lds, float *C,
                                      int ldc, const float *bias, int ncols) {
    float32x4_t facc[3][4];
    for (int r = 0; r < MR; r++)
        for (int q = 0; q < 4; q++) facc[r][q] = vdupq_n_f32(0.0f);
    for (int g = 0; g < ngroups; g++) {
        int32x4_t iacc[3][4];
        for (int r = 0; r < MR; r++)
            for (int q = 0; q < 4; q++) iacc[r][q] = vdupq_n_s32(0);
        const int8_t *Wg = W + (size_t)g * G * SR_NR;
        for (int t = 0; t < G / 4; t++) {
            int8x16_t w[4];
            for (int q = 0; q < 4; q++) w[q] = vld1q_s8(Wg + (size_t)t * 64 + 16 * q);
            for (int r = 0; r < MR; r++) {
                uint32_t a4;
                memcpy(&a4, A + (size_t)r * lda + (size_t)g * G + 4 * t, 4);
                uint8x16_t a = vreinterpretq_u8_u32(vdupq_n_u32(a4));
                if (!PLAIN) {
                    int8x16_t qa = vreinterpretq_s8_u8(veorq_u8(a, vdupq_n_u8(0x80)));
                    for (int q = 0; q < 4; q++) iacc[r][q] = vdotq_s32(iacc[r][q], qa, w[q]);
                } else {
                    int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(a, vdupq_n_u8(0x7F)));
                    int8x16_t h64 = vreinterpretq_s8_u8(vshlq_n_u8(vshrq_n_u8(a, 7), 6));
                    for (int q = 0; q < 4; q++)
                        iacc[r][q] = vdotq_s32(vdotq_s32(vdotq_s32(iacc[r][q], lo, w[q]), h64, w[q]), h64, w[q]);
                }
            }
        }
        for (int q = 0; q < 4; q++) {
            float32x4_t sc = vld1q_f32(S + (size_t)g * SR_NR + 4 * q);
            for (int r = 0; r < MR; r++)
                facc[r][q] = vfmaq_f32(facc[r][q], vcvtq_f32_s32(iacc[r][q]), vmulq_n_f32(sc, ascale[(size_t)r * lds + g]));
        }
    }
    for (int r = 0; r < MR; r++) {
        float out[SR_NR], *c = C + (size_t)r * ldc;
        for (int q = 0; q < 4; q++) vst1q_f32(out + 4 * q, facc[r][q]);
        for (int j = 0; j < ncols && j < SR_NR; j++) c[j] = bias ? out[j] + bias[j] : c[j] + out[j];
    }
}
SR_Q8_TILE_DRIVER(tile_q8_dot, SR_DOTPROD, q8_tile_dot)
#endif /* SR_ARM_DOT */
#endif /* SR_ARM */

/* ================================================================================
 * 3c. Choosing a kernel set, and the drivers that use it
 * ================================================================================ */

static const SrKernels sr_k_generic = {"generic", "generic C", tile_f32_generic, tile_q8_generic,
                                       quantize_group_generic, quantize_values_generic, softmax_row_generic,
                                       softmax_quantize_row_generic, gelu_generic, add_layernorm_generic};
#if SR_X86
static const SrKernels sr_k_avx2 = {"avx2", "AVX2 + FMA: f32 FMA, int8 vpmaddubsw", tile_f32_avx2, tile_q8_avx2,
                                    quantize_group_avx2, quantize_values_generic, softmax_row_avx2,
                                    softmax_quantize_row_avx2, gelu_avx2, add_layernorm_avx2};
static const SrKernels sr_k_avx512 = {"avx512", "AVX-512 + VNNI: f32 FMA, int8 vpdpbusd", tile_f32_avx512,
                                      tile_q8_avx512, quantize_group_avx512, quantize_values_avx512,
                                      softmax_row_avx512, softmax_quantize_row_avx512, gelu_avx512,
                                      add_layernorm_avx512};
#endif
#if SR_ARM
static const SrKernels sr_k_neon = {"neon", "NEON: f32 FMA, int8 plain C", tile_f32_neon, tile_q8_generic,
                                    quantize_group_generic, quantize_values_generic, softmax_row_generic,
                                    softmax_quantize_row_generic, gelu_generic, add_layernorm_generic};
#if SR_ARM_DOT
static const SrKernels sr_k_dotprod = {"dotprod", "NEON + dotprod: f32 FMA, int8 SDOT", tile_f32_neon, tile_q8_dot,
                                       quantize_group_generic, quantize_values_generic, softmax_row_generic,
                                       softmax_quantize_row_generic, gelu_generic, add_layernorm_generic};
#endif
#endif
/* best first */
static const SrKernels *const sr_kernel_sets[] = {
#if SR_X86
    &sr_k_avx512, &sr_k_avx2,
#endif
#if SR_ARM_DOT
    &sr_k_dotprod,
#endif
#if SR_ARM
    &sr_k_neon,
#endif
    &sr_k_generic};
#define SR_NSETS ((int)(sizeof sr_kernel_sets / sizeof sr_kernel_sets[0]))

/* Whether this CPU can run a set (the builtins also ask whether the OS saves the wide
 * registers). */
static int sr_cpu_runs(const SrKernels *k) {
#if SR_X86
    __builtin_cpu_init();
    if (k == &sr_k_avx512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vnni");
    if (k == &sr_k_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if SR_ARM
#if defined(__linux__) && defined(HWCAP_ASIMD)
    if (k == &sr_k_neon) return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
#if SR_ARM_DOT && defined(HWCAP_ASIMDDP)
    if (k == &sr_k_dotprod) return (getauxval(AT_HWCAP) & HWCAP_ASIMD) && (getauxval(AT_HWCAP) & HWCAP_ASIMDDP);
#endif
#else
    if (k == &sr_k_neon) return 1; /* part of the architecture */
#endif
#endif
    return k == &sr_k_generic;
}

static const SrKernels *sr_kern; /* the set in use: sr_kernels() picks it once */

/* The best set this CPU runs, or the one SR_KERNELS names (tests, comparisons). A name
 * this build does not know, or a set this CPU cannot run, gets a one-line warning and
 * the best set the CPU runs below it. */
static const SrKernels *sr_kernels(void) {
    if (sr_kern) return sr_kern;
    const char *want = getenv("SR_KERNELS");
    int i = 0, named = -1;
    for (int j = 0; want && *want && j < SR_NSETS; j++)
        if (!strcmp(want, sr_kernel_sets[j]->name)) named = j;
    if (named >= 0) i = named;
    else if (want && *want) {
        fprintf(stderr, "sr: SR_KERNELS=%s is not a kernel set of this build (", want);
        for (int j = 0; j < SR_NSETS; j++) fprintf(stderr, "%s%s", j ? ", " : "", sr_kernel_sets[j]->name);
        fputs(")\n", stderr);
    }
    while (!sr_cpu_runs(sr_kernel_sets[i])) i++; /* generic always runs */
    if (named >= 0 && i != named) fprintf(stderr, "sr: this CPU cannot run the %s kernels: using %s\n", want, sr_kernel_sets[i]->name);
    sr_kern = sr_kernel_sets[i];
    return sr_kern;
}

const char *sr_kernel_name(void) { return sr_kernels()->name; }

/* Output columns [32*b, 32*b + 32) of C = A Wf^T + bias, for all M rows. Wf: panels of
 * K x 16 floats; N: valid columns. */
static void gemm_f32_block(int b, const float *A, int lda, const float *Wf, int K, int N, const float *bias,
                           float *C, int ldc, int M, const SrKernels *ks) {
    int p0 = 2 * b, np = (N - p0 * SR_NR) > SR_NR ? 2 : 1;
    size_t pstride = (size_t)K * SR_NR;
    const float *W = Wf + p0 * pstride;
    int ncols = N - p0 * SR_NR;
    const float *bb = bias ? bias + p0 * SR_NR : NULL;
    for (int m0 = 0; m0 < M; m0 += SR_MR) {
        int mr = M - m0 < SR_MR ? M - m0 : SR_MR;
        ks->tile_f32(mr, np, A + (size_t)m0 * lda, lda, W, pstride, K, C + (size_t)m0 * ldc + p0 * SR_NR, ldc, bb, ncols);
    }
}

/* C = A Wf^T + bias over all column blocks; parallel: split them over the threads. */
static void gemm_f32(const float *A, int lda, const float *Wf, int K, int N, const float *bias, float *C, int ldc,
                     int M, int parallel) {
    int nb = (N + 2 * SR_NR - 1) / (2 * SR_NR);
    const SrKernels *ks = sr_kernels();
    if (parallel) {
SR_OMP_FOR
        for (int b = 0; b < nb; b++) gemm_f32_block(b, A, lda, Wf, K, N, bias, C, ldc, M, ks);
    } else {
        for (int b = 0; b < nb; b++) gemm_f32_block(b, A, lda, Wf, K, N, bias, C, ldc, M, ks);
    }
}

/* Output columns [32*b, 32*b + 32) of C = dequant(A) W^T + bias for all M rows of the
 * quantized activations A (row stride lda >= L->Kp; scales: row stride lds); with
 * accumulate, C += dequant(A) W^T instead (no bias). */
static void gemm_q8_block(int b, const uint8_t *A, int lda, const float *ascale, int lds, const SrLinear *L,
                          float *C, int ldc, int M, int accumulate, const SrKernels *ks) {
    int p0 = 2 * b, np = (L->N - p0 * SR_NR) > SR_NR ? 2 : 1, ng = L->Kp / L->group;
    size_t pq = (size_t)L->Kp * SR_NR, ps = (size_t)ng * SR_NR;
    const int8_t *W = L->q + p0 * pq;
    const float *S = L->s + p0 * ps;
    const int32_t *wsum = L->wsum + p0 * ps;
    const float *bias = accumulate ? NULL : L->bias + p0 * SR_NR; /* the tiles add into C when NULL */
    int ncols = L->N - p0 * SR_NR;
    /* the next block's weights, fetched a slice per row tile while this block runs: the
     * first tile of a block would otherwise wait for memory (the weights of a whole
     * model do not stay in cache from one forward to the next) */
    const char *next = (const char *)(W + 2 * pq);
    int next_panels = L->npanels - (p0 + 2); /* the last block may hold one panel */
    size_t next_bytes = next_panels <= 0 ? 0 : (size_t)(next_panels < 2 ? next_panels : 2) * pq;
    int ntiles = (M + SR_MR_Q8 - 1) / SR_MR_Q8;
    size_t slice = (next_bytes / ntiles + 63) / 64 * 64;
    for (int m0 = 0, tile = 0; m0 < M; m0 += SR_MR_Q8, tile++) {
        int mr = M - m0 < SR_MR_Q8 ? M - m0 : SR_MR_Q8;
        for (size_t o = tile * slice; o < (tile + 1) * slice && o < next_bytes; o += 64) __builtin_prefetch(next + o);
        ks->tile_q8(mr, np, A + (size_t)m0 * lda, lda, W, pq, S, wsum, ps, ng, L->group, ascale + (size_t)m0 * lds,
                    lds, C + (size_t)m0 * ldc + p0 * SR_NR, ldc, bias, ncols, L->plain_u8);
    }
}

/* Rows of A quantized group by group (quantize_group_body above says how). */
static void quantize_rows(const float *A, int lda, int M, int K, int Kp, int G, uint8_t *Q, int ldq, float *scale,
                          int lds) {
    const SrKernels *ks = sr_kernels();
    for (int i = 0; i < M; i++)
        for (int g = 0; g * G < Kp; g++) {
            int k0 = g * G, n = K - k0 < G ? (K - k0 > 0 ? K - k0 : 0) : G;
            ks->quantize_group(A + (size_t)i * lda + k0, n, G, Q + (size_t)i * ldq + k0, scale + (size_t)i * lds + g);
        }
}

/* Quantize values V[key][0..width) (row stride ld) of keys [k0, kn) as one group of
 * SR_ATT_G keys per dimension j: scale[j] = max_key |V[key][j]| / 127, written into a
 * q8 panel by the set's quantize_values (quantize_values_generic says how). */
static void pack_value_group(const float *V, int ld, int k0, int kn, int width, const SrKernels *ks, int8_t *panel,
                             float *scale) {
    float amax[SR_NR] = {0}, inv[SR_NR];
    for (int key = k0; key < kn; key++)
        for (int j = 0; j < width; j++) {
            float v = fabsf(V[(size_t)key * ld + j]);
            amax[j] = v > amax[j] ? v : amax[j];
        }
    for (int j = 0; j < SR_NR; j++) {
        inv[j] = amax[j] > 0 ? 127.0f / amax[j] : 0.0f;
        scale[j] = amax[j] / 127.0f;
    }
    ks->quantize_values(V, ld, k0, kn, width, inv, panel);
}

static void softmax_row(float *row, int n, const float *keep, float scale) {
    sr_kernels()->softmax_row(row, n, keep, scale);
}
static void softmax_quantize_row(float *row, int n, const float *keep, float scale, uint8_t *q, float *qscale) {
    sr_kernels()->softmax_quantize_row(row, n, keep, scale, q, qscale);
}
static void gelu_inplace(float *x, size_t n) { sr_kernels()->gelu(x, n); }
static void add_layernorm_row(float *out, const float *a, const float *b, const float *w, const float *bias, int n,
                              float eps) {
    sr_kernels()->add_layernorm_row(out, a, b, w, bias, n, eps);
}

/* ================================================================================
 * 4. Encoder forward and heads
 * ================================================================================ */

struct SrState {
    int max_tokens;
    int nscratch;             /* threads the per-thread scratch is sized for */
    float *x;                 /* [T][H] hidden states: the forward's result */
    float *qkv;               /* [T][3H] query | key | value */
    int q8;                   /* q8 weights: attention in int8 too (see attention_rows) */
    float *kpack, *vpack;     /* f32: keys and values of every head packed for the GEMM */
    int8_t *kq, *vq;          /* q8: the same, quantized (keys per key, values per 64 keys) */
    float *ks, *vs;           /* q8: their scales */
    int32_t *kwsum;           /* q8: 128 x each key's sum (the +128 of the queries) */
    int32_t *zero_i;          /* q8: zero wsum of the values (probabilities have no offset) */
    float *zero_f;            /* q8: zero bias of both attention GEMMs */
    float *ctx;               /* [T][H] attention context */
    float *tmp;               /* [T][H] a dense layer's output before its LayerNorm */
    float *h1;                /* [T][H] attention block output */
    float *ffn;               /* [T][I] intermediate activations */
    uint8_t *aq;              /* [T][aq_stride] activations quantized for q8 layers */
    int aq_stride;
    float *ascale;            /* [T][as_stride] their scales, one per group of columns */
    int as_stride;
    float *keep;              /* [T] 1 for keys attention may use, 0 for padding */
    float *scratch;           /* per thread: attention scores [T][T] */
    size_t scratch_floats;    /* per thread */
    int n;                    /* tokens of the last successful forward (0: none) */
    char err[SR_ERR_LEN];     /* why the last sr_forward returned NULL */
};

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }
static size_t round4(size_t n) { return (n + 3) / 4 * 4; }
static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

SrState *sr_state_new(const SrModel *m, int max_tokens) {
    sr_kernels(); /* chosen here, before any thread asks */
    const SrConfig *c = &m->cfg;
    if (max_tokens <= 0) return NULL;
    if (max_tokens > c->max_position) max_tokens = c->max_position;
    SrState *s = xcalloc(1, sizeof *s);
    size_t T = (size_t)max_tokens, H = (size_t)c->hidden, I = (size_t)c->intermediate, nh = (size_t)c->n_heads;
    size_t dh = H / nh;
    s->max_tokens = max_tokens;
    s->x = xalign(T * H * sizeof(float));
    s->qkv = xalign(T * 3 * H * sizeof(float));
    s->q8 = c->weight_type == SR_WEIGHTS_Q8;
    if (s->q8) {
        size_t dhp = round4(dh), Tp = round_up(T, SR_ATT_G), zeros = round16(T) > round16(dh) * (Tp / SR_ATT_G)
                                                                      ? round16(T) : round16(dh) * (Tp / SR_ATT_G);
        s->kq = xalign(nh * round16(T) * dhp);
        s->ks = xalign(nh * round16(T) * sizeof(float));
        s->kwsum = xalign(nh * round16(T) * sizeof(int32_t));
        s->vq = xalign(nh * round16(dh) * Tp);
        s->vs = xalign(nh * round16(dh) * (Tp / SR_ATT_G) * sizeof(float));
        s->zero_i = xcalloc(zeros, sizeof(int32_t));
        s->zero_f = xcalloc(zeros, sizeof(float));
    } else {
        s->kpack = xalign(nh * round16(T) * dh * sizeof(float));
        s->vpack = xalign(nh * round16(dh) * T * sizeof(float));
    }
    s->ctx = xalign(T * H * sizeof(float));
    s->tmp = xalign(T * H * sizeof(float));
    s->h1 = xalign(T * H * sizeof(float));
    s->ffn = xalign(T * I * sizeof(float));
    /* quantized activations: rows of the dense layers' inputs, and (q8 attention) of the
     * attention probabilities over up to T keys */
    size_t widest = H > I ? H : I;
    if (s->q8 && round_up(T, SR_ATT_G) > widest) widest = round_up(T, SR_ATT_G);
    int G = c->group_size > 0 ? c->group_size : SR_ATT_G, gmin = G < SR_ATT_G ? G : SR_ATT_G;
    s->aq_stride = (int)widest + G;
    s->aq = xalign(T * (size_t)s->aq_stride);
    s->as_stride = (s->aq_stride + gmin - 1) / gmin;
    s->ascale = xalign(T * (size_t)s->as_stride * sizeof(float));
    s->keep = xalign(T * sizeof(float));
    s->nscratch = sr_threads();
    s->scratch_floats = round16(T * T);
    s->scratch = xalign(s->nscratch * s->scratch_floats * sizeof(float));
    return s;
}

void sr_state_free(SrState *s) {
    if (!s) return;
    free(s->kq); free(s->vq); free(s->ks); free(s->vs); free(s->kwsum); free(s->zero_i); free(s->zero_f);
    free(s->x); free(s->qkv); free(s->kpack); free(s->vpack); free(s->ctx); free(s->tmp); free(s->h1);
    free(s->ffn); free(s->aq); free(s->ascale); free(s->keep); free(s->scratch);
    free(s);
}

/* Why the last sr_forward on this state returned NULL. */
const char *sr_state_error(const SrState *s) { return s->err; }

/* Rows [r0, r1) of C = A W^T + bias, on the calling thread (q8: quantizing those rows
 * of A first). */
static void linear_rows(SrState *s, const SrLinear *L, const float *A, int lda, float *C, int ldc, int r0, int r1) {
    int M = r1 - r0;
    if (M <= 0) return;
    A += (size_t)r0 * lda;
    C += (size_t)r0 * ldc;
    if (L->type == SR_TENSOR_F32) {
        gemm_f32(A, lda, L->f, L->K, L->N, L->bias, C, ldc, M, 0);
        return;
    }
    uint8_t *aq = s->aq + (size_t)r0 * s->aq_stride;
    float *as = s->ascale + (size_t)r0 * s->as_stride;
    quantize_rows(A, lda, M, L->K, L->Kp, L->group, aq, s->aq_stride, as, s->as_stride);
    int nb = (L->N + 2 * SR_NR - 1) / (2 * SR_NR);
    const SrKernels *ks = sr_kernels();
    for (int b = 0; b < nb; b++) gemm_q8_block(b, aq, s->aq_stride, as, s->as_stride, L, C, ldc, M, 0, ks);
}

/* Keys and values of tokens [r0, r1) of every head into the panels the attention GEMMs
 * read: keys as the "weights" of Q K^T (panels of 16 keys x dh), values as the weights
 * of P V (panels of 16 dims x n tokens). Zero padding is written by the chunk holding
 * the last token. */
static void pack_kv_rows(const SrModel *m, SrState *s, int n, int r0, int r1) {
    int H = m->cfg.hidden, nh = m->cfg.n_heads, dh = H / nh, ld = 3 * H;
    int kend = r1 == n ? (int)round16(n) : r1;
    for (int h = 0; h < nh; h++) {
        float *Kp = s->kpack + (size_t)h * round16(n) * dh;
        float *Vp = s->vpack + (size_t)h * round16(dh) * n;
        for (int key = r0; key < kend; key++) {
            const float *K = s->qkv + (size_t)key * ld + H + h * dh;
            float *dst = Kp + (size_t)(key / SR_NR) * dh * SR_NR + key % SR_NR;
            for (int d = 0; d < dh; d++) dst[(size_t)d * SR_NR] = key < n ? K[d] : 0.0f;
        }
        for (int key = r0; key < r1; key++) {
            const float *V = s->qkv + (size_t)key * ld + 2 * H + h * dh;
            for (int p = 0; p < (dh + SR_NR - 1) / SR_NR; p++) {
                float *dst = Vp + ((size_t)p * n + key) * SR_NR;
                for (int j = 0; j < SR_NR; j++) dst[j] = p * SR_NR + j < dh ? V[p * SR_NR + j] : 0.0f;
            }
        }
    }
}

/* Self-attention of query tokens [r0, r1) over all n keys, every head, into ctx rows.
 * Keys with attn = 0 get probability 0 (Hugging Face adds the most negative float,
 * which underflows to the same 0); if no key may be attended, all are. S: scratch for
 * (r1 - r0) x n scores. */
static void attention_rows(const SrModel *m, SrState *s, int n, int r0, int r1, float *S) {
    int H = m->cfg.hidden, nh = m->cfg.n_heads, dh = H / nh, ld = 3 * H, rows = r1 - r0;
    float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < nh; h++) {
        const float *Kp = s->kpack + (size_t)h * round16(n) * dh;
        const float *Vp = s->vpack + (size_t)h * round16(dh) * n;
        gemm_f32(s->qkv + (size_t)r0 * ld + h * dh, ld, Kp, dh, n, NULL, S, n, rows, 0);
        for (int i = 0; i < rows; i++) softmax_row(S + (size_t)i * n, n, s->keep, scale);
        gemm_f32(S, n, Vp, n, dh, NULL, s->ctx + (size_t)r0 * H + h * dh, H, rows, 0);
    }
}

/* q8 models: keys of tokens [r0, r1) of every head, quantized into int8 panels in the
 * layout of a q8 Linear (section 2), so that the attention GEMMs run on the int8
 * kernels like every other product of a q8 model:
 *   keys: one "weight row" per key over dh (padded to a multiple of 4), one scale per
 *         key (its own group), and 128 x its sum for the queries' +128;
 *   values (pack_values_q8, below): one "weight row" per head dimension over the keys,
 *         one scale per dimension and group of SR_ATT_G keys.
 * Zero padding (keys up to a multiple of 16) is written by the chunk holding the last
 * token. The chunk's rows of the quantized-activation buffer are free here (its QKV
 * projection is done) and hold the quantized keys on the way. */
static void pack_keys_rows_q8(const SrModel *m, SrState *s, int n, int r0, int r1) {
    int H = m->cfg.hidden, nh = m->cfg.n_heads, dh = H / nh, ld = 3 * H;
    int dhp = (int)round4(dh), n16 = (int)round16(n);
    int kend = r1 == n ? n16 : r1;
    uint8_t *tmp = s->aq + (size_t)r0 * s->aq_stride;
    float *tscale = s->ascale + (size_t)r0 * s->as_stride;
    for (int h = 0; h < nh; h++) {
        int8_t *Kq = s->kq + (size_t)h * n16 * dhp;
        float *Ks = s->ks + (size_t)h * n16;
        int32_t *Kw = s->kwsum + (size_t)h * n16;
        /* u8 = q + 128 as for activations; the panels want q itself */
        quantize_rows(s->qkv + (size_t)r0 * ld + H + h * dh, ld, r1 - r0, dh, dhp, dhp, tmp, dhp, tscale, 1);
        for (int key = r0; key < kend; key++) {
            const uint8_t *u = tmp + (size_t)(key - r0) * dhp;
            int8_t *dst = Kq + (size_t)(key / SR_NR) * dhp * SR_NR + (key % SR_NR) * 4;
            int32_t sum = 0;
            for (int d = 0; d < dhp; d += 4) { /* 4 consecutive dims of a key are 4 consecutive bytes */
                int8_t q4[4];
                for (int b = 0; b < 4; b++) {
                    q4[b] = key < n ? (int8_t)(u[d + b] ^ 0x80) : 0; /* u8 q + 128 -> s8 q */
                    sum += q4[b];
                }
                memcpy(dst + (size_t)(d / 4) * SR_NR * 4, q4, 4);
            }
            Ks[key] = key < n ? tscale[key - r0] : 0.0f;
            Kw[key] = 128 * sum;
        }
    }
}

/* q8 models: the values of head h, keys [g * SR_ATT_G, + SR_ATT_G) (group g), into the
 * int8 panels (see pack_keys_rows_q8). A group's keys may come from two chunks of rows,
 * so this runs after every chunk's projection (sr_forward). */
static void pack_values_q8(const SrModel *m, SrState *s, int n, int h, int g, const SrKernels *ks) {
    int H = m->cfg.hidden, nh = m->cfg.n_heads, dh = H / nh, ld = 3 * H;
    int Kpn = (int)round_up(n, SR_ATT_G), ng = Kpn / SR_ATT_G, vpanels = (int)round16(dh) / SR_NR;
    int8_t *Vq = s->vq + (size_t)h * vpanels * SR_NR * Kpn;
    float *Vs = s->vs + (size_t)h * vpanels * ng * SR_NR;
    int k0 = g * SR_ATT_G, kn = k0 + SR_ATT_G < n ? k0 + SR_ATT_G : n;
    for (int p = 0; p < vpanels; p++) {
        int width = dh - p * SR_NR < SR_NR ? dh - p * SR_NR : SR_NR;
        const float *V = s->qkv + 2 * H + h * dh + p * SR_NR;
        pack_value_group(V, ld, k0, kn, width, ks, Vq + (size_t)p * Kpn * SR_NR, Vs + ((size_t)p * ng + g) * SR_NR);
    }
}

/* attention_rows for q8 models: Q K^T and P V on the int8 kernels. The queries are
 * quantized per head and row (one group of dh), the probabilities per row and group of
 * SR_ATT_G keys; both reuse the rows [r0, r1) of the state's quantized-activation
 * buffer, which belong to this chunk. */
static void attention_rows_q8(const SrModel *m, SrState *s, int n, int r0, int r1, float *S) {
    int H = m->cfg.hidden, nh = m->cfg.n_heads, dh = H / nh, ld = 3 * H, rows = r1 - r0;
    int dhp = (int)round4(dh), n16 = (int)round16(n), Kpn = (int)round_up(n, SR_ATT_G), ng = Kpn / SR_ATT_G;
    int vpanels = (int)round16(dh) / SR_NR;
    const SrKernels *ks = sr_kernels();
    float scale = 1.0f / sqrtf((float)dh);
    uint8_t *aq = s->aq + (size_t)r0 * s->aq_stride;
    float *as = s->ascale + (size_t)r0 * s->as_stride;
    for (int h = 0; h < nh; h++) {
        SrLinear keys = {.type = SR_TENSOR_Q8, .N = n, .K = dh, .Kp = dhp, .group = dhp, .npanels = n16 / SR_NR,
                         .q = s->kq + (size_t)h * n16 * dhp, .s = s->ks + (size_t)h * n16,
                         .wsum = s->kwsum + (size_t)h * n16, .bias = s->zero_f};
        SrLinear values = {.type = SR_TENSOR_Q8, .N = dh, .K = n, .Kp = Kpn, .group = SR_ATT_G, .npanels = vpanels,
                           .q = s->vq + (size_t)h * vpanels * SR_NR * Kpn, .s = s->vs + (size_t)h * vpanels * ng * SR_NR,
                           .wsum = s->zero_i, .plain_u8 = 1, .bias = s->zero_f};
        quantize_rows(s->qkv + (size_t)r0 * ld + h * dh, ld, rows, dh, dhp, dhp, aq, dhp, as, 1);
        for (int b = 0; b < (n + 2 * SR_NR - 1) / (2 * SR_NR); b++)
            gemm_q8_block(b, aq, dhp, as, 1, &keys, S, n, rows, 0, ks);
        for (int i = 0; i < rows; i++)
            softmax_quantize_row(S + (size_t)i * n, n, s->keep, scale, aq + (size_t)i * Kpn, as + (size_t)i * ng);
        for (int b = 0; b < (dh + 2 * SR_NR - 1) / (2 * SR_NR); b++)
            gemm_q8_block(b, aq, Kpn, as, ng, &values, s->ctx + (size_t)r0 * H + h * dh, H, rows, 0, ks);
    }
}

/* Everything of one layer after attention, for tokens [r0, r1): output projection,
 * residual + LayerNorm, FFN with GELU, residual + LayerNorm, into x. Row-local, so a
 * thread carries its rows through without waiting for the others. */
static void layer_rows(const SrModel *m, SrState *s, const SrLayer *L, int r0, int r1) {
    int H = m->cfg.hidden, I = m->cfg.intermediate;
    float eps = m->cfg.layer_norm_eps;
    linear_rows(s, &L->attn_out, s->ctx, H, s->tmp, H, r0, r1);
    for (int i = r0; i < r1; i++)
        add_layernorm_row(s->h1 + (size_t)i * H, s->tmp + (size_t)i * H, s->x + (size_t)i * H, L->ln1_w, L->ln1_b, H, eps);
    linear_rows(s, &L->ffn_in, s->h1, H, s->ffn, I, r0, r1);
    gelu_inplace(s->ffn + (size_t)r0 * I, (size_t)(r1 - r0) * I);
    linear_rows(s, &L->ffn_out, s->ffn, I, s->tmp, H, r0, r1);
    for (int i = r0; i < r1; i++)
        add_layernorm_row(s->x + (size_t)i * H, s->tmp + (size_t)i * H, s->h1 + (size_t)i * H, L->ln2_w, L->ln2_b, H, eps);
}

/* Returns the hidden states [n][H], or NULL (reason in the state, see sr_state_error)
 * when n is not in 1..max_tokens of the state or an id / type is out of range.
 *
 * Threads split the tokens into chunks of rows; each layer has two phases separated by
 * one barrier: (1) query/key/value projections of the chunk's rows and the packing of
 * its keys and values, (2) attention of the chunk's queries over all keys and the rest
 * of the layer. Each output value is computed by the same operations whatever the
 * chunking, so results do not depend on the number of threads. */
const float *sr_forward(const SrModel *m, SrState *s, const int *ids, const int *types, const uint8_t *attn, int n) {
    const SrConfig *c = &m->cfg;
    s->n = 0;
    if (n <= 0 || n > s->max_tokens) {
        snprintf(s->err, SR_ERR_LEN, "%d tokens: the state holds 1 to %d", n, s->max_tokens);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= c->vocab_size) {
            snprintf(s->err, SR_ERR_LEN, "token %d: id %d is outside the vocabulary (0..%d)", i, ids[i], c->vocab_size - 1);
            return NULL;
        }
        if (types && (types[i] < 0 || types[i] >= c->type_vocab_size)) {
            snprintf(s->err, SR_ERR_LEN, "token %d: token type %d is out of range", i, types[i]);
            return NULL;
        }
    }
    int H = c->hidden, G = c->group_size;
    float eps = c->layer_norm_eps;
    int any = 0;
    for (int j = 0; j < n; j++) any |= !attn || attn[j];
    for (int j = 0; j < n; j++) s->keep[j] = !attn || attn[j] || !any ? 1.0f : 0.0f;
    int nt = sr_threads() < s->nscratch ? sr_threads() : s->nscratch;
    if (nt < 1) nt = 1;
    /* one chunk of rows per thread, as even as rows allow (each chunk streams the weights
     * once): 257 rows go 129 + 128 on two threads; q8 values: one task per head and
     * group of SR_ATT_G keys */
    int chunk = (n + nt - 1) / nt, nchunks = (n + chunk - 1) / chunk;
    int ngroups = (int)round_up(n, SR_ATT_G) / SR_ATT_G, nvtasks = c->n_heads * ngroups;
    const SrKernels *ks = sr_kernels();
    (void)nchunks;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        float *S = s->scratch + (size_t)t * s->scratch_floats;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int i = 0; i < n; i++) {
            float *x = s->x + (size_t)i * H;
            const float *tt = m->type_emb + (size_t)(types ? types[i] : 0) * H, *pp = m->pos_emb + (size_t)i * H;
            mat_row(&m->word_emb, ids[i], x, G);
            for (int k = 0; k < H; k++) x[k] = (x[k] + tt[k]) + pp[k];
            add_layernorm_row(x, x, NULL, m->emb_ln_w, m->emb_ln_b, H, eps);
        }
        for (int l = 0; l < c->n_layers; l++) {
            const SrLayer *L = &m->layer[l];
#ifdef _OPENMP
#pragma omp for schedule(dynamic)
#endif
            for (int ch = 0; ch < nchunks; ch++) {
                int r0 = ch * chunk, r1 = r0 + chunk < n ? r0 + chunk : n;
                linear_rows(s, &L->qkv, s->x, H, s->qkv, 3 * H, r0, r1);
                if (s->q8) pack_keys_rows_q8(m, s, n, r0, r1);
                else pack_kv_rows(m, s, n, r0, r1);
            }
            if (s->q8) { /* (after every chunk's projection: a group of keys may span two) */
#ifdef _OPENMP
#pragma omp for schedule(dynamic)
#endif
                for (int task = 0; task < nvtasks; task++) pack_values_q8(m, s, n, task / ngroups, task % ngroups, ks);
            }
#ifdef _OPENMP
#pragma omp for schedule(dynamic)
#endif
            for (int ch = 0; ch < nchunks; ch++) {
                int r0 = ch * chunk, r1 = r0 + chunk < n ? r0 + chunk : n;
                if (s->q8) attention_rows_q8(m, s, n, r0, r1, S);
                else attention_rows(m, s, n, r0, r1, S);
                layer_rows(m, s, L, r0, r1);
            }
        }
    }
    s->n = n;
    s->err[0] = 0;
    return s->x;
}

/* C = A W^T + bias for the M rows of a head (few rows, many columns: the MLM decoder has
 * 28,996), the column blocks split over the threads. The heads' outputs go straight to
 * the sampler, so with q8 weights the activations get a second int8 pass for what the
 * first one rounded away: A ~= s1 q1 + s2 q2 (about 15 bits instead of 8; the weights'
 * own rounding is all that is left). That doubles the GEMM work of a head, which is
 * small next to the encoder's. */
static void head_linear(const SrLinear *L, const float *A, int lda, float *C, int ldc, int M) {
    if (L->type == SR_TENSOR_F32) {
        gemm_f32(A, lda, L->f, L->K, L->N, L->bias, C, ldc, M, 1);
        return;
    }
    int K = L->K, Kp = L->Kp, G = L->group, ng = Kp / G;
    uint8_t *aq = xalign((size_t)2 * M * Kp);
    float *as = xalign((size_t)2 * M * ng * sizeof(float));
    float *residual = xalign((size_t)M * K * sizeof(float));
    uint8_t *aq2 = aq + (size_t)M * Kp;
    float *as2 = as + (size_t)M * ng;
    quantize_rows(A, lda, M, K, Kp, G, aq, Kp, as, ng);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            residual[(size_t)i * K + k] = A[(size_t)i * lda + k] - (float)((int)aq[(size_t)i * Kp + k] - 128) * as[(size_t)i * ng + k / G];
    quantize_rows(residual, K, M, K, Kp, G, aq2, Kp, as2, ng);
    int nb = (L->N + 2 * SR_NR - 1) / (2 * SR_NR);
    const SrKernels *ks = sr_kernels();
SR_OMP_FOR
    for (int b = 0; b < nb; b++) {
        gemm_q8_block(b, aq, Kp, as, ng, L, C, ldc, M, 0, ks);
        gemm_q8_block(b, aq2, Kp, as2, ng, L, C, ldc, M, 1, ks); /* += the residual's share */
    }
    free(aq); free(as); free(residual);
}

int sr_mlm_logits(const SrModel *m, SrState *s, const int *positions, int npos, float *out, char *err) {
    const SrConfig *c = &m->cfg;
    if (!(c->flags & SR_FLAG_MLM_HEAD)) return sr_fail(err, "the model has no masked-LM head");
    if (s->n <= 0) return sr_fail(err, "sr_mlm_logits needs a successful sr_forward first");
    for (int p = 0; p < npos; p++)
        if (positions[p] < 0 || positions[p] >= s->n)
            return sr_fail(err, "position %d is outside the %d tokens of the last forward", positions[p], s->n);
    if (npos <= 0) return 0;
    int H = c->hidden, V = c->vocab_size;
    float *rows = xalign((size_t)npos * H * sizeof(float)), *t = xalign((size_t)npos * H * sizeof(float));
    for (int p = 0; p < npos; p++) memcpy(rows + (size_t)p * H, s->x + (size_t)positions[p] * H, (size_t)H * sizeof(float));
    /* transform: dense + GELU + LayerNorm at each asked position */
    head_linear(&m->mlm_transform, rows, H, t, H, npos);
    gelu_inplace(t, (size_t)npos * H);
    for (int p = 0; p < npos; p++)
        add_layernorm_row(t + (size_t)p * H, t + (size_t)p * H, NULL, m->mlm_ln_w, m->mlm_ln_b, H, c->layer_norm_eps);
    /* decoder: the whole vocabulary for all positions, one GEMM */
    head_linear(&m->mlm_decoder, t, H, out, V, npos);
    free(rows);
    free(t);
    return 0;
}

int sr_classify_logits(const SrModel *m, SrState *s, float *out, char *err) {
    const SrConfig *c = &m->cfg;
    if (!(c->flags & SR_FLAG_CLASSIFIER)) return sr_fail(err, "the model has no token-classification head");
    if (s->n <= 0) return sr_fail(err, "sr_classify_logits needs a successful sr_forward first");
    int H = c->hidden, L = c->n_labels;
SR_OMP_ROWS
    for (int i = 0; i < s->n; i++)
        for (int l = 0; l < L; l++)
            out[(size_t)i * L + l] = dot_f32(s->x + (size_t)i * H, m->cls_w + (size_t)l * H, H) + m->cls_b[l];
    return 0;
}

/* ---- sr bench, sr info ---- */

/* Floating-point operations of one forward over n tokens (multiply-add = 2). */
static double forward_flops(const SrConfig *c, int n) {
    double H = c->hidden, I = c->intermediate;
    double per_layer = 2.0 * n * (4 * H * H + 2 * H * I) + 4.0 * (double)n * n * H;
    return per_layer * c->n_layers;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv) {
    const char *path = NULL;
    int seq = 128, iters = 10, threads = 0, warmup = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) path = opt_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--seq")) seq = (int)opt_int(argc, argv, &i, 1, INT32_MAX);
        else if (!strcmp(argv[i], "--iters")) iters = (int)opt_int(argc, argv, &i, 1, 100000);
        else if (!strcmp(argv[i], "--threads")) threads = opt_threads(argc, argv, &i);
        else if (!strcmp(argv[i], "--warmup")) warmup = (int)opt_int(argc, argv, &i, 0, 100000);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: sr bench -m MODEL [--seq N] [--iters N] [--threads N] [--warmup N]\n"
                  "  times the encoder forward on N tokens; prints the median ms, tokens/s, GFLOP/s, peak RSS\n", stdout);
            return 0;
        } else { fprintf(stderr, "sr bench: unknown option %s\n", argv[i]); return 2; }
    }
    if (!path) { fputs("sr bench: -m MODEL is required\n", stderr); return 2; }
    if (threads > 0) sr_set_threads(threads);
    char err[SR_ERR_LEN];
    SrModel *m;
    double t0 = now_seconds();
    if (sr_load(&m, path, err) < 0) { fprintf(stderr, "sr bench: %s\n", err); return 2; }
    double load_s = now_seconds() - t0;
    const SrConfig *c = sr_config(m);
    if (seq < 1 || seq > c->max_position) {
        fprintf(stderr, "sr bench: --seq %d is outside 1..%d (the model's positions)\n", seq, c->max_position);
        sr_free(m);
        return 2;
    }
    SrState *s = sr_state_new(m, seq);
    int *ids = xmalloc((size_t)seq * sizeof(int));
    uint32_t rng = 12345;
    for (int i = 0; i < seq; i++) {
        rng = rng * 1664525u + 1013904223u;
        ids[i] = (int)((rng >> 8) % (uint32_t)c->vocab_size);
    }
    if (c->cls_id >= 0) ids[0] = c->cls_id;
    if (c->sep_id >= 0) ids[seq - 1] = c->sep_id;
    double *ms = xmalloc((size_t)iters * sizeof(double));
    struct rusage ru0, ru1;
    for (int i = 0; i < warmup + iters; i++) {
        if (i == warmup) getrusage(RUSAGE_SELF, &ru0);
        double a = now_seconds();
        if (!sr_forward(m, s, ids, NULL, NULL, seq)) { fprintf(stderr, "sr bench: %s\n", sr_state_error(s)); return 1; }
        if (i >= warmup) ms[i - warmup] = (now_seconds() - a) * 1e3;
    }
    getrusage(RUSAGE_SELF, &ru1);
    /* CPU time per forward (all threads): on a shared machine, the wall time's floor */
    double cpu_ms = ((ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                     1e-6 * ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec))) * 1e3 / iters;
    qsort(ms, iters, sizeof(double), cmp_double);
    double med = iters % 2 ? ms[iters / 2] : 0.5 * (ms[iters / 2 - 1] + ms[iters / 2]);
    double flops = forward_flops(c, seq);
    printf("model: %s (%s, %.1f MB)\n", path, c->weight_type == SR_WEIGHTS_Q8 ? "q8" : "f32", m->map_bytes / 1e6);
    printf("kernels: %s (%s), threads: %d, load: %.0f ms\n", sr_kernel_name(), sr_kernels()->what, sr_threads(), load_s * 1e3);
    printf("seq %d, %d iterations: median %.2f ms (min %.2f, max %.2f), CPU %.2f ms per forward\n", seq, iters, med, ms[0], ms[iters - 1], cpu_ms);
    printf("tokens/s: %.0f\nGFLOP/s: %.1f (%.2f GFLOP per forward)\n", seq / (med / 1e3), flops / (med / 1e3) / 1e9, flops / 1e9);
    printf("peak RSS: %.1f MB\n", peak_rss_kb() / 1024.0);
    printf("{\"seq\":%d,\"threads\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,\"cpu_ms\":%.3f,\"tokens_per_s\":%.1f,\"gflops\":%.2f,\"peak_rss_kb\":%ld,\"file_bytes\":%zu}\n",
           seq, sr_threads(), med, ms[0], cpu_ms, seq / (med / 1e3), flops / (med / 1e3) / 1e9, peak_rss_kb(), m->map_bytes);
    free(ms); free(ids);
    sr_state_free(s);
    sr_free(m);
    return 0;
}

static int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int verify = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) path = opt_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--verify")) verify = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: sr info -m MODEL [--verify]\n"
                  "  prints the model's config, flags, special ids, labels, tensors and meta JSON\n"
                  "  --verify  reads the whole file and checks its checksums instead: one line,\n"
                  "            exit 0 when they match, 1 when the file is damaged or carries none\n"
                  "            (format version 1), 2 when it cannot be read\n", stdout);
            return 0;
        } else if (argv[i][0] != '-' && !path) path = argv[i];
        else { fprintf(stderr, "sr info: unknown option %s\n", argv[i]); return 2; }
    }
    if (!path) { fputs("sr info: -m MODEL is required\n", stderr); return 2; }
    char err[SR_ERR_LEN];
    if (verify) {
        int v = sr_model_verify(path, err);
        if (v == 0) printf("%s\n", err);
        else fprintf(stderr, "sr info: %s\n", err);
        return v == 0 ? 0 : v > 0 ? 1 : 2;
    }
    SrModel *m;
    if (sr_load(&m, path, err) < 0) { fprintf(stderr, "sr info: %s\n", err); return 2; }
    const SrConfig *c = sr_config(m);
    printf("file: %s (%zu bytes, format version %u)\n", path, m->map_bytes, m->version);
    if (m->version >= 2) printf("checksums: header 0x%08x (checked), contents 0x%08x (sr info --verify checks it)\n", m->header_crc, m->data_crc);
    else printf("checksums: none (format version 1; convert it again to add them)\n");
    printf("kernels: %s (%s)\n", sr_kernel_name(), sr_kernels()->what);
    printf("weights: %s", c->weight_type == SR_WEIGHTS_Q8 ? "q8" : "f32");
    if (c->weight_type == SR_WEIGHTS_Q8) printf(" (group %d)", c->group_size);
    printf("\ntensors: %d\n", m->n_tensors);
    printf("config: vocab_size=%d hidden=%d n_layers=%d n_heads=%d intermediate=%d max_position=%d type_vocab_size=%d n_labels=%d layer_norm_eps=%g\n",
           c->vocab_size, c->hidden, c->n_layers, c->n_heads, c->intermediate, c->max_position, c->type_vocab_size,
           c->n_labels, c->layer_norm_eps);
    printf("flags:%s%s%s%s%s\n", c->flags & SR_FLAG_LOWERCASE ? " lowercase" : "", c->flags & SR_FLAG_STRIP_ACCENTS ? " strip_accents" : "",
           c->flags & SR_FLAG_CHINESE_CHARS ? " chinese_chars" : "", c->flags & SR_FLAG_MLM_HEAD ? " mlm_head" : "",
           c->flags & SR_FLAG_CLASSIFIER ? " classifier" : "");
    const int sid[5] = {c->cls_id, c->sep_id, c->pad_id, c->unk_id, c->mask_id};
    const char *snm[5] = {"cls", "sep", "pad", "unk", "mask"};
    printf("special ids:");
    for (int i = 0; i < 5; i++) printf(" %s=%d%s%s%s", snm[i], sid[i], sid[i] >= 0 ? "(" : "", sid[i] >= 0 ? sr_token_text(m, sid[i]) : "", sid[i] >= 0 ? ")" : "");
    printf("\nlabels:");
    for (int l = 0; l < c->n_labels; l++) printf(" %d=%s", l, sr_label_name(m, l));
    printf("\nmeta: %s\n", sr_meta_json(m));
    sr_free(m);
    return 0;
}

/* ================================================================================
 * 5. Tokenizer, NER + Masker, MLM + generation
 * ================================================================================ */

#include "tokenizer.c"
#if defined(SR_O3_CORE) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
#include "ner.c"
#include "mlm.c"

/* ================================================================================
 * 6. Command line
 * ================================================================================ */

#ifndef SR_NO_MAIN

static void usage(FILE *f) {
    fputs("usage: sr COMMAND [options]\n"
          "  generate   turn letters into synthetic letters (the main job)\n"
          "  deid       find and mask PHI\n"
          "  eval       measure synthetic letters against originals; the ratio sweep report\n"
          "  tokenize   WordPiece tokens, ids and offsets\n"
          "  fill       fill [MASK] tokens (Hugging Face fill-mask)\n"
          "  ner        token classification (Hugging Face pipeline)\n"
          "  pos        universal part-of-speech tags (the built-in tagger)\n"
          "  bench      time the encoder forward\n"
          "  info       describe a model file\n"
          "Inputs, for every command: FILE... (a folder: its files), --text TEXT... or stdin.\n"
          "Run `sr COMMAND --help` for a command's options; `sr --version` for the build.\n"
          "Exit status: 0 all good, 1 some records failed (or the output could not be\n"
          "written), 2 a usage or setup error (bad option, a model or data file that does\n"
          "not load).\n",
          f);
}

#define SR_VERSION "0.1.0"

/* The kernel set this binary runs, for --version (the one place to ask, so a runtime
 * kernel choice only needs to change this function). */
/* sr --version: the version, how this binary was built, the kernels it runs. */
static void print_version(void) {
    printf("sr %s (model file format %d; reads %d to %d)\n", SR_VERSION, SR_FILE_VERSION, SR_FILE_VERSION_OLDEST, SR_FILE_VERSION);
#if defined(__clang__)
    printf("compiler: clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    printf("compiler: gcc %s\n", __VERSION__);
#else
    printf("compiler: unknown\n");
#endif
    printf("build:");
#ifdef __OPTIMIZE__
    printf(" optimized");
#else
    printf(" not optimized");
#endif
#ifdef _OPENMP
    printf(" OpenMP(%d) threads=%d", _OPENMP, sr_threads());
#else
    printf(" no-OpenMP");
#endif
#ifdef __AVX512F__
    printf(" avx512f");
#endif
#ifdef __AVX512VNNI__
    printf(" avx512vnni");
#endif
#ifdef __AVX2__
    printf(" avx2");
#endif
#ifdef __FMA__
    printf(" fma");
#endif
#if !defined(__AVX2__) && !defined(__AVX512F__)
    printf(" portable");
#endif
    printf("\nkernels: %s\n", sr_kernel_name());
}

static int run_command(const char *cmd, int argc, char **argv) {
    if (!strcmp(cmd, "tokenize")) return cmd_tokenize(argc, argv);
    if (!strcmp(cmd, "fill")) return cmd_fill(argc, argv);
    if (!strcmp(cmd, "generate")) return cmd_generate(argc, argv);
    if (!strcmp(cmd, "deid")) return cmd_deid(argc, argv);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc, argv);
    if (!strcmp(cmd, "ner")) return cmd_ner(argc, argv);
    if (!strcmp(cmd, "pos")) return cmd_pos(argc, argv);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc, argv);
    if (!strcmp(cmd, "info")) return cmd_info(argc, argv);
    fprintf(stderr, "sr: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : stdout_check() < 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        print_version();
        return stdout_check() < 0;
    }
    const char *cmd = argv[1];
    snprintf(sr_cmd, sizeof sr_cmd, "sr %.40s", cmd);
    argc--, argv++;
    int rc = run_command(cmd, argc, argv);
    /* every command's output checked here: a full disk is an error, not a success */
    if (stdout_check() < 0 && rc == 0) rc = 1;
    if (fclose(stdout) != 0 && !stdout_failed_said) {
        fprintf(stderr, "%s: write error on stdout: %s: the output is incomplete\n", sr_cmd, strerror(errno));
        if (rc == 0) rc = 1;
    }
    return rc;
}

#endif
