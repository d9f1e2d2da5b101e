/* ner.c - token classification decoding (Hugging Face pipeline semantics), the PHI
 * rules, medical-entity protection, mask eligibility: the Masker. Included by sr.c. */

void sr_spans_free(SrSpans *s) { free(s->span); memset(s, 0, sizeof *s); }

#include "phi.c"     /* the PHI rules */


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

/* The singular of a lower-case plural (effusions, masses, arteries, knees), or 0 when
 * the word does not look plural (the phrase lists hold singular heads). */
static int ner_singular(const char *w, int n, char *out) {
    if (n < 4 || w[n - 1] != 's' || w[n - 2] == 's' || w[n - 2] == 'u' || w[n - 2] == 'i') return 0;
    int k = n - 1;
    if (n > 4 && w[n - 2] == 'e' && w[n - 3] == 'i') { memcpy(out, w, (size_t)(n - 3)); out[n - 3] = 'y'; out[n - 2] = 0; return n - 2; }
    if (n > 4 && w[n - 2] == 'e' && (w[n - 3] == 's' || w[n - 3] == 'x' || w[n - 3] == 'z' || (w[n - 3] == 'h' && (w[n - 4] == 'c' || w[n - 4] == 's')))) k = n - 2;
    memcpy(out, w, (size_t)k);
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

/* The key text between two words of a phrase: one space when only whitespace lies
 * between them, else the characters other than whitespace ("o/e", "mg/kg", "d.o.b"). */
static void ner_gap_key(const char *text, int a, int b, NerStr *key) {
    int k0 = key->n;
    for (int i = a; i < b; i++)
        if (!isspace((unsigned char)text[i])) nstr_add(key, text + i, 1);
    if (key->n == k0) nstr_add(key, " ", 1);
}

/* Load a phrase file: one phrase a line, '#' comments, "@CATEGORY" switches the
 * category of the lines after it (default: default_cat), a TAB ends the phrase (the
 * rest of the line is a comment). Each phrase is split into words exactly as the text
 * is, and normalised like them, so matching is exact. */
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
        const char *tab = memchr(line, '\t', n);
        if (tab) n = (size_t)(tab - line);
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
            if (k) ner_gap_key(line, w[k - 1].b1, w[k].b0, &key);
            nstr_add(&key, norm, m);
        }
        ner_lex_add(lx, key.s, cat, src);
        if (memchr(key.s, '-', (size_t)key.n)) { /* "bundle-branch block" also as "bundle branch block" */
            for (int k = 0; k < key.n; k++)
                if (key.s[k] == '-') key.s[k] = ' ';
            ner_lex_add(lx, key.s, cat, src);
        }
    }
    free(key.s);
    free(w);
    free(buf);
    return 0;
}

/* The longest phrase of lx that starts at word i (its words separated as the phrase's
 * are: whitespace, or the same punctuation): returns its word count (0: none) and
 * its entry in *entry. key is scratch. */
static int ner_lex_longest(const NerLex *lx, const char *text, const Word *w, int nw, int i, NerStr *key, int *entry) {
    char norm[256];
    int hk = 0;
    key->n = 0;
    *entry = -1;
    for (int k = 0; k < lx->max_words && i + k < nw; k++) {
        if (k) {
            if (w[i + k].b0 - w[i + k - 1].b1 > 8) break; /* a phrase's gaps are short */
            ner_gap_key(text, w[i + k - 1].b1, w[i + k].b0, key);
        }
        int m = ner_norm_word(text + w[i + k].b0, w[i + k].b1 - w[i + k].b0, norm, sizeof norm), k0 = key->n;
        nstr_add(key, norm, m);
        int e = ner_lex_find(lx, key->s, (size_t)key->n);
        if (e < 0) { /* a plural of a listed phrase's word: "pleural effusions" */
            char one[256];
            int n1 = ner_singular(norm, m, one);
            if (!n1) break;
            key->n = k0;
            nstr_add(key, one, n1);
            if ((e = ner_lex_find(lx, key->s, (size_t)key->n)) < 0) break;
        }
        if (lx->kind[e] & LEX_PHRASE) { *entry = e; hk = k + 1; } /* keep the longest */
        if (!(lx->kind[e] & LEX_PREFIX)) break;
    }
    return hk;
}

/* ================================================================================
 * Part-of-speech tagger (UPOS): the Masker's default selection of NOUN/VERB/ADJ
 * ================================================================================
 * An averaged perceptron, greedy left to right, over hashed features of each token and
 * its neighbours: the word (lower case, digits as 0), its affixes, shape ("Xxx", "dd"),
 * its casing beside the casing of the 9 tokens around it (a capital counts in
 * mixed-case text, not in ALL CAPS), distributional clusters and medical-lexicon flags
 * from the file's word table, and the two tags already chosen. Trained by
 * train/train_pos.py on UD English EWT (data/pos_ewt.srp, CC BY-SA 4.0, see
 * data/LICENSE.pos_ewt); that script's static_features/dynamic_features are the
 * specification, and these functions must compute the same bytes.
 *
 * It tags tokens as given (pointer + length each), so it does not care who cut the
 * text: `sr pos --conllu` passes the FORM column, the Masker passes its words with the
 * punctuation between them (pos_tokens_of_words). File layout: train/train_pos.py and
 * sr.h (SrPos). */

#define POS_KEY_MAX 40
#define POS_SHAPE_MAX 12
#define POS_N_TEMPLATES 39
#define POS_HEADER 48
#define POS_MAX_TAGS 32

struct SrPos {
    int n_tags, weight_bytes;
    uint32_t mask;      /* buckets - 1 */
    int n_words;
    const unsigned char *words; /* n_words x (u32 crc, u32 info), sorted by crc */
    const unsigned char *weights;
    int32_t lut[256];   /* int8 codes: the value of code q is lut[q + 128] */
    char tag[POS_MAX_TAGS][9];
    char *file;         /* the whole file */
    size_t file_len;
};

static uint32_t pos_crc_table[256];

static void pos_crc_init(void) {
    if (pos_crc_table[1]) return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        pos_crc_table[i] = c;
    }
}
/* zlib's crc32, in pieces: state = ~0, feed bytes, result = ~state */
static inline uint32_t pos_crc_bytes(uint32_t c, const unsigned char *p, int n) {
    for (int i = 0; i < n; i++) c = pos_crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c;
}
static inline uint32_t pos_crc_byte(uint32_t c, unsigned char b) { return pos_crc_table[(c ^ b) & 0xFF] ^ (c >> 8); }

static uint32_t pos_u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

void sr_pos_free(SrPos *p) {
    if (!p) return;
    free(p->file);
    free(p);
}

SrPos *sr_pos_load(const char *path, char *err) {
    pos_crc_init();
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) { sr_fail(err, "%s", e); return NULL; }
    const unsigned char *b = (const unsigned char *)buf;
    SrPos *p = xcalloc(1, sizeof *p);
    p->file = buf;
    p->file_len = len;
    if (len < POS_HEADER || memcmp(b, "SRPOS\0\0\1", 8)) { sr_fail(err, "%s: not an sr tagger file (bad magic)", path); goto fail; }
    uint32_t n_tags = pos_u32(b + 8), log2 = pos_u32(b + 12), n_words = pos_u32(b + 16), n_tpl = pos_u32(b + 20),
             wb = pos_u32(b + 24);
    if (n_tags < 2 || n_tags > POS_MAX_TAGS) { sr_fail(err, "%s: %u tags (2..%d)", path, n_tags, POS_MAX_TAGS); goto fail; }
    if (log2 < 8 || log2 > 24) { sr_fail(err, "%s: 2^%u feature buckets (2^8..2^24)", path, log2); goto fail; }
    if (n_tpl != POS_N_TEMPLATES) { sr_fail(err, "%s: %u feature templates, this sr computes %d", path, n_tpl, POS_N_TEMPLATES); goto fail; }
    if (wb != 1 && wb != 2) { sr_fail(err, "%s: weights of %u bytes (1 or 2)", path, wb); goto fail; }
    uint64_t lut_bytes = wb == 1 ? 1024 : 0;
    uint64_t need = POS_HEADER + 8ull * n_tags + lut_bytes + 8ull * n_words + ((uint64_t)1 << log2) * n_tags * wb;
    if (need != len) { sr_fail(err, "%s: %zu bytes, the header says %llu", path, len, (unsigned long long)need); goto fail; }
    p->n_tags = (int)n_tags;
    p->weight_bytes = (int)wb;
    p->mask = ((uint32_t)1 << log2) - 1;
    p->n_words = (int)n_words;
    for (uint32_t t = 0; t < n_tags; t++) {
        memcpy(p->tag[t], b + POS_HEADER + 8 * t, 8);
        p->tag[t][8] = 0;
    }
    for (int q = 0; q < 256 && lut_bytes; q++) p->lut[q] = (int32_t)pos_u32(b + POS_HEADER + 8 * n_tags + 4 * q);
    p->words = b + POS_HEADER + 8 * n_tags + lut_bytes;
    for (uint32_t i = 1; i < n_words; i++)
        if (pos_u32(p->words + 8 * i) <= pos_u32(p->words + 8 * (i - 1))) { sr_fail(err, "%s: word table not sorted at entry %u", path, i); goto fail; }
    p->weights = p->words + 8ull * n_words;
    return p;
fail:
    sr_pos_free(p);
    return NULL;
}

int sr_pos_n_tags(const SrPos *p) { return p->n_tags; }
const char *sr_pos_tag_name(const SrPos *p, int tag) { return tag >= 0 && tag < p->n_tags ? p->tag[tag] : "?"; }

/* The word table's u32 for a key (0 when absent): binary search on the crc. */
static uint32_t pos_info(const SrPos *p, const unsigned char *key, int n) {
    uint32_t h = ~pos_crc_bytes(0xFFFFFFFFu, key, n);
    int lo = 0, hi = p->n_words - 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint32_t v = pos_u32(p->words + 8 * mid);
        if (v == h) return pos_u32(p->words + 8 * mid + 4);
        if (v < h) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

/* What the features need of one token, with the crc states of its parts (a feature's
 * hash is crc32 of its value's parts joined by 0x01, then 0x00 and the template byte:
 * so each part's state is computed once per token and shared by the templates). */
typedef struct {
    unsigned char key[POS_KEY_MAX], shape[POS_SHAPE_MAX];
    int kn, sn, cc;     /* cc: 1 = has a lower-case letter, 2 = upper case only, 0 = no letter */
    uint32_t info;      /* word table */
    unsigned char sc;   /* casing of the 9 tokens around: U, L or M */
    uint32_t c_key, c_raw, c_shape, c_pre[3], c_suf[4], c_c512, c_c64, c_lex;
} PosTok;

#define POS_CRC0 0xFFFFFFFFu
static inline uint32_t pos_fin(uint32_t c, unsigned char tpl) { return ~pos_crc_byte(pos_crc_byte(c, 0), tpl); }
static inline uint32_t pos_then(uint32_t c, const unsigned char *s, int n) { return pos_crc_bytes(pos_crc_byte(c, 1), s, n); }
static inline uint32_t pos_then_byte(uint32_t c, unsigned char b) { return pos_crc_byte(pos_crc_byte(c, 1), b); }
/* v in ASCII decimal, as Python's b"%d" */
static uint32_t pos_crc_num(uint32_t c, uint32_t v) {
    unsigned char d[12];
    int n = 0;
    do { d[11 - n++] = (unsigned char)('0' + v % 10); v /= 10; } while (v);
    return pos_crc_bytes(c, d + 12 - n, n);
}

static inline unsigned char pos_lexflags(uint32_t info) { return (unsigned char)(info & 0xFF); }
static inline uint32_t pos_c512(uint32_t info) { return (info >> 8) & 0x3FF; }
static inline uint32_t pos_c64(uint32_t info) { return (info >> 20) & 0x7F; }
static inline unsigned char pos_td(uint32_t info) { return (unsigned char)((info >> 27) | (info & 0x80 ? 32 : 0)); }

/* key, shape, casing and crc states of token w[0..n) (mark: 0, or 2 / 3 for the
 * boundary tokens before the first and after the last) */
static void pos_prepare(const SrPos *p, const char *w, int n, unsigned char mark, PosTok *t) {
    const unsigned char *s = (const unsigned char *)w;
    unsigned char raw[POS_KEY_MAX];
    int low = 0, up = 0;
    if (mark) { s = &mark; n = 1; }
    int m = n < POS_KEY_MAX ? n : POS_KEY_MAX;
    for (int i = 0; i < m; i++) {
        unsigned char c = s[i];
        raw[i] = c >= '0' && c <= '9' ? '0' : c;
        t->key[i] = c >= '0' && c <= '9' ? '0' : c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
    }
    t->kn = m;
    t->sn = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = s[i];
        low |= c >= 'a' && c <= 'z';
        up |= c >= 'A' && c <= 'Z';
        if (t->sn >= POS_SHAPE_MAX || (c >= 0x80 && c <= 0xBF)) continue;
        unsigned char k = c >= 'A' && c <= 'Z' ? 'X' : c >= 'a' && c <= 'z' ? 'x' : c >= '0' && c <= '9' ? 'd' : c >= 0x80 ? 'u' : c;
        if (t->sn >= 2 && t->shape[t->sn - 1] == k && t->shape[t->sn - 2] == k) continue;
        t->shape[t->sn++] = k;
    }
    t->cc = low ? 1 : up ? 2 : 0;
    t->c_key = pos_crc_bytes(POS_CRC0, t->key, t->kn);
    t->info = pos_info(p, t->key, t->kn);
    t->c_raw = pos_crc_bytes(POS_CRC0, raw, m);
    t->c_shape = pos_crc_bytes(POS_CRC0, t->shape, t->sn);
    uint32_t c = POS_CRC0;
    for (int k = 0; k < 3; k++) {
        if (k < t->kn) c = pos_crc_byte(c, t->key[k]);
        t->c_pre[k] = c;
    }
    for (int k = 0; k < 4; k++) {
        int q = t->kn > k + 1 ? k + 1 : t->kn;
        t->c_suf[k] = pos_crc_bytes(POS_CRC0, t->key + t->kn - q, q);
    }
    t->c_c512 = pos_crc_num(POS_CRC0, pos_c512(t->info));
    t->c_c64 = pos_crc_num(POS_CRC0, pos_c64(t->info));
    t->c_lex = pos_crc_byte(POS_CRC0, pos_lexflags(t->info));
}

/* The templates that do not depend on the tags chosen (train_pos.py static_features,
 * in its order). a, b, t, d, e: tokens i-2, i-1, i, i+1, i+2. */
static int pos_static(const PosTok *a, const PosTok *b, const PosTok *t, const PosTok *d, const PosTok *e, uint32_t *h) {
    int n = 0;
    unsigned char sc = t->sc, two[2];
    h[n++] = pos_fin(POS_CRC0, 0);
    h[n++] = pos_fin(t->c_key, 1);
    for (int k = 0; k < 4; k++) h[n++] = pos_fin(t->c_suf[k], (unsigned char)(2 + k));
    for (int k = 0; k < 3; k++) h[n++] = pos_fin(t->c_pre[k], (unsigned char)(6 + k));
    h[n++] = pos_fin(t->c_shape, 9);
    h[n++] = pos_fin(pos_then_byte(t->c_shape, sc), 10);
    h[n++] = pos_fin(b->c_key, 11);
    h[n++] = pos_fin(d->c_key, 12);
    h[n++] = pos_fin(a->c_key, 13);
    h[n++] = pos_fin(e->c_key, 14);
    h[n++] = pos_fin(b->c_suf[2], 15);
    h[n++] = pos_fin(d->c_suf[2], 16);
    h[n++] = pos_fin(b->c_shape, 17);
    h[n++] = pos_fin(d->c_shape, 18);
    h[n++] = pos_fin(pos_then(t->c_key, d->key, d->kn), 23);
    h[n++] = pos_fin(pos_then(b->c_key, t->key, t->kn), 24);
    h[n++] = pos_fin(pos_then_byte(t->c_raw, sc), 25);
    h[n++] = pos_fin(pos_then_byte(t->c_lex, sc), 26);
    two[0] = pos_lexflags(b->info); two[1] = pos_lexflags(d->info);
    h[n++] = pos_fin(pos_crc_bytes(POS_CRC0, two, 2), 27);
    h[n++] = pos_fin(pos_then_byte(t->c_suf[2], sc), 28);
    h[n++] = pos_fin(t->c_c512, 30);
    h[n++] = pos_fin(t->c_c64, 31);
    h[n++] = pos_fin(b->c_c512, 32);
    h[n++] = pos_fin(d->c_c512, 33);
    h[n++] = pos_fin(pos_crc_num(pos_crc_byte(b->c_c64, 1), pos_c64(t->info)), 34);
    two[0] = pos_td(d->info); two[1] = pos_td(e->info);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, two[0]), 35);
    h[n++] = pos_fin(pos_crc_bytes(POS_CRC0, two, 2), 36);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, pos_td(t->info)), 37);
    return n;
}

/* The templates over the tags chosen: t1 = previous tag + 1, t2 = the one before (0 = none). */
static int pos_dynamic(const PosTok *t, const PosTok *d, unsigned char t1, unsigned char t2, uint32_t *h) {
    int n = 0;
    uint32_t c1 = pos_crc_byte(POS_CRC0, t1);
    h[n++] = pos_fin(c1, 19);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, t2), 20);
    h[n++] = pos_fin(pos_crc_byte(c1, t2), 21);
    h[n++] = pos_fin(pos_then(c1, t->key, t->kn), 22);
    int q = t->kn > 3 ? 3 : t->kn;
    h[n++] = pos_fin(pos_then(c1, t->key + t->kn - q, q), 29);
    h[n++] = pos_fin(pos_crc_byte(c1, pos_td(d->info)), 38);
    return n;
}

/* Tag n tokens: tag[i] = the tag index of word[0..len[i]). The scratch is the caller's
 * business only through this call (no state kept: one SrPos serves many threads). */
int sr_pos_tag(const SrPos *p, const char *const *word, const int *len, int n, unsigned char *tag, char *err) {
    if (n <= 0) return 0;
    if (n > INT32_MAX / (int)sizeof(PosTok) - 8) return sr_fail(err, "too many tokens (%d)", n);
    PosTok *tok = xmalloc((size_t)(n + 4) * sizeof *tok), *t = tok + 2; /* t[-2..n+1] */
    pos_prepare(p, NULL, 0, 2, &t[-2]);
    pos_prepare(p, NULL, 0, 2, &t[-1]);
    pos_prepare(p, NULL, 0, 3, &t[n]);
    pos_prepare(p, NULL, 0, 3, &t[n + 1]);
    for (int i = 0; i < n; i++) {
        if (len[i] < 0) { free(tok); return sr_fail(err, "token %d has a negative length", i); }
        pos_prepare(p, word[i], len[i], 0, &t[i]);
    }
    /* casing of the window i-4..i+4: running counts of lower-case and upper-only tokens */
    int low = 0, up = 0;
    for (int i = 0; i < n && i < 5; i++) { low += t[i].cc == 1; up += t[i].cc == 2; }
    for (int i = 0; i < n; i++) {
        t[i].sc = up && !low ? 'U' : !up ? 'L' : 'M';
        if (i + 5 < n) { low += t[i + 5].cc == 1; up += t[i + 5].cc == 2; }
        if (i - 4 >= 0) { low -= t[i - 4].cc == 1; up -= t[i - 4].cc == 2; }
    }
    uint32_t h[48];
    int32_t score[POS_MAX_TAGS];
    unsigned char t1 = 0, t2 = 0;
    const int T = p->n_tags;
    for (int i = 0; i < n; i++) {
        int m = pos_static(&t[i - 2], &t[i - 1], &t[i], &t[i + 1], &t[i + 2], h);
        m += pos_dynamic(&t[i], &t[i + 1], t1, t2, h + m);
#if defined(__GNUC__)
        for (int j = 0; j < m; j++) /* the rows are scattered over megabytes: ask for all of them at once */
            __builtin_prefetch(p->weights + (size_t)(h[j] & p->mask) * T * p->weight_bytes);
#endif
        for (int k = 0; k < T; k++) score[k] = 0;
        if (p->weight_bytes == 1) {
            for (int j = 0; j < m; j++) {
                const int8_t *w = (const int8_t *)(const void *)(p->weights + (size_t)(h[j] & p->mask) * T);
                for (int k = 0; k < T; k++) score[k] += p->lut[w[k] + 128];
            }
        } else {
            for (int j = 0; j < m; j++) {
                const unsigned char *w = p->weights + (size_t)(h[j] & p->mask) * T * 2;
                for (int k = 0; k < T; k++) score[k] += (int16_t)(uint16_t)(w[2 * k] | w[2 * k + 1] << 8);
            }
        }
        int best = 0;
        for (int k = 1; k < T; k++)
            if (score[k] > score[best]) best = k;
        tag[i] = (unsigned char)best;
        t2 = t1;
        t1 = (unsigned char)(best + 1);
    }
    free(tok);
    return 0;
}

/* The tagger's tokens for running text: the words, and between them each run of one
 * non-space character (", " -> ","; "..." stays whole), as train_pos.py masker_tokens.
 * word_tok[k] = the token index of word k. Returns the token count. */
static int pos_tokens_of_words(const char *text, size_t len, const Word *w, int nw, const char ***tp, int **tl,
                               int *cap, int *word_tok) {
    int n = 0;
    size_t prev = 0;
    for (int k = 0; k <= nw; k++) {
        size_t end = k < nw ? (size_t)w[k].b0 : len;
        size_t i = prev;
        while (i < end) { /* the gap's pieces */
            unsigned char c = (unsigned char)text[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') { i++; continue; }
            size_t j = i;
            if (utf8_decode((const unsigned char *)text, len, &j) < 0) j = i + 1; /* (the text was checked) */
            size_t cl = j - i, e = j;
            while (e + cl <= end && !memcmp(text + e, text + i, cl)) e += cl;
            int c0 = *cap;
            *tp = grow(*tp, cap, n + 1, sizeof **tp);
            if (*cap != c0) *tl = xrealloc(*tl, (size_t)*cap * sizeof **tl);
            (*tp)[n] = text + i;
            (*tl)[n++] = (int)(e - i);
            i = e;
        }
        if (k == nw) break;
        int c0 = *cap;
        *tp = grow(*tp, cap, n + 1, sizeof **tp);
        if (*cap != c0) *tl = xrealloc(*tl, (size_t)*cap * sizeof **tl);
        word_tok[k] = n;
        (*tp)[n] = text + w[k].b0;
        (*tl)[n++] = w[k].b1 - w[k].b0;
        prev = (size_t)w[k].b1;
    }
    return n;
}

/* ---- The Masker -------------------------------------------------------------------
 * For each text: PHI spans (rules, plus the de-identification model when given),
 * merged where they overlap; then medical entities to protect (medical NER model, or
 * the shipped phrase lists data/med_lexicon.txt and data/med_terms.txt matched as the
 * longest run of whole words, case-insensitively, across whitespace only); then the
 * eligible words: those whose part of speech is one of --mask-pos (NOUN, VERB, ADJ, as
 * the paper), from the POS model or else the built-in tagger (data/pos_ewt.srp), with a
 * content word's shape (at least two characters, a letter, no digit) and, for an
 * open-class tag, not a function word of data/closed_class.txt (a tagging slip).
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
    NerLex med_mod;                      /* laterality, severity, anatomy: grow an entity left */
    NerLex med_suf;                      /* word endings of unlisted drugs, procedures, diseases */
    NerLex med_qual;                     /* qualifiers that make a noun phrase a finding */
    NerLex med_head;                     /* generic heads that make a noun phrase an entity ("sweat test") */
    NerLex med_link;                     /* function words inside an entity: RANGE, PREP */
    NerLex structure;                    /* letter structure: labels, headers, salutations, closings */
    NerLex closed;                       /* closed-class words: never eligible (no POS model) */
    SrPos *pos;                          /* the built-in tagger (no POS model) */
    NerLabelSet med_labels, mask_pos;
    int phi_extras;
    /* scratch, reused across calls */
    Word *words;
    int words_cap;
    const char **tok_p; /* the tagger's tokens: words and the punctuation between them */
    int *tok_l, tok_cap, *word_tok, word_tok_cap;
    unsigned char *tags;
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
    ner_lex_free(&mk->structure);
    ner_lex_free(&mk->med_mod);
    ner_lex_free(&mk->med_suf);
    ner_lex_free(&mk->med_qual);
    ner_lex_free(&mk->med_head);
    ner_lex_free(&mk->med_link);
    sr_pos_free(mk->pos);
    free(mk->tok_p);
    free(mk->tok_l);
    free(mk->word_tok);
    free(mk->tags);
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
    if (data_file(opt->data_dir, "letter_structure.txt", path, sizeof path, err) < 0) goto fail;
    if (ner_lex_load(&mk->structure, path, "LABEL", "structure:letter", err) < 0) goto fail;
    for (int i = 0; i < opt->n_label_files; i++)
        if (ner_lex_load(&mk->structure, opt->label_files[i], "LABEL", "structure:labels", err) < 0) goto fail;
    if (opt->med_model) {
        if (ner_runner_init(&mk->med_ner, opt->med_model, 0, -1, err) < 0) goto fail;
    } else {
        /* hand-written lists first: a phrase in several lists takes its first type */
        static const char *const med_files[][3] = {
            {"med_drugs.txt", "TREATMENT", "lexicon:drugs"},       {"med_procedures.txt", "TEST", "lexicon:procedures"},
            {"med_findings.txt", "PROBLEM", "lexicon:findings"},   {"med_abbrev.txt", "PROBLEM", "lexicon:abbreviations"},
            {"med_sig.txt", "TREATMENT", "lexicon:dose"},          {"med_terms.txt", "PROBLEM", "lexicon:med-terms"},
            {"med_lexicon.txt", "PROBLEM", "lexicon:icd10cm"},     {"med_vocab.txt", "PROBLEM", "lexicon:disease-ontology"},
            {"med_words.txt", "TERM", "lexicon:medical-words"},
        };
        for (size_t f = 0; f < sizeof med_files / sizeof *med_files; f++) {
            if (data_file(opt->data_dir, med_files[f][0], path, sizeof path, err) < 0) goto fail;
            if (ner_lex_load(&mk->med, path, med_files[f][1], med_files[f][2], err) < 0) goto fail;
        }
        if (data_file(opt->data_dir, "med_modifiers.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_mod, path, "MODIFIER", "lexicon:modifiers", err) < 0) goto fail;
        if (data_file(opt->data_dir, "med_suffixes.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_suf, path, "PROBLEM", "lexicon:word-ending", err) < 0) goto fail;
        if (data_file(opt->data_dir, "med_qualifiers.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_qual, path, "PROBLEM", "rule:qualified-finding", err) < 0) goto fail;
        if (data_file(opt->data_dir, "med_heads.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_head, path, "TEST", "rule:head-noun", err) < 0) goto fail;
        if (data_file(opt->data_dir, "med_links.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_link, path, "RANGE", "rule:link", err) < 0) goto fail;
    }
    if (opt->pos_model) {
        if (ner_runner_init(&mk->pos_ner, opt->pos_model, 0, -1, err) < 0) goto fail;
    } else {
        if (data_file(opt->data_dir, "closed_class.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->closed, path, "CLOSED", "closed-class", err) < 0) goto fail;
        if (opt->pos_tagger) snprintf(path, sizeof path, "%s", opt->pos_tagger);
        else if (data_file(opt->data_dir, "pos_ewt.srp", path, sizeof path, err) < 0) goto fail;
        if (!(mk->pos = sr_pos_load(path, err))) goto fail;
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

enum { W_NONE = 0, W_PHI, W_PROTECT, W_ELIGIBLE, W_LABEL, W_STRUCT };

/* The code point ending just before byte b (b > 0), and its start in *start. */
static int ner_cp_before(const char *text, size_t len, int b, int *start) {
    int k = b - 1;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    size_t i = (size_t)k;
    *start = k;
    return utf8_decode((const unsigned char *)text, len, &i);
}

static int ner_letter_cp(int cp) { return word_cp(cp) && !(cp >= '0' && cp <= '9'); }

/* bol[i] = 1 when word i starts a line but for bullets, numbering and spaces (no letter
 * between the line's start and the word). One pass over the words. */
static void ner_line_starts(const char *text, const Word *w, int nw, unsigned char *bol) {
    int letter = 0;
    for (int i = 0; i < nw; i++) {
        for (int b = i ? w[i - 1].b1 : 0; b < w[i].b0; b++)
            if (text[b] == '\n') letter = 0;
        bol[i] = !letter;
        for (int b = w[i].b0; b < w[i].b1 && !letter; b++) letter = !(text[b] >= '0' && text[b] <= '9');
    }
}

/* Is the letter-structure phrase of words i..j where it counts? Labels at a line's start
 * or before ':' '#' or a number; headers at a line's start or before ':'; salutations
 * and closings at a line's start. */
static int ner_structure_here(const char *text, size_t len, const Word *w, const unsigned char *bol, int i, int j,
                              const char *kind) {
    if (bol[i]) return 1;
    int label = !strcmp(kind, "LABEL"), header = !strcmp(kind, "HEADER");
    if (!label && !header) return 0;
    size_t k = (size_t)w[j].b1;
    while (k < len && (text[k] == ' ' || text[k] == '\t')) k++;
    if (k >= len) return 0;
    return text[k] == ':' || (label && (text[k] == '#' || (text[k] >= '0' && text[k] <= '9')));
}

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

/* wref of a protected word that no phrase-list entry decided (< 0; -1 - e below the
 * entry count n of med_suf are its endings): */
#define MASKER_REF_ACRONYM(mk) (-1 - (mk)->med_suf.n)
#define MASKER_REF_QUALIFIED(mk) (-2 - (mk)->med_suf.n)
#define MASKER_REF_JARGON(mk) (-3 - (mk)->med_suf.n)
#define MASKER_REF_HEAD(mk, e) (-4 - (mk)->med_suf.n - (e)) /* entry e of med_head */

/* An unlisted word of 7+ letters with a medical ending (data/med_suffixes.txt:
 * "-gliflozin", "-ectomy", "-itis") is an entity of that ending's type, unless the list
 * names it an exception. Returns the new group count. */
static int masker_word_endings(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state,
                               int *group, int *wref, int n_groups) {
    if (!mk->med_suf.n) return n_groups;
    char norm[256];
    for (int i = 0; i < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), letters = 0;
        for (int k = 0; k < m; k++) letters += norm[k] >= 'a' && norm[k] <= 'z';
        if (letters != m || m < 7) continue;
        int e = ner_lex_phrase(&mk->med_suf, norm, (size_t)m);
        if (e >= 0) continue; /* the word itself is listed: an exception */
        for (int l = m - 3 < 10 ? m - 3 : 10; l >= 3; l--) {
            if ((e = ner_lex_phrase(&mk->med_suf, norm + m - l, (size_t)l)) < 0) continue;
            if (!strcmp(mk->med_suf.cats[mk->med_suf.cat[e]], "EXCEPT")) break;
            state[i] = W_PROTECT;
            group[i] = ++n_groups;
            wref[i] = -1 - e; /* < 0: an entry of med_suf */
            break;
        }
    }
    return n_groups;
}

/* The built-in tagger's tag of word i, or NULL (no tagger: a POS model was given). */
static const char *masker_tag(const SrMasker *mk, int i) { return mk->pos ? sr_pos_tag_name(mk->pos, mk->tags[mk->word_tok[i]]) : NULL; }

/* Two more kinds of single medical words: a hyphenated word with a listed part of 4+
 * letters ("sacubitril-valsartan", "LDL-cholesterol": the part's entry and type), and in
 * a letter that is not all capitals an acronym the tagger calls a noun ("CMV", "HFrEF":
 * 2-6 characters, at least two capitals and no more small letters than capitals; type
 * TERM, wref = -1 - the entry count of med_suf, i.e. no entry). */
static int masker_word_parts(const SrMasker *mk, const char *text, size_t len, const Word *w, int nw,
                             unsigned char *state, int *group, int *wref, int n_groups) {
    int lower = 0, letters = 0;
    for (size_t i = 0; i < len; i++) {
        lower += text[i] >= 'a' && text[i] <= 'z';
        letters += (text[i] | 32) >= 'a' && (text[i] | 32) <= 'z';
    }
    char norm[256];
    for (int i = 0; i < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), e = -1;
        for (int a = 0, b; a < m && e < 0; a = b + 1) {
            for (b = a; b < m && norm[b] != '-'; b++) {}
            if (b == m && a == 0) break;
            if (b - a >= 4) e = ner_lex_phrase(&mk->med, norm + a, (size_t)(b - a));
        }
        if (e >= 0) { state[i] = W_PROTECT; group[i] = ++n_groups; wref[i] = e; continue; }
        int n = w[i].b1 - w[i].b0, up = 0, low = 0;
        const char *p = text + w[i].b0, *tag = mk->pos ? masker_tag(mk, i) : NULL;
        if (lower * 10 <= letters || n < 2 || n > 6 || !tag || (strcmp(tag, "NOUN") && strcmp(tag, "PROPN"))) continue;
        for (int k = 0; k < n; k++) { up += p[k] >= 'A' && p[k] <= 'Z'; low += p[k] >= 'a' && p[k] <= 'z'; }
        if (up >= 2 && low <= up) { state[i] = W_PROTECT; group[i] = ++n_groups; wref[i] = MASKER_REF_ACRONYM(mk); }
    }
    return n_groups;
}

/* The entry of lx that word i is (or its singular: "signs", "episodes"), of category
 * cat when cat is given; -1 when none. */
static int masker_lex_word(const NerLex *lx, const char *text, const Word *w, int i, const char *cat) {
    char norm[256], one[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    int e = ner_lex_phrase(lx, norm, (size_t)m);
    if (e < 0) {
        int n1 = ner_singular(norm, m, one);
        if (n1) e = ner_lex_phrase(lx, one, (size_t)n1);
    }
    if (e >= 0 && cat && strcmp(lx->cats[lx->cat[e]], cat)) return -1;
    return e;
}

/* Does word i end in a possessive 's ("Murphy's")? */
static int masker_possessive(const char *text, const Word *w, int i) {
    int n = w[i].b1 - w[i].b0;
    const char *p = text + w[i].b0;
    return (n > 2 && p[n - 2] == '\'' && (p[n - 1] | 32) == 's') ||
           (n > 4 && !memcmp(p + n - 4, "\xE2\x80\x99", 3) && (p[n - 1] | 32) == 's');
}

/* Is word i a modifier of data/med_modifiers.txt (plural or not), or a hyphenated word
 * with such a modifier or a listed medical word in it ("right-sided", "steroid-induced")? */
static int masker_modifier(const SrMasker *mk, const char *text, const Word *w, int i) {
    if (masker_lex_word(&mk->med_mod, text, w, i, NULL) >= 0) return 1;
    char norm[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    for (int a = 0, b; a < m; a = b + 1) { /* the parts of a hyphenated word */
        for (b = a; b < m && norm[b] != '-'; b++) {}
        if (b == m && a == 0) break;
        if (b - a >= 3 && (ner_lex_phrase(&mk->med_mod, norm + a, (size_t)(b - a)) >= 0 ||
                           ner_lex_phrase(&mk->med, norm + a, (size_t)(b - a)) >= 0)) return 1;
    }
    return 0;
}

/* Is word i part of a noun phrase by the tagger: a noun or proper noun, or before the
 * head (left) an adjective? Function words of data/closed_class.txt never are. */
static int masker_np_word(const SrMasker *mk, const char *text, const Word *w, int i, int left) {
    const char *tag = masker_tag(mk, i);
    if (!tag || !ner_content_shape(text, &w[i])) return 0;
    if (strcmp(tag, "NOUN") && strcmp(tag, "PROPN") && !(left && !strcmp(tag, "ADJ"))) return 0;
    if (masker_possessive(text, w, i)) return 0; /* a possessive ("the patient's fever") is outside the entity */
    char norm[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    return ner_lex_phrase(&mk->closed, norm, (size_t)m) < 0;
}

/* Only spaces (or, with comma, also one ',') between words j and j + 1? */
static int masker_gap_ok(const char *text, const Word *w, int j, int comma) {
    int commas = 0;
    for (int b = w[j].b1; b < w[j + 1].b0; b++) {
        if (text[b] == ',' && comma && !commas) { commas++; continue; }
        if (text[b] != ' ' && text[b] != '\t') return 0;
    }
    return 1;
}

/* A participle used as an adjective before a noun ("reduced arm swing", "scattered
 * wheeze"): a VERB ending in -ed or -ing whose own left neighbour is no noun, pronoun or
 * auxiliary (not "the patient reported chest pain"). */
static int masker_participle(const SrMasker *mk, const char *text, const Word *w, int i) {
    const char *tag = masker_tag(mk, i);
    int n = w[i].b1 - w[i].b0;
    const char *p = text + w[i].b0;
    if (!tag || strcmp(tag, "VERB") || n < 5) return 0;
    if (!((p[n - 2] | 32) == 'e' && (p[n - 1] | 32) == 'd') && !((p[n - 3] | 32) == 'i' && (p[n - 2] | 32) == 'n' && (p[n - 1] | 32) == 'g'))
        return 0;
    if (i == 0 || !masker_gap_ok(text, w, i - 1, 0)) return 1;
    const char *before = masker_tag(mk, i - 1);
    return strcmp(before, "NOUN") && strcmp(before, "PRON") && strcmp(before, "PROPN") && strcmp(before, "AUX");
}

static int masker_is(const char *text, const Word *w, int i, const char *const *set) {
    char norm[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    for (int k = 0; set[k]; k++)
        if ((int)strlen(set[k]) == m && !memcmp(set[k], norm, (size_t)m)) return 1;
    return 0;
}

/* A generic head noun (data/med_heads.txt: test, sign, score, index, syndrome, drug,
 * therapy ...) with a word of its noun phrase right before it (spaces only between: a
 * protected entity, a noun, a proper noun or an eponym's possessive, an adjective, a
 * participle, a modifier) is an entity ("Murphy's sign", "sweat test", "P wave",
 * "psychotic features", "study drug"); masker_grow then takes the rest of its noun
 * phrase. After an entity it joins that entity. Returns the new group count. */
static int masker_heads(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state, int *group,
                        int *wref, int n_groups) {
    if (!mk->med_head.n) return n_groups;
    for (int i = 1; i < nw; i++) {
        if (state[i] != W_NONE || !ner_content_shape(text, &w[i])) continue;
        int e = masker_lex_word(&mk->med_head, text, w, i, NULL), j = i - 1;
        if (e < 0 || !masker_gap_ok(text, w, j, 0)) continue;
        if (state[j] == W_PROTECT) { state[i] = W_PROTECT; group[i] = group[j]; wref[i] = wref[j]; continue; }
        if (state[j] != W_NONE) continue;
        const char *tag = masker_tag(mk, j);
        int poss = tag && !strcmp(tag, "PROPN") && masker_possessive(text, w, j);
        if (!poss && !masker_np_word(mk, text, w, j, 1) && !masker_participle(mk, text, w, j) && !masker_modifier(mk, text, w, j))
            continue;
        state[i] = W_PROTECT;
        group[i] = ++n_groups;
        wref[i] = MASKER_REF_HEAD(mk, e);
        if (poss) { state[j] = W_PROTECT; group[j] = n_groups; wref[j] = wref[i]; }
    }
    return n_groups;
}

/* A verb form of a listed single-word finding or procedure: "-ed" / "-ing" words whose
 * stem, stem + "ing" or stem + "ion" is a one-word phrase of the lists ("vomited" ->
 * vomiting, "intoxicated" -> intoxication, "blistering" -> blister); the entry's type. */
static int masker_inflected(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state, int *group,
                            int *wref, int n_groups) {
    char norm[256], key[272];
    static const char *const ends[] = {"ing", "ed", NULL}, *const adds[] = {"", "ing", "ion", "e", NULL};
    for (int i = 0; i < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), letters = 0;
        for (int k = 0; k < m; k++) letters += norm[k] >= 'a' && norm[k] <= 'z';
        if (letters != m || m < 6) continue;
        for (int a = 0, e = -1; ends[a] && e < 0; a++) {
            int el = (int)strlen(ends[a]), st = m - el;
            if (memcmp(norm + st, ends[a], (size_t)el)) continue;
            for (int b = 0; adds[b] && e < 0; b++) {
                if (!strcmp(adds[b], ends[a])) continue;
                int n = snprintf(key, sizeof key, "%.*s%s", st, norm, adds[b]);
                e = ner_lex_phrase(&mk->med, key, (size_t)n);
                if (e >= 0 && !strcmp(mk->med.cats[mk->med.cat[e]], "TERM")) e = -1;
            }
            if (e >= 0) { state[i] = W_PROTECT; group[i] = ++n_groups; wref[i] = e; }
        }
    }
    return n_groups;
}

/* A word of 3+ letters that no word list of sr knows (not the English and medical safe
 * list, not the dictionary, not a name or a place: "appendicolith", "difelikefalin") is
 * clinical jargon or an abbreviation: protected (type TERM). Returns the new group count. */
static int masker_jargon(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state, int *group,
                         int *wref, int n_groups) {
    char low[64];
    for (int i = 0; i < nw; i++) {
        int n = w[i].b1 - w[i].b0, letters = 1;
        if (state[i] != W_NONE || n < 3 || n > 60) continue;
        for (int k = 0; k < n && letters; k++) {
            unsigned char c = (unsigned char)text[w[i].b0 + k];
            letters = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            low[k] = (char)tolower(c);
        }
        if (!letters || phi_lookup(mk->phi, low, (size_t)n)) continue;
        state[i] = W_PROTECT;
        group[i] = ++n_groups;
        wref[i] = MASKER_REF_JARGON(mk);
    }
    return n_groups;
}

/* A qualifier of abnormality or laterality (data/med_qualifiers.txt) heading a noun
 * phrase makes the phrase a finding ("poor appetite", "reduced air entry at right base",
 * "left bundle branch block"): the qualifier and up to 4 more words of the phrase (the
 * tagger's NOUN, PROPN, ADJ, modifiers, already protected words; spaces only between),
 * as far as its last noun, are protected as one entity (wref = -2 - the entry count of
 * med_suf: no entry). Returns the new group count. */
static int masker_qualified(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state,
                            int *group, int *wref, int n_groups) {
    char norm[256];
    for (int i = 0; i + 1 < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), last = -1;
        if (ner_lex_phrase(&mk->med_qual, norm, (size_t)m) < 0) continue;
        for (int j = i + 1; j < nw && j - i <= 4 && masker_gap_ok(text, w, j - 1, 0); j++) {
            if (state[j] == W_PROTECT) { last = j; continue; }
            if (state[j] != W_NONE || !(masker_np_word(mk, text, w, j, 1) || masker_modifier(mk, text, w, j))) break;
            const char *tag = masker_tag(mk, j);
            if (tag && (!strcmp(tag, "NOUN") || !strcmp(tag, "PROPN"))) last = j;
        }
        if (last < 0) continue;
        n_groups++;
        for (int k = i; k <= last; k++)
            if (state[k] == W_NONE) { state[k] = W_PROTECT; group[k] = n_groups; wref[k] = MASKER_REF_QUALIFIED(mk); }
        i = last;
    }
    return n_groups;
}

/* Is word i adjective-like before a head: a modifier, the tagger's ADJ, a participle? */
static int masker_adjlike(const SrMasker *mk, const char *text, const Word *w, int i) {
    const char *tag = masker_tag(mk, i);
    return masker_modifier(mk, text, w, i) || masker_participle(mk, text, w, i) ||
           (tag && !strcmp(tag, "ADJ") && ner_content_shape(text, &w[i]) && !masker_np_word(mk, text, w, i, 0) &&
            masker_np_word(mk, text, w, i, 1));
}
/* Is word i a noun to the tagger (not a modifier)? */
static int masker_nounlike(const SrMasker *mk, const char *text, const Word *w, int i) {
    const char *tag = masker_tag(mk, i);
    return tag && (!strcmp(tag, "NOUN") || !strcmp(tag, "PROPN")) && !masker_modifier(mk, text, w, i);
}
/* A word of a measurement: a number, or a unit of up to 3 letters after one ("4 mm", "2/6"). */
static int masker_measure_word(const char *text, const Word *w, int i) {
    unsigned char c = (unsigned char)text[w[i].b0];
    if (c >= '0' && c <= '9') return 1;
    int n = w[i].b1 - w[i].b0;
    if (n > 3 || i == 0 || text[w[i - 1].b0] < '0' || text[w[i - 1].b0] > '9') return 0;
    for (int k = 0; k < n; k++)
        if (!isalpha((unsigned char)text[w[i].b0 + k])) return 0;
    return 1;
}
/* Only spaces, '/' or '.' between words i - 1 and i (within a measurement)? */
static int masker_gap_measure(const char *text, const Word *w, int i) {
    if (i == 0) return 1;
    for (int b = w[i - 1].b1; b < w[i].b0; b++)
        if (text[b] != ' ' && text[b] != '/' && text[b] != '.') return 0;
    return 1;
}

/* Is the gap text[a..b) exactly s? */
static int ner_gap_is(const char *text, int a, int b, const char *s) {
    return (size_t)(b - a) == strlen(s) && !memcmp(text + a, s, (size_t)(b - a));
}

/* The left half of masker_grow (see there). */
static void masker_grow_left(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state, int *group,
                             int *wref) {
    static const char *const grades[] = {"stage", "grade", "type", "class", "level", "nyha", "gold", NULL};
    for (int i = 1; i < nw; i++) {
        if (state[i] != W_PROTECT || state[i - 1] == W_PROTECT) continue;
        for (int lead = i, n = 0; lead > 0 && n < 4 && state[lead - 1] == W_NONE;) {
            int j = lead - 1, k = -1; /* take words k..lead-1 */
            if (masker_gap_ok(text, w, j, 0) &&
                (masker_modifier(mk, text, w, j) || masker_np_word(mk, text, w, j, 1) || masker_participle(mk, text, w, j) ||
                 (j > 0 && masker_is(text, w, j - 1, grades) && w[j].b1 - w[j].b0 <= 4))) /* "grade 3", "stage iii" */
                k = j;
            else if ((masker_gap_ok(text, w, j, 1) || ner_gap_is(text, w[j].b1, w[lead].b0, "/")) && masker_adjlike(mk, text, w, j) &&
                     !masker_nounlike(mk, text, w, lead))
                k = j; /* a list of adjectives: "thickened, tender right ...", "lying/standing" */
            else if (j > 0 && state[j - 1] == W_NONE && masker_lex_word(&mk->med_link, text, w, j, "RANGE") >= 0 &&
                     masker_gap_ok(text, w, j - 1, 0) && masker_gap_ok(text, w, j, 0) && masker_adjlike(mk, text, w, j - 1) &&
                     masker_adjlike(mk, text, w, lead))
                k = j - 1; /* "moderate to severe", "acute on chronic", "carotid or subclavian" */
            else { /* a measurement between a modifier and its head: "stable 4 mm nodule", "soft 2/6 murmur" */
                int q = j;
                while (q >= 0 && lead - q <= 4 && state[q] == W_NONE && masker_measure_word(text, w, q) &&
                       masker_gap_measure(text, w, q))
                    q--;
                if (q >= 0 && q < j && state[q] == W_NONE && masker_gap_ok(text, w, q, 0) && masker_adjlike(mk, text, w, q) &&
                    text[w[q + 1].b0] >= '0' && text[w[q + 1].b0] <= '9')
                    k = q;
            }
            if (k < 0) break;
            for (int q = k; q < lead; q++) {
                state[q] = W_PROTECT;
                group[q] = group[i];
                wref[q] = wref[i];
            }
            n += lead - k;
            lead = k;
        }
    }
}

/* Protected entities grow to the words that belong to them (i2b2 style: modifiers are
 * inside the entity):
 *   left, over up to 4 words right before it (only spaces between): modifiers of
 *   data/med_modifiers.txt (laterality, severity, anatomy), hyphenated words with a
 *   modifier or a medical word in them, and the words of its noun phrase (the tagger's
 *   NOUN, PROPN, ADJ: "holosystolic murmur", "severe left ventricular dysfunction");
 *   right, over "stage 3b", "grade 2", "type 1", "class II", over a prepositional phrase
 *   that names a body part ("of both knees", "in the right upper quadrant"), or else
 *   over up to 3 nouns of its noun phrase ("drug screen", "sleep study"). */
static void masker_grow(const SrMasker *mk, const char *text, const Word *w, int nw, unsigned char *state, int *group,
                        int *wref) {
    static const char *const preps[] = {"of", "in", "to", "at", "on", "over", "around", "across", "behind", "below", "above", NULL};
    static const char *const dets[] = {"the", "both", "his", "her", "their", "a", "an", "all", NULL};
    static const char *const grades[] = {"stage", "grade", "type", "class", "level", "nyha", "gold", NULL};
    static const char *const every[] = {"every", "for", "x", "over", "per", NULL};
    static const char *const units[] = {"minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "h", "day", "days",
                                        "week", "weeks", "wk", "wks", "month", "months", "year", "years", "night", "nights",
                                        "dose", "doses", "cycle", "cycles", "litre", "litres", "liter", "liters", NULL};
    masker_grow_left(mk, text, w, nw, state, group, wref);
    for (int i = 0; i + 1 < nw; i++) {
        if (state[i] != W_PROTECT || state[i + 1] == W_PROTECT) continue;
        int j = i + 1, last = -1;
        if (masker_gap_ok(text, w, i, 1) && masker_is(text, w, j, grades) && j + 1 < nw && masker_gap_ok(text, w, j, 0) &&
            state[j] == W_NONE && state[j + 1] == W_NONE && (w[j + 1].b1 - w[j + 1].b0) <= 4)
            last = j + 1; /* "stage 3b", "grade 2", "class IV" */
        else if (masker_is(text, w, j, every) && j + 2 < nw && state[j] == W_NONE && state[j + 1] == W_NONE &&
                 state[j + 2] == W_NONE && text[w[j + 1].b0] >= '0' && text[w[j + 1].b0] <= '9' && masker_is(text, w, j + 2, units))
            last = j + 2; /* "every 2 weeks", "for 5 days", "x 7 days" (a dose's length) */
        else if (masker_gap_ok(text, w, i, 0) &&
                 (masker_is(text, w, j, preps) || masker_lex_word(&mk->med_link, text, w, j, "PREP") >= 0)) {
            /* the phrase's determiners, adjectives and modifiers, "and"/"or" before a
             * modifier; it belongs to the entity when a modifier stands in it, up to the
             * last modifier and the nouns right after it ("with rapid ventricular response") */
            int k = j + 1;
            while (k < nw && k - j <= 5 && (state[k] == W_NONE || state[k] == W_PROTECT) && masker_gap_ok(text, w, k - 1, 0) &&
                   (state[k] == W_PROTECT || masker_is(text, w, k, dets) || masker_modifier(mk, text, w, k) ||
                    masker_adjlike(mk, text, w, k) ||
                    (masker_lex_word(&mk->med_link, text, w, k, "RANGE") >= 0 && k + 1 < nw &&
                     (masker_modifier(mk, text, w, k + 1) || state[k + 1] == W_PROTECT)))) {
                if (masker_modifier(mk, text, w, k)) last = k;
                k++;
            }
            for (k = last + 1; last >= 0 && k < nw && k - last <= 2 && state[k] == W_NONE && masker_gap_ok(text, w, k - 1, 0) &&
                               masker_np_word(mk, text, w, k, 0);)
                last = k++;
        } else if (masker_gap_ok(text, w, i, 1) && memchr(text + w[i].b1, ',', (size_t)(w[j].b0 - w[i].b1)) &&
                   masker_modifier(mk, text, w, j) && state[j] == W_NONE &&
                   (j + 1 >= nw || !masker_gap_ok(text, w, j, 0) || !masker_np_word(mk, text, w, j + 1, 1)))
            last = j; /* a modifier after its head: "atopic dermatitis, severe", "bilirubin, total" */
        if (last < 0) /* the rest of the noun phrase: "drug screen", "sleep study" */
            for (int k = i + 1; k < nw && k - i <= 3 && state[k] == W_NONE && masker_gap_ok(text, w, k - 1, 0) &&
                                masker_np_word(mk, text, w, k, 0); k++)
                last = k;
        for (int k = i + 1; k <= last; k++) {
            if (state[k] == W_PROTECT) continue; /* an entity inside the phrase ("of both shoulders and hips") */
            if (state[k] != W_NONE) break;
            state[k] = W_PROTECT;
            group[k] = group[i];
            wref[k] = wref[i];
        }
        if (last > i) i = last;
    }
    masker_grow_left(mk, text, w, nw, state, group, wref); /* from the words the right growth took */
}

/* Letter structure beyond the list: the words before a ':' that ends a field label
 * (up to 6 at a line's start, up to 4 after a field separator: two spaces, a tab, '|',
 * ';', '.'); and, in a letter that is not all capitals, headings: a line of up to 6
 * words in capitals ("DISCHARGE SUMMARY"), a line of up to 5 words that starts with a
 * capital and has no digit and no final punctuation ("Past psychiatric history"), the
 * capitals that start a line before " - " ("TRIAGE NOTE - ..."). Marks them W_STRUCT
 * (wref -1: no list entry). */
static int masker_field_labels(const char *text, size_t len, const Word *w, int nw, const unsigned char *bol,
                               unsigned char *state, int *group, int *wref, int n_groups) {
    int lower = 0, letters = 0;
    for (size_t i = 0; i < len; i++) {
        lower += text[i] >= 'a' && text[i] <= 'z';
        letters += (text[i] | 32) >= 'a' && (text[i] | 32) <= 'z';
    }
    int mixed = lower * 10 > letters;
    for (int i = 0; i < nw; i++) {
        /* a ':' right after word i (a space or a '#' may stand between), then a space or the end */
        size_t c = (size_t)w[i].b1;
        while (c < len && (text[c] == ' ' || text[c] == '#' || text[c] == ')' || text[c] == '.')) c++;
        if (c >= len || text[c] != ':' || (c + 1 < len && text[c + 1] != ' ' && text[c + 1] != '\t' && text[c + 1] != '\n' && text[c + 1] != '\r'))
            continue;
        int j = i, max = bol[i] ? 6 : 4;
        while (j > 0 && i - j + 1 < max) { /* walk back over single spaces and # / & ( ) - */
            int ok = 1, sp = 0;
            for (int b = w[j - 1].b1; b < w[j].b0 && ok; b++) {
                char ch = text[b];
                if (ch == ' ') ok = ++sp < 2; /* single spaces: " / " and " & " join a label's words */
                else { sp = 0; ok = ch == '#' || ch == '/' || ch == '&' || ch == '(' || ch == ')' || ch == '-'; }
            }
            if (!ok) break;
            j--;
        }
        if (!bol[j]) { /* mid-line: a field separator must stand before */
            int b = w[j].b0 - 1;
            int sep = b >= 1 && ((text[b] == ' ' && text[b - 1] == ' ') || text[b] == '\t' ||
                                 (text[b] == ' ' && (text[b - 1] == '|' || text[b - 1] == ';' || text[b - 1] == '.')));
            if (!sep) continue;
        }
        n_groups++;
        for (int k = j; k <= i; k++)
            if (state[k] == W_NONE) { state[k] = W_STRUCT; group[k] = n_groups; wref[k] = -1; }
    }
    /* the document's title, in any case: its first line when that is up to 6 words with no
     * digit and no final punctuation ("NURSING PROGRESS NOTE", "dental treatment record") */
    if (nw > 0) {
        int j = 0;
        while (j + 1 < nw && !memchr(text + w[j].b1, '\n', (size_t)(w[j + 1].b0 - w[j].b1))) j++;
        size_t end = (size_t)w[j].b1;
        while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\r')) end++;
        int plain = j < 6 && end < len && text[end] == '\n';
        for (int b = w[0].b0; b < w[j].b1 && plain; b++) plain = !(text[b] >= '0' && text[b] <= '9');
        if (plain) {
            n_groups++;
            for (int k = 0; k <= j; k++)
                if (state[k] == W_NONE) { state[k] = W_STRUCT; group[k] = n_groups; wref[k] = -1; }
        }
    }
    if (!mixed) return n_groups;
    for (int i = 0; i < nw;) { /* headings: short lines (or a line's head before " - ") */
        if (!bol[i]) { i++; continue; }
        int j = i, caps = 1, head = i - 1;
        while (j + 1 < nw && !memchr(text + w[j].b1, '\n', (size_t)(w[j + 1].b0 - w[j].b1))) j++;
        size_t end = (size_t)w[j].b1, last = end;
        while (end < len && text[end] != '\n') end++;
        while (last < end && text[last] != '\r') last++;
        for (int k = i; k <= j; k++) { /* the run of capitals at the line's start */
            int up = 1;
            for (int b = w[k].b0; b < w[k].b1 && up; b++) up = !(text[b] >= 'a' && text[b] <= 'z');
            if (!up) { caps = 0; break; }
            head = k;
        }
        int ends_plain = w[j].b1 == (int)last; /* nothing after the last word: no '.' */
        int title = text[w[i].b0] >= 'A' && text[w[i].b0] <= 'Z' && end < len && j - i < 5 && ends_plain;
        for (int b = w[i].b0; b < w[j].b1 && title; b++) title = !(text[b] >= '0' && text[b] <= '9');
        int stop = -1;
        if ((caps || title) && j - i < 6 && ends_plain) stop = j; /* "DISCHARGE SUMMARY", "Past psychiatric history" */
        else if (head > i && head < j && w[head + 1].b0 - w[head].b1 >= 3 && !memcmp(text + w[head].b1, " - ", 3)) stop = head;
        if (stop >= 0) {
            n_groups++;
            for (int k = i; k <= stop; k++)
                if (state[k] == W_NONE && w[k].c1 - w[k].c0 > 1) { state[k] = W_STRUCT; group[k] = n_groups; wref[k] = -1; }
        }
        i = j + 1;
    }
    return n_groups;
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
    unsigned char *bol = xcalloc((size_t)nw + 1, 1);   /* word starts a line */
    ner_line_starts(text, w, nw, bol);
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

    /* 2. the built-in tagger over the words and the punctuation between them */
    int rc = 0, n_groups = 0;
    NerEntities med = {0};
    if (mk->pos && nw > 0) {
        mk->word_tok = grow(mk->word_tok, &mk->word_tok_cap, nw, sizeof *mk->word_tok);
        int nt = pos_tokens_of_words(text, len, w, nw, &mk->tok_p, &mk->tok_l, &mk->tok_cap, mk->word_tok);
        mk->tags = xrealloc(mk->tags, (size_t)nt);
        if (sr_pos_tag(mk->pos, mk->tok_p, mk->tok_l, nt, mk->tags, err) < 0) { rc = -1; goto done; }
    }

    /* 3. letter structure: field labels, section headers, salutations, closings */
    if (mk->structure.n) {
        NerStr key = {0};
        for (int i = 0; i < nw;) {
            int e, k = ner_lex_longest(&mk->structure, text, w, nw, i, &key, &e);
            if (!k || !ner_structure_here(text, len, w, bol, i, i + k - 1, mk->structure.cats[mk->structure.cat[e]])) { i++; continue; }
            n_groups++;
            for (int q = i; q < i + k; q++)
                if (state[q] == W_NONE) { state[q] = W_STRUCT; group[q] = n_groups; wref[q] = e; }
            i += k;
        }
        free(key.s);
        n_groups = masker_field_labels(text, len, w, nw, bol, state, group, wref, n_groups);
    }

    /* 4. protected medical entities */
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
        NerStr key = {0};
        for (int i = 0; i < nw;) {
            int hit, hk = ner_lex_longest(&mk->med, text, w, nw, i, &key, &hit);
            if (!hk) { i++; continue; }
            n_groups++;
            for (int k = 0; k < hk; k++)
                if (state[i + k] == W_NONE) { state[i + k] = W_PROTECT; group[i + k] = n_groups; wref[i + k] = hit; }
            i += hk;
        }
        free(key.s);
        n_groups = masker_word_endings(mk, text, w, nw, state, group, wref, n_groups);
        n_groups = masker_word_parts(mk, text, len, w, nw, state, group, wref, n_groups);
        n_groups = masker_jargon(mk, text, w, nw, state, group, wref, n_groups);
        n_groups = masker_inflected(mk, text, w, nw, state, group, wref, n_groups);
        n_groups = masker_heads(mk, text, w, nw, state, group, wref, n_groups);
        n_groups = masker_qualified(mk, text, w, nw, state, group, wref, n_groups);
        masker_grow(mk, text, w, nw, state, group, wref);
    }

    /* 5. eligible words */
    if (mk->pos_ner.m) {
        ner_entities_clear(&mk->ents);
        if (ner_run(&mk->pos_ner, text, len, NER_AGG_FIRST, 0, 1, &mk->ents, err) < 0) { rc = -1; goto done; }
        for (int i = 0, e = 0; i < nw; i++) {
            while (e < mk->ents.n && mk->ents.e[e].byte_end <= w[i].b0) e++;
            if (state[i] != W_NONE || e >= mk->ents.n || mk->ents.e[e].byte_start >= w[i].b1) continue;
            if (ner_labelset_has(&mk->mask_pos, mk->ents.e[e].label)) { state[i] = W_ELIGIBLE; wref[i] = e; }
        }
    } else if (nw > 0) {
        /* the built-in tagger's tags (step 2): a word is eligible when its tag is asked
         * for, it has a content word's shape, and an open-class tag is not contradicted
         * by data/closed_class.txt */
        char norm[256];
        for (int i = 0; i < nw; i++) {
            if (state[i] != W_NONE || !ner_content_shape(text, &w[i])) continue;
            const char *tag = sr_pos_tag_name(mk->pos, mk->tags[mk->word_tok[i]]);
            if (!ner_labelset_has(&mk->mask_pos, tag)) continue;
            int open_class = !strcmp(tag, "NOUN") || !strcmp(tag, "VERB") || !strcmp(tag, "ADJ") || !strcmp(tag, "ADV") ||
                             !strcmp(tag, "PROPN") || !strcmp(tag, "INTJ");
            if (open_class) {
                int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
                /* look up the full form too: "it's" normalises to "it" */
                char full[256];
                int fm = 0;
                for (int k = w[i].b0; k < w[i].b1 && fm < 255; k++) full[fm++] = (char)tolower((unsigned char)text[k]);
                full[fm] = 0;
                if (ner_lex_phrase(&mk->closed, norm, (size_t)m) >= 0 || ner_lex_phrase(&mk->closed, full, (size_t)fm) >= 0) continue;
            }
            state[i] = W_ELIGIBLE;
            wref[i] = mk->tags[mk->word_tok[i]];
        }
    }

    /* 6. spans: PHI, protected runs (structure and medical), eligible words; sorted by start */
    for (int i = 0; i < np; i++) *ner_span_push(out) = ps->span[i];
    for (int i = 0; i < nw; i++) {
        if (state[i] == W_PROTECT || state[i] == W_STRUCT) {
            int j = i;
            while (j + 1 < nw && state[j + 1] == state[i] && group[j + 1] == group[i]) j++;
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[j].b1; s->cp_end = w[j].c1;
            s->action = SR_ACT_PROTECT;
            if (state[i] == W_STRUCT && wref[i] < 0) { /* masker_field_labels */
                snprintf(s->category, sizeof s->category, "LABEL");
                snprintf(s->source, sizeof s->source, "structure:layout");
                s->score = 1;
            } else if (state[i] == W_STRUCT) {
                snprintf(s->category, sizeof s->category, "%s", mk->structure.cats[mk->structure.cat[wref[i]]]);
                snprintf(s->source, sizeof s->source, "%s", mk->structure.srcs[mk->structure.src[wref[i]]]);
                s->score = 1;
            } else if (mk->med_ner.m) {
                const NerEntity *e = &med.e[wref[i]];
                ner_strcpy(s->category, sizeof s->category, NULL, e->label);
                ner_strcpy(s->source, sizeof s->source, "model:", e->label);
                s->score = e->score;
            } else {
                const NerLex *lx = wref[i] >= 0 ? &mk->med : &mk->med_suf;
                int e = wref[i] >= 0 ? wref[i] : -1 - wref[i];
                if (wref[i] <= MASKER_REF_HEAD(mk, 0)) { /* masker_heads: a noun phrase of a generic head */
                    int h = MASKER_REF_HEAD(mk, 0) - wref[i];
                    snprintf(s->category, sizeof s->category, "%s", mk->med_head.cats[mk->med_head.cat[h]]);
                    snprintf(s->source, sizeof s->source, "rule:head-noun");
                } else if (wref[i] == MASKER_REF_JARGON(mk)) { /* masker_jargon: a word no list knows */
                    snprintf(s->category, sizeof s->category, "TERM");
                    snprintf(s->source, sizeof s->source, "rule:unlisted-word");
                } else if (wref[i] == MASKER_REF_QUALIFIED(mk)) { /* masker_qualified: a qualified finding */
                    snprintf(s->category, sizeof s->category, "PROBLEM");
                    snprintf(s->source, sizeof s->source, "rule:qualified-finding");
                } else if (e == lx->n) { /* masker_word_parts: an acronym */
                    snprintf(s->category, sizeof s->category, "TERM");
                    snprintf(s->source, sizeof s->source, "rule:acronym");
                } else {
                    snprintf(s->category, sizeof s->category, "%s", lx->cats[lx->cat[e]]);
                    snprintf(s->source, sizeof s->source, "%s", lx->srcs[lx->src[e]]);
                }
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
                snprintf(s->category, sizeof s->category, "%s", sr_pos_tag_name(mk->pos, wref[i]));
                snprintf(s->source, sizeof s->source, "tagger:ewt");
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
    free(bol);
    return rc;
}

/* ================================================================================
 * Output formats: what sr deid and sr generate write besides plain text and JSONL:
 * i2b2 XML, BRAT standoff, and one file per letter under --out DIR. Both commands go
 * through these functions, so a letter reads the same in either command's output
 * (mlm.c's sr generate comes after this file).
 *
 *   inputs     folders expanded into their files; a record's name (its id or path)
 *   documents  the text the offsets refer to and its spans (SrDoc)
 *   i2b2       the i2b2 2014 de-identification layout, valid XML 1.0 for any text
 *   BRAT       .ann standoff beside NAME.txt, and the folder's annotation.conf
 *   --out DIR  one file per letter (two for BRAT), atomic, never over an input
 * ================================================================================ */

enum { FMT_TEXT, FMT_JSONL, FMT_I2B2, FMT_BRAT };

/* --format's value, or -1 for an unknown one. */
static int format_parse(const char *v) {
    static const char *names[] = {"text", "jsonl", "i2b2", "brat"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(v, names[k])) return k;
    return -1;
}

/* ---- inputs ---- */

/* What a reader calls a record: its "id" (a JSON string decoded, else the JSON as
 * given), the path of its file ("stdin"), else its index from 0 (--text). */
static void record_name(const SrInput *in, const SrRecord *rec, long index, char *out, size_t cap) {
    char *s = NULL, e[SR_ERR_LEN];
    size_t n;
    JsonCursor c = {rec->id_json, rec->id_json ? strlen(rec->id_json) : 0, 0};
    if (in->jsonl && rec->id_json && rec->id_json[0] == '"' && json_string(&c, &s, &n, e) == 0) snprintf(out, cap, "%s", s);
    else if (in->jsonl && rec->id_json) snprintf(out, cap, "%s", rec->id_json);
    else if (!in->texts && in->name) snprintf(out, cap, "%s", strcmp(in->name, "-") ? in->name : "stdin");
    else snprintf(out, cap, "%ld", index);
    free(s);
}

/* A file name for a letter: the input's base name without extension, or its id, kept
 * to [A-Za-z0-9._-] (never starting with '.'); "letter-N" when nothing is left. */
static void letter_name(const SrInput *in, const SrRecord *rec, long index, char *out, size_t cap) {
    char tmp[256];
    const char *src = tmp;
    record_name(in, rec, index, tmp, sizeof tmp);
    if (!in->jsonl && !in->texts && in->name && strcmp(in->name, "-")) {
        const char *b = strrchr(tmp, '/');
        if (b) memmove(tmp, b + 1, strlen(b + 1) + 1);
        char *dot = strrchr(tmp, '.');
        if (dot && dot != tmp) *dot = 0;
    } else if (!(in->jsonl && rec->id_json)) src = "";
    size_t n = 0;
    for (const char *p = src; *p && n + 1 < cap; p++)
        if (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') out[n++] = *p;
    out[n] = 0;
    if (n == 0 || out[0] == '.') snprintf(out, cap, "letter-%ld", index);
}

/* ---- documents ---- */

/* One annotated document as i2b2 and BRAT see it: the text the offsets refer to, and
 * its spans, whose code-point offsets are read (not their byte offsets: sr deid writes
 * the '*'-masked text, whose bytes differ from the original's where a starred
 * character took more than one byte). */
typedef struct {
    const char *text; /* UTF-8 */
    size_t len;
    const SrSpans *phi, *entities; /* either may be NULL */
} SrDoc;

/* at[k]: the byte offset of code point k of the text, at[n] = len (*n_cp = n). */
static size_t *doc_cp_bytes(const SrDoc *d, int *n_cp) {
    size_t *at = xmalloc((d->len + 1) * sizeof *at);
    int n = 0;
    for (size_t i = 0; i < d->len;) {
        at[n++] = i;
        if (utf8_decode((const unsigned char *)d->text, d->len, &i) < 0) i++;
    }
    at[n] = d->len;
    *n_cp = n;
    return at;
}

/* A span's code points, clamped to the text (a span never lies outside it; the clamp
 * keeps a bad one from reading past the end). */
static void doc_span_range(const SrSpan *s, int n_cp, int *a, int *b) {
    *a = s->cp_start < 0 ? 0 : s->cp_start > n_cp ? n_cp : s->cp_start;
    *b = s->cp_end < *a ? *a : s->cp_end > n_cp ? n_cp : s->cp_end;
}

/* The code point at text[*i], advancing *i; an invalid byte (sr's texts are checked
 * UTF-8: never) is one code point, -1, which XML writes as U+FFFD. */
static int doc_next_cp(const char *s, size_t n, size_t *i) {
    int cp = utf8_decode((const unsigned char *)s, n, i);
    if (cp < 0) (*i)++;
    return cp;
}

/* ---- i2b2 XML ----
 * The i2b2 2014 de-identification layout:
 *   <deIdi2b2><TEXT><![CDATA[...]]></TEXT><TAGS>
 *   <NAME id="P0" start="4" end="16" text="..." TYPE="DOCTOR" comment="rule:..." />
 *   <ENTITY id="E0" ... TYPE="PROBLEM" comment="..." /></TAGS></deIdi2b2>
 * PHI tags are i2b2's (NAME, DATE, AGE, CONTACT, ID, LOCATION, PROFESSION, OTHER, with
 * i2b2's TYPE), medical entities and structure are ENTITY with sr's TYPE; offsets are
 * code points of TEXT, end exclusive. It is XML 1.0 for any text:
 *   - XML 1.0 has no way to write U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE
 *     and U+FFFF (not even as &#N;): each becomes one code point it can hold, so every
 *     offset still fits: VT and FF (white space; a form feed is a page break) a space,
 *     which keeps the two words it parts apart, the others U+FFFD;
 *   - CR is written as &#13; between CDATA sections: a parser turns a literal CR (and
 *     CRLF) into LF, which would shift every later offset;
 *   - "]]>" in the text is split over two CDATA sections ("]]" and ">");
 *   - attribute values escape & < > " and write TAB, LF, CR as &#9; &#10; &#13; (a
 *     parser would read them as spaces).
 * Several documents on stdout go inside one <deIdi2b2Set>, each <deIdi2b2 id="...">. */

static int xml_forbidden(int cp) { return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF; }

/* A character XML cannot hold, written as the one that stands for it. */
static void xml_put_replacement(FILE *f, int cp) { fputs(cp == 0x0B || cp == 0x0C ? " " : "\xEF\xBF\xBD", f); }

static void xml_put_attr(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (xml_forbidden(cp)) xml_put_replacement(f, cp);
        else if (cp == '&') fputs("&amp;", f);
        else if (cp == '<') fputs("&lt;", f);
        else if (cp == '>') fputs("&gt;", f);
        else if (cp == '"') fputs("&quot;", f);
        else if (cp == '\t' || cp == '\n' || cp == '\r') fprintf(f, "&#%d;", cp);
        else fwrite(s + at, 1, i - at, f);
    }
}

static void xml_put_cdata(FILE *f, const char *s, size_t n) {
    int open = 0; /* inside a CDATA section */
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (cp == '\r') {
            if (open) fputs("]]>", f);
            open = 0;
            fputs("&#13;", f);
            continue;
        }
        if (!open) fputs("<![CDATA[", f);
        open = 1;
        if (cp == ']' && n - at >= 3 && !memcmp(s + at, "]]>", 3)) { fputs("]]]]><![CDATA[>", f); i = at + 3; }
        else if (xml_forbidden(cp)) xml_put_replacement(f, cp);
        else fwrite(s + at, 1, i - at, f);
    }
    if (open) fputs("]]>", f);
}

/* i2b2 2014 tag and TYPE for our PHI types */
static void i2b2_phi_tag(const char *cat, const char **tag, const char **type) {
    static const struct { const char *cat, *tag, *type; } map[] = {
        {"DOCTOR", "NAME", "DOCTOR"}, {"PATIENT", "NAME", "PATIENT"}, {"RELATIVE", "NAME", "PATIENT"},
        {"NAME", "NAME", "PATIENT"}, {"DATE", "DATE", "DATE"}, {"YEAR", "DATE", "DATE"}, {"AGE", "AGE", "AGE"},
        {"PHONE", "CONTACT", "PHONE"}, {"FAX", "CONTACT", "FAX"}, {"EMAIL", "CONTACT", "EMAIL"},
        {"URL", "CONTACT", "URL"}, {"IP", "CONTACT", "IPADDR"}, {"SSN", "ID", "IDNUM"},
        {"MRN", "ID", "MEDICALRECORD"}, {"NHS", "ID", "IDNUM"}, {"HEALTHPLAN", "ID", "HEALTHPLAN"},
        {"ACCOUNT", "ID", "IDNUM"}, {"LICENSE", "ID", "LICENSE"}, {"DEVICE", "ID", "DEVICE"},
        {"VEHICLE", "ID", "IDNUM"}, {"ID", "ID", "IDNUM"}, {"STREET", "LOCATION", "STREET"},
        {"CITY", "LOCATION", "CITY"}, {"COUNTY", "LOCATION", "LOCATION-OTHER"}, {"ZIP", "LOCATION", "ZIP"},
        {"LOCATION", "LOCATION", "LOCATION-OTHER"}, {"HOSPITAL", "LOCATION", "HOSPITAL"},
        {"WARD", "LOCATION", "LOCATION-OTHER"}, {"PROFESSION", "PROFESSION", "PROFESSION"},
    };
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (!strcmp(map[k].cat, cat)) { *tag = map[k].tag; *type = map[k].type; return; }
    *tag = "OTHER"; *type = cat;
}

static void i2b2_put_tag(FILE *f, const SrDoc *d, const size_t *at, int n_cp, const SrSpan *s, const char *tag, char id, int k,
                         const char *type) {
    int a, b;
    doc_span_range(s, n_cp, &a, &b);
    fprintf(f, "<%s id=\"%c%d\" start=\"%d\" end=\"%d\" text=\"", tag, id, k, a, b);
    xml_put_attr(f, d->text + at[a], at[b] - at[a]);
    fputs("\" TYPE=\"", f);
    xml_put_attr(f, type, strlen(type));
    fputs("\" comment=\"", f);
    xml_put_attr(f, s->source, strlen(s->source));
    fputs("\" />\n", f);
}

/* One document. set_id NULL: a file of its own, with the XML declaration; else one
 * document of a <deIdi2b2Set> (i2b2_put_set_begin/end), named set_id. */
static void i2b2_put_doc(FILE *f, const SrDoc *d, const char *set_id) {
    if (set_id) {
        fputs("<deIdi2b2 id=\"", f);
        xml_put_attr(f, set_id, strlen(set_id));
        fputs("\">\n<TEXT>", f);
    } else fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2>\n<TEXT>", f);
    xml_put_cdata(f, d->text, d->len);
    fputs("</TEXT>\n<TAGS>\n", f);
    int n_cp;
    size_t *at = doc_cp_bytes(d, &n_cp);
    for (int k = 0; d->phi && k < d->phi->n; k++) {
        const char *tag, *type;
        i2b2_phi_tag(d->phi->span[k].category, &tag, &type);
        i2b2_put_tag(f, d, at, n_cp, &d->phi->span[k], tag, 'P', k, type);
    }
    for (int k = 0; d->entities && k < d->entities->n; k++)
        i2b2_put_tag(f, d, at, n_cp, &d->entities->span[k], "ENTITY", 'E', k, d->entities->span[k].category);
    free(at);
    fputs("</TAGS>\n</deIdi2b2>\n", f);
}
static void i2b2_put_set_begin(FILE *f) { fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2Set>\n", f); }
static void i2b2_put_set_end(FILE *f) { fputs("</deIdi2b2Set>\n", f); }

/* ---- BRAT standoff ----
 * NAME.ann beside NAME.txt (the exact text the offsets count, in code points, as BRAT
 * counts characters): "T1<TAB>TYPE a b[;c d...]<TAB>text" and "#1<TAB>AnnotatorNotes
 * T1<TAB>source". A span over a line break is split into fragments at every character
 * a reader of the .ann would take for the end of a line (BRAT forbids fragments over
 * them); the text field is the fragments joined by one space, with TAB written as a
 * space (the .ann is TAB-separated). A span of line breaks alone is left out. */

static int brat_line_break(int cp) {
    return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 ||
           cp == 0x2029;
}

/* A BRAT type: letters, digits, '-' and '_' (any other byte becomes '_'); "PHI" if empty. */
static void brat_type(const char *cat, char *out, size_t cap) {
    size_t n = 0;
    for (const char *c = cat; *c && n + 1 < cap; c++) out[n++] = isalnum((unsigned char)*c) || *c == '-' ? *c : '_';
    out[n] = 0;
    if (!n) snprintf(out, cap, "PHI");
}

/* Text for a field of the .ann: TAB and line breaks as spaces. */
static void brat_put_field(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (cp == '\t' || brat_line_break(cp)) fputc(' ', f);
        else fwrite(s + at, 1, i - at, f);
    }
}

/* The fragments of code points [a, b): each maximal run without a line break. With
 * offsets set, writes " a b;c d" (BRAT's offsets), else the fragments' text joined by
 * one space (f NULL: writes nothing); returns how many. */
static int brat_fragments(FILE *f, const SrDoc *d, const size_t *at, int a, int b, int offsets) {
    int n = 0, start = -1;
    for (int k = a; k <= b; k++) {
        size_t i = at[k];
        int brk = k == b || brat_line_break(doc_next_cp(d->text, d->len, &i));
        if (!brk && start < 0) start = k;
        if (!brk || start < 0) continue;
        if (f && offsets) fprintf(f, "%s%d %d", n ? ";" : " ", start, k);
        else if (f) {
            if (n) fputc(' ', f);
            brat_put_field(f, d->text + at[start], at[k] - at[start]);
        }
        n++;
        start = -1;
    }
    return n;
}

/* One span as a T line (and its note); returns 0 when it has no fragment. */
static int brat_put_span(FILE *f, const SrDoc *d, const size_t *at, int n_cp, const SrSpan *s, int t, SrStrSet *types) {
    int a, b;
    doc_span_range(s, n_cp, &a, &b);
    if (!brat_fragments(NULL, d, at, a, b, 0)) return 0;
    char type[32];
    brat_type(s->category, type, sizeof type);
    if (types) strset_add(types, type);
    fprintf(f, "T%d\t%s", t, type);
    brat_fragments(f, d, at, a, b, 1);
    fputc('\t', f);
    brat_fragments(f, d, at, a, b, 0);
    fputc('\n', f);
    if (s->source[0]) {
        fprintf(f, "#%d\tAnnotatorNotes T%d\t", t, t);
        brat_put_field(f, s->source, strlen(s->source));
        fputc('\n', f);
    }
    return 1;
}

/* The .ann of one document; the types it uses are added to types (when not NULL). */
static void brat_put_ann(FILE *f, const SrDoc *d, SrStrSet *types) {
    int n_cp, t = 1;
    size_t *at = doc_cp_bytes(d, &n_cp);
    const SrSpans *lists[2] = {d->phi, d->entities};
    for (int l = 0; l < 2; l++)
        for (int k = 0; lists[l] && k < lists[l]->n; k++) t += brat_put_span(f, d, at, n_cp, &lists[l]->span[k], t, types);
    free(at);
}

/* DIR/annotation.conf, which BRAT needs to show the folder: every entity type this run
 * used, united with those the file already lists (reruns, and the shards of one corpus
 * written to one folder, each add theirs). The folder is locked while the file is read
 * and replaced, so shards that finish together do not drop each other's types. */
static int brat_write_conf(const char *dir, SrStrSet *types, char *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/annotation.conf", dir);
    int lock = open(dir, O_RDONLY);
    if (lock >= 0) flock(lock, LOCK_EX);
    size_t len;
    char e[SR_ERR_LEN];
    char *old = access(path, F_OK) == 0 ? read_file(path, &len, e) : NULL;
    int in_entities = 0;
    for (char *p = old, *nl; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = 0;
        if (p[0] == '[') in_entities = !strcmp(p, "[entities]");
        else if (in_entities && n && p[0] != '#') strset_add(types, p);
        if (!nl) break;
    }
    free(old);
    char **names = xmalloc((size_t)(types->n + 1) * sizeof *names);
    int n = 0;
    for (int k = 0; k < types->cap; k++)
        if (types->slot[k]) names[n++] = types->slot[k];
    qsort(names, (size_t)n, sizeof *names, name_cmp);
    SrOutFile of;
    int rc = outfile_open(&of, path, err);
    if (rc == 0) {
        fputs("# written by sr: the entity types of the .ann files in this folder\n[entities]\n", of.f);
        for (int k = 0; k < n; k++) fprintf(of.f, "%s\n", names[k]);
        fputs("[relations]\n[events]\n[attributes]\n", of.f);
        rc = outfile_commit(&of, err);
    }
    free(names);
    if (lock >= 0) close(lock); /* releases the lock */
    return rc;
}

/* ---- --out DIR ----
 * One file per letter (two for BRAT), each written atomically (SrOutFile), under a name
 * no other letter of this run has ("note-2" when two inputs are both note.txt, said on
 * stderr), and never over one of the run's input files: NAME.txt (text), NAME.xml
 * (i2b2), NAME.txt + NAME.ann (BRAT), NAME.json (JSONL). */
typedef struct {
    const char *dir;
    SrStrSet used;  /* stems given out so far */
    SrStrSet types; /* BRAT types written, for annotation.conf */
    int n_ann;      /* .ann files written */
    dev_t *dev;     /* the input files, by device and inode */
    ino_t *ino;
    int n_inputs;
} SrOutDir;

/* DIR made when absent; -1 when it cannot be, or is not a folder (a usage error). */
static int outdir_open(SrOutDir *o, const char *dir, char **files, int n_files, char *err) {
    memset(o, 0, sizeof *o);
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0777) != 0) return sr_fail(err, "--out %s: %s", dir, strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return sr_fail(err, "--out %s is not a folder", dir);
    o->dir = dir;
    o->dev = xmalloc((size_t)(n_files + 1) * sizeof *o->dev);
    o->ino = xmalloc((size_t)(n_files + 1) * sizeof *o->ino);
    for (int k = 0; k < n_files; k++)
        if (stat(files[k], &sb) == 0) { o->dev[o->n_inputs] = sb.st_dev; o->ino[o->n_inputs++] = sb.st_ino; }
    return 0;
}

static void outdir_free(SrOutDir *o) {
    strset_free(&o->used);
    strset_free(&o->types);
    free(o->dev);
    free(o->ino);
    memset(o, 0, sizeof *o);
}

static int outdir_is_input(const SrOutDir *o, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    for (int k = 0; k < o->n_inputs; k++)
        if (sb.st_dev == o->dev[k] && sb.st_ino == o->ino[k]) return 1;
    return 0;
}

/* Is path one of the input files (the same file by device and inode)? --map-out is
 * renamed into place at the end of the run: over an input it would replace it. */
static int path_is_input(const char *path, char **files, int n_files) {
    struct stat a, b;
    if (stat(path, &a) != 0 || !S_ISREG(a.st_mode)) return 0;
    for (int k = 0; k < n_files; k++)
        if (stat(files[k], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return 1;
    return 0;
}

/* The letter's stem in DIR: name, else name-2, name-3, ... (the first not given out). */
static void outdir_stem(SrOutDir *o, const char *name, char *stem, size_t cap) {
    char base[208];
    snprintf(base, sizeof base, "%.200s", name); /* with -N and .json, within a file name's 255 bytes */
    snprintf(stem, cap, "%s", base);
    for (int k = 2; !strset_add(&o->used, stem); k++) snprintf(stem, cap, "%s-%d", base, k);
    if (strcmp(stem, base))
        fprintf(stderr, "%s: another letter of this run is named %s: this one is written as %s/%s\n", sr_cmd, base, o->dir, stem);
}

/* Opens the letter's files (of[0]: its text, XML or JSON; of[1]: BRAT's .ann); returns
 * how many, or -1 with nothing left open. */
static int outdir_letter_open(SrOutDir *o, const char *name, int format, SrOutFile of[2], char *err) {
    const char *ext[2] = {format == FMT_I2B2 ? "xml" : format == FMT_JSONL ? "json" : "txt", format == FMT_BRAT ? "ann" : NULL};
    char stem[300], path[4096];
    outdir_stem(o, name, stem, sizeof stem);
    int n = 0;
    for (int k = 0; k < 2 && ext[k]; k++) {
        snprintf(path, sizeof path, "%s/%s.%s", o->dir, stem, ext[k]);
        int bad = outdir_is_input(o, path) ? sr_fail(err, "%s is one of the input files: not overwritten (choose another --out)", path)
                                           : outfile_open(&of[n], path, err);
        if (bad < 0) {
            while (n > 0) outfile_abort(&of[--n]);
            return -1;
        }
        n++;
    }
    return n;
}

/* Commits the letter's files: all of them, or none (one already renamed is removed when
 * a later one fails, so a .txt never stands without its .ann). */
static int outdir_letter_commit(SrOutDir *o, SrOutFile of[2], int n, char *err) {
    for (int k = 0; k < n; k++) {
        if (outfile_commit(&of[k], err) == 0) continue;
        for (int j = 0; j < k; j++) unlink(of[j].path);
        for (int j = k + 1; j < n; j++) outfile_abort(&of[j]);
        return -1;
    }
    o->n_ann += n > 1;
    return 0;
}

/* A document's files in an i2b2 or BRAT --out: NAME.xml, or NAME.txt + NAME.ann. */
static void outdir_put_doc(SrOutDir *o, SrOutFile of[2], int format, const SrDoc *d) {
    if (format == FMT_I2B2) i2b2_put_doc(of[0].f, d, NULL);
    if (format != FMT_BRAT) return;
    fwrite(d->text, 1, d->len, of[0].f);
    brat_put_ann(of[1].f, d, &o->types);
}

/* At the end of a run: annotation.conf when a .ann was written. */
static int outdir_close(SrOutDir *o, char *err) {
    int rc = o->dir && o->n_ann ? brat_write_conf(o->dir, &o->types, err) : 0;
    outdir_free(o);
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

static void deid_usage(FILE *f) {
    fputs("usage: sr deid [options] [FILE|DIR...]   (no FILE: stdin)\n"
          "Finds PHI (the 18 HIPAA identifiers, clinicians' names, and extras) with rules\n"
          "and lexicons, and prints the text with each one replaced by [**TYPE**].\n"
          "  --text TEXT       process TEXT (repeatable) instead of files\n"
          "  --encoding E      files and stdin are utf-8 (the default), cp1252 or latin1\n"
          "  --keep-fields A,B input keys copied verbatim into each JSON record (not de-identified)\n"
          "  --jsonl           input lines {\"id\":..,\"text\":..}; output one JSON object a line:\n"
          "                    {\"id\",\"spans\":[{start,end,type,source}],\"text\": masked}\n"
          "                    (offsets in code points of the original text)\n"
          "  --format F        text (default) | jsonl | i2b2 (XML; several documents: one\n"
          "                    <deIdi2b2Set>) | brat (standoff .ann; several documents: --out)\n"
          "  --out DIR         one file per document (NAME.txt, NAME.json, NAME.xml, or NAME.txt\n"
          "                    + NAME.ann and DIR/annotation.conf), each written whole or not\n"
          "                    at all; never over an input file; a name two documents share\n"
          "                    gets -2, -3 (said on stderr)\n"
          "  --shard I/N       only records I, I+N, I+2N, ... (0 <= I < N)\n"
          "  --quiet           no notes (the --out summary line)\n"
          "  --keep-length     replace PHI by '*' of the same length instead of [**TYPE**]\n"
          "  --replace R       tags (default: [**TYPE**]) | stars (as --keep-length) | surrogate:\n"
          "                    a realistic replacement of the same type and format (names from\n"
          "                    pools, dates shifted by one offset, digits for digits; README)\n"
          "  --surrogate-key F a secret key file (>= 16 random bytes): the same surrogates in\n"
          "                    every document, one date shift per \"patient\"; keep it secret\n"
          "  --date-shift A:B  the surrogate date shift in days, drawn from [A, B] (-1825:-365)\n"
          "  --seed N          keys the surrogates of each document without a key (42)\n"
          "  --consistency C   document: an original gets one surrogate in its document (the\n"
          "                    default without a key); patient: in every document of the key,\n"
          "                    one date shift per \"patient\" (the default with --surrogate-key);\n"
          "                    markov: each repeat keeps the previous surrogate with p = 1/2,\n"
          "                    else takes a fresh one (hides a missed original; README)\n"
          "  --map-out FILE    with --replace surrogate: write each PHI span's original and its\n"
          "                    surrogate to FILE (JSONL, mode 0600). IT CONTAINS THE ORIGINAL\n"
          "                    PHI: for authorised review only; without it nothing writes them\n"
          "  --explain         print each decision and its reason to stderr (with --replace\n"
          "                    surrogate, each surrogate's kind; never the original)\n"
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
          f);
}

/* One document of sr deid --format jsonl: its spans (with where each replacement lies
 * in "text" under --replace surrogate) and the masked text. */
static void deid_put_jsonl(FILE *f, const SrRecord *rec, long index, const SrSpans *sp, char *const *sur, int keep_length) {
    fputs("{\"id\":", f);
    if (rec->id_json) fputs(rec->id_json, f); else fprintf(f, "%ld", index);
    put_kept_fields(f, rec);
    fputs(",\"spans\":[", f);
    long delta = 0; /* --replace surrogate: code points the replacements so far added */
    int prev_end = 0;
    for (int k = 0; k < sp->n; k++) {
        const SrSpan *s = &sp->span[k];
        fprintf(f, "%s{\"start\":%d,\"end\":%d,\"type\":", k ? "," : "", s->cp_start, s->cp_end);
        json_put_cstr(f, s->category);
        fputs(",\"source\":", f);
        json_put_cstr(f, s->source);
        if (sur && s->byte_start >= prev_end) { /* where its replacement lies in "text" (never the original) */
            char tag[48];
            const char *r = sur[k];
            if (!r) { snprintf(tag, sizeof tag, "[**%s**]", s->category); r = tag; }
            long rl = 0;
            for (const char *q = r; *q; q++) rl += ((unsigned char)*q & 0xC0) != 0x80;
            fprintf(f, ",\"fill\":\"%s\",\"out_start\":%ld,\"out_end\":%ld", sur[k] ? "surrogate" : "tag", s->cp_start + delta, s->cp_start + delta + rl);
            delta += rl - (s->cp_end - s->cp_start);
            prev_end = s->byte_end;
        }
        fputs("}", f);
    }
    fputs("],\"text\":", f);
    size_t mlen;
    char *m;
    if (sur) {
        FILE *mf = open_memstream(&m, &mlen);
        if (!mf) { fprintf(stderr, "sr: out of memory\n"); exit(2); }
        phi_put_surrogates(mf, rec->text, rec->len, sp, sur);
        fclose(mf);
    } else m = phi_masked_string(rec->text, rec->len, sp, keep_length, &mlen);
    json_put_string(f, m, mlen);
    free(m);
    fputs("}\n", f);
}

/* --map-out: one line per PHI span whose replacement is in the output (as
 * deid_put_jsonl, an overlapped span is not) */
static void deid_put_map(FILE *f, const SrRecord *rec, long index, const SrSpans *sp, char *const *sur) {
    int prev_end = 0;
    for (int k = 0; k < sp->n; k++) {
        const SrSpan *s = &sp->span[k];
        if (s->byte_start < prev_end) continue;
        prev_end = s->byte_end;
        char tag[48];
        snprintf(tag, sizeof tag, "[**%s**]", s->category);
        const char *r = sur[k] ? sur[k] : tag;
        sg_map_put(f, rec->id_json, index, rec->text, s, r, strlen(r), sur[k] ? "surrogate" : "tag");
    }
}

static int cmd_deid(int argc, char **argv) {
    const char *data_dir = NULL, *phi_model = NULL, *out_dir = NULL;
    const char **lexicons = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_lex = 0, jsonl = 0, encoding = SR_ENC_UTF8, keep_length = 0, explain = 0, show_phi = 0, extras = 1;
    int fail_closed = 1, phi_only = 0, surrogate = 0, fmt = FMT_TEXT, shard_i = 0, shard_n = 1, quiet = 0;
    const char *surrogate_key = NULL, *map_out = NULL;
    SrSurrogateOptions so = {42, -1825, -365, NULL};
    SrOutFile map; /* --map-out */
    map.f = NULL;
    /* what the cleanup at the end frees: set before its first goto */
    int status = 2;
    SrInputArgs ia;
    input_args_init(&ia, argc);
    SrInput in;
    SrModel *model = NULL;
    SrMasker *mk = NULL;
    SrSurrogates *sg = NULL;
    SrOutDir od;
    memset(&od, 0, sizeof od);
    char err[SR_ERR_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { deid_usage(stdout); status = 0; goto done; }
        if (!strcmp(a, "--format")) {
            const char *v = opt_value(argc, argv, &i);
            if ((fmt = format_parse(v)) < 0) { fprintf(stderr, "sr deid: unknown --format %s (text, jsonl, i2b2, brat)\n", v); goto done; }
        }
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--encoding")) encoding = opt_encoding(argc, argv, &i);
        else if (!strcmp(a, "--keep-fields")) opt_keep_fields(argc, argv, &i);
        else if (!strcmp(a, "--out")) out_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--shard")) opt_shard(argc, argv, &i, &shard_i, &shard_n);
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--keep-length")) keep_length = 1;
        else if (!strcmp(a, "--replace")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "tags")) keep_length = surrogate = 0;
            else if (!strcmp(v, "stars")) { keep_length = 1; surrogate = 0; }
            else if (!strcmp(v, "surrogate")) { keep_length = 0; surrogate = 1; }
            else { fprintf(stderr, "sr deid: --replace must be tags, stars or surrogate, not %s\n", v); goto done; }
        }
        else if (!strcmp(a, "--surrogate-key")) surrogate_key = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--map-out")) map_out = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--consistency")) {
            const char *v = opt_value(argc, argv, &i);
            if ((so.consistency = sg_parse_consistency(v)) < 0) { fprintf(stderr, "sr deid: --consistency must be document, patient or markov, not %s\n", v); goto done; }
        }
        else if (!strcmp(a, "--date-shift")) {
            const char *v = opt_value(argc, argv, &i);
            if (sg_parse_shift(v, &so.shift_min, &so.shift_max) < 0) { fprintf(stderr, "sr deid: --date-shift wants MIN:MAX days (MIN <= MAX), not %s\n", v); goto done; }
        }
        else if (!strcmp(a, "--seed")) so.seed = opt_u64(argc, argv, &i);
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
            else { fprintf(stderr, "sr deid: --phi-input must be union or only, not %s\n", v); goto done; }
        }
        else if (opt_input(argc, argv, &i, &ia)) continue;
        else { fprintf(stderr, "sr deid: unknown option %s (see sr deid --help)\n", a); goto done; }
    }
    if (jsonl && fmt == FMT_TEXT) fmt = FMT_JSONL;
    if (map_out && !surrogate) { fprintf(stderr, "sr deid: --map-out needs --replace surrogate\n"); goto done; }
    if (so.consistency == SR_CONSIST_PATIENT && !surrogate_key) { fprintf(stderr, "sr deid: --consistency patient needs --surrogate-key\n"); goto done; }
    if (input_args_open("deid", &ia, jsonl, encoding, &in) < 0) goto done;
    char **files = ia.files;
    int n_files = ia.n_files;
    /* a .ann means nothing without its text: on stdout only one document's, as it is */
    int several = jsonl || in.n_items > 1;
    if (fmt == FMT_BRAT && !out_dir && several) {
        fprintf(stderr, "sr deid: --format brat writes one .ann a document: several documents need --out DIR (NAME.txt + NAME.ann)\n");
        goto done;
    }
    if (out_dir && outdir_open(&od, out_dir, files, n_files, err) < 0) { fprintf(stderr, "sr deid: %s\n", err); goto done; }
    /* sr deid shows exactly the PHI that sr generate masks: the Masker's PHI spans
     * (rules, unioned with --phi-model, grown to whole words). */
    double t0 = now_seconds();
    if (phi_model && sr_load(&model, phi_model, err) < 0) { fprintf(stderr, "sr deid: %s\n", err); goto done; }
    SrMaskerOptions mo = {0};
    mo.data_dir = data_dir;
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    mo.phi_model = model;
    mo.no_phi_extras = !extras;
    mo.no_fail_closed = !fail_closed;
    if (!(mk = sr_masker_new(&mo, err))) { fprintf(stderr, "sr deid: %s\n", err); goto done; }
    if (explain) fprintf(stderr, "sr deid: lexicons from %s loaded in %.0f ms\n", mk->phi->data_dir, (now_seconds() - t0) * 1e3);
    if ((surrogate || surrogate_key) && (!(sg = sr_surrogates_new(data_dir, mk->phi, err)) || (surrogate_key && sr_surrogates_key_file(sg, surrogate_key, err) < 0))) {
        fprintf(stderr, "sr deid: %s\n", err);
        goto done;
    }
    if (map_out && path_is_input(map_out, files, n_files)) { fprintf(stderr, "sr deid: --map-out %s is one of the input files: not overwritten\n", map_out); goto done; }
    if (map_out && outfile_open_mode(&map, map_out, 0600, err) < 0) { fprintf(stderr, "sr deid: --map-out %s\n", err); goto done; }
    char **sur = NULL, **how = NULL; /* each span's surrogate, and with --explain what kind */
    int cap_sur = 0, cap_how = 0;
    SrRecord rec;
    SrSpans sp = {0};
    int failed = 0, rc;
    long index = -1, written = 0;
    /* several documents on stdout: one i2b2 XML document, a <deIdi2b2Set> of them */
    int i2b2_set = fmt == FMT_I2B2 && !out_dir && several;
    if (i2b2_set) i2b2_put_set_begin(stdout);
    while ((rc = input_next(&in, &rec, err)) != 0) {
        index++;
        if (index % shard_n != shard_i) { record_free(&rec); continue; }
        char name[256];
        SrKnownPhi known = {rec.given, rec.n_given, (const char *const *)rec.known, (const char *const *)rec.known_type,
                            rec.n_known, phi_only};
        if (rc < 0) goto bad;
        if (masker_phi_spans(mk, rec.text, rec.len, &known, &sp, err) < 0) goto bad;
        if (surrogate) {
            sur = grow(sur, &cap_sur, sp.n + 1, sizeof *sur);
            how = grow(how, &cap_how, sp.n + 1, sizeof *how);
            memset(how, 0, (size_t)(sp.n + 1) * sizeof *how);
            so.patient = rec.patient;
            if (sr_surrogates_make(sg, &so, rec.text, rec.len, &sp, sur, explain ? how : NULL, err) < 0) goto bad;
        }
        if (explain) {
            for (int k = 0; k < sp.n; k++) {
                const SrSpan *s = &sp.span[k];
                fprintf(stderr, "explain\t%s\t%d-%d\t%s\t%s\t%s", rec.id_json ? rec.id_json : "", s->cp_start, s->cp_end,
                        s->category, s->source, phi_reason(s->source));
                if (surrogate) fprintf(stderr, "\tsurrogate: %s", how[k] ? how[k] : "none");
                if (show_phi) { fputc('\t', stderr); fwrite(rec.text + s->byte_start, 1, (size_t)(s->byte_end - s->byte_start), stderr); }
                fputc('\n', stderr);
            }
        }
        FILE *f = stdout;
        SrOutFile of[2];
        int n_of = 0;
        if (out_dir) {
            letter_name(&in, &rec, index, name, sizeof name);
            if ((n_of = outdir_letter_open(&od, name, fmt, of, err)) < 0) goto bad;
            f = of[0].f;
        }
        if (fmt == FMT_TEXT) {
            if (surrogate) phi_put_surrogates(f, rec.text, rec.len, &sp, sur);
            else phi_put_masked(f, rec.text, rec.len, &sp, keep_length);
            if (!out_dir && (rec.len == 0 || rec.text[rec.len - 1] != '\n')) fputc('\n', f);
        } else if (fmt == FMT_JSONL) deid_put_jsonl(f, &rec, index, &sp, surrogate ? sur : NULL, keep_length);
        else {
            /* i2b2 and BRAT carry offsets into the text: without --show-phi the text is
             * the keep-length masked one, so the offsets still fit */
            size_t mlen = rec.len;
            char *m = show_phi ? NULL : phi_masked_string(rec.text, rec.len, &sp, 1, &mlen);
            SrDoc doc = {m ? m : rec.text, mlen, &sp, NULL};
            if (out_dir) outdir_put_doc(&od, of, fmt, &doc);
            else if (fmt == FMT_I2B2) {
                record_name(&in, &rec, index, name, sizeof name);
                i2b2_put_doc(stdout, &doc, i2b2_set ? name : NULL);
            } else brat_put_ann(stdout, &doc, NULL);
            free(m);
        }
        if (out_dir && outdir_letter_commit(&od, of, n_of, err) < 0) goto bad;
        if (map.f) deid_put_map(map.f, &rec, index, &sp, sur);
        written++;
        goto next;
    bad:
        failed = 1;
        if (fmt == FMT_JSONL && !out_dir) print_error_record(stdout, &rec, index, err);
        if (rc < 0) fprintf(stderr, "sr deid: %s\n", err); /* it names the file and line */
        else fprintf(stderr, "sr deid: record %ld: %s\n", index + 1, err);
    next:
        if (surrogate) for (int k = 0; k < sp.n; k++) { free(sur[k]); sur[k] = NULL; free(how[k]); how[k] = NULL; }
        record_free(&rec);
        if (stdout_check() < 0) { failed = 1; break; } /* a full disk: stop, do not mask documents nobody gets */
    }
    input_close(&in);
    if (i2b2_set) i2b2_put_set_end(stdout);
    if (out_dir && !quiet) fprintf(stderr, "sr deid: %ld document%s written to %s%s\n", written, written == 1 ? "" : "s", out_dir, failed ? ", some failed (see above)" : "");
    if (outdir_close(&od, err) < 0) { fprintf(stderr, "sr deid: %s\n", err); failed = 1; }
    if (map.f && outfile_commit(&map, err) < 0) { fprintf(stderr, "sr deid: --map-out %s\n", err); failed = 1; }
    free(sur);
    free(how);
    sr_spans_free(&sp);
    status = failed ? 1 : 0;
done:
    if (map.f) outfile_abort(&map);
    outdir_free(&od);
    input_args_free(&ia);
    sr_surrogates_free(sg);
    sr_masker_free(mk);
    sr_free(model);
    free(lexicons);
    return status;
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
    int agg = NER_AGG_NONE, jsonl = 0, encoding = SR_ENC_UTF8, window = 0, overlap = -1, threads = 0;
    SrInputArgs ia;
    input_args_init(&ia, argc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr ner -m MODEL [options] [FILE... | --text TEXT... | --jsonl [FILE...]]\n"
                  "Token classification with Hugging Face's pipeline semantics; prints the entities\n"
                  "of each input as a JSON array (--jsonl: {\"id\":...,\"entities\":[...]} per line).\n"
                  "  -m, --model FILE        converted token classification model (required)\n"
                  "  --aggregation STRATEGY  none (default) | simple | first | average | max\n"
                  "  --window N              positions per window, [CLS] and [SEP] included\n"
                  "                          (default and maximum: the model's max_position)\n"
                  "  --stride N              tokens shared by consecutive windows (default window/4)\n"
                  "  FILE                    one text a file ('-' = stdin; a folder: its files)\n"
                  "  --text TEXT             TEXT itself (repeatable)\n"
                  "  --encoding E            files and stdin are utf-8 (the default), cp1252 or latin1\n"
                  "  --keep-fields A,B       input keys copied verbatim into each JSON record (not de-identified)\n"
                  "  --jsonl                 inputs are JSON lines {\"id\":..., \"text\":...} from the\n"
                  "                          FILE arguments or stdin\n"
                  "  --threads N             threads for the encoder\n"
                  "Without --text or FILE, the text is read from stdin. Offsets start/end are code\n"
                  "points (as Hugging Face), byte_start/byte_end bytes; ends are exclusive.\n",
                  stdout);
            input_args_free(&ia);
            return 0;
        }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--aggregation")) {
            const char *v = opt_value(argc, argv, &i);
            if ((agg = ner_agg_parse(v)) < 0) {
                fprintf(stderr, "sr ner: unknown --aggregation '%s' (none, simple, first, average, max)\n", v);
                input_args_free(&ia);
                return 2;
            }
        } else if (!strcmp(a, "--window")) window = (int)opt_int(argc, argv, &i, 3, INT32_MAX);
        else if (!strcmp(a, "--stride")) overlap = (int)opt_int(argc, argv, &i, 0, INT32_MAX);
        else if (!strcmp(a, "--threads")) threads = opt_threads(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--encoding")) encoding = opt_encoding(argc, argv, &i);
        else if (!strcmp(a, "--keep-fields")) opt_keep_fields(argc, argv, &i);
        else if (opt_input(argc, argv, &i, &ia)) continue;
        else {
            fprintf(stderr, "sr ner: unknown option %s (see sr ner --help)\n", a);
            input_args_free(&ia);
            return 2;
        }
    }
    int status = 0;
    SrModel *m = NULL;
    NerRunner r;
    memset(&r, 0, sizeof r);
    char err[SR_ERR_LEN];
    SrInput in;
    if (!model_path) { fputs("sr ner: -m MODEL is required\n", stderr); status = 2; goto out; }
    if (input_args_open("ner", &ia, jsonl, encoding, &in) < 0) { status = 2; goto out; }
    if (window < 0 || (window > 0 && window < 3)) { fprintf(stderr, "sr ner: bad --window %d\n", window); status = 2; goto out; }
    if (sr_load(&m, model_path, err) < 0) { fprintf(stderr, "sr ner: %s\n", err); status = 2; goto out; }
    if (threads > 0) sr_set_threads(threads);
    if (ner_runner_init(&r, m, window, overlap, err) < 0) { fprintf(stderr, "sr ner: %s: %s\n", model_path, err); status = 2; goto out; }
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
            put_kept_fields(stdout, &rec);
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
    input_args_free(&ia);
    return status;
}

/* ---- sr pos ---------------------------------------------------------------------- */

/* One CoNLL-U file: the FORM column of each sentence's word lines (IDs that are plain
 * integers) is tagged, and the file is written back with UPOS (column 4) filled in;
 * comments, multiword-token ranges and empty nodes pass through unchanged. */
static int pos_conllu(const SrPos *pos, const char *path, FILE *out, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    const char *name = strcmp(path, "-") ? path : "stdin";
    if (utf8_check(buf, len, e) < 0) { free(buf); return sr_fail(err, "%s: %s", name, e); }
    typedef struct { size_t at, n; int word; size_t form, form_n, upos, upos_n; } Line;
    Line *ln = NULL;
    int ln_cap = 0, n_ln = 0, n_words = 0, wcap = 0, rc = 0;
    const char **form = NULL;
    int *flen = NULL;
    unsigned char *tag = NULL;
    long lineno = 0, first_line = 1;
    size_t p = 0;
    while (p <= len && rc == 0) {
        int at_end = p == len;
        const char *l = buf + p;
        const char *nl = at_end ? NULL : memchr(l, '\n', len - p);
        size_t n = at_end ? 0 : nl ? (size_t)(nl - l) : len - p;
        if (!at_end) lineno++;
        int blank = n == 0 || (n == 1 && l[0] == '\r');
        if (!blank) {
            ln = grow(ln, &ln_cap, n_ln + 1, sizeof *ln);
            Line *x = &ln[n_ln++];
            memset(x, 0, sizeof *x);
            x->at = p; x->n = n; x->word = 0;
            if (n_ln == 1) first_line = lineno;
            size_t k = 0;
            while (k < n && l[k] >= '0' && l[k] <= '9') k++;
            if (l[0] != '#' && k > 0 && k < n && l[k] == '\t') { /* a word line */
                size_t col[10], c = 0, q = 0;
                col[c++] = 0;
                for (q = 0; q < n && c <= 10; q++)
                    if (l[q] == '\t') { if (c < 10) col[c] = q + 1; c++; }
                if (c != 10) { rc = sr_fail(err, "%s:%ld: %zu columns, a CoNLL-U word line has 10", name, lineno, c); break; }
                x->word = 1;
                x->form = p + col[1]; x->form_n = col[2] - 1 - col[1];
                x->upos = p + col[3]; x->upos_n = col[4] - 1 - col[3];
                n_words++;
            } else if (l[0] != '#' && !(k > 0 && k < n && (l[k] == '-' || l[k] == '.'))) {
                rc = sr_fail(err, "%s:%ld: not a CoNLL-U line (no ID column)", name, lineno);
                break;
            }
        }
        if ((blank || at_end) && n_ln) { /* a sentence ends: tag its words, write it */
            int cap0 = wcap;
            form = grow(form, &wcap, n_words, sizeof *form);
            if (wcap != cap0) { flen = xrealloc(flen, (size_t)wcap * sizeof *flen); tag = xrealloc(tag, (size_t)wcap); }
            int k = 0;
            for (int i = 0; i < n_ln; i++)
                if (ln[i].word) { form[k] = buf + ln[i].form; flen[k++] = (int)ln[i].form_n; }
            if (sr_pos_tag(pos, form, flen, k, tag, e) < 0) { rc = sr_fail(err, "%s:%ld: %s", name, first_line, e); break; }
            k = 0;
            for (int i = 0; i < n_ln; i++) {
                const Line *x = &ln[i];
                if (!x->word) { fwrite(buf + x->at, 1, x->n, out); fputc('\n', out); continue; }
                fwrite(buf + x->at, 1, x->upos - x->at, out);
                fputs(sr_pos_tag_name(pos, tag[k++]), out);
                fwrite(buf + x->upos + x->upos_n, 1, x->at + x->n - (x->upos + x->upos_n), out);
                fputc('\n', out);
            }
            n_ln = n_words = 0;
        }
        if (blank && !at_end) fputc('\n', out);
        if (at_end) break;
        p += n + 1;
    }
    free(ln); free(form); free(flen); free(tag); free(buf);
    return rc;
}

static int cmd_pos(int argc, char **argv) {
    const char *data_dir = NULL, *tagger = NULL, *conllu = NULL;
    SrInputArgs ia;
    input_args_init(&ia, argc);
    int jsonl = 0, encoding = SR_ENC_UTF8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr pos [options] [FILE... | --text TEXT... | --jsonl [FILE...] | --conllu FILE]\n"
                  "Universal part-of-speech tags (UD UPOS) from the built-in tagger, for the Masker's\n"
                  "words (the words sr generate may resample). Prints one line a word:\n"
                  "start<TAB>end<TAB>UPOS<TAB>word (code points, end exclusive), a blank line between texts.\n"
                  "  --encoding E    files and stdin are utf-8 (the default), cp1252 or latin1\n"
                  "  --keep-fields A,B input keys copied verbatim into each JSON record (not de-identified)\n"
                  "  --jsonl         inputs are JSON lines {\"id\":..., \"text\":...}; prints\n"
                  "                  {\"id\":...,\"words\":[{\"start\",\"end\",\"upos\",\"word\"}]} a line\n"
                  "  --conllu FILE   tag the FORM column of a CoNLL-U file ('-' = stdin) and write it\n"
                  "                  back with UPOS (column 4) filled in, everything else unchanged\n"
                  "  FILE            one text a file ('-' = stdin; a folder: its files)\n"
                  "  --text TEXT     TEXT itself (repeatable)\n"
                  "  --tagger FILE   the tagger (default: data/pos_ewt.srp)\n"
                  "  --data DIR      folder of the shipped data files\n",
                  stdout);
            input_args_free(&ia);
            return 0;
        }
        if (!strcmp(a, "--conllu")) conllu = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--tagger")) tagger = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--encoding")) encoding = opt_encoding(argc, argv, &i);
        else if (!strcmp(a, "--keep-fields")) opt_keep_fields(argc, argv, &i);
        else if (opt_input(argc, argv, &i, &ia)) continue;
        else { fprintf(stderr, "sr pos: unknown option %s (see sr pos --help)\n", a); input_args_free(&ia); return 2; }
    }
    char err[SR_ERR_LEN], path[8192];
    SrInput in;
    if (conllu && (ia.n_args || ia.n_texts || jsonl)) { fputs("sr pos: --conllu takes one file and no other input\n", stderr); input_args_free(&ia); return 2; }
    if (!conllu && input_args_open("pos", &ia, jsonl, encoding, &in) < 0) { input_args_free(&ia); return 2; }
    if (tagger) snprintf(path, sizeof path, "%s", tagger);
    else if (data_file(data_dir, "pos_ewt.srp", path, sizeof path, err) < 0) { fprintf(stderr, "sr pos: %s\n", err); input_args_free(&ia); return 2; }
    SrPos *pos = sr_pos_load(path, err);
    if (!pos) { fprintf(stderr, "sr pos: %s\n", err); input_args_free(&ia); return 2; }
    int status = 0;
    if (conllu) {
        if (pos_conllu(pos, conllu, stdout, err) < 0) { fprintf(stderr, "sr pos: %s\n", err); status = 1; }
    } else {
        SrRecord rec;
        Word *w = NULL;
        const char **tp = NULL;
        int *tl = NULL, *word_tok = NULL, wcap = 0, tcap = 0, wtcap = 0;
        unsigned char *tag = NULL;
        int got;
        while ((got = input_next(&in, &rec, err)) != 0) {
            int nw = got < 0 ? -1 : text_words(rec.text, rec.len, &w, &wcap, err);
            int nt = 0;
            if (nw >= 0) {
                word_tok = grow(word_tok, &wtcap, nw + 1, sizeof *word_tok);
                nt = pos_tokens_of_words(rec.text, rec.len, w, nw, &tp, &tl, &tcap, word_tok);
                tag = xrealloc(tag, (size_t)nt + 1);
                if (sr_pos_tag(pos, tp, tl, nt, tag, err) < 0) nw = -1;
            }
            if (nw < 0) {
                if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
                else fprintf(stderr, "sr pos: %s\n", err);
                status = 1;
                record_free(&rec);
                continue;
            }
            if (jsonl) {
                fputs("{\"id\":", stdout);
                if (rec.id_json) fputs(rec.id_json, stdout); else printf("%ld", in.count - 1);
                put_kept_fields(stdout, &rec);
                fputs(",\"words\":[", stdout);
            } else if (in.count > 1) fputc('\n', stdout);
            for (int k = 0; k < nw; k++) {
                const char *name = sr_pos_tag_name(pos, tag[word_tok[k]]);
                if (jsonl) {
                    printf("%s{\"start\":%d,\"end\":%d,\"upos\":\"%s\",\"word\":", k ? "," : "", w[k].c0, w[k].c1, name);
                    json_put_string(stdout, rec.text + w[k].b0, (size_t)(w[k].b1 - w[k].b0));
                    fputc('}', stdout);
                } else {
                    printf("%d\t%d\t%s\t", w[k].c0, w[k].c1, name);
                    fwrite(rec.text + w[k].b0, 1, (size_t)(w[k].b1 - w[k].b0), stdout);
                    fputc('\n', stdout);
                }
            }
            if (jsonl) fputs("]}\n", stdout);
            record_free(&rec);
        }
        input_close(&in);
        free(w); free(tp); free(tl); free(word_tok); free(tag);
    }
    if (stdout_check() < 0) status = 1;
    sr_pos_free(pos);
    input_args_free(&ia);
    return status;
}
