/* ner.c - token classification decoding (Hugging Face pipeline semantics), the PHI
 * rules, medical-entity protection, mask eligibility: the Masker. Included by sr.c. */

void sr_spans_free(SrSpans *s) { free(s->span); memset(s, 0, sizeof *s); }

#include "phi.c"  /* the PHI rules */


/* ================================================================================
 * Token classification decoding, medical entities, eligibility, the Masker
 * ================================================================================ */

/* ---- Token classification decoding --------------------------------------------
 * The semantics of Hugging Face's TokenClassificationPipeline (transformers 4.x):
 *   scores     softmax of each token's logits ([CLS]/[SEP] are skipped);
 *   is_subword a token whose vocabulary text and original text differ in length
 *              (the "##" prefix makes them differ); an [UNK] token is never a subword
 *              and its word is the original text;
 *   none       one entity per token: argmax label, its probability, token index;
 *   simple     the "none" entities grouped by group_entities (below), score = mean;
 *   first      word level (a word = a token and the subwords after it): label of the
 *              first piece;  average: argmax of the mean piece probabilities;
 *              max: the label of the piece with the highest probability; then grouped;
 *   grouping   a new group starts unless the tag equals the previous one and the
 *              label is not B- ("B-X" and "I-X" have tag X, an unprefixed label is its
 *              own tag and continues); entity_group = label after its first '-';
 *   words      tokens joined by the WordPiece decoder ("##" glued, else a space;
 *              " ." " ," " ?" " !" lose their space);
 *   "O"        entities and groups labelled O are dropped.
 * BIOES / BILOU label sets (some label starts with S- and some with E-, or U- and L-):
 * Hugging Face treats S-X and E-X as foreign tags, which splits every B-X E-X pair.
 * sr instead groups them as the scheme means: E-X (L-X) continues a group of tag X and
 * closes it, S-X (U-X) is a group of its own. For BIO and plain labels the result is
 * exactly Hugging Face's. Offsets are code points (start/end) and bytes. */

enum { NER_AGG_NONE, NER_AGG_SIMPLE, NER_AGG_FIRST, NER_AGG_AVERAGE, NER_AGG_MAX };
static const char *const ner_agg_names[] = {"none", "simple", "first", "average", "max"};

static int ner_agg_parse(const char *s) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, ner_agg_names[i])) return i;
    return -1;
}

typedef struct {
    char label[64]; /* "entity" (none, or word level before grouping) or "entity_group" */
    float score;
    int index;      /* token position, [CLS] = 0 (aggregation none), else -1 */
    int byte_start, byte_end, cp_start, cp_end;
    char *word;     /* malloc'd */
} NerEntity;

typedef struct {
    NerEntity *e;
    int n, cap;
} NerEntities;

static void ner_entities_clear(NerEntities *es) {
    for (int i = 0; i < es->n; i++) free(es->e[i].word);
    es->n = 0;
}
static void ner_entities_free(NerEntities *es) {
    ner_entities_clear(es);
    free(es->e);
    memset(es, 0, sizeof *es);
}
static NerEntity *ner_entity_push(NerEntities *es) {
    es->e = grow(es->e, &es->cap, es->n + 1, sizeof *es->e);
    NerEntity *e = &es->e[es->n++];
    memset(e, 0, sizeof *e);
    e->index = -1;
    return e;
}

/* Everything the decoder looks at; it never runs a model (testable on its own). */
typedef struct {
    const SrToken *tok;
    int n;                    /* tokens, including [CLS]/[SEP] (word == -1: skipped) */
    const char *const *piece; /* vocabulary text of each token */
    const float *logits;      /* [n][n_labels] */
    int n_labels;
    const char *const *labels; /* id2label */
    const char *text;          /* the original text (for [UNK] words) */
    size_t len;
    int unk_id;
} NerInput;

/* A growable string. */
typedef struct {
    char *s;
    int n, cap;
} NerStr;

static void nstr_add(NerStr *b, const char *s, int n) {
    b->s = grow(b->s, &b->cap, b->n + n + 1, 1);
    memcpy(b->s + b->n, s, (size_t)n);
    b->n += n;
    b->s[b->n] = 0;
}
static void nstr_adds(NerStr *b, const char *s) { nstr_add(b, s, (int)strlen(s)); }
static char *nstr_take(NerStr *b) {
    if (!b->s) nstr_add(b, "", 0);
    char *s = b->s;
    memset(b, 0, sizeof *b);
    return s;
}

static int utf8_count(const char *s, size_t n) {
    int c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Hugging Face tokenizers' WordPiece decoder (prefix "##", cleanup on): token i > 0
 * loses its "##" or gains a leading space; then each token is cleaned up. */
static char *ner_wordpiece_decode(const char *const *toks, int n) {
    static const char *const from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " do not", " 's", " 've", " 're"};
    static const char *const to[] = {".", "?", "!", ",", "'", "n't", "'m", " don't", "'s", "'ve", "'re"};
    NerStr out = {0};
    for (int i = 0; i < n; i++) {
        NerStr t = {0};
        if (i > 0 && !strncmp(toks[i], "##", 2)) nstr_adds(&t, toks[i] + 2);
        else {
            if (i > 0) nstr_add(&t, " ", 1);
            nstr_adds(&t, toks[i]);
        }
        for (int r = 0; r < 11; r++) { /* str.replace(from, to), in Rust's order */
            const char *f = from[r];
            size_t fl = strlen(f);
            char *hit = strstr(t.s, f);
            if (!hit) continue;
            NerStr u = {0};
            const char *p = t.s;
            while ((hit = strstr(p, f))) {
                nstr_add(&u, p, (int)(hit - p));
                nstr_adds(&u, to[r]);
                p = hit + fl;
            }
            nstr_adds(&u, p);
            free(t.s);
            t = u;
        }
        nstr_add(&out, t.s, t.n);
        free(t.s);
    }
    return nstr_take(&out);
}

/* BIOES / BILOU label set? */
static int ner_labels_bioes(const char *const *labels, int n) {
    int s = 0, e = 0, u = 0, l = 0;
    for (int i = 0; i < n; i++) {
        const char *x = labels[i];
        if (x[0] && x[1] == '-') {
            s |= x[0] == 'S';
            e |= x[0] == 'E';
            u |= x[0] == 'U';
            l |= x[0] == 'L';
        }
    }
    return (s && e) || (u && l);
}

/* Hugging Face's get_tag, with the BIOES extension: *bi is B, I, E (ends) or S. */
static const char *ner_tag(const char *label, int bioes, char *bi) {
    if (label[0] && label[1] == '-') {
        char c = label[0];
        if (c == 'B' || c == 'I') { *bi = c; return label + 2; }
        if (bioes && (c == 'E' || c == 'L')) { *bi = 'E'; return label + 2; }
        if (bioes && (c == 'S' || c == 'U')) { *bi = 'S'; return label + 2; }
    }
    *bi = 'I';
    return label;
}

static int ner_argmax(const float *p, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best]) best = i; /* first maximum, as numpy's argmax */
    return best;
}

/* One group of consecutive entities -> an entity_group (Hugging Face's
 * group_sub_entities: label after the first '-', mean score, decoded words). */
static void ner_group_push(NerEntities *out, const NerEntity *g, int n) {
    NerEntity *e = ner_entity_push(out);
    const char *dash = strchr(g[0].label, '-');
    snprintf(e->label, sizeof e->label, "%s", dash ? dash + 1 : g[0].label);
    double sum = 0;
    const char **words = xmalloc((size_t)n * sizeof *words);
    for (int i = 0; i < n; i++) {
        sum += g[i].score;
        words[i] = g[i].word;
    }
    e->score = (float)(sum / n);
    e->word = ner_wordpiece_decode(words, n);
    free(words);
    e->byte_start = g[0].byte_start;
    e->cp_start = g[0].cp_start;
    e->byte_end = g[n - 1].byte_end;
    e->cp_end = g[n - 1].cp_end;
}

/* Decode logits into entities (appended to out). agg: NER_AGG_*. group: for the word
 * strategies, 0 stops at word level (one entity per word: what a POS tagger needs).
 * keep_o: keep entities labelled O (dropped by Hugging Face's ignore_labels). */
static int ner_decode(const NerInput *in, int agg, int group, int keep_o, NerEntities *out, char *err) {
    int L = in->n_labels;
    if (L < 1) return sr_fail(err, "the model has no classification labels");
    int bioes = ner_labels_bioes(in->labels, L);
    float *prob = xmalloc((size_t)in->n * L * sizeof *prob);
    int *sub = xcalloc((size_t)in->n, sizeof *sub);
    char **word = xcalloc((size_t)in->n, sizeof *word);
    NerEntities items = {0};
    int ok = 0;

    /* gather_pre_entities: probabilities, words, is_subword */
    for (int i = 0; i < in->n; i++) {
        const SrToken *t = &in->tok[i];
        if (t->word < 0) continue;
        const float *z = in->logits + (size_t)i * L;
        float *p = prob + (size_t)i * L;
        float mx = z[0];
        for (int k = 1; k < L; k++) mx = z[k] > mx ? z[k] : mx;
        float sum = 0;
        for (int k = 0; k < L; k++) { p[k] = expf(z[k] - mx); sum += p[k]; }
        for (int k = 0; k < L; k++) p[k] /= sum;
        if (t->byte_start < 0 || t->byte_end < t->byte_start || (size_t)t->byte_end > in->len) {
            sr_fail(err, "token %d has offsets outside the text", i);
            goto done;
        }
        if (t->id == in->unk_id) {
            size_t n = (size_t)(t->byte_end - t->byte_start);
            word[i] = xmalloc(n + 1);
            memcpy(word[i], in->text + t->byte_start, n);
            word[i][n] = 0;
            sub[i] = 0;
        } else {
            const char *pc = in->piece[i];
            word[i] = xmalloc(strlen(pc) + 1);
            strcpy(word[i], pc);
            sub[i] = utf8_count(pc, strlen(pc)) != t->cp_end - t->cp_start;
        }
    }

    if (agg == NER_AGG_NONE || agg == NER_AGG_SIMPLE) {
        for (int i = 0; i < in->n; i++) {
            const SrToken *t = &in->tok[i];
            if (t->word < 0) continue;
            const float *p = prob + (size_t)i * L;
            int k = ner_argmax(p, L);
            NerEntity *e = ner_entity_push(&items);
            snprintf(e->label, sizeof e->label, "%s", in->labels[k]);
            e->score = p[k];
            e->index = i;
            e->word = word[i];
            word[i] = NULL;
            e->byte_start = t->byte_start; e->byte_end = t->byte_end;
            e->cp_start = t->cp_start; e->cp_end = t->cp_end;
        }
    } else {
        /* aggregate_words: a word = a non-subword token and the subwords after it
         * (the first token is a word start whatever it looks like, as in HF) */
        const char **pieces = xmalloc((size_t)in->n * sizeof *pieces);
        double *avg = xmalloc((size_t)L * sizeof *avg);
        float *avgf = xmalloc((size_t)L * sizeof *avgf);
        int i = 0;
        while (i < in->n) {
            if (in->tok[i].word < 0) { i++; continue; }
            int j = i + 1;
            while (j < in->n && in->tok[j].word >= 0 && sub[j]) j++;
            /* tokens i..j-1 form one word */
            int np = 0;
            for (int k = i; k < j; k++) pieces[np++] = word[k];
            NerEntity *e = ner_entity_push(&items);
            int lab;
            float score;
            if (agg == NER_AGG_FIRST) {
                const float *p = prob + (size_t)i * L;
                lab = ner_argmax(p, L);
                score = p[lab];
            } else if (agg == NER_AGG_MAX) {
                int best = i;
                float bestv = -1;
                for (int k = i; k < j; k++) {
                    const float *p = prob + (size_t)k * L;
                    float v = p[ner_argmax(p, L)];
                    if (v > bestv) { bestv = v; best = k; }
                }
                const float *p = prob + (size_t)best * L;
                lab = ner_argmax(p, L);
                score = p[lab];
            } else {
                for (int c = 0; c < L; c++) avg[c] = 0;
                for (int k = i; k < j; k++)
                    for (int c = 0; c < L; c++) avg[c] += prob[(size_t)k * L + c];
                for (int c = 0; c < L; c++) avgf[c] = (float)(avg[c] / (j - i));
                lab = ner_argmax(avgf, L);
                score = avgf[lab];
            }
            snprintf(e->label, sizeof e->label, "%s", in->labels[lab]);
            e->score = score;
            e->word = ner_wordpiece_decode(pieces, np);
            e->byte_start = in->tok[i].byte_start; e->cp_start = in->tok[i].cp_start;
            e->byte_end = in->tok[j - 1].byte_end; e->cp_end = in->tok[j - 1].cp_end;
            i = j;
        }
        free(pieces);
        free(avg);
        free(avgf);
    }

    if (agg == NER_AGG_NONE || !group) {
        for (int i = 0; i < items.n; i++) {
            if (!keep_o && !strcmp(items.e[i].label, "O")) continue;
            NerEntity *e = ner_entity_push(out);
            *e = items.e[i];
            items.e[i].word = NULL;
        }
    } else {
        /* group_entities */
        int g0 = 0;
        for (int i = 1; i <= items.n; i++) {
            int join = 0;
            if (i < items.n) {
                char bi, lbi;
                const char *tag = ner_tag(items.e[i].label, bioes, &bi);
                const char *ltag = ner_tag(items.e[i - 1].label, bioes, &lbi);
                join = !strcmp(tag, ltag) && (bi == 'I' || bi == 'E') && lbi != 'E' && lbi != 'S';
            }
            if (join) continue;
            if (i > g0) {
                int before = out->n;
                ner_group_push(out, items.e + g0, i - g0);
                if (!keep_o && !strcmp(out->e[before].label, "O")) {
                    free(out->e[before].word);
                    out->n = before;
                }
            }
            g0 = i;
        }
    }
    ok = 1;
done:
    for (int i = 0; i < in->n; i++) free(word[i]);
    free(word);
    free(sub);
    free(prob);
    ner_entities_free(&items);
    return ok ? 0 : -1;
}

/* ---- Running a token classification model over a whole document ----------------
 * A document longer than the window is cut into windows of `window` positions
 * ([CLS] + up to window-2 tokens + [SEP]); consecutive windows share `overlap` tokens
 * (Hugging Face's "stride") and the last window ends at the last token. Each token takes
 * its logits from the window where it sits furthest from an edge (the earlier window on
 * a tie), so every token sees context on both sides. */

typedef struct {
    const SrModel *m;
    SrTokenizer *tok;
    SrState *st;
    int window, overlap;
    const char **labels;
    SrTokens tokens; /* scratch */
} NerRunner;

static void ner_runner_free(NerRunner *r) {
    sr_tokenizer_free(r->tok);
    sr_state_free(r->st);
    free(r->labels);
    sr_tokens_free(&r->tokens);
    memset(r, 0, sizeof *r);
}

/* window <= 0: the model's max_position; overlap < 0: a quarter of the window. */
static int ner_runner_init(NerRunner *r, const SrModel *m, int window, int overlap, char *err) {
    memset(r, 0, sizeof *r);
    const SrConfig *c = sr_config(m);
    if (!(c->flags & SR_FLAG_CLASSIFIER) || c->n_labels < 1)
        return sr_fail(err, "the model has no token classification head");
    if (c->cls_id < 0 || c->sep_id < 0) return sr_fail(err, "the model has no [CLS]/[SEP] token");
    if (window <= 0) window = c->max_position;
    if (window > c->max_position) return sr_fail(err, "--window %d is more than the model's %d positions", window, c->max_position);
    if (window < 3) return sr_fail(err, "--window %d is too small (at least 3)", window);
    if (overlap < 0) overlap = (window - 2) / 4;
    if (overlap >= window - 2) return sr_fail(err, "--stride %d must be less than the window's %d tokens", overlap, window - 2);
    r->m = m;
    r->window = window;
    r->overlap = overlap;
    r->tok = sr_tokenizer_from_model(m, err);
    if (!r->tok) return -1;
    r->st = sr_state_new(m, window);
    if (!r->st) { ner_runner_free(r); return sr_fail(err, "cannot allocate the model state"); }
    r->labels = xmalloc((size_t)c->n_labels * sizeof *r->labels);
    for (int i = 0; i < c->n_labels; i++) r->labels[i] = sr_label_name(m, i);
    return 0;
}

/* Logits [n][L] for tokens tk (with [CLS] first and [SEP] last), window by window. */
static int ner_window_logits(const NerRunner *r, const SrTokens *tk, float *logits, char *err) {
    const SrConfig *c = sr_config(r->m);
    int L = c->n_labels, W = r->window - 2, step = W - r->overlap;
    int n_in = tk->n - 2;
    if (n_in <= 0) return 0;
    int *ids = xmalloc((size_t)r->window * sizeof *ids);
    float *wl = xmalloc((size_t)r->window * L * sizeof *wl);
    int *best = xmalloc((size_t)n_in * sizeof *best);
    for (int t = 0; t < n_in; t++) best[t] = -1;
    int s = 0, rc = 0;
    for (;;) {
        int e = s + W < n_in ? s + W : n_in, cnt = e - s;
        ids[0] = c->cls_id;
        for (int k = 0; k < cnt; k++) ids[1 + k] = tk->tok[1 + s + k].id;
        ids[cnt + 1] = c->sep_id;
        if (!sr_forward(r->m, r->st, ids, NULL, NULL, cnt + 2)) { rc = sr_fail(err, "the encoder forward failed"); break; }
        if (sr_classify_logits(r->m, r->st, wl, err) < 0) { rc = -1; break; }
        for (int k = 0; k < cnt; k++) {
            int d = k < cnt - 1 - k ? k : cnt - 1 - k;
            if (d > best[s + k]) {
                best[s + k] = d;
                memcpy(logits + (size_t)(1 + s + k) * L, wl + (size_t)(1 + k) * L, (size_t)L * sizeof *wl);
            }
        }
        if (e >= n_in) break;
        s += step;
        if (s + W > n_in) s = n_in - W;
    }
    free(ids);
    free(wl);
    free(best);
    return rc;
}

/* Tokenize, run the model window by window, decode. Entities are appended to out. */
static int ner_run(NerRunner *r, const char *text, size_t len, int agg, int group, int keep_o, NerEntities *out,
                   char *err) {
    if (sr_tokenize(r->tok, text, len, 1, &r->tokens, err) < 0) return -1;
    const SrTokens *tk = &r->tokens;
    if (tk->n < 2) return sr_fail(err, "the tokenizer did not add [CLS] and [SEP]");
    int L = sr_config(r->m)->n_labels;
    float *logits = xcalloc((size_t)tk->n * L, sizeof *logits);
    const char **piece = xmalloc((size_t)tk->n * sizeof *piece);
    for (int i = 0; i < tk->n; i++) piece[i] = sr_tokenizer_token(r->tok, tk->tok[i].id);
    int rc = ner_window_logits(r, tk, logits, err);
    if (rc == 0) {
        NerInput in = {tk->tok, tk->n, piece, logits, L, r->labels, text, len, sr_config(r->m)->unk_id};
        rc = ner_decode(&in, agg, group, keep_o, out, err);
    }
    free(piece);
    free(logits);
    return rc;
}

/* Copy "prefix" + s into dst[cap], truncating (labels and sources are short). */
static void ner_strcpy(char *dst, size_t cap, const char *prefix, const char *s) {
    size_t n = 0;
    for (; prefix && *prefix && n + 1 < cap; prefix++) dst[n++] = *prefix;
    for (; s && *s && n + 1 < cap; s++) dst[n++] = *s;
    dst[n] = 0;
}

/* ---- Spans --------------------------------------------------------------------- */

static SrSpan *ner_span_push(SrSpans *s) {
    s->span = grow(s->span, &s->cap, s->n + 1, sizeof *s->span);
    SrSpan *p = &s->span[s->n++];
    memset(p, 0, sizeof *p);
    return p;
}

static int ner_span_cmp(const void *a, const void *b) {
    const SrSpan *x = a, *y = b;
    if (x->byte_start != y->byte_start) return x->byte_start < y->byte_start ? -1 : 1;
    return x->byte_end > y->byte_end ? -1 : x->byte_end < y->byte_end; /* longer first */
}

/* A de-identification model's label -> sr's PHI type (the rules' types: phi_type_name).
 * The tag itself when it is one of them (i2b2 2014 labels mostly are), else the first
 * known word inside it, most specific first; OTHER when nothing fits. */
static const char *ner_phi_type(const char *label) {
    char up[64];
    size_t n = 0;
    for (; label[n] && n + 1 < sizeof up; n++) up[n] = (char)toupper((unsigned char)label[n]);
    up[n] = 0;
    for (int t = 1; t < PT_COUNT; t++)
        if (!strcmp(up, phi_type_name[t])) return phi_type_name[t];
    static const char *const map[][2] = {
        {"PATIENT", "PATIENT"}, {"DOCTOR", "DOCTOR"}, {"STAFF", "DOCTOR"}, {"HCW", "DOCTOR"},
        {"CLINICIAN", "DOCTOR"}, {"RELATIVE", "RELATIVE"}, {"FAMILY", "RELATIVE"}, {"HOSP", "HOSPITAL"},
        {"WARD", "WARD"}, {"ROOM", "WARD"}, {"PROFESSION", "PROFESSION"}, {"STREET", "STREET"},
        {"CITY", "CITY"}, {"COUNTY", "COUNTY"}, {"ZIP", "ZIP"}, {"POSTCODE", "ZIP"}, {"EMAIL", "EMAIL"},
        {"MAIL", "EMAIL"}, {"FAX", "FAX"}, {"PHONE", "PHONE"}, {"TEL", "PHONE"}, {"URL", "URL"},
        {"WEB", "URL"}, {"SSN", "SSN"}, {"MEDICALRECORD", "MRN"}, {"MRN", "MRN"}, {"HEALTHPLAN", "HEALTHPLAN"},
        {"ACCOUNT", "ACCOUNT"}, {"LICEN", "LICENSE"}, {"DEVICE", "DEVICE"}, {"VEHICLE", "VEHICLE"},
        {"DATE", "DATE"}, {"TIME", "DATE"}, {"YEAR", "YEAR"}, {"AGE", "AGE"}, {"NAME", "NAME"}, {"PER", "NAME"},
        {"ID", "ID"}, {"LOC", "LOCATION"}, {"ADDRESS", "LOCATION"}, {"STATE", "LOCATION"},
        {"COUNTRY", "LOCATION"}, {"ORG", "LOCATION"}, {"IP", "IP"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(up, map[i][0])) return map[i][1];
    return "OTHER";
}

/* Entities -> SR_ACT_PHI spans (source "model:LABEL"). */
static void ner_entities_to_phi(const NerEntities *es, SrSpans *out) {
    for (int i = 0; i < es->n; i++) {
        const NerEntity *e = &es->e[i];
        SrSpan *s = ner_span_push(out);
        s->byte_start = e->byte_start; s->byte_end = e->byte_end;
        s->cp_start = e->cp_start; s->cp_end = e->cp_end;
        s->action = SR_ACT_PHI;
        ner_strcpy(s->category, sizeof s->category, NULL, ner_phi_type(e->label));
        ner_strcpy(s->source, sizeof s->source, "model:", e->label);
        s->score = e->score;
    }
}

/* PHI from a de-identification NER model, for `sr deid --phi-model`: one SR_ACT_PHI span
 * per predicted entity (word-level "first" aggregation, grouped), category mapped to
 * sr's PHI types, source "model:LABEL", score the model's probability. Appends to out. */
#ifdef __GNUC__
__attribute__((unused)) /* until cmd_deid --phi-model calls it */
#endif
static int ner_phi_spans(const SrModel *m, const SrTokenizer *t, const char *text, size_t len, SrSpans *out,
                         char *err) {
    (void)t; /* the runner builds its tokenizer from the model, which is the same one */
    NerRunner r;
    if (ner_runner_init(&r, m, 0, -1, err) < 0) return -1;
    NerEntities es = {0};
    int rc = ner_run(&r, text, len, NER_AGG_FIRST, 1, 0, &es, err);
    if (rc == 0) ner_entities_to_phi(&es, out);
    ner_entities_free(&es);
    ner_runner_free(&r);
    return rc;
}

/* A word's lookup form: ASCII lower case, U+2019 as ', a final 's dropped. */
static int ner_norm_word(const char *w, int n, char *out, int cap) {
    int k = 0;
    for (int i = 0; i < n && k < cap - 1; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c == 0xE2 && i + 2 < n && (unsigned char)w[i + 1] == 0x80 && (unsigned char)w[i + 2] == 0x99) {
            out[k++] = '\'';
            i += 2;
        } else out[k++] = (char)tolower(c);
    }
    if (k > 2 && out[k - 2] == '\'' && out[k - 1] == 's') k -= 2;
    out[k] = 0;
    return k;
}

/* ---- Phrase lists: lower-cased phrases -> category and source -------------------- */

typedef struct {
    char **key;
    int *klen;
    unsigned char *cat, *src, *kind; /* kind: 1 = a phrase, 2 = the start of a longer one */
    int n, cap;
    int *slot; /* open addressing: entry index or -1 */
    int n_slots, max_words;
    char cats[16][24], srcs[8][64];
    int n_cats, n_srcs;
} NerLex;

enum { LEX_PHRASE = 1, LEX_PREFIX = 2 };

static uint32_t ner_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The entry for key[0..n-1], or -1. */
static int ner_lex_find(const NerLex *lx, const char *key, size_t n) {
    if (!lx->n_slots) return -1;
    uint32_t m = (uint32_t)lx->n_slots - 1;
    for (uint32_t h = ner_hash(key, n) & m;; h = (h + 1) & m) {
        int e = lx->slot[h];
        if (e < 0) return -1;
        if ((size_t)lx->klen[e] == n && !memcmp(lx->key[e], key, n)) return e;
    }
}
/* Is key a whole phrase of the list? */
static int ner_lex_phrase(const NerLex *lx, const char *key, size_t n) {
    int e = ner_lex_find(lx, key, n);
    return e >= 0 && (lx->kind[e] & LEX_PHRASE) ? e : -1;
}

static void ner_lex_rehash(NerLex *lx, int n_slots) {
    free(lx->slot);
    lx->n_slots = n_slots;
    lx->slot = xmalloc((size_t)n_slots * sizeof *lx->slot);
    for (int i = 0; i < n_slots; i++) lx->slot[i] = -1;
    uint32_t m = (uint32_t)n_slots - 1;
    for (int e = 0; e < lx->n; e++) {
        uint32_t h = ner_hash(lx->key[e], (size_t)lx->klen[e]) & m;
        while (lx->slot[h] >= 0) h = (h + 1) & m;
        lx->slot[h] = e;
    }
}

static int ner_lex_name(char (*names)[24], int *n, int max, const char *name) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], name)) return i;
    if (*n >= max) return 0;
    snprintf(names[*n], 24, "%s", name);
    return (*n)++;
}

/* Enter key[0..n-1] with the given kind; a phrase's category and source are those of
 * its first entry. */
static void ner_lex_put(NerLex *lx, const char *key, size_t n, int kind, int cat, int src) {
    int e = ner_lex_find(lx, key, n);
    if (e < 0) {
        int old_cap = lx->cap;
        lx->key = grow(lx->key, &lx->cap, lx->n + 1, sizeof *lx->key);
        if (lx->cap != old_cap) {
            lx->klen = xrealloc(lx->klen, (size_t)lx->cap * sizeof *lx->klen);
            lx->cat = xrealloc(lx->cat, (size_t)lx->cap);
            lx->src = xrealloc(lx->src, (size_t)lx->cap);
            lx->kind = xrealloc(lx->kind, (size_t)lx->cap);
        }
        e = lx->n++;
        lx->key[e] = xmalloc(n + 1);
        memcpy(lx->key[e], key, n);
        lx->key[e][n] = 0;
        lx->klen[e] = (int)n;
        lx->kind[e] = 0;
        if (lx->n * 2 > lx->n_slots) ner_lex_rehash(lx, lx->n_slots ? lx->n_slots * 2 : 1024); /* places e too */
        else {
            uint32_t m = (uint32_t)lx->n_slots - 1, h = ner_hash(key, n) & m;
            while (lx->slot[h] >= 0) h = (h + 1) & m;
            lx->slot[h] = e;
        }
    }
    if (kind == LEX_PHRASE && !(lx->kind[e] & LEX_PHRASE)) {
        lx->cat[e] = (unsigned char)cat;
        lx->src[e] = (unsigned char)src;
    }
    lx->kind[e] |= (unsigned char)kind;
}

/* Add a phrase (already normalised: words separated by one space) and mark each of its
 * word-level beginnings, so that matching stops as soon as no phrase can follow. */
static void ner_lex_add(NerLex *lx, const char *key, int cat, int src) {
    size_t n = strlen(key);
    if (!n) return;
    ner_lex_put(lx, key, n, LEX_PHRASE, cat, src);
    int words = 1;
    for (size_t i = 0; i < n; i++)
        if (key[i] == ' ') {
            ner_lex_put(lx, key, i, LEX_PREFIX, 0, 0);
            words++;
        }
    if (words > lx->max_words) lx->max_words = words;
}

static void ner_lex_free(NerLex *lx) {
    for (int i = 0; i < lx->n; i++) free(lx->key[i]);
    free(lx->key);
    free(lx->klen);
    free(lx->kind);
    free(lx->cat);
    free(lx->src);
    free(lx->slot);
    memset(lx, 0, sizeof *lx);
}

/* Load a phrase file: one phrase a line, '#' comments, "@CATEGORY" switches the
 * category of the lines after it (default: default_cat). Each phrase is split into
 * words exactly as the text is, and normalised like them, so matching is exact. */
static int ner_lex_load(NerLex *lx, const char *path, const char *default_cat, const char *source, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    if (utf8_check(buf, len, e) < 0) { free(buf); return sr_fail(err, "%s: %s", path, e); }
    int src = 0;
    for (; src < lx->n_srcs; src++)
        if (!strcmp(lx->srcs[src], source)) break;
    if (src == lx->n_srcs && lx->n_srcs < 8) snprintf(lx->srcs[lx->n_srcs++], 64, "%s", source);
    if (src >= 8) src = 0;
    int cat = ner_lex_name(lx->cats, &lx->n_cats, 16, default_cat);
    Word *w = NULL;
    int wcap = 0;
    NerStr key = {0};
    char norm[256];
    size_t p = 0;
    while (p < len) {
        char *line = buf + p;
        char *nl = memchr(line, '\n', len - p);
        size_t n = nl ? (size_t)(nl - line) : len - p;
        p += n + 1;
        if (n && line[n - 1] == '\r') n--;
        if (!n || line[0] == '#') continue;
        if (line[0] == '@') {
            char name[24];
            snprintf(name, sizeof name, "%.*s", (int)(n - 1 < 23 ? n - 1 : 23), line + 1);
            cat = ner_lex_name(lx->cats, &lx->n_cats, 16, name);
            continue;
        }
        int nw = text_words(line, n, &w, &wcap, e);
        if (nw <= 0) continue;
        key.n = 0;
        for (int k = 0; k < nw; k++) {
            int m = ner_norm_word(line + w[k].b0, w[k].b1 - w[k].b0, norm, sizeof norm);
            if (k) nstr_add(&key, " ", 1);
            nstr_add(&key, norm, m);
        }
        ner_lex_add(lx, key.s, cat, src);
    }
    free(key.s);
    free(w);
    free(buf);
    return 0;
}

/* ---- The Masker -------------------------------------------------------------------
 * For each text: PHI spans (rules, plus the de-identification model when given),
 * merged where they overlap; then medical entities to protect (medical NER model, or
 * the shipped phrase lists data/med_lexicon.txt and data/med_terms.txt matched as the
 * longest run of whole words, case-insensitively, across whitespace only); then the
 * eligible words (POS model with --mask-pos tags, or content words: not in
 * data/closed_class.txt, at least two characters, a letter and no digit).
 * PHI wins: a PHI span that cuts a word grows to cover the whole word, a word touching
 * a PHI span is neither protected nor eligible, and a protected phrase is cut around it. Short and ambiguous lexicon entries are dealt
 * with when the lexicon is built (see data/make_med_lexicon.py). */

#define NER_MAX_LABELS 32

typedef struct {
    char name[NER_MAX_LABELS][24];
    int n;
} NerLabelSet;

static void ner_labelset_parse(NerLabelSet *ls, const char *csv) {
    ls->n = 0;
    while (*csv && ls->n < NER_MAX_LABELS) {
        const char *comma = strchr(csv, ',');
        size_t n = comma ? (size_t)(comma - csv) : strlen(csv);
        while (n && isspace((unsigned char)*csv)) csv++, n--;
        while (n && isspace((unsigned char)csv[n - 1])) n--;
        if (n) snprintf(ls->name[ls->n++], 24, "%.*s", (int)(n < 23 ? n : 23), csv);
        csv += comma ? (size_t)(comma - csv) + 1 : strlen(csv);
    }
}
static int ner_labelset_has(const NerLabelSet *ls, const char *label) {
    for (int i = 0; i < ls->n; i++)
        if (!strcasecmp(ls->name[i], label)) return 1;
    return 0;
}

struct SrMasker {
    SrPhiRules *phi;
    NerRunner phi_ner, med_ner, pos_ner; /* .m == NULL when not given */
    NerLex med;                          /* phrases to protect (no medical model) */
    NerLex closed;                       /* closed-class words (no POS model) */
    NerLabelSet med_labels, mask_pos;
    int phi_extras;
    /* scratch, reused across calls */
    Word *words;
    int words_cap;
    SrSpans phi_spans;
    SrSpans label_spans; /* field labels before PHI values: kept, never resampled */
    NerEntities ents;
};

void sr_masker_free(SrMasker *mk) {
    if (!mk) return;
    if (mk->phi) sr_phi_rules_free(mk->phi);
    if (mk->phi_ner.m) ner_runner_free(&mk->phi_ner);
    if (mk->med_ner.m) ner_runner_free(&mk->med_ner);
    if (mk->pos_ner.m) ner_runner_free(&mk->pos_ner);
    ner_lex_free(&mk->med);
    ner_lex_free(&mk->closed);
    free(mk->words);
    sr_spans_free(&mk->phi_spans);
    sr_spans_free(&mk->label_spans);
    ner_entities_free(&mk->ents);
    free(mk);
}

SrMasker *sr_masker_new(const SrMaskerOptions *opt, char *err) {
    SrMaskerOptions none = {0};
    if (!opt) opt = &none;
    SrMasker *mk = xcalloc(1, sizeof *mk);
    char path[8192];
    mk->phi_extras = !opt->no_phi_extras;
    ner_labelset_parse(&mk->med_labels, opt->med_labels ? opt->med_labels
                                                        : "PROBLEM,TEST,TREATMENT,DISEASE,DISORDER,CHEMICAL,DRUG,"
                                                          "MEDICATION,PROCEDURE,SYMPTOM,SIGN_SYMPTOM");
    ner_labelset_parse(&mk->mask_pos, opt->mask_pos ? opt->mask_pos : "NOUN,VERB,ADJ");
    if (!mk->mask_pos.n) { sr_fail(err, "--mask-pos names no part of speech"); goto fail; }
    mk->phi = sr_phi_rules_new(opt->data_dir, err);
    if (!mk->phi) goto fail;
    sr_phi_set_extras(mk->phi, mk->phi_extras);
    sr_phi_set_fail_closed(mk->phi, !opt->no_fail_closed);
    for (int i = 0; i < opt->n_lexicons; i++)
        if (sr_phi_add_lexicon(mk->phi, opt->lexicons[i], err) < 0) goto fail;
    if (opt->phi_model && ner_runner_init(&mk->phi_ner, opt->phi_model, 0, -1, err) < 0) goto fail;
    if (opt->med_model) {
        if (ner_runner_init(&mk->med_ner, opt->med_model, 0, -1, err) < 0) goto fail;
    } else {
        if (data_file(opt->data_dir, "med_lexicon.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med, path, "PROBLEM", "lexicon:icd10cm", err) < 0) goto fail;
        if (data_file(opt->data_dir, "med_terms.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med, path, "PROBLEM", "lexicon:med-terms", err) < 0) goto fail;
    }
    if (opt->pos_model) {
        if (ner_runner_init(&mk->pos_ner, opt->pos_model, 0, -1, err) < 0) goto fail;
    } else {
        if (data_file(opt->data_dir, "closed_class.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->closed, path, "CLOSED", "closed-class", err) < 0) goto fail;
    }
    return mk;
fail:
    sr_masker_free(mk);
    return NULL;
}

/* Whitespace only between bytes a and b? */
static int ner_gap_blank(const char *text, int a, int b) {
    for (int i = a; i < b; i++)
        if (!isspace((unsigned char)text[i])) return 0;
    return 1;
}

/* Content-word shape: >= 2 code points, some letter, no digit. */
static int ner_content_shape(const char *text, const Word *w) {
    if (w->c1 - w->c0 < 2) return 0;
    int letter = 0;
    for (int i = w->b0; i < w->b1; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= '0' && c <= '9') return 0;
        if (isalpha(c) || c >= 0x80) letter = 1;
    }
    return letter;
}

enum { W_NONE = 0, W_PHI, W_PROTECT, W_ELIGIBLE, W_LABEL };

/* The code point ending just before byte b (b > 0), and its start in *start. */
static int ner_cp_before(const char *text, size_t len, int b, int *start) {
    int k = b - 1;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    size_t i = (size_t)k;
    *start = k;
    return utf8_decode((const unsigned char *)text, len, &i);
}

static int ner_letter_cp(int cp) { return word_cp(cp) && !(cp >= '0' && cp <= '9'); }

/* Grow PHI span s to the edges of word w, one code point at a time: over letters and
 * digits always, over a joiner (' - U+2019 ...) only when letters stand on both sides. */
static void ner_grow_span(const char *text, size_t len, const Word *w, SrSpan *s) {
    while (s->byte_start > w->b0) {
        int at, c = ner_cp_before(text, len, s->byte_start, &at);
        if (!word_cp(c)) { /* a joiner: look at both sides */
            int at2, before = at > w->b0 ? ner_cp_before(text, len, at, &at2) : -1;
            size_t j = (size_t)s->byte_start;
            int after = utf8_decode((const unsigned char *)text, len, &j);
            if (!ner_letter_cp(before) || !ner_letter_cp(after)) break;
        }
        s->byte_start = at;
        s->cp_start--;
    }
    while (s->byte_end < w->b1) {
        size_t j = (size_t)s->byte_end;
        int c = utf8_decode((const unsigned char *)text, len, &j);
        /* a possessive 's ending the word is not part of the name ("Smith's") */
        if ((c == '\'' || c == 0x2019) && j < (size_t)w->b1 && (text[j] | 32) == 's' && j + 1 == (size_t)w->b1) break;
        if (!word_cp(c)) {
            int at, before = ner_cp_before(text, len, s->byte_end, &at);
            size_t k = j;
            int after = k < (size_t)w->b1 ? utf8_decode((const unsigned char *)text, len, &k) : -1;
            if (!ner_letter_cp(before) || !ner_letter_cp(after)) break;
        }
        s->byte_end = (int)j;
        s->cp_end++;
    }
}

/* Step 1 of the Masker, alone: the words of the text (mk->words) and every PHI span
 * (mk->phi_spans): rules, then the model, sorted, merged where they overlap and grown
 * to whole words. Returns the word count, or -1. */
static int masker_phi(SrMasker *mk, const char *text, size_t len, const SrKnownPhi *known, char *err) {
    if (len > (size_t)INT32_MAX / 2) return sr_fail(err, "text too long (%zu bytes)", len);
    /* the text is cut into tokens once: the PHI rules read them, and the Masker's words
     * are made of them */
    SrSpans *ps = &mk->phi_spans;
    ps->n = 0;
    PhiDoc doc;
    if (phi_doc_open(&doc, mk->phi, text, len, err) < 0) return -1;
    int nw = phi_doc_words(&doc, &mk->words, &mk->words_cap);
    Word *w = mk->words;

    /* 1. PHI: spans given from outside; the rules (with the record's known strings),
     * then the model, unless the given spans are all there is; sorted and merged where
     * they overlap */
    int only = known && known->only;
    if (known) {
        for (int k = 0; k < known->n_given; k++) {
            const SrSpan *g = &known->given[k];
            if (g->byte_start < 0 || g->byte_end > (int)len || g->byte_end <= g->byte_start) {
                phi_doc_close(&doc);
                return sr_fail(err, "a given PHI span (%d-%d) lies outside the text", g->cp_start, g->cp_end);
            }
            *ner_span_push(ps) = *g;
        }
        doc.known = known->strings;
        doc.known_types = known->types;
        doc.n_known = known->n_strings;
    }
    mk->label_spans.n = 0;
    if (!only) {
        phi_doc_find(&doc, ps);
        phi_doc_labels(&doc, &mk->label_spans);
    }
    phi_doc_close(&doc);
    if (mk->phi_ner.m && !only) {
        ner_entities_clear(&mk->ents);
        if (ner_run(&mk->phi_ner, text, len, NER_AGG_FIRST, 1, 0, &mk->ents, err) < 0) return -1;
        ner_entities_to_phi(&mk->ents, ps);
    }
    for (int i = 0; i < ps->n; i++) ps->span[i].action = SR_ACT_PHI;
    if (ps->n > 1) qsort(ps->span, (size_t)ps->n, sizeof *ps->span, ner_span_cmp);
    int np = 0;
    for (int i = 0; i < ps->n; i++) {
        SrSpan *s = &ps->span[i];
        if (s->byte_end <= s->byte_start) continue;
        if (np && s->byte_start < ps->span[np - 1].byte_end) { /* overlap: widen the earlier (longer) one */
            SrSpan *p = &ps->span[np - 1];
            if (s->byte_end > p->byte_end) { p->byte_end = s->byte_end; p->cp_end = s->cp_end; }
            continue;
        }
        ps->span[np++] = *s;
    }
    ps->n = np;

    /* A PHI span that cuts a word grows to the whole word (a name caught as "John" in
     * "John-Paul" must not leave "-Paul" behind), but crosses a joiner only between two
     * letters ("101" in "101-year-old" stays "101"); spans that now touch are merged. */
    for (int i = 0, p = 0; i < nw && np; i++) {
        while (p < np && ps->span[p].byte_end <= w[i].b0) p++;
        for (int q = p; q < np && ps->span[q].byte_start < w[i].b1; q++)
            ner_grow_span(text, len, &w[i], &ps->span[q]);
    }
    np = 0;
    for (int i = 0; i < ps->n; i++) {
        if (np && ps->span[i].byte_start < ps->span[np - 1].byte_end) {
            SrSpan *p = &ps->span[np - 1];
            if (ps->span[i].byte_end > p->byte_end) { p->byte_end = ps->span[i].byte_end; p->cp_end = ps->span[i].cp_end; }
            continue;
        }
        ps->span[np++] = ps->span[i];
    }
    ps->n = np;
    return nw;
}

int sr_masker_run(SrMasker *mk, const char *text, size_t len, SrSpans *out, char *err) {
    return sr_masker_run_known(mk, text, len, NULL, out, err);
}

int sr_masker_run_known(SrMasker *mk, const char *text, size_t len, const SrKnownPhi *known, SrSpans *out, char *err) {
    out->n = 0;
    int nw = masker_phi(mk, text, len, known, err);
    if (nw < 0) return -1;
    Word *w = mk->words;
    SrSpans *ps = &mk->phi_spans;
    int np = ps->n;

    /* word states: PHI if touching a PHI span */
    unsigned char *state = xcalloc((size_t)nw + 1, 1);
    int *group = xcalloc((size_t)nw + 1, sizeof *group);
    int *wref = xcalloc((size_t)nw + 1, sizeof *wref); /* entity or lexicon entry that decided */
    for (int i = 0, p = 0; i < nw; i++) {
        while (p < np && ps->span[p].byte_end <= w[i].b0) p++;
        if (p < np && ps->span[p].byte_start < w[i].b1) state[i] = W_PHI;
    }
    /* the labels of fields whose value is PHI (MRN:, Date of birth:) stay as they are */
    const SrSpans *ls = &mk->label_spans;
    for (int i = 0, p = 0; i < nw; i++) {
        while (p < ls->n && ls->span[p].byte_end <= w[i].b0) p++;
        if (p < ls->n && ls->span[p].byte_start < w[i].b1 && state[i] == W_NONE) state[i] = W_LABEL;
    }

    /* 2. protected medical entities */
    int rc = 0, n_groups = 0;
    NerEntities med = {0};
    if (mk->med_ner.m) {
        if (ner_run(&mk->med_ner, text, len, NER_AGG_FIRST, 1, 0, &med, err) < 0) { rc = -1; goto done; }
        for (int i = 0, e = 0; i < nw; i++) {
            while (e < med.n && med.e[e].byte_end <= w[i].b0) e++;
            for (int f = e; f < med.n && med.e[f].byte_start < w[i].b1; f++) {
                if (!ner_labelset_has(&mk->med_labels, med.e[f].label)) continue;
                if (state[i] == W_NONE) { state[i] = W_PROTECT; group[i] = f + 1; wref[i] = f; }
                break;
            }
        }
    } else if (mk->med.n) {
        char norm[256];
        NerStr key = {0};
        for (int i = 0; i < nw;) {
            int hit = -1, hk = 0;
            key.n = 0;
            int lim = mk->med.max_words;
            for (int k = 0; k < lim && i + k < nw; k++) {
                if (k && !ner_gap_blank(text, w[i + k - 1].b1, w[i + k].b0)) break;
                int m = ner_norm_word(text + w[i + k].b0, w[i + k].b1 - w[i + k].b0, norm, sizeof norm);
                if (k) nstr_add(&key, " ", 1);
                nstr_add(&key, norm, m);
                int e = ner_lex_find(&mk->med, key.s, (size_t)key.n);
                if (e < 0) break;
                if (mk->med.kind[e] & LEX_PHRASE) { hit = e; hk = k + 1; } /* keep the longest */
                if (!(mk->med.kind[e] & LEX_PREFIX)) break;
            }
            if (hit < 0) { i++; continue; }
            n_groups++;
            for (int k = 0; k < hk; k++)
                if (state[i + k] == W_NONE) { state[i + k] = W_PROTECT; group[i + k] = n_groups; wref[i + k] = hit; }
            i += hk;
        }
        free(key.s);
    }

    /* 3. eligible words */
    if (mk->pos_ner.m) {
        ner_entities_clear(&mk->ents);
        if (ner_run(&mk->pos_ner, text, len, NER_AGG_FIRST, 0, 1, &mk->ents, err) < 0) { rc = -1; goto done; }
        for (int i = 0, e = 0; i < nw; i++) {
            while (e < mk->ents.n && mk->ents.e[e].byte_end <= w[i].b0) e++;
            if (state[i] != W_NONE || e >= mk->ents.n || mk->ents.e[e].byte_start >= w[i].b1) continue;
            if (ner_labelset_has(&mk->mask_pos, mk->ents.e[e].label)) { state[i] = W_ELIGIBLE; wref[i] = e; }
        }
    } else {
        char norm[256];
        for (int i = 0; i < nw; i++) {
            if (state[i] != W_NONE || !ner_content_shape(text, &w[i])) continue;
            int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
            /* look up the full form too: "it's" normalises to "it" */
            char full[256];
            int fm = 0;
            for (int k = w[i].b0; k < w[i].b1 && fm < 255; k++) full[fm++] = (char)tolower((unsigned char)text[k]);
            full[fm] = 0;
            if (ner_lex_phrase(&mk->closed, norm, (size_t)m) >= 0 || ner_lex_phrase(&mk->closed, full, (size_t)fm) >= 0) continue;
            state[i] = W_ELIGIBLE;
        }
    }

    /* 4. spans: PHI, protected runs, eligible words; sorted by start */
    for (int i = 0; i < np; i++) *ner_span_push(out) = ps->span[i];
    for (int i = 0; i < nw; i++) {
        if (state[i] == W_PROTECT) {
            int j = i;
            while (j + 1 < nw && state[j + 1] == W_PROTECT && group[j + 1] == group[i]) j++;
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[j].b1; s->cp_end = w[j].c1;
            s->action = SR_ACT_PROTECT;
            if (mk->med_ner.m) {
                const NerEntity *e = &med.e[wref[i]];
                ner_strcpy(s->category, sizeof s->category, NULL, e->label);
                ner_strcpy(s->source, sizeof s->source, "model:", e->label);
                s->score = e->score;
            } else {
                snprintf(s->category, sizeof s->category, "%s", mk->med.cats[mk->med.cat[wref[i]]]);
                snprintf(s->source, sizeof s->source, "%s", mk->med.srcs[mk->med.src[wref[i]]]);
                s->score = 1;
            }
            i = j;
        } else if (state[i] == W_LABEL) {
            int j = i;
            while (j + 1 < nw && state[j + 1] == W_LABEL && ner_gap_blank(text, w[j].b1, w[j + 1].b0)) j++;
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[j].b1; s->cp_end = w[j].c1;
            s->action = SR_ACT_PROTECT;
            snprintf(s->category, sizeof s->category, "LABEL");
            snprintf(s->source, sizeof s->source, "rule:labelled-field");
            s->score = 1;
            i = j;
        } else if (state[i] == W_ELIGIBLE) {
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[i].b1; s->cp_end = w[i].c1;
            s->action = SR_ACT_ELIGIBLE;
            if (mk->pos_ner.m) {
                const NerEntity *e = &mk->ents.e[wref[i]];
                ner_strcpy(s->category, sizeof s->category, NULL, e->label);
                ner_strcpy(s->source, sizeof s->source, "model:", e->label);
                s->score = e->score;
            } else {
                snprintf(s->category, sizeof s->category, "CONTENT");
                snprintf(s->source, sizeof s->source, "closed-class");
                s->score = 1;
            }
        }
    }
    if (out->n > 1) qsort(out->span, (size_t)out->n, sizeof *out->span, ner_span_cmp);
done:
    ner_entities_free(&med);
    free(state);
    free(group);
    free(wref);
    return rc;
}

/* ---- sr ner ---------------------------------------------------------------------- */

/* The PHI spans alone of the Masker's decision (for sr deid): step 1 only, without the
 * medical-entity and eligibility work sr deid does not print. */
static int masker_phi_spans(SrMasker *mk, const char *text, size_t len, const SrKnownPhi *known, SrSpans *out, char *err) {
    out->n = 0;
    if (masker_phi(mk, text, len, known, err) < 0) return -1;
    for (int k = 0; k < mk->phi_spans.n; k++) *ner_span_push(out) = mk->phi_spans.span[k];
    return 0;
}

static int cmd_deid(int argc, char **argv) {
    const char *format = "text", *data_dir = NULL, *phi_model = NULL;
    const char **lexicons = xcalloc((size_t)argc + 1, sizeof(char *));
    char **items = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_lex = 0, n_items = 0, texts = 0, jsonl = 0, keep_length = 0, explain = 0, show_phi = 0, extras = 1;
    int fail_closed = 1, phi_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs("usage: sr deid [options] [FILE...]   (no FILE: stdin)\n"
                  "Finds PHI (the 18 HIPAA identifiers, clinicians' names, and extras) with rules\n"
                  "and lexicons, and prints the text with each one replaced by [**TYPE**].\n"
                  "  --text TEXT       process TEXT (repeatable) instead of files\n"
                  "  --jsonl           input lines {\"id\":..,\"text\":..}; output one JSON object a line:\n"
                  "                    {\"id\",\"spans\":[{start,end,type,source}],\"text\": masked}\n"
                  "                    (offsets in code points of the original text)\n"
                  "  --format F        text (default) | jsonl | i2b2 (XML) | brat (standoff .ann)\n"
                  "  --keep-length     replace PHI by '*' of the same length instead of [**TYPE**]\n"
                  "  --explain         print each decision and its reason to stderr\n"
                  "  --show-phi        let i2b2/brat/--explain output include the original PHI text\n"
                  "                    (by default they carry the '*'-masked text: offsets stay valid)\n"
                  "  --lexicon FILE    a site's own names and places, one a line (repeatable)\n"
                  "  --no-extras       do not mask hospitals, wards/rooms, professions, lone years\n"
                  "  --data DIR        folder of the shipped lexicons (default: data/ beside sr)\n"
                  "  --phi-model M     a de-identification NER model, unioned with the rules\n"
                  "  --no-fail-closed  mask only what a rule finds (for comparison; by default every\n"
                  "                    word no rule decided and no safe vocabulary knows is masked)\n"
                  "  --phi-input H     union (default): the records' \"given_phi\" spans and the rules';\n"
                  "                    only: the given spans alone. \"known_phi\" strings are masked\n"
                  "                    wherever they occur (a \"phi\" field, as in gold files, is not read)\n",
                  stdout);
            free(lexicons); free(items);
            return 0;
        }
        if (!strcmp(a, "--format")) format = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--text")) { items[n_items++] = (char *)opt_value(argc, argv, &i); texts = 1; }
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--keep-length")) keep_length = 1;
        else if (!strcmp(a, "--explain")) explain = 1;
        else if (!strcmp(a, "--show-phi")) show_phi = 1;
        else if (!strcmp(a, "--no-extras")) extras = 0;
        else if (!strcmp(a, "--lexicon")) lexicons[n_lex++] = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--phi-model")) phi_model = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--no-fail-closed")) fail_closed = 0;
        else if (!strcmp(a, "--phi-input")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "union")) phi_only = 0;
            else if (!strcmp(v, "only")) phi_only = 1;
            else { fprintf(stderr, "sr deid: --phi-input must be union or only, not %s\n", v); free(lexicons); free(items); return 2; }
        }
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr deid: unknown option %s (see sr deid --help)\n", a); free(lexicons); free(items); return 2; }
        else {
            if (texts) { fprintf(stderr, "sr deid: give either --text or files, not both\n"); free(lexicons); free(items); return 2; }
            items[n_items++] = (char *)a;
        }
    }
    int fmt = !strcmp(format, "text") ? 0 : !strcmp(format, "jsonl") ? 1 : !strcmp(format, "i2b2") ? 2 : !strcmp(format, "brat") ? 3 : -1;
    if (fmt < 0) { fprintf(stderr, "sr deid: unknown --format %s (text, jsonl, i2b2, brat)\n", format); free(lexicons); free(items); return 2; }
    if (jsonl && fmt == 0) fmt = 1;
    if (texts && jsonl) { fprintf(stderr, "sr deid: --jsonl reads files or stdin, not --text\n"); free(lexicons); free(items); return 2; }
    /* sr deid shows exactly the PHI that sr generate masks: the Masker's PHI spans
     * (rules, unioned with --phi-model, grown to whole words). */
    char err[SR_ERR_LEN];
    double t0 = now_seconds();
    SrModel *model = NULL;
    if (phi_model && sr_load(&model, phi_model, err) < 0) {
        fprintf(stderr, "sr deid: %s\n", err); free(lexicons); free(items); return 2;
    }
    SrMaskerOptions mo = {0};
    mo.data_dir = data_dir;
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    mo.phi_model = model;
    mo.no_phi_extras = !extras;
    mo.no_fail_closed = !fail_closed;
    SrMasker *mk = sr_masker_new(&mo, err);
    if (!mk) { fprintf(stderr, "sr deid: %s\n", err); sr_free(model); free(lexicons); free(items); return 2; }
    if (explain) fprintf(stderr, "sr deid: lexicons from %s loaded in %.0f ms\n", mk->phi->data_dir, (now_seconds() - t0) * 1e3);
    SrInput in = {0};
    in.jsonl = jsonl;
    in.items = items;
    in.n_items = n_items;
    in.texts = texts;
    SrRecord rec;
    SrSpans sp = {0};
    int failed = 0, rc;
    long index = 0;
    if (fmt == 2) fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n", stdout);
    while ((rc = input_next(&in, &rec, err)) != 0) {
        index++;
        if (rc < 0) {
            failed = 1;
            if (fmt == 1) print_error_record(stdout, &rec, index - 1, err);
            fprintf(stderr, "sr deid: %s\n", err);
            record_free(&rec);
            continue;
        }
        SrKnownPhi known = {rec.given, rec.n_given, (const char *const *)rec.known, (const char *const *)rec.known_type,
                            rec.n_known, phi_only};
        if (masker_phi_spans(mk, rec.text, rec.len, &known, &sp, err) < 0) {
            failed = 1;
            if (fmt == 1) print_error_record(stdout, &rec, index - 1, err);
            fprintf(stderr, "sr deid: record %ld: %s\n", index, err);
            record_free(&rec);
            continue;
        }
        if (explain) {
            for (int k = 0; k < sp.n; k++) {
                const SrSpan *s = &sp.span[k];
                fprintf(stderr, "explain\t%s\t%d-%d\t%s\t%s\t%s", rec.id_json ? rec.id_json : "", s->cp_start, s->cp_end,
                        s->category, s->source, phi_reason(s->source));
                if (show_phi) { fputc('\t', stderr); fwrite(rec.text + s->byte_start, 1, (size_t)(s->byte_end - s->byte_start), stderr); }
                fputc('\n', stderr);
            }
        }
        if (fmt == 0) {
            phi_put_masked(stdout, rec.text, rec.len, &sp, keep_length);
            if (rec.len == 0 || rec.text[rec.len - 1] != '\n') fputc('\n', stdout);
        } else if (fmt == 1) {
            fputs("{\"id\":", stdout);
            if (rec.id_json) fputs(rec.id_json, stdout); else fprintf(stdout, "%ld", index - 1);
            fputs(",\"spans\":[", stdout);
            for (int k = 0; k < sp.n; k++) {
                const SrSpan *s = &sp.span[k];
                fprintf(stdout, "%s{\"start\":%d,\"end\":%d,\"type\":", k ? "," : "", s->cp_start, s->cp_end);
                json_put_cstr(stdout, s->category);
                fputs(",\"source\":", stdout);
                json_put_cstr(stdout, s->source);
                fputs("}", stdout);
            }
            fputs("],\"text\":", stdout);
            size_t mlen;
            char *m = phi_masked_string(rec.text, rec.len, &sp, keep_length, &mlen);
            json_put_string(stdout, m, mlen);
            free(m);
            fputs("}\n", stdout);
        } else {
            /* i2b2 and BRAT carry offsets into the text: without --show-phi the text is
             * the keep-length masked one, so the offsets still fit */
            size_t mlen = rec.len;
            char *m = show_phi ? NULL : phi_masked_string(rec.text, rec.len, &sp, 1, &mlen);
            const char *body = m ? m : rec.text;
            if (fmt == 2) {
                fputs("<deIdi2b2>\n<TEXT><![CDATA[", stdout);
                xml_put(stdout, body, mlen, 1);
                fputs("]]></TEXT>\n<TAGS>\n", stdout);
                for (int k = 0; k < sp.n; k++) {
                    const SrSpan *s = &sp.span[k];
                    const char *tag, *type;
                    phi_i2b2_tag(s->category, &tag, &type);
                    fprintf(stdout, "<%s id=\"P%d\" start=\"%d\" end=\"%d\" text=\"", tag, k, s->cp_start, s->cp_end);
                    if (show_phi) xml_put(stdout, rec.text + s->byte_start, (size_t)(s->byte_end - s->byte_start), 0);
                    else phi_put_stars(stdout, rec.text, rec.len, (size_t)s->byte_start, (size_t)s->byte_end, 0);
                    fprintf(stdout, "\" TYPE=\"%s\" comment=\"%s\" />\n", type, s->source);
                }
                fputs("</TAGS>\n</deIdi2b2>\n", stdout);
            } else {
                if (in.count > 1 || n_items > 1) {
                    fputs("# document ", stdout);
                    if (rec.id_json) fputs(rec.id_json, stdout); else fprintf(stdout, "%ld", index - 1);
                    fputc('\n', stdout);
                }
                for (int k = 0; k < sp.n; k++) {
                    const SrSpan *s = &sp.span[k];
                    fprintf(stdout, "T%d\t%s %d %d\t", k + 1, s->category, s->cp_start, s->cp_end);
                    if (show_phi) { for (int b = s->byte_start; b < s->byte_end; b++) fputc(rec.text[b] == '\n' || rec.text[b] == '\t' ? ' ' : rec.text[b], stdout); }
                    else phi_put_stars(stdout, rec.text, rec.len, (size_t)s->byte_start, (size_t)s->byte_end, 1);
                    fputc('\n', stdout);
                    fprintf(stdout, "#%d\tAnnotatorNotes T%d\t%s\n", k + 1, k + 1, s->source);
                }
            }
            free(m);
        }
        record_free(&rec);
    }
    input_close(&in);
    sr_spans_free(&sp);
    sr_masker_free(mk);
    sr_free(model);
    free(lexicons);
    free(items);
    return failed ? 1 : 0;
}

static void ner_print_entities(FILE *f, const NerEntities *es, int agg) {
    fputc('[', f);
    for (int i = 0; i < es->n; i++) {
        const NerEntity *e = &es->e[i];
        if (i) fputc(',', f);
        fputs(agg == NER_AGG_NONE ? "{\"entity\":" : "{\"entity_group\":", f);
        json_put_cstr(f, e->label);
        fprintf(f, ",\"score\":%.8g", e->score);
        if (agg == NER_AGG_NONE) fprintf(f, ",\"index\":%d", e->index);
        fputs(",\"word\":", f);
        json_put_cstr(f, e->word);
        fprintf(f, ",\"start\":%d,\"end\":%d,\"byte_start\":%d,\"byte_end\":%d}", e->cp_start, e->cp_end,
                e->byte_start, e->byte_end);
    }
    fputc(']', f);
}

static int cmd_ner(int argc, char **argv) {
    const char *model_path = NULL;
    int agg = NER_AGG_NONE, jsonl = 0, window = 0, overlap = -1, threads = 0;
    char **items = xmalloc((size_t)argc * sizeof *items);
    int n_items = 0, as_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr ner -m MODEL [options] [TEXT... | -f FILE... | --jsonl [FILE...]]\n"
                  "Token classification with Hugging Face's pipeline semantics; prints the entities\n"
                  "of each input as a JSON array (--jsonl: {\"id\":...,\"entities\":[...]} per line).\n"
                  "  -m, --model FILE        converted token classification model (required)\n"
                  "  --aggregation STRATEGY  none (default) | simple | first | average | max\n"
                  "  --window N              positions per window, [CLS] and [SEP] included\n"
                  "                          (default and maximum: the model's max_position)\n"
                  "  --stride N              tokens shared by consecutive windows (default window/4)\n"
                  "  -f                      the arguments are files ('-' = stdin), one text each\n"
                  "  --jsonl                 inputs are JSON lines {\"id\":..., \"text\":...} from the\n"
                  "                          FILE arguments or stdin\n"
                  "  --threads N             threads for the encoder\n"
                  "Without TEXT or FILE, the text is read from stdin. Offsets start/end are code\n"
                  "points (as Hugging Face), byte_start/byte_end bytes; ends are exclusive.\n",
                  stdout);
            free(items);
            return 0;
        }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--aggregation")) {
            const char *v = opt_value(argc, argv, &i);
            if ((agg = ner_agg_parse(v)) < 0) {
                fprintf(stderr, "sr ner: unknown --aggregation '%s' (none, simple, first, average, max)\n", v);
                free(items);
                return 2;
            }
        } else if (!strcmp(a, "--window")) window = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--stride")) overlap = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--threads")) threads = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "-f")) as_files = 1;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sr ner: unknown option %s (see sr ner --help)\n", a);
            free(items);
            return 2;
        } else items[n_items++] = argv[i];
    }
    int status = 0;
    SrModel *m = NULL;
    NerRunner r;
    memset(&r, 0, sizeof r);
    char err[SR_ERR_LEN];
    if (!model_path) { fputs("sr ner: -m MODEL is required\n", stderr); status = 2; goto out; }
    if (window < 0 || (window > 0 && window < 3)) { fprintf(stderr, "sr ner: bad --window %d\n", window); status = 2; goto out; }
    if (sr_load(&m, model_path, err) < 0) { fprintf(stderr, "sr ner: %s\n", err); status = 2; goto out; }
    if (threads > 0) sr_set_threads(threads);
    if (ner_runner_init(&r, m, window, overlap, err) < 0) { fprintf(stderr, "sr ner: %s: %s\n", model_path, err); status = 2; goto out; }
    SrInput in;
    memset(&in, 0, sizeof in);
    in.jsonl = jsonl;
    in.texts = !jsonl && !as_files && n_items > 0;
    in.items = items;
    in.n_items = n_items;
    NerEntities es = {0};
    SrRecord rec;
    for (;;) {
        int got = input_next(&in, &rec, err);
        if (got == 0) break;
        if (got < 0) {
            if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
            else fprintf(stderr, "sr ner: %s\n", err);
            record_free(&rec);
            status = 1;
            continue;
        }
        ner_entities_clear(&es);
        if (ner_run(&r, rec.text, rec.len, agg, 1, 0, &es, err) < 0) {
            if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
            else fprintf(stderr, "sr ner: %s\n", err);
            status = 1;
        } else if (jsonl) {
            fputs("{\"id\":", stdout);
            if (rec.id_json) fputs(rec.id_json, stdout);
            else printf("%ld", in.count - 1);
            fputs(",\"entities\":", stdout);
            ner_print_entities(stdout, &es, agg);
            fputs("}\n", stdout);
        } else {
            ner_print_entities(stdout, &es, agg);
            fputc('\n', stdout);
        }
        record_free(&rec);
    }
    ner_entities_free(&es);
    input_close(&in);
out:
    if (r.m) ner_runner_free(&r);
    sr_free(m);
    free(items);
    return status;
}
