/* ner_test.c - drives ner.c's pure parts for test/stages/stage_50_ner.sh:
 *   ner_test decode CASE   decode one case (labels, text, tokens, logits: written by
 *                          test/checks/ner_reference.py) with every aggregation strategy; one JSON
 *                          line per strategy: {"aggregation":..., "entities":[...]}
 *   ner_test spans TEXT... the Masker's spans for each TEXT, one per line:
 *                          ACTION CATEGORY SOURCE byte_start byte_end cp_start cp_end |text|
 *   ner_test cases FILE    the hand-checked cases of test/data/masker_cases.txt: PASS/FAIL lines
 *   ner_test phispans MODEL TEXT...       ner_phi_spans: one JSON line of spans per TEXT
 *   ner_test models PHI MED POS TEXT...   the Masker with models (a path, or - for none):
 *                          one JSON line of spans per TEXT
 * Build: cc -O2 -Wall -o test/out/ner_test test/c/ner_test.c -lm */
#define SR_NO_MAIN
#include "../../sr.c"

static char *hex_decode(const char *h, size_t *n) {
    size_t k = strlen(h) / 2;
    char *s = xmalloc(k + 1);
    for (size_t i = 0; i < k; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        s[i] = (char)v;
    }
    s[k] = 0;
    *n = k;
    return s;
}

static int decode_case(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return 2; }
    int L, n, unk;
    char word[1 << 16];
    if (fscanf(f, " labels %d", &L) != 1) { fprintf(stderr, "%s: bad header\n", path); return 2; }
    char **labels = xcalloc((size_t)L, sizeof *labels);
    for (int i = 0; i < L; i++) {
        if (fscanf(f, " %63s", word) != 1) return 2;
        labels[i] = strdup(word);
    }
    static char hex[1 << 22];
    size_t len;
    if (fscanf(f, " text %4194000s", hex) != 1) return 2;
    char *text = hex_decode(strcmp(hex, "-") ? hex : "", &len);
    if (fscanf(f, " unk %d tokens %d", &unk, &n) != 2) return 2;
    SrToken *tok = xcalloc((size_t)n, sizeof *tok);
    char **piece = xcalloc((size_t)n, sizeof *piece);
    for (int i = 0; i < n; i++) {
        SrToken *t = &tok[i];
        if (fscanf(f, " %d %d %d %d %d %d %65535s", &t->id, &t->word, &t->byte_start, &t->byte_end, &t->cp_start,
                   &t->cp_end, word) != 7)
            return 2;
        size_t k;
        piece[i] = hex_decode(word, &k);
    }
    float *logits = xmalloc((size_t)n * L * sizeof *logits);
    for (int i = 0; i < n * L; i++)
        if (fscanf(f, " %f", &logits[i]) != 1) return 2;
    fclose(f);
    NerInput in = {tok, n, (const char *const *)piece, logits, L, (const char *const *)labels, text, len, unk};
    char err[SR_ERR_LEN];
    for (int agg = 0; agg < 5; agg++) {
        NerEntities es = {0};
        if (ner_decode(&in, agg, 1, 0, &es, err) < 0) { fprintf(stderr, "decode: %s\n", err); return 1; }
        printf("{\"aggregation\":\"%s\",\"entities\":", ner_agg_names[agg]);
        ner_print_entities(stdout, &es, agg);
        printf("}\n");
        ner_entities_free(&es);
    }
    for (int i = 0; i < L; i++) free(labels[i]);
    for (int i = 0; i < n; i++) free(piece[i]);
    free(labels);
    free(piece);
    free(tok);
    free(logits);
    free(text);
    return 0;
}

static const char *act_name(int a) {
    return a == SR_ACT_PHI ? "PHI" : a == SR_ACT_PROTECT ? "PROTECT" : a == SR_ACT_ELIGIBLE ? "ELIGIBLE" : "?";
}

/* Structural promises of sr_masker_run: sorted, not overlapping, offsets consistent. */
static int check_spans(const char *text, size_t len, const SrSpans *sp, char *why) {
    for (int i = 0; i < sp->n; i++) {
        const SrSpan *s = &sp->span[i];
        if (s->byte_start < 0 || s->byte_end > (int)len || s->byte_end <= s->byte_start)
            return sprintf(why, "span %d has bad byte offsets %d..%d", i, s->byte_start, s->byte_end), -1;
        if (utf8_count(text, (size_t)s->byte_start) != s->cp_start ||
            s->cp_end - s->cp_start != utf8_count(text + s->byte_start, (size_t)(s->byte_end - s->byte_start)))
            return sprintf(why, "span %d: code-point offsets %d..%d disagree with bytes", i, s->cp_start, s->cp_end), -1;
        if (i && s->byte_start < sp->span[i - 1].byte_end)
            return sprintf(why, "spans %d and %d overlap or are out of order", i - 1, i), -1;
        if (s->action == SR_ACT_ELIGIBLE) { /* a whole word: not touching word characters */
            int b0 = s->byte_start, b1 = s->byte_end;
            if ((b0 > 0 && isalnum((unsigned char)text[b0 - 1])) || (b1 < (int)len && isalnum((unsigned char)text[b1])))
                return sprintf(why, "eligible span %d is not a whole word", i), -1;
        }
    }
    return 0;
}

static int show_spans(int argc, char **argv) {
    char err[SR_ERR_LEN], why[256];
    SrMaskerOptions opt = {0};
    SrMasker *mk = sr_masker_new(&opt, err);
    if (!mk) { fprintf(stderr, "masker: %s\n", err); return 1; }
    SrSpans sp = {0};
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (sr_masker_run(mk, argv[i], len, &sp, err) < 0) { fprintf(stderr, "masker: %s\n", err); return 1; }
        if (check_spans(argv[i], len, &sp, why) < 0) { fprintf(stderr, "masker: %s\n", why); return 1; }
        for (int k = 0; k < sp.n; k++) {
            const SrSpan *s = &sp.span[k];
            printf("%s %s %s %d %d %d %d |%.*s|\n", act_name(s->action), s->category, s->source, s->byte_start,
                   s->byte_end, s->cp_start, s->cp_end, s->byte_end - s->byte_start, argv[i] + s->byte_start);
        }
        printf("\n");
    }
    sr_spans_free(&sp);
    sr_masker_free(mk);
    return 0;
}

/* test/data/masker_cases.txt: a "text:" line, then "expect: ACTION|NONE phrase" lines. ACTION
 * is PHI, PROTECT or ELIGIBLE: a span with that action covers exactly the phrase's first
 * whole-word occurrence (PHI: covers at least the phrase); NONE: no span touches it. */
static int run_cases(const char *path) {
    size_t len;
    char err[SR_ERR_LEN], why[256];
    char *buf = read_file(path, &len, err);
    if (!buf) { printf("FAIL masker cases: %s\n", err); return 1; }
    SrMaskerOptions opt = {0};
    SrMasker *mk = sr_masker_new(&opt, err);
    if (!mk) { printf("FAIL masker: sr_masker_new: %s\n", err); return 1; }
    SrSpans sp = {0};
    char *text = NULL;
    int lineno = 0, bad = 0, checks = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        if (!strncmp(line, "text: ", 6)) {
            text = line + 6;
            if (sr_masker_run(mk, text, strlen(text), &sp, err) < 0) {
                printf("FAIL masker line %d: %s\n", lineno, err);
                bad++;
                text = NULL;
            } else if (check_spans(text, strlen(text), &sp, why) < 0) {
                printf("FAIL masker line %d: %s\n", lineno, why);
                bad++;
            }
            continue;
        }
        if (strncmp(line, "expect: ", 8) || !text) continue;
        char act[16];
        int off;
        if (sscanf(line + 8, "%15s %n", act, &off) != 1) continue;
        const char *phrase = line + 8 + off;
        const char *at = text; /* first occurrence as whole words */
        size_t pl = strlen(phrase);
        while ((at = strstr(at, phrase)) &&
               ((at > text && isalnum((unsigned char)at[-1])) || isalnum((unsigned char)at[pl])))
            at++;
        checks++;
        if (!at) { printf("FAIL masker line %d: phrase '%s' not in the text\n", lineno, phrase); bad++; continue; }
        int b0 = (int)(at - text), b1 = b0 + (int)strlen(phrase), ok = 0;
        const SrSpan *hit = NULL;
        for (int k = 0; k < sp.n; k++)
            if (sp.span[k].byte_start < b1 && b0 < sp.span[k].byte_end) { hit = &sp.span[k]; break; }
        if (!strcmp(act, "NONE")) ok = !hit;
        else if (!strcmp(act, "PHI")) {
            ok = 1; /* every byte of the phrase inside PHI spans */
            for (int b = b0; b < b1; b++) {
                int in = 0;
                for (int k = 0; k < sp.n; k++)
                    in |= sp.span[k].action == SR_ACT_PHI && sp.span[k].byte_start <= b && b < sp.span[k].byte_end;
                if (!in && !isspace((unsigned char)text[b])) ok = 0;
            }
        } else
            ok = hit && !strcmp(act_name(hit->action), act) && hit->byte_start == b0 && hit->byte_end == b1;
        if (!ok) {
            printf("FAIL masker line %d: expected %s '%s', got ", lineno, act, phrase);
            if (hit) printf("%s %s |%.*s|\n", act_name(hit->action), hit->category, hit->byte_end - hit->byte_start, text + hit->byte_start);
            else printf("no span\n");
            bad++;
        }
    }
    if (!bad) printf("PASS masker: %d hand-checked expectations in %s\n", checks, path);
    sr_spans_free(&sp);
    sr_masker_free(mk);
    free(buf);
    return bad ? 1 : 0;
}

static int model_spans(int argc, char **argv) {
    char err[SR_ERR_LEN], why[256];
    SrModel *m[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++)
        if (strcmp(argv[k], "-") && sr_load(&m[k], argv[k], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    SrMaskerOptions opt = {0};
    opt.phi_model = m[0];
    opt.med_model = m[1];
    opt.pos_model = m[2];
    opt.no_phi_extras = 0; /* extras masked, as by default */
    SrMasker *mk = sr_masker_new(&opt, err);
    if (!mk) { fprintf(stderr, "masker: %s\n", err); return 1; }
    SrSpans sp = {0};
    for (int i = 3; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (sr_masker_run(mk, argv[i], len, &sp, err) < 0) { fprintf(stderr, "masker: %s\n", err); return 1; }
        if (check_spans(argv[i], len, &sp, why) < 0) { fprintf(stderr, "masker: %s\n", why); return 1; }
        printf("[");
        for (int k = 0; k < sp.n; k++) {
            const SrSpan *s = &sp.span[k];
            printf("%s{\"action\":\"%s\",\"category\":", k ? "," : "", act_name(s->action));
            json_put_cstr(stdout, s->category);
            printf(",\"source\":");
            json_put_cstr(stdout, s->source);
            printf(",\"score\":%.8g,\"byte_start\":%d,\"byte_end\":%d,\"start\":%d,\"end\":%d}", s->score,
                   s->byte_start, s->byte_end, s->cp_start, s->cp_end);
        }
        printf("]\n");
    }
    sr_spans_free(&sp);
    sr_masker_free(mk);
    for (int k = 0; k < 3; k++) sr_free(m[k]);
    return 0;
}

/* The Masker over JSON lines (no models): one JSON array of [action, start, end,
 * category] per record; the time and throughput on stderr. For test/bench/eval_masker.py and
 * test/checks/eval_keep.py. */
static int jsonl_spans(const char *path) {
    char err[SR_ERR_LEN];
    SrMaskerOptions opt = {0};
    opt.no_phi_extras = 0; /* extras masked, as by default */
    double t0 = now_seconds();
    SrMasker *mk = sr_masker_new(&opt, err);
    if (!mk) { fprintf(stderr, "masker: %s\n", err); return 1; }
    double t_load = now_seconds() - t0, t_run = 0;
    SrInput in = {0};
    char *items[1] = {(char *)path};
    in.jsonl = 1;
    in.items = items;
    in.n_items = 1;
    SrRecord rec;
    SrSpans sp = {0};
    size_t bytes = 0;
    int r;
    while ((r = input_next(&in, &rec, err)) != 0) {
        if (r < 0) { fprintf(stderr, "%s\n", err); return 1; }
        double t1 = now_seconds();
        if (sr_masker_run(mk, rec.text, rec.len, &sp, err) < 0) { fprintf(stderr, "masker: %s\n", err); return 1; }
        t_run += now_seconds() - t1;
        bytes += rec.len;
        printf("[");
        for (int k = 0; k < sp.n; k++)
            printf("%s[\"%s\",%d,%d,\"%s\"]", k ? "," : "", act_name(sp.span[k].action), sp.span[k].cp_start, sp.span[k].cp_end,
                   sp.span[k].category);
        printf("]\n");
        record_free(&rec);
    }
    fprintf(stderr, "masker: load %.3f s, %zu bytes in %.3f s = %.2f MB/s\n", t_load, bytes, t_run, bytes / 1e6 / t_run);
    input_close(&in);
    sr_spans_free(&sp);
    sr_masker_free(mk);
    return 0;
}

/* ner_phi_spans (for sr deid --phi-model): one JSON line of spans per TEXT. */
static int phi_model_spans(int argc, char **argv) {
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[0], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    SrSpans sp = {0};
    for (int i = 1; i < argc; i++) {
        sp.n = 0;
        if (ner_phi_spans(m, NULL, argv[i], strlen(argv[i]), &sp, err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
        printf("[");
        for (int k = 0; k < sp.n; k++) {
            const SrSpan *s = &sp.span[k];
            printf("%s{\"action\":\"%s\",\"category\":\"%s\",\"source\":\"%s\",\"score\":%.8g,\"start\":%d,\"end\":%d,"
                   "\"byte_start\":%d,\"byte_end\":%d}", k ? "," : "", act_name(s->action), s->category, s->source,
                   s->score, s->cp_start, s->cp_end, s->byte_start, s->byte_end);
        }
        printf("]\n");
    }
    sr_spans_free(&sp);
    sr_free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "decode")) return decode_case(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "spans")) return show_spans(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "cases")) return run_cases(argv[2]);
    if (argc >= 5 && !strcmp(argv[1], "models")) return model_spans(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "jsonl")) return jsonl_spans(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "phispans")) return phi_model_spans(argc - 2, argv + 2);
    fprintf(stderr, "usage: ner_test decode CASE | spans TEXT... | cases FILE | models PHI MED POS TEXT...\n");
    return 2;
}
