/* mlm.c - the masked-LM side: sampler, mask-filling strategies, `sr fill` and
 * `sr generate`. Included by sr.c.
 *
 * How a letter becomes a synthetic letter (sr_generate)
 *   1. The Masker (ner.c) returns spans: PHI, PROTECT (medical entities) and ELIGIBLE
 *      words. Every PHI span is masked; PROTECT never; of the ELIGIBLE spans
 *      floor(ratio x count) are drawn without replacement, per category with `stratify`
 *      (per part of speech, as the paper; sr generate's default), from the letter's RNG.
 *   2. The letter is tokenized once. A "unit" is one pre-tokenized word (Hugging
 *      Face's word_ids) inside a chosen span that holds a letter, digit or non-ASCII
 *      character; punctuation inside a span ("/" in a date, "-" in a phone number,
 *      "@" in an e-mail) is kept, so surrogates keep the shape of what they replace.
 *      A PHI span that cuts a word in two masks the whole word (never less).
 *   3. A unit is refilled with up to min(pieces of the original word, max_pieces)
 *      [MASK] tokens. Piece 1 is drawn from word-start tokens that begin with an ASCII
 *      letter or digit; each later piece from "##" continuations plus one extra choice,
 *      "end of word", whose probability is the mass of every other token. Ending the
 *      word removes its remaining masks. So a fill is never a "##" piece at a word
 *      start, a special token, [UNK], [unusedN] or punctuation. The refill keeps the
 *      original's shape: an all-digit word gets digit pieces, an all-letter word letter
 *      pieces (mixed: any); an all-letter word (a content word or a name) is never
 *      refilled with a function word ("the", "of": function_words below) nor, when it
 *      is longer than one letter, with a lone letter.
 *   4. PHI masks never sample the original token at that piece; after the letter is
 *      built the leak check looks for every original PHI string (case-insensitive,
 *      letters and digits only, at word boundaries, >= 2 characters): `leaks`.
 *      --strict resamples the letter (other RNG stream) while a leak touches a fill,
 *      then overwrites what still leaks (e.g. a name the Masker missed) with [**TYPE**].
 *      There is no type-aware fallback: the constraints above make every fill usable.
 *   5. Strategies (all masks of PHI are [MASK] before the first forward pass, so no
 *      original identifier is ever visible to the model; --paper turns that off):
 *      iterative  one piece per forward pass, left to right, window of `window` tokens
 *                 each side; eligible words still waiting keep their original text.
 *      parallel   every mask is [MASK]; one forward per window predicts all its masks.
 *      rounds:N   every mask is [MASK]; pass p predicts the first open piece of each
 *                 word and keeps the most confident 1/(N-p) of them; the last pass
 *                 fills everything left (Mask-Predict style): about N x letter/window
 *                 forward passes instead of one per piece.
 *   6. Case: with an uncased model a fill takes the case pattern of the word it
 *      replaces (UPPER, Title, lower). With a cased model the model's case is kept,
 *      except that an UPPER original makes the fill UPPER and a Title original makes
 *      its first letter upper. --paper keeps the model's tokens as they are.
 *   7. Text between units is copied byte for byte: spacing, line breaks, punctuation.
 *      Offsets of surrogates and protected entities are mapped into the new text.
 *
 * Determinism: the RNG (xorshift64*) is seeded from --seed and a hash of the letter,
 * so a letter gives the same synthetic text whatever the order, shard or thread count
 * (the kernels' results do not depend on threads).
 */

#include <dirent.h> /* sr generate DIR */

#define SR_GEN_MAX_PIECES 8
#define SR_STOP (-2) /* "end of word" choice for a continuation piece */

/* ================================================================================
 * Random numbers: splitmix64 seeding, xorshift64* stream
 * ================================================================================ */

typedef struct { uint64_t s; } SrRng;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static void rng_seed(SrRng *r, uint64_t seed) {
    r->s = splitmix64(&seed);
    if (r->s == 0) r->s = 0x2545F4914F6CDD1Dull;
}
static uint64_t rng_next(SrRng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
/* Uniform in [0, 1). */
static double rng_uniform(SrRng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }
/* Uniform integer in [0, n). */
static int rng_below(SrRng *r, int n) { return (int)(rng_uniform(r) * n); }

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

/* ================================================================================
 * Vocabulary classes: which tokens may start or continue a refilled word
 * ================================================================================ */

enum { VC_BAD = 0, VC_WORD = 1, VC_CONT = 2, VC_OTHER = 3 };
/* Added to VC_WORD / VC_CONT: the token's letters-and-digits are all digits / all
 * letters. A word's refill keeps the shape of the original (SHAPE_*). */
#define VC_DIGITS 16
#define VC_LETTERS 32
#define VC_FUNCTION 64 /* a closed-class English word: never the refill of a content word */
#define VC_SHORT 128   /* a one-character word start: never the refill of a longer word */
#define VC_CLASS(v) ((v) & 15)

/* Function words (case-insensitive). A weak model fills masked content words with "the"
 * or "of"; a noun, verb or adjective is not refilled with one of these, nor is a name. */
static const char *const function_words[] = {
    "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "if", "then", "than", "as", "of", "in",
    "on", "at", "by", "to", "for", "from", "with", "without", "into", "onto", "upon", "about", "over",
    "under", "after", "before", "since", "until", "while", "during", "through", "between", "among",
    "against", "per", "via", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have",
    "had", "do", "does", "did", "will", "would", "shall", "should", "can", "could", "may", "might",
    "must", "he", "she", "it", "they", "we", "you", "i", "me", "him", "her", "us", "them", "his",
    "hers", "its", "their", "our", "your", "my", "this", "that", "these", "those", "who", "whom",
    "whose", "which", "what", "there", "here", "not", "no", "all", "any", "some", "each", "every",
    "both", "either", "neither", "also", "very", "too", "just", "only", "s", "t", "mr", "mrs", "ms",
    "dr", "st", "de", "la", "le", "von", "van", "du", NULL};
enum { SHAPE_ANY = 0, SHAPE_DIGITS = VC_DIGITS, SHAPE_LETTERS = VC_LETTERS };

static int ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One byte per token: VC_WORD starts with an ASCII letter or digit; VC_CONT is "##"
 * followed by one; VC_BAD is special ([CLS], [UNK], [unused3], ...); the rest (VC_OTHER)
 * is punctuation and other symbols. */
static unsigned char *vocab_classes(const SrModel *m) {
    const SrConfig *c = sr_config(m);
    unsigned char *vc = xmalloc((size_t)c->vocab_size);
    for (int i = 0; i < c->vocab_size; i++) {
        const char *s = sr_token_text(m, i);
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || i == c->cls_id || i == c->sep_id || i == c->pad_id || i == c->unk_id ||
            i == c->mask_id || (n > 2 && s[0] == '[' && s[n - 1] == ']'))
            vc[i] = VC_BAD;
        else if (n > 2 && s[0] == '#' && s[1] == '#' && ascii_alnum((unsigned char)s[2])) vc[i] = VC_CONT;
        else if (ascii_alnum((unsigned char)s[0])) vc[i] = VC_WORD;
        else vc[i] = VC_OTHER;
        if (vc[i] == VC_WORD || vc[i] == VC_CONT) {
            int digits = 0, letters = 0, other = 0;
            for (const char *p = s + (vc[i] == VC_CONT ? 2 : 0); *p; p++) {
                if (*p >= '0' && *p <= '9') digits++;
                else if (isalpha((unsigned char)*p)) letters++;
                else other++;
            }
            if (digits && !letters && !other) vc[i] |= VC_DIGITS;
            if (letters && !digits && !other) vc[i] |= VC_LETTERS;
            if (VC_CLASS(vc[i]) == VC_WORD && n == 1) vc[i] |= VC_SHORT;
            for (int f = 0; VC_CLASS(vc[i]) == VC_WORD && n <= 8 && function_words[f]; f++)
                if (function_words[f][0] == tolower((unsigned char)s[0]) && !strcasecmp(s, function_words[f])) { vc[i] |= VC_FUNCTION; break; }
        }
    }
    return vc;
}

/* ================================================================================
 * The sampler (llama2.c style): full softmax, top-k, temperature, top-p, draw
 * ================================================================================ */

typedef struct {
    int id;  /* token id, or SR_STOP */
    float p; /* probability under the model's full softmax (temperature 1) */
} SrCand;

typedef struct {
    int top_k;         /* <= 0: every allowed token */
    float top_p;       /* >= 1: off */
    float temperature; /* <= 0: greedy */
} SrSampler;

/* probs = softmax(logits) over the whole vocabulary (numerically stable). */
static void softmax_full(const float *logits, float *probs, int n) {
    float mx = logits[0];
    for (int i = 1; i < n; i++) mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++) { probs[i] = expf(logits[i] - mx); sum += probs[i]; }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) probs[i] *= inv;
}

static int cand_cmp(const void *a, const void *b) {
    const SrCand *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id; /* ties: smaller id first (deterministic) */
}

/* Keep cand[] as the best k seen so far (sorted, descending); returns the new count. */
static int topk_push(SrCand *cand, int n, int k, int id, float p) {
    if (n == k && !(p > cand[k - 1].p)) return n;
    int i = n < k ? n++ : k - 1;
    while (i > 0 && p > cand[i - 1].p) { cand[i] = cand[i - 1]; i--; }
    cand[i].id = id;
    cand[i].p = p;
    return n;
}

/* The candidates for one piece, best first, at most k (k <= 0: all) into cand (room for
 * max(k, vocab+1)). Piece 0 of a word: VC_WORD tokens; later pieces: VC_CONT tokens and
 * SR_STOP with the mass of all other tokens. shape (SHAPE_*) keeps only all-digit or
 * all-letter tokens. excl (-1 = none) is never a candidate. */
static int gather_cands(const float *probs, const unsigned char *vc, int V, int continuation,
                        int shape, int excl, int k, SrCand *cand) {
    int forbid = shape & (VC_FUNCTION | VC_SHORT); /* shape may also ask: no function words, */
    shape &= ~(VC_FUNCTION | VC_SHORT);            /* no one-character words */
    int want = continuation ? VC_CONT : VC_WORD;
    int n = 0;
    double other = 0;
#define CAND_OK(i) (VC_CLASS(vc[i]) == want && (vc[i] & shape) == shape && !(vc[i] & forbid))
    if (k > 0) {
        for (int i = 0; i < V; i++) {
            if (!CAND_OK(i)) { other += probs[i]; continue; }
            if (i == excl) continue;
            n = topk_push(cand, n, k, i, probs[i]);
        }
        if (continuation) n = topk_push(cand, n, k, SR_STOP, (float)other);
        return n;
    }
    for (int i = 0; i < V; i++) {
        if (!CAND_OK(i)) { other += probs[i]; continue; }
        if (i != excl && probs[i] > 0) cand[n++] = (SrCand){i, probs[i]};
    }
#undef CAND_OK
    if (continuation) cand[n++] = (SrCand){SR_STOP, (float)other};
    qsort(cand, (size_t)n, sizeof *cand, cand_cmp);
    return n;
}

/* Draw one of cand[0..n-1] (sorted best first): greedy, or renormalised over the top
 * candidates after temperature and top-p. Returns the index, -1 when n == 0. */
static int sample_cands(const SrCand *cand, int n, const SrSampler *sp, SrRng *rng, double *w) {
    if (n <= 0) return -1;
    if (sp->temperature <= 0 || sp->top_k == 1 || n == 1) return 0;
    double inv_t = 1.0 / sp->temperature, sum = 0;
    for (int i = 0; i < n; i++) { w[i] = cand[i].p > 0 ? pow(cand[i].p, inv_t) : 0; sum += w[i]; }
    if (!(sum > 0)) return 0;
    int keep = n;
    if (sp->top_p < 1) { /* the smallest prefix whose mass reaches top_p */
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += w[i] / sum;
            if (acc >= sp->top_p) { keep = i + 1; break; }
        }
        sum = 0;
        for (int i = 0; i < keep; i++) sum += w[i];
    }
    double r = rng_uniform(rng) * sum, acc = 0;
    for (int i = 0; i < keep; i++) {
        acc += w[i];
        if (r < acc) return i;
    }
    return keep - 1;
}

/* ================================================================================
 * Generation: units, the working token sequence, forward windows, strategies
 * ================================================================================ */

enum { CASE_NONE = 0, CASE_LOWER, CASE_TITLE, CASE_UPPER };

typedef struct {
    int action;               /* SR_ACT_PHI or SR_ACT_ELIGIBLE */
    int span;                 /* index of the Masker span */
    int byte_start, byte_end; /* the original word */
    int n_orig;               /* its WordPieces */
    int orig_id[SR_GEN_MAX_PIECES];
    int n_masks;              /* masks it gets */
    int n_new;                /* pieces chosen so far */
    int new_id[SR_GEN_MAX_PIECES];
    float prob;               /* product of the chosen pieces' probabilities */
    int forward;              /* forward that chose piece 0 */
    int done;                 /* word finished */
    int case_pattern;
    int shape;                /* SHAPE_*: the original is all digits / all letters */
} GenUnit;

/* A replacement of original bytes [orig_start, orig_end) by new text (units and
 * [**TYPE**] redactions), and the segments of the rebuilt output. */
typedef struct {
    int orig_start, orig_end;
    int unit;   /* unit index, or -1 for a redaction */
    char *text; /* redaction text (malloc'd), NULL for a unit */
} GenRep;

typedef struct {
    int orig_start, orig_end, out_start, out_end;
    int rep; /* index into reps, or -1 for copied text */
} GenSeg;

typedef struct {
    const SrModel *m;
    SrState *st;
    const SrConfig *cfg;
    const SrGenOptions *opt;
    const char *text;
    size_t len;
    unsigned char *vc; /* vocabulary classes */
    int V, win_len, uncased;
    SrSampler sp;
    SrRng rng;
    /* the working sequence (no [CLS]/[SEP]): token ids, owning unit (-1: fixed text) and
       piece (-1: the unit's original token, still waiting; >= 0: mask or chosen piece) */
    int *ids, *unit, *piece;
    int n, cap;
    GenUnit *units;
    int n_units, cap_units;
    /* scratch */
    int *win_ids, *pos, *rows;
    int cap_pos;
    float *logits, *probs;
    int cap_logit_rows;
    SrCand *cand;
    double *w;
    /* output building */
    GenRep *reps;
    int n_reps, cap_reps;
    GenSeg *segs;
    int n_segs, cap_segs;
    SrGenResult *res;
    int decided; /* pieces predicted so far (progress) */
} GenCtx;

/* Case pattern of a word: UPPER needs two capitals and no lower-case letter. */
static int case_of(const char *s, int n) {
    int up = 0, lo = 0, first_up = -1;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') { up++; if (first_up < 0) first_up = 1; }
        else if (c >= 'a' && c <= 'z') { lo++; if (first_up < 0) first_up = 0; }
    }
    if (up >= 2 && lo == 0) return CASE_UPPER;
    if (first_up == 1) return CASE_TITLE;
    if (lo > 0) return CASE_LOWER;
    return CASE_NONE;
}

/* ---- the working sequence: splicing ---- */

static void seq_reserve(GenCtx *g, int need) {
    if (need <= g->cap) return;
    int cap = g->cap;
    g->ids = grow(g->ids, &cap, need, sizeof(int));
    cap = g->cap;
    g->unit = grow(g->unit, &cap, need, sizeof(int));
    g->piece = grow(g->piece, &g->cap, need, sizeof(int));
}

/* Replace n_old tokens at pos by n_new [MASK]s of unit u, pieces first_piece... */
static void seq_splice_masks(GenCtx *g, int pos, int n_old, int n_new, int u, int first_piece) {
    seq_reserve(g, g->n - n_old + n_new);
    int tail = g->n - pos - n_old;
    memmove(g->ids + pos + n_new, g->ids + pos + n_old, (size_t)tail * sizeof(int));
    memmove(g->unit + pos + n_new, g->unit + pos + n_old, (size_t)tail * sizeof(int));
    memmove(g->piece + pos + n_new, g->piece + pos + n_old, (size_t)tail * sizeof(int));
    for (int k = 0; k < n_new; k++) {
        g->ids[pos + k] = g->cfg->mask_id;
        g->unit[pos + k] = u;
        g->piece[pos + k] = first_piece + k;
    }
    g->n += n_new - n_old;
}

/* Index of unit u's first token at or after `from` (-1 if absent). */
static int seq_find_unit(const GenCtx *g, int u, int from) {
    for (int i = from; i < g->n; i++)
        if (g->unit[i] == u) return i;
    for (int i = 0; i < from && i < g->n; i++)
        if (g->unit[i] == u) return i;
    return -1;
}

/* Mask unit u (its original tokens at pos become n_masks [MASK]s). */
static void unit_mask(GenCtx *g, int u, int pos) {
    GenUnit *un = &g->units[u];
    seq_splice_masks(g, pos, un->n_orig, un->n_masks, u, 0);
}

/* ---- explain: the context a decision saw ---- */

/* The window text around seq position c as the model saw it: pieces joined, masks as
 * [MASK], original PHI still waiting (only in --paper) shown as [PHI]. */
static char *explain_context(const GenCtx *g, int c, int radius) {
    int a = c - radius < 0 ? 0 : c - radius, b = c + radius + 1 > g->n ? g->n : c + radius + 1;
    size_t cap = 256, n = 0;
    char *s = xmalloc(cap);
    if (a > 0) { memcpy(s, "... ", 4); n = 4; }
    for (int i = a; i < b; i++) {
        const char *t;
        int u = g->unit[i];
        if (i == c) t = ">>[MASK]<<";
        else if (g->ids[i] == g->cfg->mask_id) t = "[MASK]";
        else if (u >= 0 && g->piece[i] < 0 && g->units[u].action == SR_ACT_PHI && !g->opt->keep_original) {
            if (i > a && g->unit[i - 1] == u) continue; /* one [PHI] per word */
            t = "[PHI]";
        } else t = sr_token_text(g->m, g->ids[i]);
        int cont = t[0] == '#' && t[1] == '#' && t[2];
        if (cont) t += 2;
        size_t tl = strlen(t);
        if (n + tl + 8 > cap) s = xrealloc(s, cap = 2 * (n + tl + 8));
        if (n > 0 && !cont) s[n++] = ' ';
        memcpy(s + n, t, tl);
        n += tl;
    }
    if (b < g->n) { memcpy(s + n, " ...", 4); n += 4; }
    s[n] = 0;
    return s;
}

/* ---- one forward pass over a window, MLM logits at chosen positions ---- */

/* Choose the token for the mask at seq position c from its logits row. Fills *id, *p
 * (SR_STOP for "end of word"); records an explain decision when asked. */
static int choose_piece(GenCtx *g, int c, const float *logits, int *id, float *p, char *err) {
    int u = g->unit[c], j = g->piece[c];
    GenUnit *un = &g->units[u];
    softmax_full(logits, g->probs, g->V);
    int excl = -1;
    if (un->action == SR_ACT_PHI && !g->opt->paper && j < un->n_orig) excl = un->orig_id[j];
    int k = g->sp.top_k;
    if (g->sp.temperature <= 0) k = 1;
    /* --explain shows at least 8 candidates; the draw is from the first k */
    int shown = g->opt->explain && k > 0 && k < 8 ? 8 : k;
    int n = gather_cands(g->probs, g->vc, g->V, j > 0, un->shape, excl, shown, g->cand);
    int pick = sample_cands(g->cand, k > 0 && n > k ? k : n, &g->sp, &g->rng, g->w);
    if (pick < 0) return sr_fail(err, "the model's vocabulary has no token to fill a word with");
    *id = g->cand[pick].id;
    *p = g->cand[pick].p;
    if (g->opt->explain) {
        SrGenResult *r = g->res;
        r->dec = grow(r->dec, &r->cap_dec, r->n_dec + 1, sizeof *r->dec);
        SrDecision *d = &r->dec[r->n_dec++];
        memset(d, 0, sizeof *d);
        d->forward = r->forwards;
        d->fill = u;
        d->piece = j;
        d->context = explain_context(g, c, 12);
        d->n_cand = n < SR_EXPLAIN_K ? n : SR_EXPLAIN_K;
        for (int i = 0; i < d->n_cand; i++) { d->cand_id[i] = g->cand[i].id; d->cand_prob[i] = g->cand[i].p; }
        d->chosen = *id;
        d->prob = *p;
    }
    return 0;
}

/* Predict the masks at sorted seq positions pos[0..np-1]: windows of win_len tokens
 * with `left` tokens of context before the first mask of each; every prediction goes
 * to out_id/out_p (indexed like pos). Counts forwards and their time. */
static int predict(GenCtx *g, const int *pos, int np, int left, int *out_id, float *out_p, char *err) {
    int L = g->win_len, i = 0;
    while (i < np) {
        int c = pos[i];
        int s = c - left;
        if (s > g->n - L) s = g->n - L;
        if (s < 0) s = 0;
        int e = s + L < g->n ? s + L : g->n;
        /* masks this window predicts: those with `left` tokens of right context, or all
           at the end of the letter */
        int limit = e == g->n ? e : e - left;
        if (limit <= c) limit = c + 1;
        int k = i;
        while (k < np && pos[k] < limit) k++;
        int nrow = k - i;
        g->win_ids[0] = g->cfg->cls_id;
        memcpy(g->win_ids + 1, g->ids + s, (size_t)(e - s) * sizeof(int));
        g->win_ids[e - s + 1] = g->cfg->sep_id;
        for (int r = 0; r < nrow; r++) g->rows[r] = pos[i + r] - s + 1;
        if (nrow > g->cap_logit_rows) {
            g->cap_logit_rows = nrow;
            g->logits = xrealloc(g->logits, (size_t)nrow * g->V * sizeof(float));
        }
        double t0 = now_seconds();
        if (!sr_forward(g->m, g->st, g->win_ids, NULL, NULL, e - s + 2)) return sr_fail(err, "encoder forward failed");
        double t1 = now_seconds();
        if (sr_mlm_logits(g->m, g->st, g->rows, nrow, g->logits, err) < 0) return -1;
        double t2 = now_seconds();
        g->res->forwards++;
        g->res->forward_seconds += t1 - t0;
        g->res->head_seconds += t2 - t1;
        for (int r = 0; r < nrow; r++)
            if (choose_piece(g, pos[i + r], g->logits + (size_t)r * g->V, &out_id[i + r], &out_p[i + r], err) < 0) return -1;
        g->decided += nrow;
        if (g->opt->progress) g->opt->progress(g->opt->progress_arg, g->decided, g->res->masks, g->res->forwards);
        i = k;
    }
    return 0;
}

/* Put the chosen piece at seq position c (or end the word there: its remaining masks
 * go). Returns how many tokens were removed. */
static int apply_piece(GenCtx *g, int c, int id, float p) {
    int u = g->unit[c];
    GenUnit *un = &g->units[u];
    if (un->n_new == 0) un->forward = g->res->forwards;
    if (id == SR_STOP) {
        int e = c;
        while (e < g->n && g->unit[e] == u) e++;
        seq_splice_masks(g, c, e - c, 0, u, 0);
        un->done = 1;
        return e - c;
    }
    g->ids[c] = id;
    un->new_id[un->n_new++] = id;
    un->prob *= p;
    if (un->n_new == un->n_masks) un->done = 1;
    return 0;
}

/* iterative: one piece per forward, left to right (PHI already masked, unless paper). */
static int fill_iterative(GenCtx *g, char *err) {
    int hint = 0;
    for (int u = 0; u < g->n_units; u++) {
        int c = seq_find_unit(g, u, hint);
        if (c < 0) return sr_fail(err, "internal: unit %d lost", u);
        hint = c;
        if (g->piece[c] < 0) unit_mask(g, u, c);
        GenUnit *un = &g->units[u];
        for (int j = 0; !un->done && j < un->n_masks; j++) {
            int id;
            float p;
            int at = c + j;
            if (predict(g, &at, 1, g->opt->window, &id, &p, err) < 0) return -1;
            apply_piece(g, at, id, p);
        }
    }
    return 0;
}

typedef struct { int pos, idx; float conf; } GenPick;
static int pick_cmp(const void *a, const void *b) {
    const GenPick *x = a, *y = b;
    if (x->conf != y->conf) return x->conf > y->conf ? -1 : 1;
    return x->pos - y->pos;
}
static int pick_pos_desc(const void *a, const void *b) { return ((const GenPick *)b)->pos - ((const GenPick *)a)->pos; }

/* rounds:N (parallel = 1 round): every mask visible. Pass p < N-1 predicts the first open
 * piece of every unfinished word and keeps the most confident ceil(open/(N-p)); the last
 * pass predicts every open piece at once and fills each word left to right. */
static int fill_rounds(GenCtx *g, int rounds, char *err) {
    int left = g->opt->window / 4 > 0 ? g->opt->window / 4 : 1; /* context margin of a window */
    int *ids = NULL, cap_ids = 0;
    float *ps = NULL;
    int cap_ps = 0, cap_pk = 0;
    GenPick *pk = NULL;
    int rc = 0;
    for (int pass = 0;; pass++) {
        int last = pass >= rounds - 1, np = 0;
        for (int i = 0; i < g->n; i++) {
            int u = g->unit[i];
            if (u < 0 || g->ids[i] != g->cfg->mask_id || g->units[u].done) continue;
            if (!last && i > 0 && g->unit[i - 1] == u && g->ids[i - 1] == g->cfg->mask_id) continue; /* not the first open piece */
            if (np + 1 > g->cap_pos) {
                g->cap_pos = 2 * (np + 1);
                g->pos = xrealloc(g->pos, (size_t)g->cap_pos * sizeof(int));
            }
            g->pos[np++] = i;
        }
        if (np == 0) break;
        ids = grow(ids, &cap_ids, np, sizeof(int));
        ps = grow(ps, &cap_ps, np, sizeof(float));
        pk = grow(pk, &cap_pk, np, sizeof(GenPick));
        if ((rc = predict(g, g->pos, np, left, ids, ps, err)) < 0) break;
        int keep = np;
        for (int i = 0; i < np; i++) pk[i] = (GenPick){g->pos[i], i, ps[i]};
        if (!last) {
            keep = (np + (rounds - pass) - 1) / (rounds - pass);
            qsort(pk, (size_t)np, sizeof *pk, pick_cmp);
        }
        /* apply right to left so that removing masks does not move what is left to do */
        qsort(pk, (size_t)keep, sizeof *pk, pick_pos_desc);
        if (last) {
            /* words from the right; within a word its pieces left to right up to the first
               "end of word" (which removes the rest of that word only) */
            for (int a = 0; a < keep;) {
                int u = g->unit[pk[a].pos], b = a;
                while (b < keep && g->unit[pk[b].pos] == u) b++;
                for (int q = b - 1; q >= a; q--) /* pk[a..b) is word u, right to left */
                    if (apply_piece(g, pk[q].pos, ids[pk[q].idx], ps[pk[q].idx]) > 0) break;
                a = b;
            }
            break;
        }
        for (int a = 0; a < keep; a++) apply_piece(g, pk[a].pos, ids[pk[a].idx], ps[pk[a].idx]);
    }
    free(ids);
    free(ps);
    free(pk);
    return rc;
}

/* ================================================================================
 * Output: rebuild the text from replacements, map offsets, leak check
 * ================================================================================ */

/* The new word of unit u, with the case pattern applied, into *buf. */
static size_t unit_word(const GenCtx *g, int u, char *buf, size_t cap) {
    const GenUnit *un = &g->units[u];
    size_t n = 0;
    for (int k = 0; k < un->n_new; k++) {
        const char *t = sr_token_text(g->m, un->new_id[k]);
        if (k > 0 && t[0] == '#' && t[1] == '#') t += 2;
        size_t tl = strlen(t);
        if (n + tl + 1 > cap) tl = cap - n - 1;
        memcpy(buf + n, t, tl);
        n += tl;
    }
    buf[n] = 0;
    if (g->opt->paper) return n;
    int cp = un->case_pattern;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (cp == CASE_UPPER) buf[i] = (char)toupper(c);
        else if (cp == CASE_TITLE && first && isalpha(c)) buf[i] = (char)toupper(c);
        if (isalpha(c)) first = 0;
    }
    return n;
}

static int rep_cmp(const void *a, const void *b) {
    return ((const GenRep *)a)->orig_start - ((const GenRep *)b)->orig_start;
}

/* Rebuild res->text from the original and the replacements (sorted, disjoint), with
 * the segment map. */
static void build_output(GenCtx *g) {
    SrGenResult *r = g->res;
    qsort(g->reps, (size_t)g->n_reps, sizeof *g->reps, rep_cmp);
    size_t cap = g->len + 64, n = 0;
    char *out = xmalloc(cap);
    g->n_segs = 0;
    int at = 0;
    char word[SR_GEN_MAX_PIECES * 64];
    for (int k = 0; k <= g->n_reps; k++) {
        int stop = k < g->n_reps ? g->reps[k].orig_start : (int)g->len;
        if (stop > at) { /* copied text */
            if (n + (size_t)(stop - at) + 1 > cap) out = xrealloc(out, cap = 2 * (n + (size_t)(stop - at) + 1));
            memcpy(out + n, g->text + at, (size_t)(stop - at));
            g->segs = grow(g->segs, &g->cap_segs, g->n_segs + 1, sizeof *g->segs);
            g->segs[g->n_segs++] = (GenSeg){at, stop, (int)n, (int)(n + (size_t)(stop - at)), -1};
            n += (size_t)(stop - at);
        }
        if (k == g->n_reps) break;
        const GenRep *rp = &g->reps[k];
        const char *t = rp->text;
        size_t tl;
        if (!t) { tl = unit_word(g, rp->unit, word, sizeof word); t = word; }
        else tl = strlen(t);
        if (n + tl + 1 > cap) out = xrealloc(out, cap = 2 * (n + tl + 1));
        memcpy(out + n, t, tl);
        g->segs = grow(g->segs, &g->cap_segs, g->n_segs + 1, sizeof *g->segs);
        g->segs[g->n_segs++] = (GenSeg){rp->orig_start, rp->orig_end, (int)n, (int)(n + tl), k};
        n += tl;
        at = rp->orig_end;
    }
    out[n] = 0;
    free(r->text);
    r->text = out;
    r->len = n;
}

/* Output byte offset of original offset o: as a start (a replaced stretch maps to its
 * new start) or as an end (to its new end). */
static int map_offset(const GenCtx *g, int o, int as_end) {
    for (int k = 0; k < g->n_segs; k++) {
        const GenSeg *s = &g->segs[k];
        int inside = as_end ? (o > s->orig_start && o <= s->orig_end) : (o >= s->orig_start && o < s->orig_end);
        if (!inside) continue;
        if (s->rep < 0) return s->out_start + (o - s->orig_start);
        return as_end ? s->out_end : s->out_start;
    }
    return as_end || g->n_segs == 0 ? (int)g->res->len : 0;
}

/* Is original range [a, b) copied unchanged? */
static int orig_unchanged(const GenCtx *g, int a, int b) {
    for (int k = 0; k < g->n_segs; k++) {
        const GenSeg *s = &g->segs[k];
        if (s->orig_end <= a || s->orig_start >= b) continue;
        if (s->rep >= 0 || s->orig_start > a || s->orig_end < b) return 0;
        return 1;
    }
    return 0;
}

/* Lower-case letters and digits of s (other bytes >= 0x80 kept), and for each kept
 * byte its offset in s and whether it starts / ends an alphanumeric run. */
typedef struct {
    char *key;
    int *at;
    unsigned char *run_start, *run_end;
    int n;
} LeakKey;

static void leak_key(const char *s, int len, LeakKey *k) {
    k->key = xmalloc((size_t)len + 1);
    k->at = xmalloc(((size_t)len + 1) * sizeof(int));
    k->run_start = xmalloc((size_t)len + 1);
    k->run_end = xmalloc((size_t)len + 1);
    k->n = 0;
    for (int i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(ascii_alnum(c) || c >= 0x80)) continue;
        int prev_in = i > 0 && (ascii_alnum((unsigned char)s[i - 1]) || (unsigned char)s[i - 1] >= 0x80);
        int next_in = i + 1 < len && (ascii_alnum((unsigned char)s[i + 1]) || (unsigned char)s[i + 1] >= 0x80);
        k->key[k->n] = (char)tolower(c);
        k->at[k->n] = i;
        k->run_start[k->n] = !prev_in;
        k->run_end[k->n] = !next_in;
        k->n++;
    }
    k->key[k->n] = 0;
}
static void leak_key_free(LeakKey *k) { free(k->key); free(k->at); free(k->run_start); free(k->run_end); }

/* Find the next occurrence (from key index *from) of needle in hay at run boundaries;
 * returns the byte range in hay's text, or -1. */
static int leak_find(const LeakKey *hay, const LeakKey *needle, int *from, int *a, int *b) {
    if (needle->n < 2) return -1;
    for (int i = *from; i + needle->n <= hay->n; i++) {
        if (!hay->run_start[i] || !hay->run_end[i + needle->n - 1]) continue;
        if (memcmp(hay->key + i, needle->key, (size_t)needle->n)) continue;
        *from = i + 1;
        *a = hay->at[i];
        *b = hay->at[i + needle->n - 1] + 1;
        return 0;
    }
    return -1;
}

/* Count PHI spans whose string appears in the output; with redact, overwrite each such
 * occurrence (grown to whole replaced words) with [**TYPE**]. A string of at most 4
 * digits (a day, a year, an age) may also be an ordinary value ("SATS 92%"): copies of
 * it in text we kept unchanged are allowed as often as it occurs outside the PHI spans
 * of the original. *touches_fill: some leak overlaps a fill (a resample may cure it). */
static int leak_check(GenCtx *g, const SrSpans *spans, int redact, int *touches_fill) {
    char *blank = xmalloc(g->len + 1); /* the original with its PHI blanked */
    memcpy(blank, g->text, g->len);
    for (int k = 0; k < spans->n; k++)
        if (spans->span[k].action == SR_ACT_PHI)
            memset(blank + spans->span[k].byte_start, ' ', (size_t)(spans->span[k].byte_end - spans->span[k].byte_start));
    LeakKey orig, hay;
    leak_key(blank, (int)g->len, &orig);
    free(blank);
    leak_key(g->res->text, (int)g->res->len, &hay);
    int leaks = 0;
    *touches_fill = 0;
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        if (sp->action != SR_ACT_PHI) continue;
        LeakKey nd;
        leak_key(g->text + sp->byte_start, sp->byte_end - sp->byte_start, &nd);
        int allowed0 = 0, from = 0, a, b;
        int short_number = nd.n <= 4 && (int)strspn(nd.key, "0123456789") == nd.n;
        if (short_number)
            while (leak_find(&orig, &nd, &from, &a, &b) == 0) allowed0++;
        int allowed = allowed0, found = 0;
        from = 0;
        while (leak_find(&hay, &nd, &from, &a, &b) == 0) {
            int own = 1, touches = 0;
            for (int s = 0; s < g->n_segs; s++) {
                const GenSeg *sg = &g->segs[s];
                if (sg->out_start >= b || sg->out_end <= a) continue;
                if (!(sg->rep >= 0 && g->reps[sg->rep].unit < 0)) own = 0; /* not our [**TYPE**] */
                if (sg->rep >= 0 && g->reps[sg->rep].unit >= 0) touches = 1;
            }
            if (own) continue;
            if (!touches && allowed > 0) { allowed--; continue; }
            found = 1;
            if (touches) *touches_fill = 1;
            if (!redact) continue;
            /* the original stretch under [a, b), grown to whole replacements */
            int oa = -1, ob = -1;
            for (int s = 0; s < g->n_segs; s++) {
                const GenSeg *sg = &g->segs[s];
                if (sg->out_end <= a || sg->out_start >= b) continue;
                int sa = sg->rep < 0 ? sg->orig_start + (a > sg->out_start ? a - sg->out_start : 0) : sg->orig_start;
                int sb = sg->rep < 0 ? sg->orig_start + ((b < sg->out_end ? b : sg->out_end) - sg->out_start) : sg->orig_end;
                if (oa < 0 || sa < oa) oa = sa;
                if (sb > ob) ob = sb;
            }
            if (oa < 0) break;
            /* drop the replacements it covers; add the redaction */
            int w = 0;
            for (int r = 0; r < g->n_reps; r++) {
                GenRep *rp = &g->reps[r];
                if (rp->orig_end > oa && rp->orig_start < ob) {
                    if (rp->orig_start < oa) oa = rp->orig_start;
                    if (rp->orig_end > ob) ob = rp->orig_end;
                    free(rp->text);
                    continue;
                }
                g->reps[w++] = *rp;
            }
            g->n_reps = w;
            g->reps = grow(g->reps, &g->cap_reps, g->n_reps + 1, sizeof *g->reps);
            char tag[48];
            snprintf(tag, sizeof tag, "[**%s**]", sp->category[0] ? sp->category : "PHI");
            size_t tl = strlen(tag);
            char *t = xmalloc(tl + 1);
            memcpy(t, tag, tl + 1);
            g->reps[g->n_reps++] = (GenRep){oa, ob, -1, t};
            g->res->redactions++;
            build_output(g);
            leak_key_free(&hay);
            leak_key(g->res->text, (int)g->res->len, &hay);
            from = 0; /* rescan the new text */
            allowed = allowed0;
        }
        leaks += found;
        leak_key_free(&nd);
    }
    leak_key_free(&orig);
    leak_key_free(&hay);
    return leaks;
}

/* ================================================================================
 * sr_generate
 * ================================================================================ */

void sr_gen_options_default(SrGenOptions *o) {
    memset(o, 0, sizeof *o);
    o->ratio = 0.5f;
    o->fill = SR_FILL_ITERATIVE;
    o->rounds = 4;
    o->window = 128;
    o->max_pieces = 3;
    o->top_k = 6;
    o->top_p = 1.0f;
    o->temperature = 1.0f;
    o->seed = 42;
    o->strict_tries = 3;
    o->stratify = 1;
}

int sr_gen_state_tokens(const SrModel *m, const SrGenOptions *o) {
    int want = 2 * o->window + 3, maxp = sr_config(m)->max_position;
    return want < maxp ? want : maxp;
}

void sr_gen_result_free(SrGenResult *r) {
    free(r->text);
    sr_spans_free(&r->phi);
    sr_spans_free(&r->entities);
    free(r->fill);
    for (int i = 0; i < r->n_dec; i++) free(r->dec[i].context);
    free(r->dec);
    memset(r, 0, sizeof *r);
}

static void gen_ctx_free(GenCtx *g) {
    free(g->vc); free(g->ids); free(g->unit); free(g->piece); free(g->units);
    free(g->win_ids); free(g->pos); free(g->rows); free(g->logits); free(g->probs);
    free(g->cand); free(g->w);
    for (int i = 0; i < g->n_reps; i++) free(g->reps[i].text);
    free(g->reps); free(g->segs);
}

static void result_reset(SrGenResult *r) {
    for (int i = 0; i < r->n_dec; i++) free(r->dec[i].context);
    r->n_dec = 0;
    r->n_fills = 0;
    r->phi.n = r->entities.n = 0;
    r->masks = r->leaks = r->redactions = 0; /* forwards and times add up over tries */
}

/* Select the eligible spans to mask: floor(ratio * n) without replacement, per category
 * (part of speech) with stratify as the paper does, from the RNG. chosen[k] = 1 for
 * spans[k] masked. (The 1e-6 keeps 0.7 x 10 at 7: the float 0.7f is 0.69999999.) */
static void select_eligible(const SrSpans *spans, float ratio, int stratify, SrRng *rng, unsigned char *chosen) {
    int n = spans->n;
    int *idx = xmalloc((size_t)(n ? n : 1) * sizeof(int));
    unsigned char *seen = xcalloc((size_t)(n ? n : 1), 1);
    for (int k = 0; k < n; k++) chosen[k] = spans->span[k].action == SR_ACT_PHI;
    for (int k0 = 0; k0 < n; k0++) {
        if (spans->span[k0].action != SR_ACT_ELIGIBLE || seen[k0]) continue;
        int m = 0; /* the group: all eligible spans, or those of k0's category */
        for (int k = k0; k < n; k++) {
            if (spans->span[k].action != SR_ACT_ELIGIBLE || seen[k]) continue;
            if (stratify && strcmp(spans->span[k].category, spans->span[k0].category)) continue;
            seen[k] = 1;
            idx[m++] = k;
        }
        int want = (int)floor((double)ratio * m + 1e-6);
        if (want > m) want = m;
        for (int i = 0; i < want; i++) { /* partial Fisher-Yates */
            int j = i + rng_below(rng, m - i);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
            chosen[idx[i]] = 1;
        }
    }
    free(idx);
    free(seen);
}

/* Make units from the chosen spans: one per pre-tokenized word holding a letter, digit
 * or non-ASCII byte; a PHI span takes whole words. Word claims prevent overlaps. */
static void make_units(GenCtx *g, const SrSpans *spans, const unsigned char *chosen, const SrTokens *tk) {
    g->n_units = 0;
    int nw = tk->n ? tk->tok[tk->n - 1].word + 1 : 0;
    unsigned char *claimed = xcalloc((size_t)(nw ? nw : 1), 1);
    int t = 0; /* token cursor, spans are sorted by start */
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        if (!chosen[k]) continue;
        int phi = sp->action == SR_ACT_PHI;
        while (t > 0 && tk->tok[t - 1].byte_end > sp->byte_start) t--;
        while (t < tk->n && tk->tok[t].byte_end <= sp->byte_start) t++;
        for (int i = t; i < tk->n && tk->tok[i].byte_start < sp->byte_end;) {
            int w = tk->tok[i].word, a = i, b = i;
            while (a > 0 && tk->tok[a - 1].word == w) a--;
            while (b < tk->n && tk->tok[b].word == w) b++;
            int ws = tk->tok[a].byte_start, we = tk->tok[b - 1].byte_end;
            i = b;
            if (claimed[w]) continue;
            if (!phi && (ws < sp->byte_start || we > sp->byte_end)) continue; /* word sticks out */
            int wordy = 0;
            for (int x = ws; x < we; x++) {
                unsigned char c = (unsigned char)g->text[x];
                if (ascii_alnum(c) || c >= 0x80) { wordy = 1; break; }
            }
            if (!wordy) continue;
            /* the "s" of "Aldric's", the "t" of "don't": kept, they identify no one */
            if (ws > 0 && g->text[ws - 1] == '\'' && we - ws <= 2) {
                static const char *const clitics[] = {"s", "S", "t", "T", "d", "D", "m", "M", "ll", "LL", "re", "RE", "ve", "VE", NULL};
                int cl = 0;
                for (int q = 0; clitics[q] && !cl; q++) cl = (int)strlen(clitics[q]) == we - ws && !strncmp(g->text + ws, clitics[q], (size_t)(we - ws));
                if (cl) continue;
            }
            claimed[w] = 1;
            g->units = grow(g->units, &g->cap_units, g->n_units + 1, sizeof *g->units);
            GenUnit *un = &g->units[g->n_units++];
            memset(un, 0, sizeof *un);
            un->action = phi ? SR_ACT_PHI : SR_ACT_ELIGIBLE;
            un->span = k;
            un->byte_start = ws;
            un->byte_end = we;
            un->n_orig = b - a;
            for (int q = 0; q < un->n_orig && q < SR_GEN_MAX_PIECES; q++) un->orig_id[q] = tk->tok[a + q].id;
            int mp = g->opt->paper ? 1 : g->opt->max_pieces;
            if (mp < 1) mp = 1;
            if (mp > SR_GEN_MAX_PIECES) mp = SR_GEN_MAX_PIECES;
            un->n_masks = un->n_orig < mp ? un->n_orig : mp;
            un->prob = 1;
            un->case_pattern = case_of(g->text + ws, we - ws);
            int digits = 0, letters = 0;
            for (int x = ws; x < we; x++) {
                unsigned char c = (unsigned char)g->text[x];
                digits += c >= '0' && c <= '9';
                letters += isalpha(c) || c >= 0x80;
            }
            un->shape = g->opt->paper ? SHAPE_ANY : !letters ? SHAPE_DIGITS : !digits ? SHAPE_LETTERS : SHAPE_ANY;
            /* a content word or a name: not refilled with "the" or "of", nor, when longer
               than one character, with a lone letter */
            if (!g->opt->paper && un->shape != SHAPE_DIGITS) un->shape |= VC_FUNCTION;
            if (!g->opt->paper && un->shape & SHAPE_LETTERS && we - ws > 1) un->shape |= VC_SHORT;
            if (!g->uncased && un->case_pattern == CASE_LOWER) un->case_pattern = CASE_NONE;
        }
    }
    free(claimed);
}

static int gen_span_cmp(const void *a, const void *b) {
    const SrSpan *x = a, *y = b;
    return x->byte_start != y->byte_start ? x->byte_start - y->byte_start : x->byte_end - y->byte_end;
}

/* Units were made in span order; the fills must go in text order. */
static int unit_cmp(const void *a, const void *b) { return ((const GenUnit *)a)->byte_start - ((const GenUnit *)b)->byte_start; }

/* One attempt: sequence from tokens, mask, fill. */
static int generate_once(GenCtx *g, const SrTokens *tk, char *err) {
    seq_reserve(g, tk->n + 1);
    g->n = tk->n;
    for (int i = 0; i < tk->n; i++) { g->ids[i] = tk->tok[i].id; g->unit[i] = -1; g->piece[i] = -1; }
    /* token index of each unit's word: units are sorted, so one sweep */
    int t = 0;
    for (int u = 0; u < g->n_units; u++) {
        GenUnit *un = &g->units[u];
        un->n_new = 0; un->prob = 1; un->done = 0; un->forward = 0;
        while (t < tk->n && tk->tok[t].byte_start < un->byte_start) t++;
        for (int q = 0; q < un->n_orig; q++) g->unit[t + q] = u;
    }
    /* masks visible before the first forward: PHI (unless paper); everything for the
       parallel strategies. Right to left so positions stay valid. */
    int masks = 0;
    for (int i = g->n - 1; i >= 0; i--) {
        int u = g->unit[i];
        if (u < 0 || (i > 0 && g->unit[i - 1] == u)) continue;
        GenUnit *un = &g->units[u];
        masks += un->n_masks;
        if ((un->action == SR_ACT_PHI && !g->opt->paper) || g->opt->fill != SR_FILL_ITERATIVE) unit_mask(g, u, i);
    }
    g->res->masks = masks;
    g->decided = 0;
    if (g->opt->fill == SR_FILL_ITERATIVE) return fill_iterative(g, err);
    return fill_rounds(g, g->opt->fill == SR_FILL_PARALLEL ? 1 : (g->opt->rounds < 1 ? 1 : g->opt->rounds), err);
}

/* The result's spans and fills, mapped into the output. */
static void collect_result(GenCtx *g, const SrSpans *spans) {
    SrGenResult *r = g->res;
    r->phi.n = r->entities.n = 0;
    r->n_fills = 0;
    int *cp = xmalloc((r->len + 1) * sizeof(int)); /* byte -> code point offsets */
    for (size_t i = 0, c = 0; i <= r->len; i++) { cp[i] = (int)c; if (i < r->len && ((unsigned char)r->text[i] & 0xC0) != 0x80) c++; }
    int *cp0 = xmalloc((g->len + 1) * sizeof(int)); /* the same for the original */
    for (size_t i = 0, c = 0; i <= g->len; i++) { cp0[i] = (int)c; if (i < g->len && ((unsigned char)g->text[i] & 0xC0) != 0x80) c++; }
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        SrSpans *dst;
        if (sp->action == SR_ACT_PHI) dst = &r->phi;
        else if (sp->action == SR_ACT_PROTECT) {
            if (!orig_unchanged(g, sp->byte_start, sp->byte_end)) continue; /* overrun by a PHI word */
            dst = &r->entities;
        } else continue;
        dst->span = grow(dst->span, &dst->cap, dst->n + 1, sizeof *dst->span);
        SrSpan *o = &dst->span[dst->n++];
        *o = *sp;
        o->byte_start = map_offset(g, sp->byte_start, 0);
        o->byte_end = map_offset(g, sp->byte_end, 1);
        if (o->byte_end < o->byte_start) o->byte_end = o->byte_start;
        o->cp_start = cp[o->byte_start];
        o->cp_end = cp[o->byte_end];
    }
    for (int s = 0; s < g->n_segs; s++) {
        const GenSeg *sg = &g->segs[s];
        if (sg->rep < 0 || g->reps[sg->rep].unit < 0) continue;
        const GenUnit *un = &g->units[g->reps[sg->rep].unit];
        r->fill = grow(r->fill, &r->cap_fills, r->n_fills + 1, sizeof *r->fill);
        SrFill *f = &r->fill[r->n_fills++];
        memset(f, 0, sizeof *f);
        f->byte_start = sg->out_start;
        f->byte_end = sg->out_end;
        f->cp_start = cp[sg->out_start];
        f->cp_end = cp[sg->out_end];
        f->orig_cp_start = cp0[un->byte_start];
        f->orig_cp_end = cp0[un->byte_end];
        f->action = un->action;
        memcpy(f->category, spans->span[un->span].category, sizeof f->category);
        f->category[sizeof f->category - 1] = 0;
        f->n_pieces = un->n_new;
        f->prob = un->prob;
        f->forward = un->forward;
    }
    free(cp);
    free(cp0);
}

int sr_generate_spans(const SrModel *m, SrState *s, const SrTokenizer *t, const SrSpans *decided,
                      const SrGenOptions *opt, const char *text, size_t len, SrGenResult *out,
                      char *err) {
    double t0 = now_seconds();
    const SrConfig *cfg = sr_config(m);
    if (!(cfg->flags & SR_FLAG_MLM_HEAD)) return sr_fail(err, "the model has no masked-LM head");
    if (cfg->mask_id < 0 || cfg->cls_id < 0 || cfg->sep_id < 0) return sr_fail(err, "the model's vocabulary lacks [MASK], [CLS] or [SEP]");
    if (utf8_check(text, len, err) < 0) return -1;
    size_t k0 = 0;
    while (k0 < len && isspace((unsigned char)text[k0])) k0++;
    if (k0 == len) return sr_fail(err, "empty text");
    if (len > (size_t)INT32_MAX / 4) return sr_fail(err, "text too long");

    SrSpans spans = {0};
    SrTokens tk = {0};
    unsigned char *chosen = NULL;
    GenCtx g;
    memset(&g, 0, sizeof g);
    memset(out, 0, sizeof *out);
    int rc = -1;
    /* our own copy, sorted by start, spans outside the text or overlapping dropped */
    for (int k = 0; k < decided->n; k++) {
        const SrSpan *sp = &decided->span[k];
        if (sp->byte_start < 0 || sp->byte_end > (int)len || sp->byte_start >= sp->byte_end) continue;
        spans.span = grow(spans.span, &spans.cap, spans.n + 1, sizeof *spans.span);
        spans.span[spans.n++] = *sp;
    }
    qsort(spans.span, (size_t)spans.n, sizeof *spans.span, gen_span_cmp);
    {
        int w = 0;
        for (int k = 0; k < spans.n; k++) {
            if (w > 0 && spans.span[k].byte_start < spans.span[w - 1].byte_end) {
                /* overlap: PHI wins, else the earlier span */
                if (spans.span[k].action == SR_ACT_PHI && spans.span[w - 1].action != SR_ACT_PHI) spans.span[w - 1] = spans.span[k];
                else if (spans.span[k].action == SR_ACT_PHI && spans.span[k].byte_end > spans.span[w - 1].byte_end) spans.span[w - 1].byte_end = spans.span[k].byte_end;
                continue;
            }
            spans.span[w++] = spans.span[k];
        }
        spans.n = w;
    }
    if (sr_tokenize(t, text, len, 0, &tk, err) < 0) goto done;

    g.m = m; g.st = s; g.cfg = cfg; g.opt = opt; g.text = text; g.len = len; g.res = out;
    g.V = cfg->vocab_size;
    g.uncased = (cfg->flags & SR_FLAG_LOWERCASE) != 0;
    g.win_len = sr_gen_state_tokens(m, opt) - 2;
    if (opt->window < 1 || g.win_len < 3) { sr_fail(err, "window too small"); goto done; }
    g.sp = (SrSampler){opt->top_k, opt->top_p, opt->temperature};
    g.vc = vocab_classes(m);
    g.win_ids = xmalloc((size_t)(g.win_len + 2) * sizeof(int));
    g.rows = xmalloc((size_t)(g.win_len + 2) * sizeof(int));
    g.probs = xmalloc((size_t)g.V * sizeof(float));
    g.cand = xmalloc((size_t)(g.V + 2) * sizeof(SrCand));
    g.w = xmalloc((size_t)(g.V + 2) * sizeof(double));
    uint64_t letter_seed = opt->seed ^ fnv1a(text, len);
    rng_seed(&g.rng, letter_seed);

    chosen = xmalloc((size_t)(spans.n ? spans.n : 1));
    select_eligible(&spans, opt->ratio, opt->stratify, &g.rng, chosen);
    make_units(&g, &spans, chosen, &tk);
    qsort(g.units, (size_t)g.n_units, sizeof *g.units, unit_cmp);
    out->n_tokens = tk.n;

    int tries = opt->strict ? (opt->strict_tries < 0 ? 0 : opt->strict_tries) : 0;
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) {
            result_reset(out);
            out->resamples = attempt;
            rng_seed(&g.rng, letter_seed + 0x9E3779B97F4A7C15ull * (uint64_t)attempt);
        }
        if (generate_once(&g, &tk, err) < 0) goto done;
        for (int i = 0; i < g.n_reps; i++) free(g.reps[i].text);
        g.n_reps = 0;
        for (int u = 0; u < g.n_units; u++) {
            g.reps = grow(g.reps, &g.cap_reps, g.n_reps + 1, sizeof *g.reps);
            g.reps[g.n_reps++] = (GenRep){g.units[u].byte_start, g.units[u].byte_end, u, NULL};
        }
        build_output(&g);
        int touches;
        out->leaks = leak_check(&g, &spans, 0, &touches);
        if (!opt->strict || out->leaks == 0) break;
        if (!touches || attempt >= tries) { /* resampling cannot help, or no more tries */
            leak_check(&g, &spans, 1, &touches);
            out->leaks = leak_check(&g, &spans, 0, &touches);
            break;
        }
    }
    collect_result(&g, &spans);
    rc = 0;
done:
    if (rc < 0) { int f = out->forwards; sr_gen_result_free(out); out->forwards = f; }
    gen_ctx_free(&g);
    free(chosen);
    sr_spans_free(&spans);
    sr_tokens_free(&tk);
    out->seconds = now_seconds() - t0;
    return rc;
}

int sr_generate(const SrModel *m, SrState *s, const SrTokenizer *t, SrMasker *mk,
                const SrGenOptions *opt, const char *text, size_t len, SrGenResult *out,
                char *err) {
    double t0 = now_seconds();
    SrSpans spans = {0};
    memset(out, 0, sizeof *out);
    if (utf8_check(text, len, err) < 0) return -1;
    if (sr_masker_run_known(mk, text, len, opt->known, &spans, err) < 0) { sr_spans_free(&spans); return -1; }
    double t1 = now_seconds();
    int rc = sr_generate_spans(m, s, t, &spans, opt, text, len, out, err);
    out->mask_seconds = t1 - t0;
    out->seconds = now_seconds() - t0;
    sr_spans_free(&spans);
    return rc;
}

/* ================================================================================
 * Commands: sr fill, sr generate
 * ================================================================================ */

/* The model named by -m, or the demo model: sr-demo.srm beside the binary, then
 * models/sr-demo.srm under the binary's directory, then ../../models/ (test binaries
 * live in test/out/). Says on stderr which one it uses. */
static int load_model_or_demo(const char *cmd, const char *path, SrModel **m, char *err) {
    char found[4096];
    if (!path) {
        char dir[3072];
        exe_dir(dir, sizeof dir);
        const char *tries[] = {"%s/sr-demo.srm", "%s/models/sr-demo.srm", "%s/../../models/sr-demo.srm"};
        for (int i = 0; i < 3 && !path; i++) {
            snprintf(found, sizeof found, tries[i], dir);
            if (access(found, R_OK) == 0) path = found;
        }
        if (!path)
            return sr_fail(err, "no model: give -m MODEL (no demo model sr-demo.srm beside %s or in %s/models/)", dir, dir);
        fprintf(stderr, "sr %s: using the demo model %s\n", cmd, path);
    }
    return sr_load(m, path, err);
}

static int cmd_fill(int argc, char **argv) {
    const char *model_path = NULL;
    int top_k = 5, jsonl = 0, threads = 0;
    char **items = xmalloc((size_t)argc * sizeof(char *));
    int n_items = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--top-k")) top_k = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--threads")) threads = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--file") || !strcmp(a, "-f")) { items[n_items++] = (char *)opt_value(argc, argv, &i); files = 1; }
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr fill [-m MODEL] [--top-k K] [--jsonl] [--threads N] [TEXT... | -f FILE...]\n"
                  "  Hugging Face fill-mask: TEXT holds literal [MASK] tokens. For each mask, the\n"
                  "  top-k tokens with probabilities = softmax over the whole vocabulary. \"token\"\n"
                  "  is the vocabulary entry (\"##ing\"), not decoded. Default model: the demo model.\n"
                  "  --jsonl: input lines {\"id\",\"text\"} (files or stdin), output\n"
                  "  {\"id\", \"masks\":[{\"index\": token index with [CLS] = 0, \"candidates\":[{\"id\",\"token\",\"prob\"}]}]}\n",
                  stdout);
            free(items);
            return 0;
        } else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr fill: unknown option %s\n", a); free(items); return 2; }
        else items[n_items++] = (char *)a;
    }
    if (top_k < 1) { fprintf(stderr, "sr fill: --top-k must be >= 1\n"); free(items); return 2; }
    char err[SR_ERR_LEN];
    SrModel *m = NULL;
    if (load_model_or_demo("fill", model_path, &m, err) < 0) { fprintf(stderr, "sr fill: %s\n", err); free(items); return 1; }
    if (threads > 0) sr_set_threads(threads);
    const SrConfig *cfg = sr_config(m);
    SrTokenizer *t = sr_tokenizer_from_model(m, err);
    if (!t || !(cfg->flags & SR_FLAG_MLM_HEAD) || cfg->mask_id < 0) {
        fprintf(stderr, "sr fill: %s\n", !t ? err : "the model has no masked-LM head or no [MASK] token");
        sr_tokenizer_free(t); sr_free(m); free(items);
        return 1;
    }
    SrState *st = sr_state_new(m, cfg->max_position);
    int V = cfg->vocab_size, k = top_k < V ? top_k : V;
    float *logits = NULL, *probs = xmalloc((size_t)V * sizeof(float));
    SrCand *cand = xmalloc((size_t)(k + 1) * sizeof(SrCand));
    int *ids = NULL, *rows = NULL, n, failed = 0;
    SrTokens tk = {0};
    SrInput in = {jsonl, items, n_items, (!jsonl && !files && n_items) ? 1 : 0, 0, NULL, 0, 0, NULL, 0, 0};
    SrRecord rec;
    int got;
    while ((got = input_next(&in, &rec, err)) != 0) {
        if (got < 0) goto bad;
        /* the tokenizer keeps a literal [MASK] whole, as Hugging Face's */
        if (sr_tokenize(t, rec.text, rec.len, 1, &tk, err) < 0) goto bad;
        n = tk.n;
        ids = xrealloc(ids, (size_t)(n ? n : 1) * sizeof(int));
        for (int i = 0; i < n; i++) ids[i] = tk.tok[i].id;
        if (n > cfg->max_position) { sr_fail(err, "%d tokens, more than the model's %d positions", n, cfg->max_position); goto bad; }
        int nm = 0;
        rows = xrealloc(rows, (size_t)n * sizeof(int));
        for (int i = 0; i < n; i++) if (ids[i] == cfg->mask_id) rows[nm++] = i;
        if (nm == 0) { sr_fail(err, "no [MASK] in the text"); goto bad; }
        logits = xrealloc(logits, (size_t)nm * V * sizeof(float));
        if (!sr_forward(m, st, ids, NULL, NULL, n)) { sr_fail(err, "encoder forward failed"); goto bad; }
        if (sr_mlm_logits(m, st, rows, nm, logits, err) < 0) goto bad;
        if (jsonl) {
            fputs("{\"id\":", stdout);
            if (rec.id_json) fputs(rec.id_json, stdout); else printf("%ld", in.count - 1);
            fputs(",\"masks\":[", stdout);
        }
        for (int r = 0; r < nm; r++) {
            softmax_full(logits + (size_t)r * V, probs, V);
            int nc = 0;
            for (int i = 0; i < V; i++) nc = topk_push(cand, nc, k, i, probs[i]);
            if (jsonl) {
                printf("%s{\"index\":%d,\"candidates\":[", r ? "," : "", rows[r]);
                for (int c = 0; c < nc; c++) {
                    printf("%s{\"id\":%d,\"token\":", c ? "," : "", cand[c].id);
                    json_put_cstr(stdout, sr_token_text(m, cand[c].id));
                    printf(",\"prob\":%.6g}", cand[c].p);
                }
                fputs("]}", stdout);
            } else {
                printf("mask %d (token index %d)\n", r + 1, rows[r]);
                for (int c = 0; c < nc; c++) printf("  %2d  %-20s %8.4f  (id %d)\n", c + 1, sr_token_text(m, cand[c].id), cand[c].p, cand[c].id);
            }
        }
        if (jsonl) fputs("]}\n", stdout);
        record_free(&rec);
        continue;
    bad:
        failed++;
        if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
        else fprintf(stderr, "sr fill: %s\n", err);
        record_free(&rec);
    }
    input_close(&in);
    free(ids); free(rows); free(logits); free(probs); free(cand); free(items);
    sr_tokens_free(&tk);
    sr_state_free(st);
    sr_tokenizer_free(t);
    sr_free(m);
    return failed ? 1 : 0;
}

/* ---- sr generate ---- */

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

enum { FMT_TEXT, FMT_JSONL, FMT_I2B2, FMT_BRAT };

/* A file name for a letter: the input's base name without extension, or its id. */
static void letter_name(const SrInput *in, const SrRecord *rec, long index, char *out, size_t cap) {
    const char *src = NULL;
    char tmp[256];
    if (in->jsonl && rec->id_json) {
        snprintf(tmp, sizeof tmp, "%s", rec->id_json);
        src = tmp;
    } else if (!in->jsonl && in->name && strcmp(in->name, "-")) {
        const char *b = strrchr(in->name, '/');
        snprintf(tmp, sizeof tmp, "%s", b ? b + 1 : in->name);
        char *dot = strrchr(tmp, '.');
        if (dot && dot != tmp) *dot = 0;
        src = tmp;
    }
    if (!src) { snprintf(out, cap, "letter-%ld", index); return; }
    size_t n = 0;
    for (const char *p = src; *p && n + 1 < cap; p++)
        if (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') out[n++] = *p;
    out[n] = 0;
    if (n == 0 || out[0] == '.') snprintf(out, cap, "letter-%ld", index);
}

static void put_xml(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(s[i], f);
        }
    }
}

static void put_token_shown(FILE *f, const SrModel *m, int id) {
    if (id == SR_STOP) fputs("<end of word>", f);
    else fputs(sr_token_text(m, id), f);
}

/* The human-readable trace of every decision (--explain in text mode). */
static void print_explain(FILE *f, const SrModel *m, const SrGenResult *r) {
    fprintf(f, "---- explain: %d decisions, %d forward passes ----\n", r->n_dec, r->forwards);
    for (int i = 0; i < r->n_dec; i++) {
        const SrDecision *d = &r->dec[i];
        fprintf(f, "decision %d  forward %d  word %d piece %d\n  context: %s\n  candidates:", i + 1, d->forward, d->fill + 1, d->piece + 1, d->context);
        for (int c = 0; c < d->n_cand; c++) {
            fputs(c ? " | " : " ", f);
            put_token_shown(f, m, d->cand_id[c]);
            fprintf(f, " %.3f", d->cand_prob[c]);
        }
        fputs("\n  chose: ", f);
        put_token_shown(f, m, d->chosen);
        fprintf(f, " (p=%.3f)\n", d->prob);
    }
}

static void put_spans_json(FILE *f, const char *text, const SrSpans *s) {
    fputc('[', f);
    for (int i = 0; i < s->n; i++) {
        const SrSpan *p = &s->span[i];
        fprintf(f, "%s{\"start\":%d,\"end\":%d,\"type\":", i ? "," : "", p->cp_start, p->cp_end);
        json_put_cstr(f, p->category);
        fputs(",\"text\":", f);
        json_put_string(f, text + p->byte_start, (size_t)(p->byte_end - p->byte_start));
        fputc('}', f);
    }
    fputc(']', f);
}

static void print_jsonl(FILE *f, const SrModel *m, const SrRecord *rec, long index, const SrGenResult *r, int explain, int keep_original) {
    fputs("{\"id\":", f);
    if (rec->id_json) fputs(rec->id_json, f); else fprintf(f, "%ld", index);
    fputs(",\"text\":", f);
    json_put_string(f, r->text, r->len);
    fputs(",\"phi\":", f);
    put_spans_json(f, r->text, &r->phi);
    fputs(",\"entities\":", f);
    put_spans_json(f, r->text, &r->entities);
    fprintf(f, ",\"fills\":%d,\"masks\":%d,\"forwards\":%d,\"leaks\":%d,\"tokens\":%d", r->n_fills, r->masks, r->forwards, r->leaks, r->n_tokens);
    if (r->resamples || r->redactions) fprintf(f, ",\"resamples\":%d,\"redactions\":%d", r->resamples, r->redactions);
    fprintf(f, ",\"seconds\":%.4f,\"forward_seconds\":%.4f,\"head_seconds\":%.4f,\"masker_seconds\":%.4f,\"changes\":[",
            r->seconds, r->forward_seconds, r->head_seconds, r->mask_seconds);
    for (int i = 0; i < r->n_fills; i++) {
        const SrFill *x = &r->fill[i];
        fprintf(f, "%s{\"start\":%d,\"end\":%d,\"orig_start\":%d,\"orig_end\":%d,\"kind\":\"%s\",\"type\":", i ? "," : "",
                x->cp_start, x->cp_end, x->orig_cp_start, x->orig_cp_end, x->action == SR_ACT_PHI ? "phi" : "word");
        json_put_cstr(f, x->category);
        fputs(",\"text\":", f);
        json_put_string(f, r->text + x->byte_start, (size_t)(x->byte_end - x->byte_start));
        fprintf(f, ",\"prob\":%.4g,\"pieces\":%d,\"forward\":%d}", x->prob, x->n_pieces, x->forward);
    }
    fputc(']', f);
    if (explain) {
        fputs(",\"explain\":[", f);
        for (int i = 0; i < r->n_dec; i++) {
            const SrDecision *d = &r->dec[i];
            fprintf(f, "%s{\"forward\":%d,\"change\":%d,\"piece\":%d,\"context\":", i ? "," : "", d->forward, d->fill, d->piece);
            json_put_cstr(f, d->context);
            fputs(",\"candidates\":[", f);
            for (int c = 0; c < d->n_cand; c++) {
                fputs(c ? ",{\"token\":" : "{\"token\":", f);
                json_put_cstr(f, d->cand_id[c] == SR_STOP ? "<end of word>" : sr_token_text(m, d->cand_id[c]));
                fprintf(f, ",\"prob\":%.4g}", d->cand_prob[c]);
            }
            fputs("],\"chose\":", f);
            json_put_cstr(f, d->chosen == SR_STOP ? "<end of word>" : sr_token_text(m, d->chosen));
            fprintf(f, ",\"prob\":%.4g}", d->prob);
        }
        fputc(']', f);
    }
    if (keep_original) {
        fputs(",\"original\":", f);
        json_put_string(f, rec->text, rec->len);
    }
    fputs("}\n", f);
}

static void print_i2b2(FILE *f, const SrGenResult *r) {
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2>\n<TEXT><![CDATA[", f);
    /* a "]]>" inside the text would end CDATA early: split it */
    for (size_t i = 0; i < r->len; i++) {
        if (i + 2 < r->len && !memcmp(r->text + i, "]]>", 3)) { fputs("]]]]><![CDATA[>", f); i += 2; continue; }
        fputc(r->text[i], f);
    }
    fputs("]]></TEXT>\n<TAGS>\n", f);
    for (int i = 0; i < r->phi.n; i++) {
        const SrSpan *p = &r->phi.span[i];
        fprintf(f, "<PHI id=\"P%d\" start=\"%d\" end=\"%d\" text=\"", i, p->cp_start, p->cp_end);
        put_xml(f, r->text + p->byte_start, (size_t)(p->byte_end - p->byte_start));
        fputs("\" TYPE=\"", f);
        put_xml(f, p->category, strlen(p->category));
        fputs("\" comment=\"\" />\n", f);
    }
    for (int i = 0; i < r->entities.n; i++) {
        const SrSpan *p = &r->entities.span[i];
        fprintf(f, "<ENTITY id=\"E%d\" start=\"%d\" end=\"%d\" text=\"", i, p->cp_start, p->cp_end);
        put_xml(f, r->text + p->byte_start, (size_t)(p->byte_end - p->byte_start));
        fputs("\" TYPE=\"", f);
        put_xml(f, p->category, strlen(p->category));
        fputs("\" comment=\"\" />\n", f);
    }
    fputs("</TAGS>\n</deIdi2b2>\n", f);
}

/* brat standoff: T lines with code-point offsets; a span over a line break is split. */
static void print_brat_ann(FILE *f, const SrGenResult *r) {
    int t = 1;
    const SrSpans *lists[2] = {&r->phi, &r->entities};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lists[l]->n; i++) {
            const SrSpan *p = &lists[l]->span[i];
            fprintf(f, "T%d\t", t++);
            for (const char *c = p->category; *c; c++) fputc(isalnum((unsigned char)*c) || *c == '-' ? *c : '_', f);
            if (!p->category[0]) fputs("PHI", f);
            /* fragments split at line breaks */
            int cp = p->cp_start, seg_start = p->cp_start;
            for (int b = p->byte_start; b < p->byte_end; b++) {
                if (((unsigned char)r->text[b] & 0xC0) == 0x80) continue;
                if (r->text[b] == '\n') { if (cp > seg_start) fprintf(f, "%s%d %d", seg_start == p->cp_start ? " " : ";", seg_start, cp); seg_start = cp + 1; }
                cp++;
            }
            fprintf(f, "%s%d %d\t", seg_start == p->cp_start ? " " : ";", seg_start, p->cp_end);
            for (int b = p->byte_start; b < p->byte_end; b++) fputc(r->text[b] == '\n' ? ' ' : r->text[b], f);
            fputc('\n', f);
        }
}

/* One letter's progress on a terminal: masks decided, forward passes, seconds. */
typedef struct { const char *name; double start, last; } GenProgress;
static void gen_progress(void *arg, int decided, int masks, int forwards) {
    GenProgress *p = arg;
    double now = now_seconds();
    if (now - p->last < 0.5 && decided < masks) return;
    p->last = now;
    fprintf(stderr, "\rsr generate: %s: %d/%d masks, %d forward passes, %.1f s   ", p->name, decided < masks ? decided : masks, masks, forwards, now - p->start);
}

static int parse_shard(const char *s, int *i, int *n) {
    char *e;
    long a = strtol(s, &e, 10);
    if (*e != '/') return -1;
    long b = strtol(e + 1, &e, 10);
    if (*e || b < 1 || a < 0 || a >= b) return -1;
    *i = (int)a;
    *n = (int)b;
    return 0;
}

static void gen_usage(FILE *f) {
    fputs("usage: sr generate [-m MODEL] [options] [FILE|DIR...]   (stdin without files)\n"
          "Turn clinical letters into synthetic letters: PHI masked and refilled, medical\n"
          "entities kept, a ratio of the other content words resampled by the masked LM.\n"
          "  -m MODEL          masked-LM model (default: the demo model sr-demo.srm)\n"
          "  --phi-model M     de-identification NER model, unioned with the PHI rules\n"
          "  --med-model M     medical NER model (else the shipped lexicon)\n"
          "  --pos-model M     UPOS model (else the built-in tagger data/pos_ewt.srp)\n"
          "  --mask-pos TAGS   parts of speech that may be resampled (NOUN,VERB,ADJ);\n"
          "                    the ratio applies to each: floor(ratio x count) per tag\n"
          "  --labels FILE     more letter-structure labels never resampled (repeatable)\n"
          "  --lexicon FILE    a site's own names and places, one a line (repeatable)\n"
          "  --no-fail-closed  mask only the PHI a rule finds (for comparison; by default every\n"
          "                    word no rule decided and no safe vocabulary knows is masked)\n"
          "  --phi-input H     union (default): the records' \"given_phi\" spans and the rules';\n"
          "                    only: the given spans alone. \"known_phi\" strings are masked\n"
          "                    wherever they occur (a \"phi\" field, as in gold files, is not read)\n"
          "  --data DIR        lexicon folder (default: data/ beside the binary)\n"
          "  --ratio R         share of eligible words masked (0.5)\n"
          "  --fill S          iterative (default) | parallel | rounds:N\n"
          "  --window W        tokens of context each side of a mask (128)\n"
          "  --max-pieces N    WordPieces per refilled word, 1..8 (3)\n"
          "  --top-k K         sample among the K most likely (6; 1 = greedy; 0 = all)\n"
          "  --top-p P         nucleus sampling (1 = off)\n"
          "  --temperature T   (1; 0 = greedy)\n"
          "  --greedy          same as --top-k 1\n"
          "  --seed S          RNG seed (42); with the letter's text it fixes the output\n"
          "  --paper           the paper's exact procedure (PHI visible on the right of each\n"
          "                    mask, one WordPiece per word, no case transfer): for comparison\n"
          "  --strict          resample a leaking letter (3 tries), then write [**TYPE**]\n"
          "  --explain         every decision: context, top-k candidates, choice\n"
          "  --keep-original   also output the original text (contains PHI!)\n"
          "  --format F        text | jsonl | i2b2 | brat (text; jsonl with --jsonl)\n"
          "  --out DIR         one file per letter (NAME.txt, NAME.ann, NAME.xml)\n"
          "  --jsonl           input lines {\"id\",\"text\"}; output one JSON object a line\n"
          "  --shard I/N       only records I, I+N, I+2N, ... (0 <= I < N)\n"
          "  --threads N       threads for the kernels (output does not depend on it)\n"
          "  --max-bytes B     refuse letters longer than B bytes (100000)\n"
          "  --quiet           no progress line\n",
          f);
}

static int cmd_generate(int argc, char **argv) {
    SrGenOptions opt;
    sr_gen_options_default(&opt);
    SrMaskerOptions mo;
    memset(&mo, 0, sizeof mo);
    const char *model_path = NULL, *phi_path = NULL, *med_path = NULL, *pos_path = NULL, *out_dir = NULL;
    int phi_only = 0;
    const char **lexicons = xmalloc((size_t)argc * sizeof(char *));
    const char **label_files = xmalloc((size_t)argc * sizeof(char *));
    char **items = xmalloc((size_t)argc * sizeof(char *));
    int n_labels = 0;
    int n_items = 0, n_lex = 0, jsonl = 0, format = -1, threads = 0, shard_i = 0, shard_n = 1, quiet = 0;
    long max_bytes = 100000;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--phi-model")) phi_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--med-model")) med_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--pos-model")) pos_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--mask-pos")) mo.mask_pos = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--labels")) label_files[n_labels++] = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--lexicon")) lexicons[n_lex++] = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) mo.data_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--ratio")) {
            char *e; opt.ratio = strtof(opt_value(argc, argv, &i), &e);
            if (*e || !(opt.ratio >= 0 && opt.ratio <= 1)) { fprintf(stderr, "sr generate: --ratio must be in [0, 1]\n"); goto out; }
        } else if (!strcmp(a, "--fill")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "iterative")) opt.fill = SR_FILL_ITERATIVE;
            else if (!strcmp(v, "parallel")) opt.fill = SR_FILL_PARALLEL;
            else if (!strncmp(v, "rounds", 6)) {
                opt.fill = SR_FILL_ROUNDS;
                if (v[6] == ':') { char *e; opt.rounds = (int)strtol(v + 7, &e, 10); if (*e || opt.rounds < 1) { fprintf(stderr, "sr generate: --fill rounds:N needs N >= 1\n"); goto out; } }
                else if (v[6]) { fprintf(stderr, "sr generate: unknown --fill %s\n", v); goto out; }
            } else { fprintf(stderr, "sr generate: unknown --fill %s (iterative, parallel, rounds:N)\n", v); goto out; }
        } else if (!strcmp(a, "--window")) {
            opt.window = atoi(opt_value(argc, argv, &i));
            if (opt.window < 1) { fprintf(stderr, "sr generate: --window must be >= 1\n"); goto out; }
        } else if (!strcmp(a, "--max-pieces")) {
            opt.max_pieces = atoi(opt_value(argc, argv, &i));
            if (opt.max_pieces < 1 || opt.max_pieces > SR_GEN_MAX_PIECES) { fprintf(stderr, "sr generate: --max-pieces must be 1..%d\n", SR_GEN_MAX_PIECES); goto out; }
        } else if (!strcmp(a, "--top-k")) {
            opt.top_k = atoi(opt_value(argc, argv, &i));
            if (opt.top_k < 0) { fprintf(stderr, "sr generate: --top-k must be >= 0\n"); goto out; }
        } else if (!strcmp(a, "--top-p")) {
            opt.top_p = strtof(opt_value(argc, argv, &i), NULL);
            if (!(opt.top_p > 0 && opt.top_p <= 1)) { fprintf(stderr, "sr generate: --top-p must be in (0, 1]\n"); goto out; }
        } else if (!strcmp(a, "--temperature")) {
            opt.temperature = strtof(opt_value(argc, argv, &i), NULL);
            if (!(opt.temperature >= 0)) { fprintf(stderr, "sr generate: --temperature must be >= 0\n"); goto out; }
        } else if (!strcmp(a, "--greedy")) opt.top_k = 1;
        else if (!strcmp(a, "--seed")) opt.seed = strtoull(opt_value(argc, argv, &i), NULL, 10);
        else if (!strcmp(a, "--paper")) opt.paper = 1;
        else if (!strcmp(a, "--strict")) opt.strict = 1;
        else if (!strcmp(a, "--no-fail-closed")) mo.no_fail_closed = 1;
        else if (!strcmp(a, "--phi-input")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "union")) phi_only = 0;
            else if (!strcmp(v, "only")) phi_only = 1;
            else { fprintf(stderr, "sr generate: --phi-input must be union or only, not %s\n", v); goto out; }
        }
        else if (!strcmp(a, "--explain")) opt.explain = 1;
        else if (!strcmp(a, "--keep-original")) opt.keep_original = 1;
        else if (!strcmp(a, "--format")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "text")) format = FMT_TEXT;
            else if (!strcmp(v, "jsonl")) format = FMT_JSONL;
            else if (!strcmp(v, "i2b2")) format = FMT_I2B2;
            else if (!strcmp(v, "brat")) format = FMT_BRAT;
            else { fprintf(stderr, "sr generate: unknown --format %s (text, jsonl, i2b2, brat)\n", v); goto out; }
        } else if (!strcmp(a, "--out")) out_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--shard")) {
            if (parse_shard(opt_value(argc, argv, &i), &shard_i, &shard_n) < 0) { fprintf(stderr, "sr generate: --shard wants I/N with 0 <= I < N\n"); goto out; }
        } else if (!strcmp(a, "--threads")) threads = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--max-bytes")) max_bytes = atol(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { gen_usage(stdout); rc = 0; goto out; }
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr generate: unknown option %s (see sr generate --help)\n", a); goto out; }
        else items[n_items++] = (char *)a;
    }
    if (format < 0) format = jsonl ? FMT_JSONL : FMT_TEXT;
    if (format == FMT_BRAT && !out_dir) { fprintf(stderr, "sr generate: --format brat needs --out DIR (a .txt and a .ann per letter)\n"); goto out; }
    if (out_dir) {
        struct stat sb;
        if (stat(out_dir, &sb) != 0 && mkdir(out_dir, 0777) != 0) { fprintf(stderr, "sr generate: --out %s: %s\n", out_dir, strerror(errno)); goto out; }
    }

    char err[SR_ERR_LEN];
    SrModel *m = NULL, *phi_m = NULL, *med_m = NULL, *pos_m = NULL;
    SrTokenizer *tok = NULL;
    SrMasker *mk = NULL;
    SrState *st = NULL;
    char **files = NULL;
    int n_files = 0;
    rc = 1;
    if (load_model_or_demo("generate", model_path, &m, err) < 0) { fprintf(stderr, "sr generate: %s\n", err); goto cleanup; }
    if (!(sr_config(m)->flags & SR_FLAG_MLM_HEAD)) { fprintf(stderr, "sr generate: %s has no masked-LM head\n", model_path ? model_path : "the demo model"); goto cleanup; }
    if ((phi_path && sr_load(&phi_m, phi_path, err) < 0) || (med_path && sr_load(&med_m, med_path, err) < 0) ||
        (pos_path && sr_load(&pos_m, pos_path, err) < 0)) { fprintf(stderr, "sr generate: %s\n", err); goto cleanup; }
    if (threads > 0) sr_set_threads(threads);
    if (!(tok = sr_tokenizer_from_model(m, err))) { fprintf(stderr, "sr generate: %s\n", err); goto cleanup; }
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    mo.label_files = label_files;
    mo.n_label_files = n_labels;
    mo.phi_model = phi_m;
    mo.med_model = med_m;
    mo.pos_model = pos_m;
    opt.stratify = 1; /* the ratio per part of speech (the built-in tagger's, or --pos-model's) */
    if (!(mk = sr_masker_new(&mo, err))) { fprintf(stderr, "sr generate: %s\n", err); goto cleanup; }
    st = sr_state_new(m, sr_gen_state_tokens(m, &opt));

    files = expand_inputs(items, n_items, &n_files);
    /* records to expect, for the progress line (unknown for stdin) */
    long total = -1;
    if (n_files > 0 && !jsonl) total = n_files;
    else if (n_files > 0) {
        total = 0;
        for (int f = 0; f < n_files; f++) {
            FILE *fp = fopen(files[f], "rb");
            if (!fp) continue;
            int c, blank = 1;
            while ((c = getc(fp)) != EOF) {
                if (c == '\n') { total += !blank; blank = 1; }
                else if (!isspace(c)) blank = 0;
            }
            total += !blank;
            fclose(fp);
        }
    }
    if (total >= 0 && shard_n > 1) total = (total - shard_i + shard_n - 1) / shard_n;
    int progress = !quiet && (total > 1 || (total < 0 && jsonl)), tty = isatty(2);
    GenProgress one = {"letter", 0, 0};
    if (!progress && !quiet && tty) { opt.progress = gen_progress; opt.progress_arg = &one; }

    SrInput in = {jsonl, files, n_files, 0, 0, NULL, 0, 0, NULL, 0, 0};
    SrRecord rec;
    int got, failed = 0;
    long done = 0, index = -1;
    double start = now_seconds(), last_report = 0;
    while ((got = input_next(&in, &rec, err)) != 0) {
        index++;
        if (index % shard_n != shard_i) { record_free(&rec); continue; }
        SrGenResult res;
        memset(&res, 0, sizeof res);
        int named = 0; /* err already names the file */
        if (got < 0) { named = 1; goto bad; }
        one.name = in.jsonl || !in.name ? "letter" : in.name;
        one.start = now_seconds();
        one.last = 0;
        if ((long)rec.len > max_bytes) { sr_fail(err, "letter of %zu bytes is longer than --max-bytes %ld", rec.len, max_bytes); goto bad; }
        SrKnownPhi known = {rec.given, rec.n_given, (const char *const *)rec.known, (const char *const *)rec.known_type,
                            rec.n_known, phi_only};
        opt.known = &known;
        if (sr_generate(m, st, tok, mk, &opt, rec.text, rec.len, &res, err) < 0) goto bad;
        char name[256];
        letter_name(&in, &rec, index, name, sizeof name);
        if (format == FMT_JSONL) print_jsonl(stdout, m, &rec, index, &res, opt.explain, opt.keep_original);
        else if (out_dir) {
            char path[4096];
            const char *ext = format == FMT_I2B2 ? "xml" : "txt";
            snprintf(path, sizeof path, "%s/%s.%s", out_dir, name, ext);
            FILE *f = fopen(path, "wb");
            if (!f) { sr_fail(err, "%s: %s", path, strerror(errno)); sr_gen_result_free(&res); goto bad; }
            if (format == FMT_I2B2) print_i2b2(f, &res); else fwrite(res.text, 1, res.len, f);
            fclose(f);
            if (format == FMT_BRAT) {
                snprintf(path, sizeof path, "%s/%s.ann", out_dir, name);
                if (!(f = fopen(path, "wb"))) { sr_fail(err, "%s: %s", path, strerror(errno)); sr_gen_result_free(&res); goto bad; }
                print_brat_ann(f, &res);
                fclose(f);
            }
            if (opt.explain) print_explain(stdout, m, &res);
        } else if (format == FMT_I2B2) print_i2b2(stdout, &res);
        else {
            fwrite(res.text, 1, res.len, stdout);
            if (res.len == 0 || res.text[res.len - 1] != '\n') fputc('\n', stdout);
            if (opt.explain) print_explain(stdout, m, &res);
        }
        if (opt.progress) fputc('\r', stderr);
        if (!progress && !quiet)
            fprintf(stderr, "sr generate: %s: %d words refilled (%d PHI), %d masks, %d forward passes, %d leaks, %.2f s\n",
                    name, res.n_fills, res.phi.n, res.masks, res.forwards, res.leaks, res.seconds);
        sr_gen_result_free(&res);
        record_free(&rec);
        goto next;
    bad:
        failed++;
        if (format == FMT_JSONL) print_error_record(stdout, &rec, index, err);
        else if (named || jsonl || !in.name) fprintf(stderr, "sr generate: %s\n", err);
        else fprintf(stderr, "sr generate: %s: %s\n", strcmp(in.name, "-") ? in.name : "stdin", err);
        record_free(&rec);
    next:
        done++;
        fflush(stdout);
        double now = now_seconds();
        if (progress && (now - last_report > 1.0 || done == total)) {
            last_report = now;
            double rate = done / (now - start > 1e-9 ? now - start : 1e-9);
            const char *lead = tty ? "\r" : "";
            const char *tail = tty ? "   " : "\n";
            if (total >= 0) fprintf(stderr, "%ssr generate: %ld/%ld letters, %.2f letters/s, ETA %.0f s, %d failed%s", lead, done, total, rate, (total - done) / rate, failed, tail);
            else fprintf(stderr, "%ssr generate: %ld letters, %.2f letters/s, %d failed%s", lead, done, rate, failed, tail);
        }
    }
    if (progress && tty) fputc('\n', stderr);
    input_close(&in);
    rc = failed ? 1 : 0;
cleanup:
    for (int f = 0; f < n_files; f++) free(files[f]);
    free(files);
    sr_state_free(st);
    sr_masker_free(mk);
    sr_tokenizer_free(tok);
    sr_free(m);
    if (phi_m) sr_free(phi_m);
    if (med_m) sr_free(med_m);
    if (pos_m) sr_free(pos_m);
out:
    free(lexicons);
    free(label_files);
    free(items);
    return rc;
}
