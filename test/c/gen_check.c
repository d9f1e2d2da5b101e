/* gen_check.c - test driver for mlm.c (generation). Built by test/stages/stage_60_generate.sh:
 *     cc -O2 -o gen_check test/c/gen_check.c -lm        (it #includes ../../sr.c)
 *
 *   gen_check unit
 *       model-free checks of the sampler, RNG, selection, case patterns and the leak
 *       matcher against hand-computed facts; prints PASS/FAIL lines.
 *   gen_check spans MODEL TEXTS.jsonl PHI.txt [--fill S] [--seed N] [--threads N] [--ratio R]
 *                   [--paper] [--strict] [--window W]
 *       generation from spans given from outside (e.g. gold PHI annotations), so the
 *       generator's own leak safety is measured apart from the Masker's recall. TEXTS has
 *       {"id","text"} lines; line k of PHI.txt lists record k's PHI as byte ranges
 *       "start end TYPE ..." (written by test/checks/gen_check.py). Eligible: every other ASCII
 *       word of 3+ letters; protected (category PROBLEM): the words of a fixed medical list
 *       below, which the checker recomputes. Output: sr generate's JSON lines.
 */
#define SR_NO_MAIN
#include "../../sr.c"

static int failures = 0;
#define CHECK(name, cond, ...)                                                   \
    do {                                                                         \
        if (cond) printf("PASS %s\n", name);                                     \
        else { printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); failures++; } \
    } while (0)

static int unit(void) {
    /* RNG: same seed, same stream; another seed, another stream */
    SrRng a, b, c;
    rng_seed(&a, 7); rng_seed(&b, 7); rng_seed(&c, 8);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK("rng same seed same stream", same && differ > 990, "same=%d differ=%d", same, differ);
    long hist[10] = {0};
    for (int i = 0; i < 100000; i++) hist[rng_below(&a, 10)]++;
    int flat = 1;
    for (int i = 0; i < 10; i++) flat &= hist[i] > 9500 && hist[i] < 10500;
    CHECK("rng_below uniform (10 bins x 100k)", flat, "bins %ld .. %ld", hist[0], hist[9]);

    /* a toy vocabulary: 0 [BAD], 1-4 words, 5-6 continuations, 7 punctuation */
    unsigned char vc[8] = {VC_BAD, VC_WORD, VC_WORD, VC_WORD, VC_WORD, VC_CONT, VC_CONT, VC_OTHER};
    float probs[8] = {0.05f, 0.40f, 0.20f, 0.10f, 0.05f, 0.10f, 0.05f, 0.05f};
    SrCand cand[16];
    double w[16];
    int n = gather_cands(probs, vc, 8, 0, 0, -1, 2, cand);
    CHECK("top-k=2 word starts", n == 2 && cand[0].id == 1 && cand[1].id == 2, "n=%d ids %d %d", n, cand[0].id, cand[1].id);
    n = gather_cands(probs, vc, 8, 0, 0, 1, 3, cand);
    CHECK("excluded token never a candidate", n == 3 && cand[0].id == 2 && cand[1].id == 3 && cand[2].id == 4, "n=%d first %d", n, cand[0].id);
    n = gather_cands(probs, vc, 8, 1, 0, -1, 6, cand);
    /* continuation: ##5 0.10, ##6 0.05, stop = 1 - 0.15 = 0.85 */
    CHECK("continuation: stop has the mass of non-## tokens", n == 3 && cand[0].id == SR_STOP && fabsf(cand[0].p - 0.85f) < 1e-6f && cand[1].id == 5,
          "n=%d first %d p=%g", n, cand[0].id, cand[0].p);
    n = gather_cands(probs, vc, 8, 0, 0, -1, 0, cand);
    CHECK("top-k=0 takes all word starts sorted", n == 4 && cand[0].id == 1 && cand[3].id == 4, "n=%d", n);
    /* sampling frequencies: top-k 3 of word starts renormalised: .4/.7 .2/.7 .1/.7 */
    n = gather_cands(probs, vc, 8, 0, 0, -1, 3, cand);
    SrSampler sp = {3, 1.0f, 1.0f};
    long cnt[3] = {0};
    for (int i = 0; i < 70000; i++) cnt[sample_cands(cand, n, &sp, &a, w)]++;
    CHECK("top-k 3 renormalised frequencies", labs(cnt[0] - 40000) < 800 && labs(cnt[1] - 20000) < 600 && labs(cnt[2] - 10000) < 450,
          "%ld %ld %ld (want 40000 20000 10000)", cnt[0], cnt[1], cnt[2]);
    /* temperature 0.5 squares the probabilities: .16 .04 .01 over .21 */
    sp.temperature = 0.5f;
    cnt[0] = cnt[1] = cnt[2] = 0;
    for (int i = 0; i < 42000; i++) cnt[sample_cands(cand, n, &sp, &a, w)]++;
    CHECK("temperature 0.5", labs(cnt[0] - 32000) < 700 && labs(cnt[1] - 8000) < 450 && labs(cnt[2] - 2000) < 250,
          "%ld %ld %ld (want 32000 8000 2000)", cnt[0], cnt[1], cnt[2]);
    /* top-p 0.6 of (.4 .2 .1)/.7 = .571 .286 .143: keeps two, .4/.6 and .2/.6 */
    sp.temperature = 1.0f; sp.top_p = 0.6f;
    cnt[0] = cnt[1] = cnt[2] = 0;
    for (int i = 0; i < 30000; i++) cnt[sample_cands(cand, n, &sp, &a, w)]++;
    CHECK("top-p 0.6 keeps the first two", cnt[2] == 0 && labs(cnt[0] - 20000) < 600, "%ld %ld %ld", cnt[0], cnt[1], cnt[2]);
    sp.top_k = 1; sp.top_p = 1;
    CHECK("greedy", sample_cands(cand, n, &sp, &a, w) == 0, "not the first");

    /* case patterns */
    CHECK("case patterns", case_of("SMITH", 5) == CASE_UPPER && case_of("Smith", 5) == CASE_TITLE &&
          case_of("smith", 5) == CASE_LOWER && case_of("A", 1) == CASE_TITLE && case_of("12", 2) == CASE_NONE &&
          case_of("McDonald", 8) == CASE_TITLE && case_of("O'BRIEN", 7) == CASE_UPPER, "mismatch");

    /* selection: floor(ratio * n) without replacement, per category when stratified (the paper) */
    SrSpans sp2 = {0};
    for (int i = 0; i < 40; i++) {
        sp2.span = grow(sp2.span, &sp2.cap, sp2.n + 1, sizeof *sp2.span);
        SrSpan *s = &sp2.span[sp2.n++];
        memset(s, 0, sizeof *s);
        s->byte_start = 10 * i; s->byte_end = 10 * i + 5;
        s->action = i % 10 == 0 ? SR_ACT_PHI : i % 10 == 1 ? SR_ACT_PROTECT : SR_ACT_ELIGIBLE;
        strcpy(s->category, i % 3 ? "NOUN" : "VERB");
    }
    unsigned char ch1[40], ch2[40];
    SrRng r1, r2;
    rng_seed(&r1, 3); rng_seed(&r2, 3);
    select_eligible(&sp2, 0.5f, 0, &r1, ch1);
    select_eligible(&sp2, 0.5f, 0, &r2, ch2);
    int nphi = 0, nprot = 0, nel = 0;
    for (int i = 0; i < 40; i++) {
        nphi += ch1[i] && sp2.span[i].action == SR_ACT_PHI;
        nprot += ch1[i] && sp2.span[i].action == SR_ACT_PROTECT;
        nel += ch1[i] && sp2.span[i].action == SR_ACT_ELIGIBLE;
    }
    CHECK("selection: all PHI, no protected, half of 32 eligible, reproducible", nphi == 4 && nprot == 0 && nel == 16 && !memcmp(ch1, ch2, 40),
          "phi %d prot %d eligible %d", nphi, nprot, nel);
    rng_seed(&r1, 3);
    select_eligible(&sp2, 0.25f, 1, &r1, ch1);
    int nn = 0, nv = 0, tn = 0, tv = 0;
    for (int i = 0; i < 40; i++) {
        if (sp2.span[i].action != SR_ACT_ELIGIBLE) continue;
        int noun = strcmp(sp2.span[i].category, "NOUN") == 0;
        tn += noun; tv += !noun;
        nn += ch1[i] && noun; nv += ch1[i] && !noun;
    }
    CHECK("selection per category: floor(ratio x count) per tag", nn == (int)floor(0.25 * tn) && nv == (int)floor(0.25 * tv),
          "nouns %d/%d verbs %d/%d", nn, tn, nv, tv);
    sr_spans_free(&sp2);

    /* leak matcher: case-insensitive, letters and digits only, at word boundaries */
    struct { const char *hay, *needle; int want; } lk[] = {
        {"seen by JOHN-SMITH today", "John Smith", 1}, {"Johnsmithson", "John Smith", 0},
        {"on 12.03.2024.", "12/03/2024", 1}, {"call 555 123 4567", "555-123-4567", 1},
        {"a smithy", "Smith", 0}, {"x", "x", 0}, {"Dr. Ng", "NG", 1}, {"a1b2", "b2", 0},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof lk / sizeof *lk; i++) {
        LeakKey h, nd;
        leak_key(lk[i].hay, (int)strlen(lk[i].hay), &h);
        leak_key(lk[i].needle, (int)strlen(lk[i].needle), &nd);
        int from = 0, x, y;
        int got = leak_find(&h, &nd, &from, &x, &y) == 0;
        if (got != lk[i].want) { ok = 0; printf("  leak case %zu: %s / %s -> %d\n", i, lk[i].hay, lk[i].needle, got); }
        leak_key_free(&h);
        leak_key_free(&nd);
    }
    CHECK("leak matcher", ok, "see above");
    return failures ? 1 : 0;
}

/* words protected by the test rule (the checker has the same list) */
static const char *medical[] = {"pain", "fever", "cough", "diabetes", "hypertension", "pneumonia", "aspirin",
                                "metformin", "insulin", "sepsis", "asthma", "chest", "blood", "pressure", "heart", NULL};

static int is_medical(const char *w, int n) {
    for (int i = 0; medical[i]; i++)
        if ((int)strlen(medical[i]) == n && !strncasecmp(medical[i], w, (size_t)n)) return 1;
    return 0;
}

static int spans_mode(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: gen_check spans MODEL TEXTS.jsonl PHI.txt [options]\n"); return 2; }
    SrGenOptions opt;
    sr_gen_options_default(&opt);
    int threads = 0;
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "--fill")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "parallel")) opt.fill = SR_FILL_PARALLEL;
            else if (!strncmp(v, "rounds:", 7)) { opt.fill = SR_FILL_ROUNDS; opt.rounds = atoi(v + 7); }
        } else if (!strcmp(argv[i], "--seed")) opt.seed = strtoull(opt_value(argc, argv, &i), NULL, 10);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(argv[i], "--ratio")) opt.ratio = strtof(opt_value(argc, argv, &i), NULL);
        else if (!strcmp(argv[i], "--paper")) opt.paper = 1;
        else if (!strcmp(argv[i], "--strict")) opt.strict = 1;
        else if (!strcmp(argv[i], "--window")) opt.window = atoi(opt_value(argc, argv, &i));
    }
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[2], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    if (threads > 0) sr_set_threads(threads);
    SrTokenizer *t = sr_tokenizer_from_model(m, err);
    if (!t) { fprintf(stderr, "%s\n", err); return 1; }
    SrState *st = sr_state_new(m, sr_gen_state_tokens(m, &opt));
    FILE *phi = fopen(argv[4], "r");
    if (!phi) { perror(argv[4]); return 1; }
    char *items[1] = {argv[3]};
    SrInput in = {1, items, 1, 0, 0, NULL, 0, 0, NULL, 0, 0};
    SrRecord rec;
    int got, failed = 0;
    long index = -1;
    char *line = NULL;
    size_t cap = 0;
    while ((got = input_next(&in, &rec, err)) != 0) {
        index++;
        SrSpans spans = {0};
        if (getline(&line, &cap, phi) < 0) { fprintf(stderr, "PHI.txt too short\n"); return 1; }
        if (got < 0) { print_error_record(stdout, &rec, index, err); failed++; record_free(&rec); continue; }
        char *p = line;
        int a, b, k;
        char type[24];
        while (sscanf(p, "%d %d %23s%n", &a, &b, type, &k) == 3) {
            p += k;
            spans.span = grow(spans.span, &spans.cap, spans.n + 1, sizeof *spans.span);
            SrSpan *s = &spans.span[spans.n++];
            memset(s, 0, sizeof *s);
            s->byte_start = a; s->byte_end = b; s->action = SR_ACT_PHI;
            snprintf(s->category, sizeof s->category, "%s", type);
        }
        int nphi = spans.n;
        /* other ASCII words of 3+ letters: protected if medical, else eligible */
        for (int i = 0; i < (int)rec.len;) {
            if (!isalpha((unsigned char)rec.text[i])) { i++; continue; }
            int j = i;
            while (j < (int)rec.len && isalpha((unsigned char)rec.text[j])) j++;
            int inside = (i > 0 && (unsigned char)rec.text[i - 1] >= 0x80) || (j < (int)rec.len && (unsigned char)rec.text[j] >= 0x80);
            for (int q = 0; q < nphi; q++)
                if (spans.span[q].byte_start < j && spans.span[q].byte_end > i) inside = 1;
            if (!inside && j - i >= 3) {
                spans.span = grow(spans.span, &spans.cap, spans.n + 1, sizeof *spans.span);
                SrSpan *s = &spans.span[spans.n++];
                memset(s, 0, sizeof *s);
                s->byte_start = i; s->byte_end = j;
                s->action = is_medical(rec.text + i, j - i) ? SR_ACT_PROTECT : SR_ACT_ELIGIBLE;
                strcpy(s->category, s->action == SR_ACT_PROTECT ? "PROBLEM" : "WORD");
            }
            i = j;
        }
        SrGenResult res;
        if (sr_generate_spans(m, st, t, &spans, &opt, rec.text, rec.len, &res, err) < 0) {
            print_error_record(stdout, &rec, index, err);
            failed++;
        } else {
            print_jsonl(stdout, m, &rec, index, &res, 0, 0, 0, 0);
            sr_gen_result_free(&res);
        }
        sr_spans_free(&spans);
        record_free(&rec);
    }
    free(line);
    fclose(phi);
    input_close(&in);
    sr_state_free(st);
    sr_tokenizer_free(t);
    sr_free(m);
    return failed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "unit")) return unit();
    if (argc >= 2 && !strcmp(argv[1], "spans")) return spans_mode(argc, argv);
    fprintf(stderr, "usage: gen_check unit | spans MODEL TEXTS.jsonl PHI.txt [options]\n");
    return 2;
}
