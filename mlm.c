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
 *      `strict` (sr generate's default; --allow-leaks turns it off) resamples the letter
 *      (other RNG stream) while a leak touches a fill, then overwrites what still leaks
 *      (e.g. a name the Masker missed) with [**TYPE**].
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

#define SR_GEN_MAX_PIECES 8
#define SR_STOP (-2) /* "end of word" choice for a continuation piece */
#define SR_FILL_REDACTION 0 /* SrFill.action of a [**TYPE**] written over a leak */

/* Refilled words among r->fill: the model's (the rest are redactions, and surrogates
 * written in before the model ran: PHI with no WordPiece chosen). */
static int gen_refilled(const SrGenResult *r) {
    int n = 0;
    for (int i = 0; i < r->n_fills; i++) n += r->fill[i].action != SR_FILL_REDACTION && r->fill[i].n_pieces > 0;
    return n;
}


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
    /* PHI filled before the model (surrogates, tags): text is the letter with them
       written in; the original, its PHI spans (same indices) and text's byte -> the
       original's byte, for the leak check and the changes' original offsets */
    const char *otext;
    size_t olen;
    const SrSpans *ospans;
    const int *s2o;
    const unsigned char *fixed; /* span k was written in before the model ran */
    char *const *how;           /* with explain: span k's kind of surrogate (or NULL) */
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
    if (left > L / 2) left = L / 2; /* a window larger than the model's positions: the mask stays inside */
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
    if (g->n_reps > 1) qsort(g->reps, (size_t)g->n_reps, sizeof *g->reps, rep_cmp); /* none: reps is NULL */
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

/* Does output range [a, b) lie inside a surrogate written in before the model ran? */
static int in_surrogate(const GenCtx *g, const SrSpans *spans, int a, int b) {
    if (!g->fixed) return 0;
    for (int s = 0; s < g->n_segs; s++) {
        const GenSeg *sg = &g->segs[s];
        if (sg->rep >= 0 || a < sg->out_start || b > sg->out_end) continue;
        int ta = sg->orig_start + (a - sg->out_start), tb = ta + (b - a);
        for (int k = 0; k < spans->n; k++)
            if (g->fixed[k] && ta >= spans->span[k].byte_start && tb <= spans->span[k].byte_end) return 1;
        return 0;
    }
    return 0;
}

/* Count PHI spans whose string appears in the output; with redact, overwrite each such
 * occurrence (grown to whole replaced words) with [**TYPE**]. A string of at most 4
 * digits (a day, a year, an age) may also be an ordinary value ("SATS 92%"), and one of
 * at most 3 letters an ordinary word (the state ON and "on", the title D.O. and "do"):
 * copies of it in text we kept unchanged are allowed as often as it occurs outside the
 * PHI spans of the original. *touches_fill: some leak overlaps a fill (a resample may
 * cure it). */
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
        const SrSpan *osp = g->ospans ? &g->ospans->span[k] : sp; /* the original PHI string */
        leak_key((g->otext ? g->otext : g->text) + osp->byte_start, osp->byte_end - osp->byte_start, &nd);
        int allowed0 = 0, from = 0, a, b;
        int short_number = nd.n <= 4 && (int)strspn(nd.key, "0123456789") == nd.n;
        int short_word = nd.n <= 3 && (int)strspn(nd.key, "abcdefghijklmnopqrstuvwxyz") == nd.n;
        if (short_number || short_word)
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
            if (short_number && in_surrogate(g, spans, a, b)) continue; /* 2019 inside a shifted date is no leak of a year */
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
    o->phi_fill = SR_PHI_MLM; /* sr generate's default is surrogate */
    o->surrogate.shift_min = -1825;
    o->surrogate.shift_max = -365;
}

int sr_gen_state_tokens(const SrModel *m, const SrGenOptions *o) {
    int want = 2 * o->window + 3, maxp = sr_config(m)->max_position;
    return want < maxp ? want : maxp;
}

void sr_gen_result_free(SrGenResult *r) {
    free(r->text);
    for (int i = 0; r->phi_how && i < r->phi.n; i++) free(r->phi_how[i]);
    free(r->phi_how);
    sr_spans_free(&r->phi);
    sr_spans_free(&r->phi_orig);
    free(r->phi_fill);
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
 * spans[k] masked. The ratio is taken as the decimal the user wrote (to 6 places): the
 * float 0.7f is 0.69999999, and 0.69999999 x 90 would floor to 62, not 63; the 1e-6 then
 * keeps the double 0.7 x 90 = 62.99999999999999 at 63. */
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
        double r = floor((double)ratio * 1e6 + 0.5) / 1e6;
        int want = (int)floor(r * m + 1e-6);
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

/* Put the fills in text order and point each decision (which holds its unit's index)
 * at its fill. unit_of[i]: the unit of fill i, or -1. */
static void order_fills(const GenCtx *g, SrGenResult *r, const int *unit_of) {
    int n = r->n_fills;
    int *order = xmalloc((size_t)(n ? n : 1) * sizeof(int)), *fill_of = xmalloc((size_t)(g->n_units ? g->n_units : 1) * sizeof(int));
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++) { /* insertion sort: the fills are nearly in order already */
        int v = order[i], j = i - 1;
        while (j >= 0 && r->fill[order[j]].byte_start > r->fill[v].byte_start) { order[j + 1] = order[j]; j--; }
        order[j + 1] = v;
    }
    SrFill *sorted = xmalloc((size_t)(n ? n : 1) * sizeof *sorted);
    for (int u = 0; u < g->n_units; u++) fill_of[u] = -1;
    for (int i = 0; i < n; i++) {
        sorted[i] = r->fill[order[i]];
        if (unit_of[order[i]] >= 0) fill_of[unit_of[order[i]]] = i;
    }
    memcpy(r->fill, sorted, (size_t)n * sizeof *sorted);
    for (int i = 0; i < r->n_dec; i++)
        if (r->dec[i].fill >= 0 && r->dec[i].fill < g->n_units) r->dec[i].fill = fill_of[r->dec[i].fill];
    free(sorted);
    free(order);
    free(fill_of);
}

/* The result's spans and fills, mapped into the output. */
static void collect_result(GenCtx *g, const SrSpans *spans) {
    SrGenResult *r = g->res;
    for (int i = 0; r->phi_how && i < r->phi.n; i++) free(r->phi_how[i]); /* a resample's */
    r->phi.n = r->phi_orig.n = r->entities.n = 0;
    r->n_fills = 0;
    int *cp = xmalloc((r->len + 1) * sizeof(int)); /* byte -> code point offsets */
    for (size_t i = 0, c = 0; i <= r->len; i++) { cp[i] = (int)c; if (i < r->len && ((unsigned char)r->text[i] & 0xC0) != 0x80) c++; }
    const char *ot = g->otext ? g->otext : g->text;
    size_t ol = g->otext ? g->olen : g->len;
    int *cp0 = xmalloc((ol + 1) * sizeof(int)); /* the same for the original */
    for (size_t i = 0, c = 0; i <= ol; i++) { cp0[i] = (int)c; if (i < ol && ((unsigned char)ot[i] & 0xC0) != 0x80) c++; }
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        SrSpans *dst;
        if (sp->action == SR_ACT_PHI) dst = &r->phi;
        else if (sp->action == SR_ACT_PROTECT) {
            if (!orig_unchanged(g, sp->byte_start, sp->byte_end)) continue; /* overrun by a PHI word */
            dst = &r->entities;
        } else continue;
        if (dst == &r->phi) {
            r->phi_fill = grow(r->phi_fill, &r->cap_phi_fill, r->phi.n + 1, 1);
            r->phi_fill[r->phi.n] = g->fixed && g->fixed[k] ? (unsigned char)g->opt->phi_fill : SR_PHI_MLM;
            r->phi_how = grow(r->phi_how, &r->cap_phi_how, r->phi.n + 1, sizeof *r->phi_how);
            r->phi_how[r->phi.n] = g->how && g->how[k] ? strdup(g->how[k]) : NULL;
            r->phi_orig.span = grow(r->phi_orig.span, &r->phi_orig.cap, r->phi_orig.n + 1, sizeof *r->phi_orig.span);
            r->phi_orig.span[r->phi_orig.n++] = g->ospans ? g->ospans->span[k] : *sp; /* spans of the copy, else of the original */
        }
        dst->span = grow(dst->span, &dst->cap, dst->n + 1, sizeof *dst->span);
        SrSpan *o = &dst->span[dst->n++];
        *o = *sp;
        o->byte_start = map_offset(g, sp->byte_start, 0);
        o->byte_end = map_offset(g, sp->byte_end, 1);
        if (o->byte_end < o->byte_start) o->byte_end = o->byte_start;
        o->cp_start = cp[o->byte_start];
        o->cp_end = cp[o->byte_end];
    }
    int *unit_of = xmalloc((size_t)(g->n_segs + spans->n + 1) * sizeof(int)); /* fill -> its unit, or -1 */
    for (int s = 0; s < g->n_segs; s++) {
        const GenSeg *sg = &g->segs[s];
        if (sg->rep < 0) continue;
        const GenRep *rp = &g->reps[sg->rep];
        r->fill = grow(r->fill, &r->cap_fills, r->n_fills + 1, sizeof *r->fill);
        unit_of[r->n_fills] = rp->unit;
        SrFill *f = &r->fill[r->n_fills++];
        memset(f, 0, sizeof *f);
        f->byte_start = sg->out_start;
        f->byte_end = sg->out_end;
        f->cp_start = cp[sg->out_start];
        f->cp_end = cp[sg->out_end];
        if (rp->unit < 0) { /* a [**TYPE**] over a leak: a change like the others, so the record rebuilds */
            f->orig_cp_start = cp0[g->s2o ? g->s2o[rp->orig_start] : rp->orig_start];
            f->orig_cp_end = cp0[g->s2o ? g->s2o[rp->orig_end] : rp->orig_end];
            f->action = SR_FILL_REDACTION;
            const char *t = rp->text + 3; /* "[**TYPE**]" */
            size_t tl = strlen(t) >= 3 ? strlen(t) - 3 : 0;
            if (tl >= sizeof f->category) tl = sizeof f->category - 1;
            memcpy(f->category, t, tl);
            f->category[tl] = 0;
            f->prob = 1;
            continue;
        }
        const GenUnit *un = &g->units[rp->unit];
        f->orig_cp_start = cp0[g->s2o ? g->s2o[un->byte_start] : un->byte_start];
        f->orig_cp_end = cp0[g->s2o ? g->s2o[un->byte_end] : un->byte_end];
        f->action = un->action;
        memcpy(f->category, spans->span[un->span].category, sizeof f->category);
        f->category[sizeof f->category - 1] = 0;
        f->n_pieces = un->n_new;
        f->prob = un->prob;
        f->forward = un->forward;
    }
    /* surrogates written in before the model ran are changes too, so a record's changes
       rebuild its text from the original */
    for (int k = 0; g->fixed && k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        if (!g->fixed[k] || sp->action != SR_ACT_PHI || sp->byte_end <= sp->byte_start) continue;
        if (!orig_unchanged(g, sp->byte_start, sp->byte_end)) continue; /* overwritten by a redaction */
        r->fill = grow(r->fill, &r->cap_fills, r->n_fills + 1, sizeof *r->fill);
        unit_of[r->n_fills] = -1;
        SrFill *f = &r->fill[r->n_fills++];
        memset(f, 0, sizeof *f);
        f->byte_start = map_offset(g, sp->byte_start, 0);
        f->byte_end = map_offset(g, sp->byte_end, 1);
        f->cp_start = cp[f->byte_start];
        f->cp_end = cp[f->byte_end];
        f->orig_cp_start = cp0[g->ospans->span[k].byte_start];
        f->orig_cp_end = cp0[g->ospans->span[k].byte_end];
        f->action = SR_ACT_PHI;
        memcpy(f->category, sp->category, sizeof f->category);
        f->category[sizeof f->category - 1] = 0;
        f->prob = 1;
    }
    /* a PHI span under a [**TYPE**] written over a leak was redacted, whatever filled it */
    for (int i = 0; i < r->phi.n; i++)
        for (int f = 0; f < r->n_fills; f++)
            if (r->fill[f].action == SR_FILL_REDACTION && r->fill[f].byte_start < r->phi.span[i].byte_end &&
                r->fill[f].byte_end > r->phi.span[i].byte_start)
                r->phi_fill[i] = SR_PHI_REDACTED;
    order_fills(g, r, unit_of);
    free(unit_of);
    free(cp);
    free(cp0);
}

/* PHI filled before the model runs: each PHI span's surrogate (or [**TYPE**]) written
 * into a copy of the letter. spans are moved onto the copy (*orig keeps them as they
 * were), fixed[k] = 1 for a span written in (a span without a surrogate stays for the
 * masked LM), s2o maps the copy's bytes to the original's. */
static int prefill_phi(const SrGenOptions *opt, const char *text, size_t len, SrSpans *spans, SrSpans *orig,
                       char **out, size_t *out_len, int **s2o, unsigned char **fixed, char **how, char *err) {
    char **sur = xcalloc((size_t)spans->n + 1, sizeof *sur);
    if (opt->phi_fill == SR_PHI_SURROGATE) {
        if (!opt->surrogates) { free(sur); return sr_fail(err, "surrogate PHI fill without surrogate pools"); }
        SrSurrogateOptions so = opt->surrogate;
        so.seed = opt->seed;
        if (sr_surrogates_make(opt->surrogates, &so, text, len, spans, sur, how, err) < 0) { free(sur); return -1; }
    } else {
        for (int k = 0; k < spans->n; k++) {
            if (spans->span[k].action != SR_ACT_PHI) continue;
            char tag[48];
            snprintf(tag, sizeof tag, "[**%s**]", spans->span[k].category[0] ? spans->span[k].category : "PHI");
            sur[k] = strdup(tag);
        }
    }
    orig->n = 0;
    orig->span = grow(orig->span, &orig->cap, spans->n + 1, sizeof *orig->span);
    memcpy(orig->span, spans->span, (size_t)spans->n * sizeof *spans->span);
    orig->n = spans->n;
    *fixed = xcalloc((size_t)spans->n + 1, 1);
    size_t cap = len + 64, n = 0, at = 0;
    char *o = xmalloc(cap);
    int *map = xmalloc((cap + 1) * sizeof *map);
    for (int k = 0; k <= spans->n; k++) {
        size_t stop = k < spans->n ? (size_t)spans->span[k].byte_start : len;
        size_t sl = k < spans->n && sur[k] ? strlen(sur[k]) : 0;
        if (n + (stop - at) + sl + 1 > cap) { cap = 2 * (n + (stop - at) + sl + 1); o = xrealloc(o, cap); map = xrealloc(map, (cap + 1) * sizeof *map); }
        for (size_t i = at; i < stop; i++) { map[n] = (int)i; o[n++] = text[i]; }
        at = stop;
        if (k == spans->n) break;
        SrSpan *sp = &spans->span[k];
        int shift = (int)n - sp->byte_start;
        if (!sur[k]) { sp->byte_start += shift; sp->byte_end += shift; continue; } /* copied with the text after it */
        int ob = sp->byte_start, oe = sp->byte_end;
        for (size_t i = 0; i < sl; i++) { map[n] = ob; o[n++] = sur[k][i]; }
        sp->byte_start = ob + shift;
        sp->byte_end = (int)n;
        at = (size_t)oe;
        (*fixed)[k] = 1;
    }
    map[n] = (int)len;
    o[n] = 0;
    for (int k = 0; k < spans->n; k++) free(sur[k]);
    free(sur);
    *out = o;
    *out_len = n;
    *s2o = map;
    return 0;
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

    SrSpans spans = {0}, ospans = {0};
    SrTokens tk = {0};
    unsigned char *chosen = NULL, *fixed = NULL;
    char *stext = NULL, **how = NULL;
    int *s2o = NULL;
    const char *otext = text;
    size_t olen = len;
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
    /* surrogates or tags are written in before the model runs: it sees them, never the
       originals; the leak check still looks for the originals */
    if (opt->phi_fill != SR_PHI_MLM && !opt->paper) {
        size_t slen = 0;
        if (opt->explain && opt->phi_fill == SR_PHI_SURROGATE) how = xcalloc((size_t)spans.n + 1, sizeof *how);
        if (prefill_phi(opt, text, len, &spans, &ospans, &stext, &slen, &s2o, &fixed, how, err) < 0) goto done;
        text = stext;
        len = slen;
    }
    if (sr_tokenize(t, text, len, 0, &tk, err) < 0) goto done;

    g.m = m; g.st = s; g.cfg = cfg; g.opt = opt; g.text = text; g.len = len; g.res = out;
    if (stext) { g.otext = otext; g.olen = olen; g.ospans = &ospans; g.s2o = s2o; g.fixed = fixed; g.how = how; }
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
    uint64_t letter_seed = opt->seed ^ fnv1a(otext, olen);
    rng_seed(&g.rng, letter_seed);

    chosen = xmalloc((size_t)(spans.n ? spans.n : 1));
    select_eligible(&spans, opt->ratio, opt->stratify, &g.rng, chosen);
    if (fixed) for (int k = 0; k < spans.n; k++) if (fixed[k]) chosen[k] = 0; /* written in already */
    make_units(&g, &spans, chosen, &tk);
    if (g.n_units > 1) qsort(g.units, (size_t)g.n_units, sizeof *g.units, unit_cmp); /* none (--ratio 0): units is NULL */
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
    free(fixed);
    for (int k = 0; how && k < spans.n; k++) free(how[k]);
    free(how);
    free(stext);
    free(s2o);
    sr_spans_free(&ospans);
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
 * live in test/out/). Says on stderr which one it uses (not when quiet). */
static int load_model_or_demo(const char *cmd, const char *path, int quiet, SrModel **m, char *err) {
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
        if (!quiet) fprintf(stderr, "sr %s: using the demo model %s\n", cmd, path);
    }
    return sr_load(m, path, err);
}

static int cmd_fill(int argc, char **argv) {
    const char *model_path = NULL;
    int top_k = 5, jsonl = 0, threads = 0, encoding = SR_ENC_UTF8;
    SrInputArgs ia;
    input_args_init(&ia, argc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--top-k")) top_k = (int)opt_int(argc, argv, &i, 1, INT32_MAX);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--encoding")) encoding = opt_encoding(argc, argv, &i);
        else if (!strcmp(a, "--keep-fields")) opt_keep_fields(argc, argv, &i);
        else if (!strcmp(a, "--threads")) threads = opt_threads(argc, argv, &i);
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr fill [-m MODEL] [--top-k K] [--jsonl] [--threads N] [FILE... | --text TEXT...]\n"
                  "  Hugging Face fill-mask: TEXT holds literal [MASK] tokens. For each mask, the\n"
                  "  top-k tokens with probabilities = softmax over the whole vocabulary. \"token\"\n"
                  "  is the vocabulary entry (\"##ing\"), not decoded. Default model: the demo model.\n"
                  "  --encoding E: files and stdin are utf-8 (the default), cp1252 or latin1\n"
                  "  --keep-fields A,B: input keys copied verbatim into each output record (not de-identified)\n"
                  "  FILE: one text a file ('-' or none: stdin; a folder: its files); --text TEXT: TEXT itself\n"
                  "  --jsonl: input lines {\"id\",\"text\"} (files or stdin), output\n"
                  "  {\"id\", \"masks\":[{\"index\": token index with [CLS] = 0, \"candidates\":[{\"id\",\"token\",\"prob\"}]}]}\n",
                  stdout);
            input_args_free(&ia);
            return 0;
        } else if (opt_input(argc, argv, &i, &ia)) continue;
        else { fprintf(stderr, "sr fill: unknown option %s (see sr fill --help)\n", a); input_args_free(&ia); return 2; }
    }
    SrInput in;
    if (top_k < 1) fprintf(stderr, "sr fill: --top-k must be >= 1\n");
    if (top_k < 1 || input_args_open("fill", &ia, jsonl, encoding, &in) < 0) { input_args_free(&ia); return 2; }
    char err[SR_ERR_LEN];
    SrModel *m = NULL;
    if (load_model_or_demo("fill", model_path, 0, &m, err) < 0) { fprintf(stderr, "sr fill: %s\n", err); input_args_free(&ia); return 2; }
    if (threads > 0) sr_set_threads(threads);
    const SrConfig *cfg = sr_config(m);
    SrTokenizer *t = sr_tokenizer_from_model(m, err);
    if (!t || !(cfg->flags & SR_FLAG_MLM_HEAD) || cfg->mask_id < 0) {
        fprintf(stderr, "sr fill: %s\n", !t ? err : "the model has no masked-LM head or no [MASK] token");
        sr_tokenizer_free(t); sr_free(m); input_args_free(&ia);
        return 2;
    }
    SrState *st = sr_state_new(m, cfg->max_position);
    int V = cfg->vocab_size, k = top_k < V ? top_k : V;
    float *logits = NULL, *probs = xmalloc((size_t)V * sizeof(float));
    SrCand *cand = xmalloc((size_t)(k + 1) * sizeof(SrCand));
    int *ids = NULL, *rows = NULL, n, failed = 0;
    SrTokens tk = {0};
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
            put_kept_fields(stdout, &rec);
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
    free(ids); free(rows); free(logits); free(probs); free(cand); input_args_free(&ia);
    sr_tokens_free(&tk);
    sr_state_free(st);
    sr_tokenizer_free(t);
    sr_free(m);
    return failed ? 1 : 0;
}

/* ---- sr generate ---- */

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

/* --explain: one line per PHI span that got a surrogate: where it lies in the letter,
 * its type, the rule that found it and the kind of surrogate; its original only with
 * show_phi (--show-phi) */
static void print_explain_surrogates(FILE *f, const SrRecord *rec, const SrGenResult *r, int show_phi) {
    for (int i = 0; i < r->phi.n; i++) {
        const SrSpan *s = &r->phi.span[i], *o = &r->phi_orig.span[i];
        if (r->phi_fill[i] != SR_PHI_SURROGATE) continue;
        fprintf(f, "surrogate %d-%d  %s  %s  %s", s->cp_start, s->cp_end, s->category, s->source,
                r->phi_how && r->phi_how[i] ? r->phi_how[i] : "");
        if (show_phi) { fputs("  original: ", f); fwrite(rec->text + o->byte_start, 1, (size_t)(o->byte_end - o->byte_start), f); }
        fputc('\n', f);
    }
}

/* fill: how each span was filled (SR_PHI_*), or NULL */
static void put_spans_json(FILE *f, const char *text, const SrSpans *s, const unsigned char *fill) {
    static const char *fill_name[] = {"mlm", "surrogate", "tag", "redaction"};
    fputc('[', f);
    for (int i = 0; i < s->n; i++) {
        const SrSpan *p = &s->span[i];
        fprintf(f, "%s{\"start\":%d,\"end\":%d,\"type\":", i ? "," : "", p->cp_start, p->cp_end);
        json_put_cstr(f, p->category);
        fputs(",\"text\":", f);
        json_put_string(f, text + p->byte_start, (size_t)(p->byte_end - p->byte_start));
        if (fill && fill[i] <= SR_PHI_REDACTED) fprintf(f, ",\"fill\":\"%s\"", fill_name[fill[i]]);
        fputc('}', f);
    }
    fputc(']', f);
}

/* One letter as a JSON line. Wall-clock timings only when asked (timings): without
 * them the same seed and input give the same bytes, run after run. */
static void print_jsonl(FILE *f, const SrModel *m, const SrRecord *rec, long index, const SrGenResult *r, int explain, int keep_original,
                        int show_phi, int timings) {
    fputs("{\"id\":", f);
    if (rec->id_json) fputs(rec->id_json, f); else fprintf(f, "%ld", index);
    put_kept_fields(f, rec);
    fputs(",\"text\":", f);
    json_put_string(f, r->text, r->len);
    fputs(",\"phi\":", f);
    put_spans_json(f, r->text, &r->phi, r->phi_fill);
    fputs(",\"entities\":", f);
    put_spans_json(f, r->text, &r->entities, NULL);
    fprintf(f, ",\"fills\":%d,\"masks\":%d,\"forwards\":%d,\"leaks\":%d,\"tokens\":%d", gen_refilled(r), r->masks, r->forwards, r->leaks, r->n_tokens);
    if (r->resamples || r->redactions) fprintf(f, ",\"resamples\":%d,\"redactions\":%d", r->resamples, r->redactions);
    if (timings)
        fprintf(f, ",\"seconds\":%.4f,\"forward_seconds\":%.4f,\"head_seconds\":%.4f,\"masker_seconds\":%.4f",
                r->seconds, r->forward_seconds, r->head_seconds, r->mask_seconds);
    fputs(",\"changes\":[", f);
    for (int i = 0; i < r->n_fills; i++) {
        const SrFill *x = &r->fill[i];
        fprintf(f, "%s{\"start\":%d,\"end\":%d,\"orig_start\":%d,\"orig_end\":%d,\"kind\":\"%s\",\"type\":", i ? "," : "",
                x->cp_start, x->cp_end, x->orig_cp_start, x->orig_cp_end,
                x->action == SR_ACT_PHI ? "phi" : x->action == SR_ACT_ELIGIBLE ? "word" : "redaction");
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
        fputs("],\"surrogates\":[", f);
        for (int i = 0, n = 0; i < r->phi.n; i++) {
            const SrSpan *s = &r->phi.span[i], *o = &r->phi_orig.span[i];
            if (r->phi_fill[i] != SR_PHI_SURROGATE) continue;
            fprintf(f, "%s{\"start\":%d,\"end\":%d,\"type\":", n++ ? "," : "", s->cp_start, s->cp_end);
            json_put_cstr(f, s->category);
            fputs(",\"rule\":", f);
            json_put_cstr(f, s->source);
            fputs(",\"how\":", f);
            json_put_cstr(f, r->phi_how && r->phi_how[i] ? r->phi_how[i] : "");
            if (show_phi) { fputs(",\"original\":", f); json_put_string(f, rec->text + o->byte_start, (size_t)(o->byte_end - o->byte_start)); }
            fputc('}', f);
        }
        fputc(']', f);
    }
    if (keep_original) {
        fputs(",\"original\":", f);
        json_put_string(f, rec->text, rec->len);
    }
    fputs("}\n", f);
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

/* The models, tokenizer, Masker and state sr generate runs with (sr eval --sweep too;
 * plain sr eval needs only the Masker: with_lm = 0). Says what failed on stderr. */
typedef struct {
    SrModel *m, *phi, *med, *pos;
    SrTokenizer *tok;
    SrMasker *mk;
    SrState *st;
} GenTools;

static void gen_tools_close(GenTools *g) {
    sr_state_free(g->st);
    sr_masker_free(g->mk);
    sr_tokenizer_free(g->tok);
    if (g->m) sr_free(g->m);
    if (g->phi) sr_free(g->phi);
    if (g->med) sr_free(g->med);
    if (g->pos) sr_free(g->pos);
    memset(g, 0, sizeof *g);
}

static int gen_tools_open(GenTools *g, const char *cmd, int with_lm, const char *model_path, const char *phi_path,
                          const char *med_path, const char *pos_path, SrMaskerOptions *mo, int threads, SrGenOptions *opt,
                          int quiet) {
    char err[SR_ERR_LEN];
    memset(g, 0, sizeof *g);
    if (with_lm) {
        if (load_model_or_demo(cmd, model_path, quiet, &g->m, err) < 0) goto fail;
        if (!(sr_config(g->m)->flags & SR_FLAG_MLM_HEAD)) { sr_fail(err, "%s has no masked-LM head", model_path ? model_path : "the demo model"); goto fail; }
    }
    if ((phi_path && sr_load(&g->phi, phi_path, err) < 0) || (med_path && sr_load(&g->med, med_path, err) < 0) ||
        (pos_path && sr_load(&g->pos, pos_path, err) < 0)) goto fail;
    if (threads > 0) sr_set_threads(threads);
    if (with_lm && !(g->tok = sr_tokenizer_from_model(g->m, err))) goto fail;
    mo->phi_model = g->phi;
    mo->med_model = g->med;
    mo->pos_model = g->pos;
    if (!(g->mk = sr_masker_new(mo, err))) goto fail;
    if (with_lm) g->st = sr_state_new(g->m, sr_gen_state_tokens(g->m, opt));
    return 0;
fail:
    fprintf(stderr, "sr %s: %s\n", cmd, err);
    gen_tools_close(g);
    return -1;
}

/* A model with fewer positions than a window needs (2 x window + 3: [CLS], the mask,
 * [SEP]) gets the largest window it holds, said once on stderr (a 128-position BERT
 * under the default --window 128). */
static void gen_fit_window(const SrModel *m, SrGenOptions *opt, int quiet) {
    int maxp = sr_config(m)->max_position, fit = (maxp - 3) / 2;
    if (opt->window <= fit || fit < 1) return;
    if (!quiet) fprintf(stderr, "%s: the model has %d positions: --window %d becomes %d\n", sr_cmd, maxp, opt->window, fit);
    opt->window = fit;
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
          "  --window W        tokens of context each side of a mask (128; a model with fewer\n"
          "                    positions than 2W+3 gets (positions - 3) / 2)\n"
          "  --max-pieces N    WordPieces per refilled word, 1..8 (3)\n"
          "  --top-k K         sample among the K most likely (6; 1 = greedy; 0 = all)\n"
          "  --top-p P         nucleus sampling (1 = off)\n"
          "  --temperature T   (1; 0 = greedy)\n"
          "  --greedy          same as --top-k 1\n"
          "  --seed S          RNG seed (42); with the letter's text it fixes the output\n"
          "  --paper           the paper's exact procedure (PHI visible on the right of each\n"
          "                    mask, one WordPiece per word, no case transfer): for comparison\n"
          "  --allow-leaks     write a letter whose leak check finds an original PHI string as\n"
          "                    it is (for experiments); by default it is resampled (3 tries),\n"
          "                    then what still leaks is written as [**TYPE**] (the record's\n"
          "                    \"resamples\" and \"redactions\" say so; --strict: the default)\n"
          "  --phi-fill F      surrogate (default; --paper: mlm): typed surrogates of the same\n"
          "                    format written before the model runs (it sees them as context);\n"
          "                    mlm: the masked LM fills PHI like any word; tag: [**TYPE**]\n"
          "  --surrogate-key F a secret key file (>= 16 random bytes): the same surrogates in\n"
          "                    every letter, one date shift per \"patient\"; keep it secret\n"
          "  --date-shift A:B  surrogate date shift in days, drawn from [A, B] (-1825:-365)\n"
          "  --consistency C   document: an original gets one surrogate in its document (the\n"
          "                    default without a key); patient: in every document of the key,\n"
          "                    one date shift per \"patient\" (the default with --surrogate-key);\n"
          "                    markov: each repeat keeps the previous surrogate with p = 1/2,\n"
          "                    else takes a fresh one (hides a missed original; README)\n"
          "  --map-out FILE    write each PHI span's original and what the letter has in its\n"
          "                    place to FILE (JSONL, mode 0600). IT CONTAINS THE ORIGINAL PHI:\n"
          "                    for authorised review only; without it nothing writes them\n"
          "  --explain         every decision: context, top-k candidates, choice; each\n"
          "                    surrogate: its type, rule and kind (never the original)\n"
          "  --show-phi        --explain's surrogate lines also show the original PHI\n"
          "  --keep-original   also output the original text (contains PHI!)\n"
          "  --format F        text | jsonl | i2b2 | brat (text; jsonl with --jsonl); i2b2 on\n"
          "                    stdout: several letters in one <deIdi2b2Set>; brat needs --out\n"
          "  --out DIR         one file per letter (NAME.txt, NAME.xml, NAME.json, or NAME.txt +\n"
          "                    NAME.ann and DIR/annotation.conf),\n"
          "                    each written whole or not at all; never over an input file;\n"
          "                    a name two letters share gets -2, -3 (said on stderr)\n"
          "  --timings         JSONL records carry seconds, forward_seconds, head_seconds,\n"
          "                    masker_seconds (else the output is the same bytes run to run)\n"
          "  --encoding E      files and stdin are utf-8 (the default), cp1252 or latin1\n"
          "  --keep-fields A,B input keys copied verbatim into each JSON record (not de-identified)\n"
          "  --text TEXT       a letter given on the command line (repeatable) instead of files\n"
          "  --jsonl           input lines {\"id\",\"text\"}; output one JSON object a line\n"
          "  --shard I/N       only records I, I+N, I+2N, ... (0 <= I < N)\n"
          "  --threads N       threads for the kernels (output does not depend on it)\n"
          "  --max-bytes B     refuse letters longer than B bytes (100000)\n"
          "  --quiet           no progress line, no notes\n",
          f);
}

/* --map-out: each PHI span of the letter, its original and what the letter has there */
static void gen_put_map(FILE *f, const SrRecord *rec, long index, const SrGenResult *r) {
    static const char *fill_name[] = {"mlm", "surrogate", "tag", "redaction"};
    for (int i = 0; i < r->phi.n; i++) {
        const SrSpan *o = &r->phi.span[i];
        sg_map_put(f, rec->id_json, index, rec->text, &r->phi_orig.span[i], r->text + o->byte_start, (size_t)(o->byte_end - o->byte_start),
                   fill_name[r->phi_fill[i] <= SR_PHI_REDACTED ? r->phi_fill[i] : SR_PHI_MLM]);
    }
}

static int cmd_generate(int argc, char **argv) {
    SrGenOptions opt;
    sr_gen_options_default(&opt);
    opt.strict = 1; /* no letter is written with an original PHI string in it (--allow-leaks: as found) */
    SrMaskerOptions mo;
    memset(&mo, 0, sizeof mo);
    const char *model_path = NULL, *phi_path = NULL, *med_path = NULL, *pos_path = NULL, *out_dir = NULL;
    int phi_only = 0, phi_fill = -1, show_phi = 0;
    const char *surrogate_key = NULL, *map_out = NULL;
    SrSurrogates *surrogates = NULL;
    SrOutFile map; /* --map-out */
    map.f = NULL;
    const char **lexicons = xmalloc((size_t)argc * sizeof(char *));
    const char **label_files = xmalloc((size_t)argc * sizeof(char *));
    SrInputArgs ia; /* files, or --text: letters given on the command line */
    input_args_init(&ia, argc);
    int n_labels = 0;
    int n_lex = 0, jsonl = 0, encoding = SR_ENC_UTF8, format = -1, threads = 0, shard_i = 0, shard_n = 1, quiet = 0, timings = 0;
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
        else if (!strcmp(a, "--ratio")) opt.ratio = (float)opt_float(argc, argv, &i, 0, 1, 0);
        else if (!strcmp(a, "--fill")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "iterative")) opt.fill = SR_FILL_ITERATIVE;
            else if (!strcmp(v, "parallel")) opt.fill = SR_FILL_PARALLEL;
            else if (!strncmp(v, "rounds", 6)) {
                opt.fill = SR_FILL_ROUNDS;
                if (v[6] == ':') {
                    char *e;
                    errno = 0;
                    long r = strtol(v + 7, &e, 10);
                    if (!isdigit((unsigned char)v[7]) || *e || errno || r < 1 || r > 1000) { fprintf(stderr, "sr generate: --fill rounds:N wants N in 1..1000, not '%s'\n", v); goto out; }
                    opt.rounds = (int)r;
                }
                else if (v[6]) { fprintf(stderr, "sr generate: unknown --fill %s\n", v); goto out; }
            } else { fprintf(stderr, "sr generate: unknown --fill %s (iterative, parallel, rounds:N)\n", v); goto out; }
        } else if (!strcmp(a, "--window")) opt.window = (int)opt_int(argc, argv, &i, 1, 1 << 20);
        else if (!strcmp(a, "--max-pieces")) opt.max_pieces = (int)opt_int(argc, argv, &i, 1, SR_GEN_MAX_PIECES);
        else if (!strcmp(a, "--top-k")) opt.top_k = (int)opt_int(argc, argv, &i, 0, INT32_MAX);
        else if (!strcmp(a, "--top-p")) opt.top_p = (float)opt_float(argc, argv, &i, 0, 1, 1);
        else if (!strcmp(a, "--temperature")) opt.temperature = (float)opt_float(argc, argv, &i, 0, 1e6, 0);
        else if (!strcmp(a, "--greedy")) opt.top_k = 1;
        else if (!strcmp(a, "--seed")) opt.seed = opt_u64(argc, argv, &i);
        else if (!strcmp(a, "--paper")) opt.paper = 1;
        else if (!strcmp(a, "--strict")) opt.strict = 1; /* the default now; kept for old scripts */
        else if (!strcmp(a, "--allow-leaks")) opt.strict = 0;
        else if (!strcmp(a, "--timings")) timings = 1;
        else if (!strcmp(a, "--phi-fill")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "surrogate")) phi_fill = SR_PHI_SURROGATE;
            else if (!strcmp(v, "mlm")) phi_fill = SR_PHI_MLM;
            else if (!strcmp(v, "tag")) phi_fill = SR_PHI_TAG;
            else { fprintf(stderr, "sr generate: --phi-fill must be surrogate, mlm or tag, not %s\n", v); goto out; }
        }
        else if (!strcmp(a, "--surrogate-key")) surrogate_key = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--map-out")) map_out = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--consistency")) {
            const char *v = opt_value(argc, argv, &i);
            if ((opt.surrogate.consistency = sg_parse_consistency(v)) < 0) { fprintf(stderr, "sr generate: --consistency must be document, patient or markov, not %s\n", v); goto out; }
        }
        else if (!strcmp(a, "--date-shift")) {
            const char *v = opt_value(argc, argv, &i);
            if (sg_parse_shift(v, &opt.surrogate.shift_min, &opt.surrogate.shift_max) < 0) { fprintf(stderr, "sr generate: --date-shift wants MIN:MAX days (MIN <= MAX), not %s\n", v); goto out; }
        }
        else if (!strcmp(a, "--no-fail-closed")) mo.no_fail_closed = 1;
        else if (!strcmp(a, "--phi-input")) {
            const char *v = opt_value(argc, argv, &i);
            if (!strcmp(v, "union")) phi_only = 0;
            else if (!strcmp(v, "only")) phi_only = 1;
            else { fprintf(stderr, "sr generate: --phi-input must be union or only, not %s\n", v); goto out; }
        }
        else if (!strcmp(a, "--explain")) opt.explain = 1;
        else if (!strcmp(a, "--keep-original")) opt.keep_original = 1;
        else if (!strcmp(a, "--show-phi")) show_phi = 1;
        else if (!strcmp(a, "--format")) {
            const char *v = opt_value(argc, argv, &i);
            if ((format = format_parse(v)) < 0) { fprintf(stderr, "sr generate: unknown --format %s (text, jsonl, i2b2, brat)\n", v); goto out; }
        } else if (!strcmp(a, "--out")) out_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--encoding")) encoding = opt_encoding(argc, argv, &i);
        else if (!strcmp(a, "--keep-fields")) opt_keep_fields(argc, argv, &i);
        else if (!strcmp(a, "--shard")) opt_shard(argc, argv, &i, &shard_i, &shard_n);
        else if (!strcmp(a, "--threads")) threads = opt_threads(argc, argv, &i);
        else if (!strcmp(a, "--max-bytes")) max_bytes = opt_int(argc, argv, &i, 1, 1L << 40);
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { gen_usage(stdout); rc = 0; goto out; }
        else if (opt_input(argc, argv, &i, &ia)) continue;
        else { fprintf(stderr, "sr generate: unknown option %s (see sr generate --help)\n", a); goto out; }
    }
    if (format < 0) format = jsonl ? FMT_JSONL : FMT_TEXT;
    opt.phi_fill = phi_fill >= 0 ? phi_fill : opt.paper ? SR_PHI_MLM : SR_PHI_SURROGATE;
    if (opt.paper && opt.phi_fill != SR_PHI_MLM) { fprintf(stderr, "sr generate: --paper fills PHI with the masked LM (--phi-fill mlm)\n"); goto out; }
    if (opt.surrogate.consistency == SR_CONSIST_PATIENT && !surrogate_key) { fprintf(stderr, "sr generate: --consistency patient needs --surrogate-key\n"); goto out; }
    if (format == FMT_BRAT && !out_dir) { fprintf(stderr, "sr generate: --format brat needs --out DIR (a .txt and a .ann per letter)\n"); goto out; }
    SrInput in;
    if (input_args_open("generate", &ia, jsonl, encoding, &in) < 0) goto out;

    char err[SR_ERR_LEN];
    GenTools gt;
    memset(&gt, 0, sizeof gt);
    char **files = ia.files;
    int n_files = ia.n_files, n_texts = ia.n_texts;
    SrOutDir od;
    memset(&od, 0, sizeof od);
    if (out_dir && outdir_open(&od, out_dir, files, n_files, err) < 0) { fprintf(stderr, "sr generate: %s\n", err); goto cleanup; }
    rc = 2; /* a model, lexicon or data file that does not load is a setup error */
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    mo.label_files = label_files;
    mo.n_label_files = n_labels;
    if (gen_tools_open(&gt, "generate", 1, model_path, phi_path, med_path, pos_path, &mo, threads, &opt, quiet) < 0) goto cleanup;
    SrModel *m = gt.m;
    SrTokenizer *tok = gt.tok;
    SrMasker *mk = gt.mk;
    SrState *st = gt.st;
    gen_fit_window(m, &opt, quiet);
    if ((opt.phi_fill == SR_PHI_SURROGATE || surrogate_key) &&
        (!(surrogates = sr_surrogates_new(mo.data_dir, mk->phi, err)) || (surrogate_key && sr_surrogates_key_file(surrogates, surrogate_key, err) < 0))) {
        fprintf(stderr, "sr generate: %s\n", err);
        goto cleanup;
    }
    opt.surrogates = surrogates;
    if (map_out && path_is_input(map_out, files, n_files)) { fprintf(stderr, "sr generate: --map-out %s is one of the input files: not overwritten\n", map_out); goto cleanup; }
    if (map_out && outfile_open_mode(&map, map_out, 0600, err) < 0) { fprintf(stderr, "sr generate: --map-out %s\n", err); goto cleanup; }

    rc = 1;
    /* several documents on stdout: one i2b2 XML document, a <deIdi2b2Set> of them */
    int i2b2_set = format == FMT_I2B2 && !out_dir && (jsonl || n_files > 1 || n_texts > 0);
    if (i2b2_set) i2b2_put_set_begin(stdout);
    /* records to expect, for the progress line (unknown for stdin) */
    long total = -1;
    if (n_texts) total = n_texts;
    else if (n_files > 0 && !jsonl) total = n_files;
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
        opt.surrogate.patient = rec.patient;
        if (sr_generate(m, st, tok, mk, &opt, rec.text, rec.len, &res, err) < 0) goto bad;
        char name[256];
        letter_name(&in, &rec, index, name, sizeof name);
        SrDoc doc = {res.text, res.len, &res.phi, &res.entities};
        if (out_dir) {
            SrOutFile of[2];
            int n_of = outdir_letter_open(&od, name, format, of, err);
            if (n_of < 0) { sr_gen_result_free(&res); goto bad; }
            if (format == FMT_JSONL) print_jsonl(of[0].f, m, &rec, index, &res, opt.explain, opt.keep_original, show_phi, timings);
            else if (format == FMT_TEXT) fwrite(res.text, 1, res.len, of[0].f);
            else outdir_put_doc(&od, of, format, &doc);
            if (outdir_letter_commit(&od, of, n_of, err) < 0) { sr_gen_result_free(&res); goto bad; }
            if (opt.explain && format != FMT_JSONL) { print_explain(stdout, m, &res); print_explain_surrogates(stdout, &rec, &res, show_phi); }
        } else if (format == FMT_JSONL) print_jsonl(stdout, m, &rec, index, &res, opt.explain, opt.keep_original, show_phi, timings);
        else if (format == FMT_I2B2) {
            char id[256];
            record_name(&in, &rec, index, id, sizeof id);
            i2b2_put_doc(stdout, &doc, i2b2_set ? id : NULL);
        } else {
            fwrite(res.text, 1, res.len, stdout);
            if (res.len == 0 || res.text[res.len - 1] != '\n') fputc('\n', stdout);
            if (opt.explain) { print_explain(stdout, m, &res); print_explain_surrogates(stdout, &rec, &res, show_phi); }
        }
        if (opt.progress) fputc('\r', stderr);
        if (!progress && !quiet)
            fprintf(stderr, "sr generate: %s: %d words refilled (%d PHI), %d masks, %d forward passes, %d leaks, %.2f s\n",
                    name, gen_refilled(&res), res.phi.n, res.masks, res.forwards, res.leaks, res.seconds);
        if (res.redactions && !quiet)
            fprintf(stderr, "sr generate: %s: an original PHI string came back: %d resamples, %d spans written as [**TYPE**]\n", name,
                    res.resamples, res.redactions);
        if (res.leaks) fprintf(stderr, "sr generate: %s: %d original PHI strings left in the letter (--allow-leaks)\n", name, res.leaks);
        if (map.f) gen_put_map(map.f, &rec, index, &res);
        sr_gen_result_free(&res);
        record_free(&rec);
        goto next;
    bad:
        failed++;
        if (format == FMT_JSONL && !out_dir) print_error_record(stdout, &rec, index, err);
        else if (named || jsonl || !in.name) fprintf(stderr, "sr generate: %s\n", err);
        else fprintf(stderr, "sr generate: %s: %s\n", strcmp(in.name, "-") ? in.name : "stdin", err);
        record_free(&rec);
    next:
        done++;
        if (stdout_check() < 0) { failed++; break; } /* a full disk: stop, do not compute letters nobody gets */
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
    if (i2b2_set) i2b2_put_set_end(stdout);
    if (outdir_close(&od, err) < 0) { fprintf(stderr, "sr generate: %s\n", err); failed++; }
    if (map.f && outfile_commit(&map, err) < 0) { fprintf(stderr, "sr generate: --map-out %s\n", err); failed++; }
    rc = failed ? 1 : 0;
cleanup:
    if (map.f) outfile_abort(&map);
    outdir_free(&od);
    gen_tools_close(&gt);
out:
    sr_surrogates_free(surrogates);
    free(lexicons);
    free(label_files);
    input_args_free(&ia);
    return rc;
}

/* ================================================================================
 * sr eval: the paper's evaluation, and the masking-ratio sweep with its report
 * ================================================================================
 *
 * `sr eval ORIGINALS SYNTHETIC` joins letters by id and measures, per document and
 * overall, what Belkadi et al. (2025) report. The definitions (the README's "sr eval"
 * section says the same; test/checks/eval_ref.py implements them separately in Python):
 *
 *   word character  a code point that is not white space (Unicode White_Space), not
 *                   punctuation (ASCII punctuation or Unicode P*) and not one BERT's
 *                   clean_text removes (control, format, unassigned, private use): the
 *                   tokenizer's Unicode tables, categories as of Unicode 8.0. A word is
 *                   a maximal run of word characters (BERT's pre-tokenizer words, its
 *                   punctuation dropped): what the generator refills.
 *   phi             tokens = runs of [A-Za-z0-9] of the original; a gold PHI token is
 *                   found when every character is inside a predicted span, a non-PHI
 *                   token is a false positive when any character is; span recall: a
 *                   gold span is found when a predicted span overlaps it (as
 *                   ../shared/README.md and test/checks/eval_phi.py). Per gold type, all
 *                   types, and the HIPAA subset (data/eval_types.txt lists the types
 *                   outside it). Predictions: the Masker (as sr generate runs it) or
 *                   --phi-pred FILE.
 *   reid_risk       for every gold PHI span (the predicted ones when a letter has no
 *                   gold) holding a word character: its string survives when the
 *                   synthetic letter holds it more often than the original holds it
 *                   outside every PHI span. "Holds" = occurrences at any start, ASCII
 *                   letters compared case-insensitively, everything else exactly, on
 *                   word boundaries (no word character just before a string that
 *                   starts with one, nor just after a string that ends with one).
 *                   risk = surviving / strings, pooled over the letters.
 *   rouge           google rouge_score's defaults: Python lower-casing (of the
 *                   non-ASCII characters only U+0130 and U+212A become ASCII letters),
 *                   every character other than [a-z0-9] a separator, no stemmer;
 *                   ROUGE-1/2 on n-gram counts, ROUGE-L on the longest common
 *                   subsequence of the whole document; F1 with P = overlap /
 *                   synthetic count, R = overlap / original count (0 when empty);
 *                   the mean over the pairs.
 *   readability     words as above; sentences: a run of . ! ? followed by white space
 *                   or the end, or a blank line, ends one (a sentence needs a word);
 *                   syllables of a word: its ASCII letters lower-cased, groups of
 *                   [aeiouy], minus one for a final silent e (ends in e, the letter
 *                   before is a consonant, and not a consonant + "le"), at least 1;
 *                   polysyllables: >= 3. Flesch reading ease 206.835 - 1.015 W/S -
 *                   84.6 Y/W; Flesch-Kincaid grade 0.39 W/S + 11.8 Y/W - 15.59; SMOG
 *                   1.0430 sqrt(30 P/S) + 3.1291. Per letter; overall the mean over
 *                   letters with a word.
 *   overlap         ROUGE tokens without the stop words of data/eval_stopwords_en.txt;
 *                   the N most frequent (ties: alphabetical) of the originals and of the
 *                   synthetic letters, N = 5 10 20 50 100: |common| / the larger list.
 *                   Overall on the pooled counts of all letters; per letter too.
 *   changed         words of the original that the word alignment leaves unmatched,
 *                   pooled. The alignment: the longest common subsequence of the two
 *                   word sequences (exact comparison), traced back from the end:
 *                   equal words match, else step back in the original when that keeps
 *                   the LCS length, else in the synthetic letter.
 *   entities        a gold "med" span is kept verbatim when every word it overlaps is
 *                   matched, to consecutive synthetic words, and the synthetic text
 *                   from (first match's start + the span's offset into its first word)
 *                   to (last match's end + the span's overhang past its last word)
 *                   equals the span's text. Spans over no word are not counted.
 *
 * Cost: linear in the text except the two LCS (ROUGE-L and the alignment), done by the
 * bit-vector algorithm (Allison-Dix, Hyyro): m x ceil(n/64) word operations for
 * sequences of n and m tokens, no n x m table: a 100 kB letter pair (about 15,000 words
 * each) costs ~3.5 M word operations. The alignment keeps the bit vector of every row
 * for its traceback, m x n / 8 bytes (28 MB for that pair); a pair needing over 1 GiB
 * is refused with an error naming it.
 */

#define EV_NTOP 5
static const int ev_top_n[EV_NTOP] = {5, 10, 20, 50, 100};

/* ---- word characters (see above) ---- */

static int ev_word_cp(uint32_t cp) {
    if (cp < 128) return (cp >= '0' && cp <= '9') || ((cp | 32) >= 'a' && (cp | 32) <= 'z');
    return !(uc_flags(cp) & (UC_DROP | UC_SPACE | UC_PUNCT));
}
static int ev_space_cp(uint32_t cp) { return (uc_flags(cp) & UC_SPACE) != 0; }

/* The code point at byte i of valid UTF-8 text, and the one ending just before i. */
static uint32_t ev_cp_at(const char *s, size_t len, size_t i) {
    size_t k = i;
    int cp = utf8_decode((const unsigned char *)s, len, &k);
    return cp < 0 ? 0xFFFD : (uint32_t)cp;
}
static uint32_t ev_cp_before(const char *s, size_t len, size_t i) {
    if (i == 0) return 0;
    size_t k = i - 1;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return ev_cp_at(s, len, k);
}

/* ---- an interning table: byte strings -> dense ids ---- */

typedef struct {
    char *pool;
    size_t pool_len, pool_cap;
    size_t *off;
    int *len;
    int n, cap;
    int32_t *slot;
    uint32_t mask;
} EvIntern;

static uint32_t ev_hash(const char *s, int n) { return (uint32_t)fnv1a(s, (size_t)n); }

static int ev_intern(EvIntern *t, const char *s, int n) {
    if (!t->slot || 2 * (t->n + 1) > (int)t->mask + 1) { /* (re)hash at half full */
        uint32_t size = t->slot ? 2 * (t->mask + 1) : 1024;
        free(t->slot);
        t->slot = xmalloc(size * sizeof(int32_t));
        for (uint32_t i = 0; i < size; i++) t->slot[i] = -1;
        t->mask = size - 1;
        for (int id = 0; id < t->n; id++) {
            uint32_t h = ev_hash(t->pool + t->off[id], t->len[id]) & t->mask;
            while (t->slot[h] >= 0) h = (h + 1) & t->mask;
            t->slot[h] = id;
        }
    }
    uint32_t h = ev_hash(s, n) & t->mask;
    for (; t->slot[h] >= 0; h = (h + 1) & t->mask) {
        int id = t->slot[h];
        if (t->len[id] == n && !memcmp(t->pool + t->off[id], s, (size_t)n)) return id;
    }
    if (t->pool_len + (size_t)n + 1 > t->pool_cap) {
        t->pool_cap = 2 * (t->pool_len + (size_t)n + 1) + 4096;
        t->pool = xrealloc(t->pool, t->pool_cap);
    }
    if (t->n + 1 > t->cap) {
        t->cap = 2 * t->cap + 256;
        t->off = xrealloc(t->off, (size_t)t->cap * sizeof *t->off);
        t->len = xrealloc(t->len, (size_t)t->cap * sizeof *t->len);
    }
    memcpy(t->pool + t->pool_len, s, (size_t)n);
    t->pool[t->pool_len + (size_t)n] = 0;
    t->off[t->n] = t->pool_len;
    t->len[t->n] = n;
    t->pool_len += (size_t)n + 1;
    t->slot[h] = t->n;
    return t->n++;
}
static const char *ev_intern_str(const EvIntern *t, int id) { return t->pool + t->off[id]; }
static void ev_intern_free(EvIntern *t) { free(t->pool); free(t->off); free(t->len); free(t->slot); memset(t, 0, sizeof *t); }

/* ---- documents: originals (with gold spans) and synthetic letters ---- */

typedef struct { int start, end; char *type; } EvSpan; /* code points, end exclusive */
typedef struct { EvSpan *s; int n, cap; } EvSpans;

typedef struct {
    char *key;     /* the id, for joining: a string id decoded, else its JSON text */
    char *id_json; /* the id as JSON, for output */
    char *text;
    size_t len;
    int has_phi, has_med; /* the record gave gold "phi" / "med" (possibly empty) */
    EvSpans phi, med;
    char *error;   /* a synthetic record {"id","error"} */
    char where[320]; /* file (and line) it came from, for messages */
} EvDoc;

typedef struct { EvDoc *d; int n, cap; } EvDocs;

static void ev_spans_free(EvSpans *s) {
    for (int i = 0; i < s->n; i++) free(s->s[i].type);
    free(s->s);
    memset(s, 0, sizeof *s);
}
static void ev_docs_free(EvDocs *ds) {
    for (int i = 0; i < ds->n; i++) {
        EvDoc *d = &ds->d[i];
        free(d->key); free(d->id_json); free(d->text); free(d->error);
        ev_spans_free(&d->phi); ev_spans_free(&d->med);
    }
    free(ds->d);
    memset(ds, 0, sizeof *ds);
}
static EvDoc *ev_docs_push(EvDocs *ds) {
    ds->d = grow(ds->d, &ds->cap, ds->n + 1, sizeof *ds->d);
    EvDoc *d = &ds->d[ds->n++];
    memset(d, 0, sizeof *d);
    return d;
}
static char *ev_strndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
static void ev_span_add(EvSpans *s, int a, int b, const char *type, size_t tl) {
    s->s = grow(s->s, &s->cap, s->n + 1, sizeof *s->s);
    s->s[s->n++] = (EvSpan){a, b, ev_strndup(type, tl)};
}

/* The id as a JSON string literal (for file names). */
static char *ev_json_quote(const char *s) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    json_put_cstr(f, s);
    fclose(f);
    return buf;
}

/* Set a document's id from its JSON text. */
static int ev_set_id(EvDoc *d, const char *json, size_t n, char *err) {
    d->id_json = ev_strndup(json, n);
    if (n > 0 && json[0] == '"') {
        JsonCursor c = {json, n, 0};
        size_t kl;
        if (json_string(&c, &d->key, &kl, err) < 0) return -1;
    } else d->key = ev_strndup(json, n);
    return 0;
}

static int ev_code_points(const char *s, size_t len) {
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Every span inside the text, start < end. */
static int ev_check_spans(const EvDoc *d, const EvSpans *s, const char *what, char *err) {
    int n = ev_code_points(d->text, d->len);
    for (int i = 0; i < s->n; i++)
        if (s->s[i].start < 0 || s->s[i].end > n || s->s[i].start >= s->s[i].end)
            return sr_fail(err, "%s: %s span %d [%d, %d) is empty or outside the text (%d code points)", d->where, what,
                           i + 1, s->s[i].start, s->s[i].end, n);
    return 0;
}

/* A JSON number at the cursor that must be an integer. */
static int ev_json_int(JsonCursor *c, int *out, char *err) {
    json_ws(c);
    size_t a = c->pos;
    if (json_skip_value(c, 0, err) < 0) return -1;
    char num[40];
    size_t n = c->pos - a;
    if (n == 0 || n >= sizeof num || c->s[a] == '"') return sr_fail(err, "expected an integer offset at byte offset %zu", a);
    memcpy(num, c->s + a, n);
    num[n] = 0;
    char *e;
    double v = strtod(num, &e);
    if (*e || v != floor(v) || v < -1e9 || v > 1e9) return sr_fail(err, "expected an integer offset at byte offset %zu", a);
    *out = (int)v;
    return 0;
}

/* [{"start": int, "end": int, "type": str, ...}, ...] */
static int ev_json_spans(JsonCursor *c, EvSpans *out, const char *dflt, char *err) {
    json_ws(c);
    if (c->pos >= c->len || c->s[c->pos] != '[') return sr_fail(err, "expected a list of spans at byte offset %zu", c->pos);
    c->pos++;
    json_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
    for (;;) {
        json_ws(c);
        if (c->pos >= c->len || c->s[c->pos] != '{') return sr_fail(err, "expected a span object at byte offset %zu", c->pos);
        c->pos++;
        int start = -1, end = -1, have_s = 0, have_e = 0;
        char *type = NULL;
        size_t tl = 0;
        json_ws(c);
        if (c->pos < c->len && c->s[c->pos] == '}') c->pos++;
        else for (;;) {
            char *key = NULL;
            size_t kl;
            json_ws(c);
            if (json_string(c, &key, &kl, err) < 0) { free(type); return -1; }
            json_ws(c);
            if (c->pos >= c->len || c->s[c->pos] != ':') { free(key); free(type); return sr_fail(err, "expected ':' at byte offset %zu", c->pos); }
            c->pos++;
            json_ws(c);
            int rc;
            if (!strcmp(key, "start")) { rc = ev_json_int(c, &start, err); have_s = 1; }
            else if (!strcmp(key, "end")) { rc = ev_json_int(c, &end, err); have_e = 1; }
            else if (!strcmp(key, "type") && c->pos < c->len && c->s[c->pos] == '"') { free(type); type = NULL; rc = json_string(c, &type, &tl, err); }
            else rc = json_skip_value(c, 0, err);
            free(key);
            if (rc < 0) { free(type); return -1; }
            json_ws(c);
            if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; continue; }
            if (c->pos < c->len && c->s[c->pos] == '}') { c->pos++; break; }
            free(type);
            return sr_fail(err, "expected ',' or '}' at byte offset %zu", c->pos);
        }
        if (!have_s || !have_e) { free(type); return sr_fail(err, "a span without \"start\" and \"end\" before byte offset %zu", c->pos); }
        if (type && tl == 0) { free(type); type = NULL; }
        ev_span_add(out, start, end, type ? type : dflt, type ? tl : strlen(dflt));
        free(type);
        json_ws(c);
        if (c->pos < c->len && c->s[c->pos] == ',') { c->pos++; continue; }
        if (c->pos < c->len && c->s[c->pos] == ']') { c->pos++; return 0; }
        return sr_fail(err, "expected ',' or ']' at byte offset %zu", c->pos);
    }
}

/* One JSONL record: "id", "text", gold "phi" (or "spans": sr deid --jsonl), "med",
 * "error"; other keys are ignored. */
static int ev_parse_record(const char *line, size_t len, EvDoc *d, int need_text, char *err) {
    JsonCursor c = {line, len, 0};
    json_ws(&c);
    if (c.pos >= c.len || line[c.pos] != '{') return sr_fail(err, "expected a JSON object");
    c.pos++;
    int have_text = 0, have_spans_key = 0;
    EvSpans spans_key = {0};
    json_ws(&c);
    if (c.pos < c.len && line[c.pos] == '}') c.pos++;
    else for (;;) {
        char *key = NULL;
        size_t kl;
        json_ws(&c);
        if (json_string(&c, &key, &kl, err) < 0) goto bad;
        json_ws(&c);
        if (c.pos >= c.len || line[c.pos] != ':') { free(key); sr_fail(err, "expected ':' at byte offset %zu", c.pos); goto bad; }
        c.pos++;
        json_ws(&c);
        int rc = 0;
        if (!strcmp(key, "text") && !have_text) {
            if (c.pos < c.len && line[c.pos] != '"') rc = sr_fail(err, "\"text\" is not a string");
            else rc = json_string(&c, &d->text, &d->len, err);
            have_text = rc == 0;
        } else if (!strcmp(key, "id") && !d->id_json) {
            size_t a = c.pos;
            rc = json_skip_value(&c, 0, err);
            if (rc == 0) rc = ev_set_id(d, line + a, c.pos - a, err);
        } else if (!strcmp(key, "phi") && !d->has_phi) {
            rc = ev_json_spans(&c, &d->phi, "PHI", err);
            d->has_phi = 1;
        } else if (!strcmp(key, "spans") && !have_spans_key) {
            rc = ev_json_spans(&c, &spans_key, "PHI", err);
            have_spans_key = 1;
        } else if (!strcmp(key, "med") && !d->has_med) {
            rc = ev_json_spans(&c, &d->med, "MED", err);
            d->has_med = 1;
        } else if (!strcmp(key, "error") && !d->error && c.pos < c.len && line[c.pos] == '"') {
            size_t el;
            rc = json_string(&c, &d->error, &el, err);
        } else rc = json_skip_value(&c, 0, err);
        free(key);
        if (rc < 0) goto bad;
        json_ws(&c);
        if (c.pos < c.len && line[c.pos] == ',') { c.pos++; continue; }
        if (c.pos < c.len && line[c.pos] == '}') { c.pos++; break; }
        sr_fail(err, "expected ',' or '}' at byte offset %zu", c.pos);
        goto bad;
    }
    json_ws(&c);
    if (c.pos != c.len) { sr_fail(err, "trailing characters at byte offset %zu", c.pos); goto bad; }
    if (!d->has_phi && have_spans_key) { d->phi = spans_key; d->has_phi = 1; memset(&spans_key, 0, sizeof spans_key); }
    ev_spans_free(&spans_key);
    if (!have_text && !d->error && need_text) return sr_fail(err, "no \"text\" field");
    if (have_text && utf8_check(d->text, d->len, err) < 0) return -1;
    return 0;
bad:
    ev_spans_free(&spans_key);
    return -1;
}

/* ---- reading files: JSONL, i2b2 XML, BRAT standoff, plain text ---- */

typedef struct {
    EvIntern non_hipaa, med; /* data/eval_types.txt, lower-cased */
    EvIntern stop;           /* data/eval_stopwords_en.txt */
} EvLists;

static int ev_in_list(const EvIntern *t, const char *s) {
    char low[256];
    size_t n = strlen(s);
    if (n >= sizeof low || !t->slot) return 0;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)s[i]);
    uint32_t h = ev_hash(low, (int)n) & t->mask;
    for (; t->slot[h] >= 0; h = (h + 1) & t->mask) {
        int id = t->slot[h];
        if (t->len[id] == (int)n && !memcmp(t->pool + t->off[id], low, n)) return 1;
    }
    return 0;
}

/* The lines of the data file `name` (--data DIR or the usual places): NUL-terminated,
 * without a final '\r', pointing into *buf. Returns the count, -1 on error; path gets
 * the file's path for messages. */
static int ev_data_lines(const char *data_dir, const char *name, char **buf, char ***lines, char *path, size_t cap, char *err) {
    size_t len;
    if (data_file(data_dir, name, path, cap, err) < 0) return -1;
    if (!(*buf = read_file(path, &len, err))) return -1;
    int n = 0, ncap = 0;
    *lines = NULL;
    for (char *p = *buf, *nl; p < *buf + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(*buf + len - p));
        if (!nl) nl = *buf + len;
        *nl = 0;
        if (nl > p && nl[-1] == '\r') nl[-1] = 0;
        *lines = grow(*lines, &ncap, n + 1, sizeof **lines);
        (*lines)[n++] = p;
    }
    return n;
}

static int ev_load_lists(const char *data_dir, EvLists *L, char *err) {
    char path[8192], *buf, **lines;
    int n = ev_data_lines(data_dir, "eval_types.txt", &buf, &lines, path, sizeof path, err);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        char *p = lines[i], *h = strchr(p, '#'), *e = h ? h : p + strlen(p);
        while (e > p && isspace((unsigned char)e[-1])) e--;
        while (p < e && isspace((unsigned char)*p)) p++;
        if (p == e) continue;
        char *sp = p;
        while (sp < e && !isspace((unsigned char)*sp)) sp++;
        char *t = sp;
        while (t < e && isspace((unsigned char)*t)) t++;
        int bad = t == e || memchr(t, ' ', (size_t)(e - t)) || e - t >= 255;
        for (char *q = t; q < e; q++) *q = (char)tolower((unsigned char)*q);
        if (!bad && sp - p == 9 && !memcmp(p, "non-hipaa", 9)) ev_intern(&L->non_hipaa, t, (int)(e - t));
        else if (!bad && sp - p == 3 && !memcmp(p, "med", 3)) ev_intern(&L->med, t, (int)(e - t));
        else { free(buf); free(lines); return sr_fail(err, "%s:%d: expected \"non-hipaa TYPE\" or \"med TYPE\"", path, i + 1); }
    }
    free(buf);
    free(lines);
    if ((n = ev_data_lines(data_dir, "eval_stopwords_en.txt", &buf, &lines, path, sizeof path, err)) < 0) return -1;
    for (int i = 0; i < n; i++) {
        const char *w = lines[i];
        if (!*w) continue;
        if (strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(w)) { free(buf); free(lines); return sr_fail(err, "%s:%d: a stop word must be [a-z0-9]+ (a ROUGE token)", path, i + 1); }
        ev_intern(&L->stop, w, (int)strlen(w));
    }
    free(buf);
    free(lines);
    return 0;
}
static void ev_lists_free(EvLists *L) { ev_intern_free(&L->non_hipaa); ev_intern_free(&L->med); ev_intern_free(&L->stop); }

static const char *ev_base(const char *path) { const char *b = strrchr(path, '/'); return b ? b + 1 : path; }
static int ev_ends(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}
/* The file's base name without its extension: the id of a letter read from a file. */
static void ev_doc_from_name(EvDoc *d, const char *path) {
    const char *b = ev_base(path);
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    d->key = ev_strndup(b, n);
    d->id_json = ev_json_quote(d->key);
    snprintf(d->where, sizeof d->where, "%s", path);
}

/* need_text = 0: a file of predicted spans (its "text", if any, is not the original). */
static int ev_read_jsonl(const char *path, EvDocs *ds, int need_text, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    long line = 0, index = 0;
    for (size_t p = 0; p < len;) {
        const char *s = buf + p;
        const char *nl = memchr(s, '\n', len - p);
        size_t n = nl ? (size_t)(nl - s) : len - p;
        p += n + (nl ? 1 : 0);
        line++;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        if (k == n) continue;
        EvDoc *d = ev_docs_push(ds);
        snprintf(d->where, sizeof d->where, "%s:%ld", path, line);
        if (ev_parse_record(s, n, d, need_text, e) < 0) { sr_fail(err, "%s:%ld: %s", path, line, e); free(buf); return -1; }
        if (!d->id_json) { /* as sr generate: the record's index */
            char num[32];
            snprintf(num, sizeof num, "%ld", index);
            ev_set_id(d, num, strlen(num), e);
        }
        index++;
        if (need_text && d->text && (ev_check_spans(d, &d->phi, "phi", err) < 0 || ev_check_spans(d, &d->med, "med", err) < 0)) { free(buf); return -1; }
    }
    free(buf);
    return 0;
}

/* XML text with &lt; &gt; &amp; &quot; &apos; &#N; &#xN; decoded, appended to out. */
static int ev_xml_unescape(const char *s, size_t n, char **out, size_t *olen, size_t *ocap, char *err) {
    for (size_t i = 0; i < n;) {
        if (*olen + 8 > *ocap) *out = xrealloc(*out, *ocap = 2 * *ocap + 64);
        if (s[i] != '&') { (*out)[(*olen)++] = s[i++]; continue; }
        const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
        if (!semi) return sr_fail(err, "an '&' that starts no entity");
        size_t el = (size_t)(semi - (s + i)) + 1;
        const char *ent = s + i;
        unsigned cp;
        if (el == 4 && !memcmp(ent, "&lt;", 4)) cp = '<';
        else if (el == 4 && !memcmp(ent, "&gt;", 4)) cp = '>';
        else if (el == 5 && !memcmp(ent, "&amp;", 5)) cp = '&';
        else if (el == 6 && !memcmp(ent, "&quot;", 6)) cp = '"';
        else if (el == 6 && !memcmp(ent, "&apos;", 6)) cp = '\'';
        else if (el > 3 && ent[1] == '#') {
            char *e;
            cp = (unsigned)strtoul(ent + (ent[2] == 'x' ? 3 : 2), &e, ent[2] == 'x' ? 16 : 10);
            if (e != semi || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return sr_fail(err, "bad character reference");
        } else return sr_fail(err, "unknown entity %.*s", (int)el, ent);
        *olen += (size_t)utf8_encode(cp, *out + *olen);
        i += el;
    }
    return 0;
}

/* An attribute's value in the tag text [a, b), unescaped (malloc'd), or NULL. */
static char *ev_xml_attr(const char *a, const char *b, const char *name) {
    size_t nl = strlen(name);
    for (const char *p = a; p + nl + 2 < b; p++) {
        if ((p == a || isspace((unsigned char)p[-1])) && !memcmp(p, name, nl) && p[nl] == '=' && (p[nl + 1] == '"' || p[nl + 1] == '\'')) {
            char q = p[nl + 1];
            const char *v = p + nl + 2, *e = memchr(v, q, (size_t)(b - v));
            if (!e) return NULL;
            char *out = NULL;
            size_t ol = 0, oc = 0;
            char er[SR_ERR_LEN];
            out = xmalloc(oc = (size_t)(e - v) + 16);
            if (ev_xml_unescape(v, (size_t)(e - v), &out, &ol, &oc, er) < 0) { free(out); return NULL; }
            out[ol] = 0;
            return out;
        }
    }
    return NULL;
}

/* i2b2 2014 de-identification XML: <TEXT><![CDATA[...]]></TEXT> (several CDATA
 * sections and escaped text allowed) and <TAGS> of elements with start, end, TYPE. */
static int ev_read_i2b2(const char *path, const EvLists *L, EvDoc *d, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    ev_doc_from_name(d, path);
    d->has_phi = d->has_med = 1;
    char *t0 = strstr(buf, "<TEXT>"), *t1 = t0 ? strstr(t0, "</TEXT>") : NULL;
    if (!t1) { free(buf); return sr_fail(err, "%s: no <TEXT>...</TEXT> (i2b2 XML expected)", path); }
    size_t cap = (size_t)(t1 - t0) + 16, n = 0;
    d->text = xmalloc(cap);
    for (char *p = t0 + 6; p < t1;) {
        if (!strncmp(p, "<![CDATA[", 9)) {
            char *q = strstr(p + 9, "]]>");
            if (!q || q > t1) { free(buf); return sr_fail(err, "%s: unterminated CDATA", path); }
            if (n + (size_t)(q - p) + 8 > cap) d->text = xrealloc(d->text, cap = 2 * (n + (size_t)(q - p)) + 16);
            memcpy(d->text + n, p + 9, (size_t)(q - p - 9));
            n += (size_t)(q - p - 9);
            p = q + 3;
            continue;
        }
        char *q = strstr(p, "<![CDATA[");
        if (!q || q > t1) q = t1;
        if (ev_xml_unescape(p, (size_t)(q - p), &d->text, &n, &cap, e) < 0) { free(buf); return sr_fail(err, "%s: %s", path, e); }
        p = q;
    }
    d->text[n] = 0;
    d->len = n;
    if (utf8_check(d->text, d->len, e) < 0) { free(buf); return sr_fail(err, "%s: %s", path, e); }
    char *g0 = strstr(t1, "<TAGS>"), *g1 = g0 ? strstr(g0, "</TAGS>") : NULL;
    for (char *p = g0 ? g0 + 6 : NULL; p && p < g1;) {
        char *lt = memchr(p, '<', (size_t)(g1 - p));
        if (!lt) break;
        char *gt = memchr(lt, '>', (size_t)(g1 - lt));
        if (!gt) { free(buf); return sr_fail(err, "%s: unterminated tag in <TAGS>", path); }
        char name[64];
        size_t nn = 0;
        for (char *q = lt + 1; q < gt && !isspace((unsigned char)*q) && *q != '/' && nn + 1 < sizeof name; q++) name[nn++] = *q;
        name[nn] = 0;
        char *sa = ev_xml_attr(lt, gt, "start"), *ea = ev_xml_attr(lt, gt, "end"), *ty = ev_xml_attr(lt, gt, "TYPE");
        if (sa && ea && name[0] != '/') {
            char *x, *y;
            long a = strtol(sa, &x, 10), b = strtol(ea, &y, 10);
            if (*x || *y || !*sa || !*ea) { free(sa); free(ea); free(ty); free(buf); return sr_fail(err, "%s: <%s> with a non-numeric start or end", path, name); }
            const char *type = ty && *ty ? ty : name;
            int med = ev_in_list(&L->med, name) || ev_in_list(&L->med, type);
            ev_span_add(med ? &d->med : &d->phi, (int)a, (int)b, type, strlen(type));
        }
        free(sa); free(ea); free(ty);
        p = gt + 1;
    }
    free(buf);
    if (ev_check_spans(d, &d->phi, "phi", err) < 0 || ev_check_spans(d, &d->med, "med", err) < 0) return -1;
    return 0;
}

/* BRAT standoff: T lines "T1<TAB>TYPE a b[;c d]<TAB>text"; each fragment is a span. */
static int ev_read_brat_ann(const char *path, const EvLists *L, EvDoc *d, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    d->has_phi = d->has_med = 1;
    long line = 0;
    for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (!nl) nl = buf + len;
        *nl = 0;
        line++;
        if (*p != 'T') continue;
        char *tab = strchr(p, '\t');
        if (!tab) { free(buf); return sr_fail(err, "%s:%ld: a T line without a tab", path, line); }
        char *q = tab + 1, *ts = q;
        while (*q && *q != ' ' && *q != '\t') q++;
        size_t tl = (size_t)(q - ts);
        char type[128];
        if (tl == 0 || tl >= sizeof type) { free(buf); return sr_fail(err, "%s:%ld: no type", path, line); }
        memcpy(type, ts, tl);
        type[tl] = 0;
        int med = ev_in_list(&L->med, type);
        for (;;) {
            char *x;
            long a = strtol(q, &x, 10);
            if (x == q) { free(buf); return sr_fail(err, "%s:%ld: expected offsets \"START END\"", path, line); }
            q = x;
            long b = strtol(q, &x, 10);
            if (x == q) { free(buf); return sr_fail(err, "%s:%ld: expected offsets \"START END\"", path, line); }
            q = x;
            ev_span_add(med ? &d->med : &d->phi, (int)a, (int)b, type, tl);
            if (*q == ';') { q++; continue; }
            break;
        }
    }
    free(buf);
    if (ev_check_spans(d, &d->phi, "phi", err) < 0 || ev_check_spans(d, &d->med, "med", err) < 0) return -1;
    return 0;
}

static int ev_read_text(const char *path, EvDoc *d, char *err) {
    char e[SR_ERR_LEN];
    ev_doc_from_name(d, path);
    if (!(d->text = read_file(path, &d->len, e))) return sr_fail(err, "%s", e);
    if (utf8_check(d->text, d->len, e) < 0) return sr_fail(err, "%s: %s", path, e);
    return 0;
}

/* One letter file: NAME.xml (i2b2), NAME.txt with NAME.ann beside it (BRAT), or
 * plain text. */
static int ev_read_file(const char *path, const EvLists *L, int gold, EvDocs *ds, char *err) {
    EvDoc *d = ev_docs_push(ds);
    if (ev_ends(path, ".xml")) return ev_read_i2b2(path, L, d, err);
    if (ev_read_text(path, d, err) < 0) return -1;
    if (!gold) return 0;
    char ann[4096];
    snprintf(ann, sizeof ann, "%.*s.ann", (int)(strlen(path) - (strrchr(ev_base(path), '.') ? strlen(strrchr(ev_base(path), '.')) : 0)), path);
    if (access(ann, R_OK) == 0) return ev_read_brat_ann(ann, L, d, err);
    return 0;
}

/* ORIGINALS or SYNTHETIC: a .jsonl file, a folder of letters, or one letter file. */
static int ev_read_input(const char *path, const EvLists *L, int gold, EvDocs *ds, char *err) {
    struct stat sb;
    if (stat(path, &sb) != 0) return sr_fail(err, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        char *one[1] = {(char *)path};
        int nf = 0;
        char **files = expand_inputs(one, 1, &nf);
        int rc = 0, used = 0;
        for (int i = 0; i < nf && rc == 0; i++) {
            if (ev_ends(files[i], ".ann")) continue; /* read with its .txt */
            if (!ev_ends(files[i], ".txt") && !ev_ends(files[i], ".xml")) continue;
            rc = ev_read_file(files[i], L, gold, ds, err);
            used++;
        }
        for (int i = 0; i < nf; i++) free(files[i]);
        free(files);
        if (rc == 0 && used == 0) return sr_fail(err, "%s: no .txt or .xml letters in the folder", path);
        return rc;
    }
    if (ev_ends(path, ".jsonl") || ev_ends(path, ".json")) return ev_read_jsonl(path, ds, 1, err);
    return ev_read_file(path, L, gold, ds, err);
}

/* ---- one text, analysed: code point map, ROUGE tokens, words, readability ---- */

typedef struct { int bs, be, cs, ce, id; } EvWord;
typedef struct { long words, sentences, syllables, poly; } EvRead;

typedef struct {
    int n_cp;
    int *cp_byte;     /* code point index -> byte offset, n_cp + 1 entries */
    int *rtok, n_rtok, cap_rtok; /* ROUGE token ids */
    EvWord *w;
    int n_w, cap_w;   /* words, with ids of their exact text */
    EvRead read;
} EvText;

static void ev_text_free(EvText *t) { free(t->cp_byte); free(t->rtok); free(t->w); memset(t, 0, sizeof *t); }

static int ev_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

/* The documented syllable counter: ASCII letters of the word, lower-cased; vowel groups
 * [aeiouy]+; minus one for a final silent e; at least one. */
static int ev_syllables(const char *w, int n) {
    char last[3] = {0, 0, 0}; /* the word's last three letters; last[2] is the final one */
    int k = 0, groups = 0, prev_vowel = 0;
    for (int i = 0; i < n; i++) {
        char c = w[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c < 'a' || c > 'z') continue;
        int v = ev_vowel(c);
        groups += v && !prev_vowel;
        prev_vowel = v;
        last[0] = last[1];
        last[1] = last[2];
        last[2] = c;
        k++;
    }
    if (k >= 2 && last[2] == 'e' && !ev_vowel(last[1]) && !(last[1] == 'l' && k >= 3 && !ev_vowel(last[0]))) groups--;
    return groups < 1 ? 1 : groups;
}

/* ---- the evaluation context: interned tokens, lists, scratch ---- */

typedef struct {
    EvLists lists;
    EvIntern rouge; /* ROUGE tokens; the stop words are ids 0 .. n_stop-1 */
    int n_stop;
    EvIntern words; /* words, exact text */
    EvIntern types; /* PHI type names, exact */
    /* the bit-vector LCS */
    uint64_t *V, *M;
    int cap_v;
    int *head, cap_head, *next, cap_next;
    uint64_t *rows;
    size_t cap_rows;
    /* scratch by token id, kept zero between uses */
    int *cnt, cap_cnt;
    int *mark, cap_mark, stamp;
    /* by code point */
    int *gt, *mt, cap_cp;
    int *match, cap_match;
} EvCtx;

static void ev_ctx_free(EvCtx *cx) {
    ev_lists_free(&cx->lists);
    ev_intern_free(&cx->rouge); ev_intern_free(&cx->words); ev_intern_free(&cx->types);
    free(cx->V); free(cx->M); free(cx->head); free(cx->next); free(cx->rows);
    free(cx->cnt); free(cx->mark); free(cx->gt); free(cx->mt); free(cx->match);
    memset(cx, 0, sizeof *cx);
}

static int ev_ctx_init(EvCtx *cx, const char *data_dir, char *err) {
    memset(cx, 0, sizeof *cx);
    if (ev_load_lists(data_dir, &cx->lists, err) < 0) return -1;
    for (int i = 0; i < cx->lists.stop.n; i++) ev_intern(&cx->rouge, ev_intern_str(&cx->lists.stop, i), cx->lists.stop.len[i]);
    cx->n_stop = cx->rouge.n;
    return 0;
}

/* Grow an int array indexed by id to n entries, new ones set to v. */
static int *ev_ids_grow(int *a, int *cap, int n, int v) {
    if (n <= *cap) return a;
    int old = *cap, nc = 2 * n + 1024;
    a = xrealloc(a, (size_t)nc * sizeof(int));
    for (int i = old; i < nc; i++) a[i] = v;
    *cap = nc;
    return a;
}

static void ev_analyse(EvCtx *cx, const char *s, size_t len, EvText *t) {
    t->n_cp = ev_code_points(s, len);
    t->cp_byte = xmalloc(((size_t)t->n_cp + 1) * sizeof(int));
    t->n_rtok = t->n_w = 0;
    memset(&t->read, 0, sizeof t->read);
    char *tb = xmalloc(len + 2); /* the ROUGE token being read */
    int tn = 0, in_word = 0, wbs = 0, wcs = 0, seg_words = 0, ci = 0;
    size_t i = 0;
#define EV_FLUSH_TOKEN() do { if (tn) { t->rtok = grow(t->rtok, &t->cap_rtok, t->n_rtok + 1, sizeof(int)); \
        t->rtok[t->n_rtok++] = ev_intern(&cx->rouge, tb, tn); tn = 0; } } while (0)
#define EV_END_WORD(be, ce) do { if (in_word) { in_word = 0; t->w = grow(t->w, &t->cap_w, t->n_w + 1, sizeof *t->w); \
        t->w[t->n_w++] = (EvWord){wbs, (int)(be), wcs, (ce), ev_intern(&cx->words, s + wbs, (int)(be) - wbs)}; \
        int syl = ev_syllables(s + wbs, (int)(be) - wbs); \
        t->read.words++; t->read.syllables += syl; t->read.poly += syl >= 3; seg_words++; } } while (0)
#define EV_END_SENTENCE() do { if (seg_words) t->read.sentences++; seg_words = 0; } while (0)
    while (i < len) {
        size_t at = i;
        int dc = utf8_decode((const unsigned char *)s, len, &i);
        uint32_t cp = dc < 0 ? 0xFFFD : (uint32_t)dc;
        if (dc < 0) i = at + 1; /* not reached: texts are checked */
        t->cp_byte[ci] = (int)at;
        /* ROUGE: Python's lower(), then [^a-z0-9] -> separator */
        if (cp < 128 && isalnum((int)cp)) tb[tn++] = (char)tolower((int)cp);
        else if (cp == 0x212A) tb[tn++] = 'k';   /* KELVIN SIGN lower-cases to 'k' */
        else if (cp == 0x130) { tb[tn++] = 'i'; EV_FLUSH_TOKEN(); } /* -> "i" + U+0307 */
        else EV_FLUSH_TOKEN();
        /* words */
        int wc = ev_word_cp(cp);
        if (wc && !in_word) { in_word = 1; wbs = (int)at; wcs = ci; }
        else if (!wc) EV_END_WORD(at, ci);
        /* sentence ends */
        if (cp == '.' || cp == '!' || cp == '?') {
            size_t j = i;
            while (j < len && (s[j] == '.' || s[j] == '!' || s[j] == '?')) j++;
            if (j == len || ev_space_cp(ev_cp_at(s, len, j))) EV_END_SENTENCE();
        } else if (cp == '\n') {
            size_t j = i;
            while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
            if (j < len && s[j] == '\n') EV_END_SENTENCE();
        }
        ci++;
    }
    t->cp_byte[ci] = (int)len;
    EV_FLUSH_TOKEN();
    EV_END_WORD(len, ci);
    EV_END_SENTENCE();
#undef EV_FLUSH_TOKEN
#undef EV_END_WORD
#undef EV_END_SENTENCE
    free(tb);
}

/* FRE, FKGL, SMOG of one text; NAN without a word. */
static void ev_read_scores(const EvRead *r, double out[3]) {
    if (r->words == 0 || r->sentences == 0) { out[0] = out[1] = out[2] = NAN; return; }
    double wps = (double)r->words / (double)r->sentences, spw = (double)r->syllables / (double)r->words;
    out[0] = 206.835 - 1.015 * wps - 84.6 * spw;
    out[1] = 0.39 * wps + 11.8 * spw - 15.59;
    out[2] = 1.0430 * sqrt((double)r->poly * 30.0 / (double)r->sentences) + 3.1291;
}

/* ---- longest common subsequence, bit-vector (Allison-Dix / Hyyro) ----
 * Bits over x (n tokens), one pass per token of y. After y[0..j), bit i of V is 0 iff
 * LCS(x[0..i+1), y[0..j)) = LCS(x[0..i), y[0..j)) + 1, so LCS = zeros among n bits.
 * Update per y token: U = V & Match[y]; V = (V + U) | (V & ~U) (carries across words).
 * Match[y] is set from the positions of y in x (a linked list per id) and cleared
 * after, so memory is O(n). keep_rows stores V after every row for the traceback. */
static long ev_lcs(EvCtx *cx, const int *x, int n, const int *y, int m, int n_ids, int keep_rows, char *err) {
    if (n == 0 || m == 0) return 0;
    int W = (n + 63) / 64;
    if (W > cx->cap_v) {
        cx->cap_v = 2 * W;
        cx->V = xrealloc(cx->V, (size_t)cx->cap_v * 8);
        free(cx->M);
        cx->M = xcalloc((size_t)cx->cap_v, 8);
    }
    if (keep_rows) {
        size_t need = ((size_t)m + 1) * (size_t)W;
        if (need > ((size_t)1 << 27)) return sr_fail(err, "%d x %d words: the alignment would need over 1 GiB", n, m);
        if (need > cx->cap_rows) { free(cx->rows); cx->cap_rows = need; cx->rows = xmalloc(need * 8); }
        memset(cx->rows, 0xFF, (size_t)W * 8);
    }
    cx->head = ev_ids_grow(cx->head, &cx->cap_head, n_ids, -1);
    if (n > cx->cap_next) { cx->cap_next = 2 * n; cx->next = xrealloc(cx->next, (size_t)cx->cap_next * sizeof(int)); }
    for (int i = n - 1; i >= 0; i--) { cx->next[i] = cx->head[x[i]]; cx->head[x[i]] = i; }
    uint64_t *V = cx->V, *M = cx->M;
    memset(V, 0xFF, (size_t)W * 8);
    for (int j = 0; j < m; j++) {
        int h = y[j] < cx->cap_head ? cx->head[y[j]] : -1;
        if (h >= 0) {
            for (int p = h; p >= 0; p = cx->next[p]) M[p >> 6] |= 1ull << (p & 63);
            uint64_t carry = 0;
            for (int w = 0; w < W; w++) {
                uint64_t v = V[w], u = v & M[w];
                uint64_t s1 = v + u, c1 = s1 < v;
                uint64_t s2 = s1 + carry, c2 = s2 < s1;
                carry = c1 | c2;
                V[w] = s2 | (v & ~u);
            }
            for (int p = h; p >= 0; p = cx->next[p]) M[p >> 6] = 0;
        }
        if (keep_rows) memcpy(cx->rows + ((size_t)j + 1) * W, V, (size_t)W * 8);
    }
    for (int i = 0; i < n; i++) cx->head[x[i]] = -1;
    long ones = 0;
    for (int w = 0; w < W; w++) {
        uint64_t v = V[w];
        if (w == W - 1 && (n & 63)) v &= (1ull << (n & 63)) - 1;
        ones += __builtin_popcountll(v);
    }
    return n - ones;
}

/* LCS(x[0..i), y[0..j)) from the kept rows. */
static int ev_lcs_at(const EvCtx *cx, int W, int i, int j) {
    const uint64_t *r = cx->rows + (size_t)j * W;
    int ones = 0, w = 0;
    for (; (w + 1) * 64 <= i; w++) ones += __builtin_popcountll(r[w]);
    if (i & 63) ones += __builtin_popcountll(r[w] & ((1ull << (i & 63)) - 1));
    return i - ones;
}

/* The word alignment: match[i] = the synthetic word matched to original word i, or -1
 * (traceback from the end: equal words match; else step back in the original when
 * that keeps the LCS length, else in the synthetic letter). */
static int ev_align(EvCtx *cx, const int *x, int n, const int *y, int m, int *match, char *err) {
    for (int i = 0; i < n; i++) match[i] = -1;
    if (n == 0 || m == 0) return 0;
    if (ev_lcs(cx, x, n, y, m, cx->words.n, 1, err) < 0) return -1;
    int W = (n + 63) / 64, i = n, j = m;
    while (i > 0 && j > 0) {
        if (x[i - 1] == y[j - 1]) { match[i - 1] = j - 1; i--; j--; }
        else if (ev_lcs_at(cx, W, i - 1, j) >= ev_lcs_at(cx, W, i, j - 1)) i--;
        else j--;
    }
    return 0;
}

/* ---- ROUGE ---- */

static double ev_f1(long overlap, long n_pred, long n_ref) {
    double p = (double)overlap / (double)(n_pred > 1 ? n_pred : 1), r = (double)overlap / (double)(n_ref > 1 ? n_ref : 1);
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
static int ev_u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ROUGE-1, -2, -L F1 of synthetic s against original o. */
static int ev_rouge(EvCtx *cx, const EvText *o, const EvText *s, double out[3], char *err) {
    cx->cnt = ev_ids_grow(cx->cnt, &cx->cap_cnt, cx->rouge.n, 0);
    long ov = 0;
    for (int i = 0; i < o->n_rtok; i++) cx->cnt[o->rtok[i]]++;
    for (int i = 0; i < s->n_rtok; i++) if (cx->cnt[s->rtok[i]] > 0) { cx->cnt[s->rtok[i]]--; ov++; }
    for (int i = 0; i < o->n_rtok; i++) cx->cnt[o->rtok[i]] = 0;
    out[0] = ev_f1(ov, s->n_rtok, o->n_rtok);
    int no = o->n_rtok > 1 ? o->n_rtok - 1 : 0, ns = s->n_rtok > 1 ? s->n_rtok - 1 : 0;
    uint64_t *a = xmalloc((size_t)(no + ns + 1) * 8), *b = a + no;
    for (int i = 0; i < no; i++) a[i] = (uint64_t)(uint32_t)o->rtok[i] << 32 | (uint32_t)o->rtok[i + 1];
    for (int i = 0; i < ns; i++) b[i] = (uint64_t)(uint32_t)s->rtok[i] << 32 | (uint32_t)s->rtok[i + 1];
    qsort(a, (size_t)no, 8, ev_u64_cmp);
    qsort(b, (size_t)ns, 8, ev_u64_cmp);
    ov = 0;
    for (int i = 0, j = 0; i < no && j < ns;) {
        if (a[i] == b[j]) { ov++; i++; j++; }
        else if (a[i] < b[j]) i++;
        else j++;
    }
    free(a);
    out[1] = ev_f1(ov, ns, no);
    /* bits over the shorter sequence */
    const EvText *x = o->n_rtok <= s->n_rtok ? o : s, *y = x == o ? s : o;
    long l = ev_lcs(cx, x->rtok, x->n_rtok, y->rtok, y->n_rtok, cx->rouge.n, 0, err);
    if (l < 0) return -1;
    out[2] = ev_f1(l, s->n_rtok, o->n_rtok);
    return 0;
}

/* ---- top-N word overlap ---- */

typedef struct { int id, n; } EvCount;

static const EvIntern *ev_sort_table; /* for ev_count_cmp */
static int ev_count_cmp(const void *a, const void *b) {
    const EvCount *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(ev_intern_str(ev_sort_table, x->id), ev_intern_str(ev_sort_table, y->id));
}

/* Counts of the non-stop ROUGE tokens of t (distinct ids), unsorted. */
static int ev_counts(EvCtx *cx, const EvText *t, EvCount **out) {
    cx->cnt = ev_ids_grow(cx->cnt, &cx->cap_cnt, cx->rouge.n, 0);
    int k = 0;
    EvCount *c = xmalloc((size_t)(t->n_rtok + 1) * sizeof *c);
    for (int i = 0; i < t->n_rtok; i++) {
        int id = t->rtok[i];
        if (id < cx->n_stop) continue;
        if (cx->cnt[id]++ == 0) c[k++].id = id;
    }
    for (int i = 0; i < k; i++) { c[i].n = cx->cnt[c[i].id]; cx->cnt[c[i].id] = 0; }
    *out = c;
    return k;
}

/* |top-N(a) & top-N(b)| / max(|top-N(a)|, |top-N(b)|) for each N; sorts a and b. */
static void ev_overlap(EvCtx *cx, EvCount *a, int na, EvCount *b, int nb, double out[EV_NTOP]) {
    ev_sort_table = &cx->rouge;
    qsort(a, (size_t)na, sizeof *a, ev_count_cmp);
    qsort(b, (size_t)nb, sizeof *b, ev_count_cmp);
    cx->mark = ev_ids_grow(cx->mark, &cx->cap_mark, cx->rouge.n, 0);
    for (int k = 0; k < EV_NTOP; k++) {
        int N = ev_top_n[k], ka = na < N ? na : N, kb = nb < N ? nb : N;
        if (ka == 0 && kb == 0) { out[k] = NAN; continue; }
        cx->stamp++;
        for (int i = 0; i < ka; i++) cx->mark[a[i].id] = cx->stamp;
        int common = 0;
        for (int i = 0; i < kb; i++) common += cx->mark[b[i].id] == cx->stamp;
        out[k] = (double)common / (double)(ka > kb ? ka : kb);
    }
}

/* ---- similarity (optional, -m MODEL): BERTScore-style on the model's last layer ----
 * Each text is tokenized without [CLS]/[SEP], cut into chunks of max_position - 2
 * WordPieces, each chunk run as [CLS] chunk [SEP]; every WordPiece's last hidden state
 * is scaled to unit length. P = mean over synthetic pieces of the best cosine with an
 * original piece, R = the same the other way, F1 = 2PR/(P+R); no idf weighting, no
 * baseline rescaling. Not the paper's roberta-large BERTScore: its numbers depend on
 * the model given. Undefined for a pair with an empty side. */
typedef struct {
    const SrModel *m;
    SrState *st;
    SrTokenizer *tok;
    SrTokens tk;
    int *ids;
    float *a, *b;
    size_t cap_a, cap_b;
} EvSim;

static int ev_embed(EvSim *sm, const char *text, size_t len, float **out, size_t *cap, int *n, char *err) {
    const SrConfig *c = sr_config(sm->m);
    if (sr_tokenize(sm->tok, text, len, 0, &sm->tk, err) < 0) return -1;
    int H = c->hidden, L = c->max_position - 2;
    *n = sm->tk.n;
    size_t need = (size_t)(*n ? *n : 1) * H;
    if (need > *cap) { free(*out); *cap = need; *out = xmalloc(need * sizeof(float)); }
    for (int at = 0; at < *n; at += L) {
        int k = *n - at < L ? *n - at : L;
        sm->ids[0] = c->cls_id;
        for (int i = 0; i < k; i++) sm->ids[i + 1] = sm->tk.tok[at + i].id;
        sm->ids[k + 1] = c->sep_id;
        const float *h = sr_forward(sm->m, sm->st, sm->ids, NULL, NULL, k + 2);
        if (!h) return sr_fail(err, "encoder forward failed: %s", sr_state_error(sm->st));
        for (int i = 0; i < k; i++) {
            const float *row = h + (size_t)(i + 1) * H;
            float *dst = *out + (size_t)(at + i) * H;
            double norm = 0;
            for (int j = 0; j < H; j++) norm += (double)row[j] * row[j];
            double inv = norm > 0 ? 1.0 / sqrt(norm) : 0;
            for (int j = 0; j < H; j++) dst[j] = (float)(row[j] * inv);
        }
    }
    return 0;
}

static int ev_similarity(EvSim *sm, const EvDoc *o, const EvDoc *s, double out[3], char *err) {
    int n, m, H = sr_config(sm->m)->hidden;
    out[0] = out[1] = out[2] = NAN;
    if (ev_embed(sm, o->text, o->len, &sm->a, &sm->cap_a, &n, err) < 0 || ev_embed(sm, s->text, s->len, &sm->b, &sm->cap_b, &m, err) < 0) return -1;
    if (n == 0 || m == 0) return 0;
    double *best_o = xmalloc((size_t)n * sizeof(double)), sum_p = 0, sum_r = 0;
    for (int i = 0; i < n; i++) best_o[i] = -2;
    for (int j = 0; j < m; j++) {
        const float *y = sm->b + (size_t)j * H;
        double best = -2;
        for (int i = 0; i < n; i++) {
            double d = dot_f32(sm->a + (size_t)i * H, y, H);
            if (d > best) best = d;
            if (d > best_o[i]) best_o[i] = d;
        }
        sum_p += best;
    }
    for (int i = 0; i < n; i++) sum_r += best_o[i];
    free(best_o);
    out[0] = sum_p / m;
    out[1] = sum_r / n;
    out[2] = out[0] + out[1] > 0 ? 2 * out[0] * out[1] / (out[0] + out[1]) : 0;
    return 0;
}

/* ---- per document and overall results ---- */

typedef struct {
    const char *id_json;
    double rouge[3];
    long words, changed;
    long ent_gold, ent_kept;
    long reid_strings, reid_surv;
    EvRead ro, rs;
    double read_o[3], read_s[3]; /* Flesch reading ease, Flesch-Kincaid grade, SMOG */
    double overlap[EV_NTOP];
    int has_phi;
    long phi_tok, phi_found, phi_fp, phi_spans, phi_spans_found;
    double sim[3]; /* similarity precision, recall, F1 (NAN: not measured) */
} EvDocResult;

typedef struct {
    int n_orig, n_syn, pairs;
    char **missing, **extra; /* ids as JSON */
    int n_missing, n_extra, cap_missing, cap_extra;
    struct { char *id, *msg; } *err; /* synthetic records that are errors */
    int n_err, cap_err;
    EvDocResult *doc;
    int n_doc, cap_doc;
    /* phi, by type id (cx->types) */
    int phi_docs;
    char phi_source[300];
    long *tok_gold, *tok_found, *span_gold, *span_found, *fp_pred;
    int cap_types;
    /* documents whose re-identification reference was gold / predicted PHI */
    int reid_gold_docs, reid_pred_docs;
    long reid_strings, reid_surv;
    double rouge_sum[3];
    double read_sum_o[3], read_sum_s[3];
    int read_docs_o, read_docs_s;
    EvCount *corpus_o, *corpus_s; /* pooled counts by ROUGE id (n = count) */
    int cap_corpus_o, cap_corpus_s;
    double overlap[EV_NTOP];
    int med_docs;
    long ent_gold, ent_kept, words, changed;
    EvSim *sim;        /* -m MODEL given: the similarity is measured */
    const char *sim_model;
    double sim_sum[3];
    int sim_pairs;
} EvResult;

static void ev_result_free(EvResult *R) {
    for (int i = 0; i < R->n_missing; i++) free(R->missing[i]);
    for (int i = 0; i < R->n_extra; i++) free(R->extra[i]);
    for (int i = 0; i < R->n_err; i++) { free(R->err[i].id); free(R->err[i].msg); }
    free(R->missing); free(R->extra); free(R->err); free(R->doc);
    free(R->tok_gold); free(R->tok_found); free(R->span_gold); free(R->span_found); free(R->fp_pred);
    free(R->corpus_o); free(R->corpus_s);
    memset(R, 0, sizeof *R);
}

static int ev_type_id(EvCtx *cx, EvResult *R, const char *name) {
    int id = ev_intern(&cx->types, name, (int)strlen(name));
    if (id >= R->cap_types) {
        int old = R->cap_types, nc = 2 * id + 16;
        long **arrs[5] = {&R->tok_gold, &R->tok_found, &R->span_gold, &R->span_found, &R->fp_pred};
        for (int k = 0; k < 5; k++) {
            *arrs[k] = xrealloc(*arrs[k], (size_t)nc * sizeof(long));
            memset(*arrs[k] + old, 0, (size_t)(nc - old) * sizeof(long));
        }
        R->cap_types = nc;
    }
    return id;
}

/* Token and span metrics of one letter (code point arrays gt / mt: type id or -1). */
static void ev_phi_doc(EvCtx *cx, EvResult *R, const EvDoc *o, const EvText *to, const EvSpans *pred, EvDocResult *dr) {
    int n = to->n_cp;
    if (n + 1 > cx->cap_cp) {
        cx->cap_cp = 2 * (n + 1);
        cx->gt = xrealloc(cx->gt, (size_t)cx->cap_cp * sizeof(int));
        cx->mt = xrealloc(cx->mt, (size_t)cx->cap_cp * sizeof(int));
    }
    for (int c = 0; c < n; c++) cx->gt[c] = cx->mt[c] = -1;
    for (int k = 0; k < o->phi.n; k++) {
        int t = ev_type_id(cx, R, o->phi.s[k].type);
        for (int c = o->phi.s[k].start; c < o->phi.s[k].end; c++) cx->gt[c] = t;
    }
    for (int k = 0; k < pred->n; k++) {
        int t = ev_type_id(cx, R, pred->s[k].type);
        int a = pred->s[k].start < 0 ? 0 : pred->s[k].start, b = pred->s[k].end > n ? n : pred->s[k].end;
        for (int c = a; c < b; c++) cx->mt[c] = t;
    }
    const char *s = o->text;
    for (int c = 0; c < n;) {
        unsigned char ch = (unsigned char)s[to->cp_byte[c]];
        if (!(ch < 128 && isalnum(ch))) { c++; continue; }
        int a = c;
        while (c < n && (unsigned char)s[to->cp_byte[c]] < 128 && isalnum((unsigned char)s[to->cp_byte[c]])) c++;
        int g = -1, all = 1, first_m = -1;
        for (int k = a; k < c; k++) {
            if (g < 0 && cx->gt[k] >= 0) g = cx->gt[k];
            if (cx->mt[k] < 0) all = 0;
            else if (first_m < 0) first_m = cx->mt[k];
        }
        if (g >= 0) {
            R->tok_gold[g]++;
            dr->phi_tok++;
            if (all) { R->tok_found[g]++; dr->phi_found++; }
        } else if (first_m >= 0) {
            R->fp_pred[first_m]++;
            dr->phi_fp++;
        }
    }
    for (int k = 0; k < o->phi.n; k++) {
        int t = ev_type_id(cx, R, o->phi.s[k].type), found = 0;
        for (int q = 0; q < pred->n && !found; q++) found = pred->s[q].start < o->phi.s[k].end && o->phi.s[k].start < pred->s[q].end;
        R->span_gold[t]++;
        R->span_found[t] += found;
        dr->phi_spans++;
        dr->phi_spans_found += found;
    }
}

/* ASCII letters lower-cased, other bytes as they are. */
static char *ev_fold(const char *s, size_t n) {
    char *f = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) f[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    f[n] = 0;
    return f;
}

/* Occurrences of needle in hay (folded) on word boundaries, at every start; those
 * overlapping one of the byte ranges ex[0..nex) are not counted. */
static long ev_occurrences(const char *hay, size_t hl, const char *nd, size_t nl, int need_start, int need_end, const int *ex, int nex) {
    long count = 0;
    if (nl == 0 || nl > hl) return 0;
    for (const char *p = hay; (p = memchr(p, nd[0], hl - (size_t)(p - hay) - nl + 1)); p++) {
        size_t a = (size_t)(p - hay), b = a + nl;
        if (memcmp(p, nd, nl)) { if (b >= hl) break; continue; }
        int ok = !(need_start && a > 0 && ev_word_cp(ev_cp_before(hay, hl, a))) && !(need_end && b < hl && ev_word_cp(ev_cp_at(hay, hl, b)));
        for (int k = 0; ok && k < nex; k++) ok = !((int)a < ex[2 * k + 1] && ex[2 * k] < (int)b);
        count += ok;
        if (b >= hl) break;
    }
    return count;
}

/* The re-identification check of one letter against reference PHI spans ref. */
static void ev_reid_doc(const EvDoc *o, const EvText *to, const char *syn, size_t syn_len, const EvSpans *ref, EvDocResult *dr) {
    char *fo = ev_fold(o->text, o->len), *fs = ev_fold(syn, syn_len);
    int *ex = xmalloc((size_t)(2 * ref->n + 1) * sizeof(int));
    for (int k = 0; k < ref->n; k++) { ex[2 * k] = to->cp_byte[ref->s[k].start]; ex[2 * k + 1] = to->cp_byte[ref->s[k].end]; }
    for (int k = 0; k < ref->n; k++) {
        const char *nd = fo + ex[2 * k];
        size_t nl = (size_t)(ex[2 * k + 1] - ex[2 * k]);
        int any = 0;
        for (size_t i = 0; i < nl && !any;) {
            int cp = utf8_decode((const unsigned char *)nd, nl, &i);
            if (cp < 0) break;
            any = ev_word_cp((uint32_t)cp);
        }
        if (!any) continue;
        int need_start = ev_word_cp(ev_cp_at(nd, nl, 0)), need_end = ev_word_cp(ev_cp_before(nd, nl, nl));
        long in_syn = ev_occurrences(fs, syn_len, nd, nl, need_start, need_end, NULL, 0);
        long in_orig = ev_occurrences(fo, o->len, nd, nl, need_start, need_end, ex, ref->n);
        dr->reid_strings++;
        dr->reid_surv += in_syn > in_orig;
    }
    free(ex);
    free(fo);
    free(fs);
}

/* Gold medical entities kept verbatim, through the word alignment. */
static void ev_entities_doc(const EvDoc *o, const EvText *to, const char *syn, const EvText *ts, const int *match, EvDocResult *dr) {
    for (int k = 0; k < o->med.n; k++) {
        int s0 = o->med.s[k].start, e0 = o->med.s[k].end;
        int lo = 0, hi = to->n_w; /* first word ending after s0 */
        while (lo < hi) { int mid = (lo + hi) / 2; if (to->w[mid].ce <= s0) lo = mid + 1; else hi = mid; }
        int first = lo, last = lo - 1;
        while (last + 1 < to->n_w && to->w[last + 1].cs < e0) last++;
        if (last < first) continue; /* over no word: not counted */
        dr->ent_gold++;
        int ok = 1;
        for (int i = first; i <= last && ok; i++) ok = match[i] >= 0 && (i == first || match[i] == match[i - 1] + 1);
        if (!ok) continue;
        int cs = ts->w[match[first]].cs + (s0 - to->w[first].cs);
        int ce = ts->w[match[last]].ce + (e0 - to->w[last].ce);
        if (cs < 0 || ce > ts->n_cp || ce - cs != e0 - s0) continue;
        int ob = to->cp_byte[s0], oe = to->cp_byte[e0], sb = ts->cp_byte[cs], se = ts->cp_byte[ce];
        dr->ent_kept += oe - ob == se - sb && !memcmp(o->text + ob, syn + sb, (size_t)(oe - ob));
    }
}

/* Every metric of one pair; adds into R. pred: the predicted PHI spans of o. */
static int ev_pair(EvCtx *cx, EvResult *R, const EvDoc *o, const EvDoc *s, const EvSpans *pred, char *err) {
    EvText to = {0}, ts = {0};
    ev_analyse(cx, o->text, o->len, &to);
    ev_analyse(cx, s->text, s->len, &ts);
    R->doc = grow(R->doc, &R->cap_doc, R->n_doc + 1, sizeof *R->doc);
    EvDocResult *dr = &R->doc[R->n_doc++];
    memset(dr, 0, sizeof *dr);
    dr->id_json = o->id_json;
    int rc = -1;
    char e[SR_ERR_LEN];
    if (ev_rouge(cx, &to, &ts, dr->rouge, e) < 0) { sr_fail(err, "%s: %s", o->where, e); goto out; }
    for (int k = 0; k < 3; k++) R->rouge_sum[k] += dr->rouge[k];
    /* the word alignment: changed words and entities */
    cx->match = ev_ids_grow(cx->match, &cx->cap_match, to.n_w + 1, -1);
    int *xw = xmalloc((size_t)(to.n_w + 1) * sizeof(int)), *yw = xmalloc((size_t)(ts.n_w + 1) * sizeof(int));
    for (int i = 0; i < to.n_w; i++) xw[i] = to.w[i].id;
    for (int i = 0; i < ts.n_w; i++) yw[i] = ts.w[i].id;
    int arc = ev_align(cx, xw, to.n_w, yw, ts.n_w, cx->match, e);
    free(xw);
    free(yw);
    if (arc < 0) { sr_fail(err, "%s: %s", o->where, e); goto out; }
    dr->words = to.n_w;
    for (int i = 0; i < to.n_w; i++) dr->changed += cx->match[i] < 0;
    R->words += dr->words;
    R->changed += dr->changed;
    if (o->has_med) R->med_docs++;
    ev_entities_doc(o, &to, s->text, &ts, cx->match, dr);
    R->ent_gold += dr->ent_gold;
    R->ent_kept += dr->ent_kept;
    /* readability */
    dr->ro = to.read;
    dr->rs = ts.read;
    ev_read_scores(&to.read, dr->read_o);
    ev_read_scores(&ts.read, dr->read_s);
    if (!isnan(dr->read_o[0])) { R->read_docs_o++; for (int k = 0; k < 3; k++) R->read_sum_o[k] += dr->read_o[k]; }
    if (!isnan(dr->read_s[0])) { R->read_docs_s++; for (int k = 0; k < 3; k++) R->read_sum_s[k] += dr->read_s[k]; }
    /* top-N overlap, per letter and pooled */
    EvCount *co, *cs;
    int nco = ev_counts(cx, &to, &co), ncs = ev_counts(cx, &ts, &cs);
    if (cx->rouge.n > R->cap_corpus_o) {
        int old = R->cap_corpus_o;
        R->cap_corpus_o = R->cap_corpus_s = 2 * cx->rouge.n + 1024;
        R->corpus_o = xrealloc(R->corpus_o, (size_t)R->cap_corpus_o * sizeof(EvCount));
        R->corpus_s = xrealloc(R->corpus_s, (size_t)R->cap_corpus_s * sizeof(EvCount));
        for (int i = old; i < R->cap_corpus_o; i++) R->corpus_o[i] = R->corpus_s[i] = (EvCount){i, 0};
    }
    for (int i = 0; i < nco; i++) R->corpus_o[co[i].id].n += co[i].n;
    for (int i = 0; i < ncs; i++) R->corpus_s[cs[i].id].n += cs[i].n;
    ev_overlap(cx, co, nco, cs, ncs, dr->overlap);
    free(co);
    free(cs);
    /* PHI and re-identification */
    if (o->has_phi) {
        dr->has_phi = 1;
        R->phi_docs++;
        ev_phi_doc(cx, R, o, &to, pred, dr);
    }
    const EvSpans *ref = o->has_phi ? &o->phi : pred;
    if (o->has_phi) R->reid_gold_docs++; else R->reid_pred_docs++;
    ev_reid_doc(o, &to, s->text, s->len, ref, dr);
    R->reid_strings += dr->reid_strings;
    R->reid_surv += dr->reid_surv;
    dr->sim[0] = dr->sim[1] = dr->sim[2] = NAN;
    if (R->sim) {
        if (ev_similarity(R->sim, o, s, dr->sim, e) < 0) { sr_fail(err, "%s: similarity: %s", o->where, e); goto out; }
        if (!isnan(dr->sim[0])) { R->sim_pairs++; for (int k = 0; k < 3; k++) R->sim_sum[k] += dr->sim[k]; }
    }
    R->pairs++;
    rc = 0;
out:
    ev_text_free(&to);
    ev_text_free(&ts);
    return rc;
}

/* The pooled top-N overlap, after the last pair. */
static void ev_finish(EvCtx *cx, EvResult *R) {
    int n = cx->rouge.n < R->cap_corpus_o ? cx->rouge.n : R->cap_corpus_o;
    EvCount *a = xmalloc((size_t)(n + 1) * sizeof *a), *b = xmalloc((size_t)(n + 1) * sizeof *b);
    int na = 0, nb = 0;
    for (int i = 0; i < n; i++) {
        if (R->corpus_o[i].n) a[na++] = R->corpus_o[i];
        if (R->corpus_s[i].n) b[nb++] = R->corpus_s[i];
    }
    ev_overlap(cx, a, na, b, nb, R->overlap);
    free(a);
    free(b);
}

static void ev_list_add(char ***list, int *n, int *cap, const char *s) {
    *list = grow(*list, cap, *n + 1, sizeof **list);
    (*list)[(*n)++] = ev_strndup(s, strlen(s));
}

/* Index of each key (EvIntern id -> document index); a repeated id is an error. */
static int ev_index(const EvDocs *ds, EvIntern *keys, int **at, const char *what, char *err) {
    *at = xmalloc((size_t)(ds->n + 1) * sizeof(int));
    for (int i = 0; i < ds->n; i++) {
        int before = keys->n, id = ev_intern(keys, ds->d[i].key, (int)strlen(ds->d[i].key));
        if (keys->n == before) return sr_fail(err, "%s: id %s appears twice in the %s", ds->d[i].where, ds->d[i].id_json, what);
        (*at)[id] = i;
    }
    return 0;
}
static int ev_lookup(const EvIntern *t, const char *s) {
    if (!t->slot) return -1;
    int n = (int)strlen(s);
    uint32_t h = ev_hash(s, n) & t->mask;
    for (; t->slot[h] >= 0; h = (h + 1) & t->mask) {
        int id = t->slot[h];
        if (t->len[id] == n && !memcmp(t->pool + t->off[id], s, (size_t)n)) return id;
    }
    return -1;
}

/* The Masker's PHI spans of a text, as EvSpans (code points). */
static int ev_masker_phi(SrMasker *mk, const EvDoc *o, EvSpans *out, char *err) {
    SrSpans sp = {0};
    out->n = 0;
    if (o->len == 0) return 0;
    if (sr_masker_run(mk, o->text, o->len, &sp, err) < 0) { sr_spans_free(&sp); return -1; }
    for (int k = 0; k < sp.n; k++)
        if (sp.span[k].action == SR_ACT_PHI) ev_span_add(out, sp.span[k].cp_start, sp.span[k].cp_end, sp.span[k].category, strlen(sp.span[k].category));
    sr_spans_free(&sp);
    return 0;
}

/* Join originals and synthetic letters by id and measure every pair. pred: predicted
 * PHI (--phi-pred), else the Masker mk finds it. */
static int ev_evaluate(EvCtx *cx, const EvDocs *orig, const EvDocs *syn, const EvDocs *pred, SrMasker *mk, EvResult *R, char *err) {
    EvIntern ko = {0}, ks = {0}, kp = {0};
    int *ao = NULL, *as = NULL, *ap = NULL, rc = -1;
    unsigned char *used = xcalloc((size_t)syn->n + 1, 1);
    EvSpans ps = {0};
    R->n_orig = orig->n;
    R->n_syn = syn->n;
    if (ev_index(orig, &ko, &ao, "originals", err) < 0 || ev_index(syn, &ks, &as, "synthetic letters", err) < 0) goto out;
    if (pred && ev_index(pred, &kp, &ap, "--phi-pred file", err) < 0) goto out;
    for (int i = 0; i < orig->n; i++) {
        const EvDoc *o = &orig->d[i];
        if (!o->text) { sr_fail(err, "%s: an original without text", o->where); goto out; }
        int k = ev_lookup(&ks, o->key);
        if (k < 0) { ev_list_add(&R->missing, &R->n_missing, &R->cap_missing, o->id_json); continue; }
        const EvDoc *s = &syn->d[as[k]];
        used[as[k]] = 1;
        if (s->error || !s->text) {
            R->err = grow(R->err, &R->cap_err, R->n_err + 1, sizeof *R->err);
            R->err[R->n_err].id = ev_strndup(o->id_json, strlen(o->id_json));
            R->err[R->n_err].msg = ev_strndup(s->error ? s->error : "no text", strlen(s->error ? s->error : "no text"));
            R->n_err++;
            continue;
        }
        const EvSpans *p = &ps;
        if (pred) {
            int q = ev_lookup(&kp, o->key);
            if (q < 0) { sr_fail(err, "the --phi-pred file has no record for id %s", o->id_json); goto out; }
            const EvDoc *pd = &pred->d[ap[q]];
            p = &pd->phi;
            int ncp = ev_code_points(o->text, o->len);
            for (int k2 = 0; k2 < p->n; k2++)
                if (p->s[k2].start < 0 || p->s[k2].end > ncp || p->s[k2].start >= p->s[k2].end) {
                    sr_fail(err, "%s: predicted span %d [%d, %d) is empty or outside the text of id %s (%d code points)", pd->where, k2 + 1,
                            p->s[k2].start, p->s[k2].end, o->id_json, ncp);
                    goto out;
                }
        } else if (ev_masker_phi(mk, o, &ps, err) < 0) goto out;
        if (ev_pair(cx, R, o, s, p, err) < 0) goto out;
        for (int q = 0; q < ps.n; q++) free(ps.s[q].type);
        ps.n = 0;
    }
    for (int i = 0; i < syn->n; i++)
        if (!used[i]) ev_list_add(&R->extra, &R->n_extra, &R->cap_extra, syn->d[i].id_json);
    ev_finish(cx, R);
    rc = 0;
out:
    ev_spans_free(&ps);
    ev_intern_free(&ko); ev_intern_free(&ks); ev_intern_free(&kp);
    free(ao); free(as); free(ap); free(used);
    return rc;
}

/* ---- output: one JSON object, or readable tables ---- */

static double ev_ratio(long a, long b) { return b ? (double)a / (double)b : NAN; }
static void ev_num(FILE *f, double v) {
    if (isnan(v) || isinf(v)) fputs("null", f);
    else fprintf(f, "%.10g", v);
}

typedef struct { long tok, found, fp, spans, spans_found; } EvPhiTot;

/* All gold types, or the HIPAA subset. */
static void ev_phi_totals(const EvCtx *cx, const EvResult *R, int hipaa_only, EvPhiTot *t) {
    memset(t, 0, sizeof *t);
    for (int i = 0; i < cx->types.n && i < R->cap_types; i++) {
        t->fp += R->fp_pred[i];
        if (hipaa_only && ev_in_list(&cx->lists.non_hipaa, ev_intern_str(&cx->types, i))) continue;
        t->tok += R->tok_gold[i];
        t->found += R->tok_found[i];
        t->spans += R->span_gold[i];
        t->spans_found += R->span_found[i];
    }
}

static const EvCtx *ev_type_ctx;
static const EvResult *ev_type_res;
static int ev_type_fp; /* sort by false positives rather than gold tokens */
static int ev_type_cmp(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    const long *by = ev_type_fp ? ev_type_res->fp_pred : ev_type_res->tok_gold;
    long tx = by[x], ty = by[y];
    if (tx != ty) return tx > ty ? -1 : 1;
    return strcmp(ev_intern_str(&ev_type_ctx->types, x), ev_intern_str(&ev_type_ctx->types, y));
}
/* Gold types (those with a gold span), most tokens first; or predicted types with
 * false positives (fp = 1), most first; ties by name. Returns the count; *ids is
 * malloc'd. */
static int ev_type_list(const EvCtx *cx, const EvResult *R, int fp, int **ids) {
    int n = 0;
    *ids = xmalloc((size_t)(cx->types.n + 1) * sizeof(int));
    for (int i = 0; i < cx->types.n && i < R->cap_types; i++)
        if (fp ? R->fp_pred[i] > 0 : R->span_gold[i] > 0) (*ids)[n++] = i;
    ev_type_ctx = cx;
    ev_type_res = R;
    ev_type_fp = fp;
    qsort(*ids, (size_t)n, sizeof(int), ev_type_cmp);
    return n;
}

static const char *ev_reid_reference(const EvResult *R) {
    return R->reid_pred_docs == 0 ? "gold" : R->reid_gold_docs == 0 ? "predicted" : "mixed";
}
static double ev_mean(double sum, int n) { return n ? sum / n : NAN; }

/* "k0":v0,"k1":v1,... */
static void ev_put_fields(FILE *f, const char *const *keys, const double *v, int n) {
    for (int i = 0; i < n; i++) { fprintf(f, "%s\"%s\":", i ? "," : "", keys[i]); ev_num(f, v[i]); }
}
static const char *const ev_rouge_keys[3] = {"rouge1", "rouge2", "rougeL"};
static const char *const ev_read_keys[3] = {"flesch_reading_ease", "flesch_kincaid_grade", "smog"};
static const char *const ev_sim_keys[3] = {"precision", "recall", "f1"};
/* The three means of sums over n. */
static void ev_means(const double *sum, int n, double *out) { for (int k = 0; k < 3; k++) out[k] = ev_mean(sum[k], n); }

static void ev_put_read(FILE *f, const EvRead *r, const double s[3]) {
    fprintf(f, "{\"words\":%ld,\"sentences\":%ld,\"syllables\":%ld,\"polysyllables\":%ld,", r->words, r->sentences, r->syllables, r->poly);
    ev_put_fields(f, ev_read_keys, s, 3);
    fputc('}', f);
}
static void ev_put_overlap(FILE *f, const double v[EV_NTOP]) {
    fputc('{', f);
    for (int k = 0; k < EV_NTOP; k++) { fprintf(f, "%s\"%d\":", k ? "," : "", ev_top_n[k]); ev_num(f, v[k]); }
    fputc('}', f);
}
static void ev_put_phi_block(FILE *f, const EvPhiTot *t) {
    fprintf(f, "\"tokens\":%ld,\"found\":%ld,\"token_recall\":", t->tok, t->found);
    ev_num(f, ev_ratio(t->found, t->tok));
    fputs(",\"token_precision\":", f);
    ev_num(f, ev_ratio(t->found, t->found + t->fp));
    fprintf(f, ",\"spans\":%ld,\"spans_found\":%ld,\"span_recall\":", t->spans, t->spans_found);
    ev_num(f, ev_ratio(t->spans_found, t->spans));
}

/* The whole result as one JSON object (the keys of `sr eval --json`). */
static void ev_put_json(FILE *f, const EvCtx *cx, const EvResult *R, int per_doc) {
    fprintf(f, "{\"documents\":{\"originals\":%d,\"synthetic\":%d,\"pairs\":%d,\"missing\":[", R->n_orig, R->n_syn, R->pairs);
    for (int i = 0; i < R->n_missing; i++) fprintf(f, "%s%s", i ? "," : "", R->missing[i]);
    fputs("],\"extra\":[", f);
    for (int i = 0; i < R->n_extra; i++) fprintf(f, "%s%s", i ? "," : "", R->extra[i]);
    fputs("],\"errors\":[", f);
    for (int i = 0; i < R->n_err; i++) { fprintf(f, "%s{\"id\":%s,\"error\":", i ? "," : "", R->err[i].id); json_put_cstr(f, R->err[i].msg); fputc('}', f); }
    fputs("]},\n\"phi\":", f);
    if (!R->phi_docs) fputs("null", f);
    else {
        EvPhiTot all, hip;
        ev_phi_totals(cx, R, 0, &all);
        ev_phi_totals(cx, R, 1, &hip);
        fputs("{\"source\":", f);
        json_put_cstr(f, R->phi_source);
        fprintf(f, ",\"documents\":%d,\"false_positives\":%ld,", R->phi_docs, all.fp);
        ev_put_phi_block(f, &all);
        fputs(",\"hipaa\":{", f);
        ev_put_phi_block(f, &hip);
        fputs("},\"per_type\":[", f);
        int *ids, n = ev_type_list(cx, R, 0, &ids);
        for (int k = 0; k < n; k++) {
            int i = ids[k];
            EvPhiTot t = {R->tok_gold[i], R->tok_found[i], 0, R->span_gold[i], R->span_found[i]};
            fputs(k ? ",{\"type\":" : "{\"type\":", f);
            json_put_cstr(f, ev_intern_str(&cx->types, i));
            fprintf(f, ",\"hipaa\":%s,\"tokens\":%ld,\"found\":%ld,\"token_recall\":", ev_in_list(&cx->lists.non_hipaa, ev_intern_str(&cx->types, i)) ? "false" : "true", t.tok, t.found);
            ev_num(f, ev_ratio(t.found, t.tok));
            fprintf(f, ",\"spans\":%ld,\"spans_found\":%ld,\"span_recall\":", t.spans, t.spans_found);
            ev_num(f, ev_ratio(t.spans_found, t.spans));
            fputc('}', f);
        }
        free(ids);
        fputs("],\"false_positives_by_type\":[", f);
        n = ev_type_list(cx, R, 1, &ids);
        for (int k = 0; k < n; k++) {
            fputs(k ? ",{\"type\":" : "{\"type\":", f);
            json_put_cstr(f, ev_intern_str(&cx->types, ids[k]));
            fprintf(f, ",\"tokens\":%ld}", R->fp_pred[ids[k]]);
        }
        free(ids);
        fputs("]}", f);
    }
    fprintf(f, ",\n\"reid_risk\":{\"reference\":\"%s\",\"strings\":%ld,\"surviving\":%ld,\"risk\":", ev_reid_reference(R), R->reid_strings, R->reid_surv);
    ev_num(f, ev_ratio(R->reid_surv, R->reid_strings));
    double v[3];
    fprintf(f, "},\n\"rouge\":{\"pairs\":%d,", R->pairs);
    ev_means(R->rouge_sum, R->pairs, v);
    ev_put_fields(f, ev_rouge_keys, v, 3);
    fputs("},\n\"readability\":{", f);
    for (int side = 0; side < 2; side++) {
        int n = side ? R->read_docs_s : R->read_docs_o;
        fprintf(f, "%s\"%s\":{\"documents\":%d,", side ? "," : "", side ? "synthetic" : "original", n);
        ev_means(side ? R->read_sum_s : R->read_sum_o, n, v);
        ev_put_fields(f, ev_read_keys, v, 3);
        fputc('}', f);
    }
    fputs("},\n\"overlap\":", f);
    ev_put_overlap(f, R->overlap);
    fputs(",\n\"entities\":", f);
    if (!R->med_docs) fputs("null", f);
    else { fprintf(f, "{\"documents\":%d,\"gold\":%ld,\"kept\":%ld,\"share\":", R->med_docs, R->ent_gold, R->ent_kept); ev_num(f, ev_ratio(R->ent_kept, R->ent_gold)); fputc('}', f); }
    fprintf(f, ",\n\"changed\":{\"words\":%ld,\"changed\":%ld,\"share\":", R->words, R->changed);
    ev_num(f, ev_ratio(R->changed, R->words));
    fputs("},\n\"similarity\":", f);
    if (!R->sim) fputs("null", f);
    else {
        fputs("{\"model\":", f);
        json_put_cstr(f, R->sim_model);
        fprintf(f, ",\"kind\":\"BERTScore-style, last hidden layer of this model (not roberta-large BERTScore)\",\"pairs\":%d,", R->sim_pairs);
        ev_means(R->sim_sum, R->sim_pairs, v);
        ev_put_fields(f, ev_sim_keys, v, 3);
        fputc('}', f);
    }
    if (per_doc) {
        fputs(",\n\"per_document\":[", f);
        for (int i = 0; i < R->n_doc; i++) {
            const EvDocResult *d = &R->doc[i];
            fprintf(f, "%s\n{\"id\":%s,", i ? "," : "", d->id_json);
            ev_put_fields(f, ev_rouge_keys, d->rouge, 3);
            fprintf(f, ",\"words\":%ld,\"changed\":%ld,\"entities_gold\":%ld,\"entities_kept\":%ld,\"reid_strings\":%ld,\"reid_surviving\":%ld,\"readability\":{\"original\":",
                    d->words, d->changed, d->ent_gold, d->ent_kept, d->reid_strings, d->reid_surv);
            ev_put_read(f, &d->ro, d->read_o);
            fputs(",\"synthetic\":", f);
            ev_put_read(f, &d->rs, d->read_s);
            fputs("},\"overlap\":", f);
            ev_put_overlap(f, d->overlap);
            if (R->sim) {
                fputs(",\"similarity\":{", f);
                ev_put_fields(f, ev_sim_keys, d->sim, 3);
                fputc('}', f);
            }
            if (d->has_phi) fprintf(f, ",\"phi\":{\"tokens\":%ld,\"found\":%ld,\"false_positives\":%ld,\"spans\":%ld,\"spans_found\":%ld}}", d->phi_tok, d->phi_found, d->phi_fp, d->phi_spans, d->phi_spans_found);
            else fputs(",\"phi\":null}", f);
        }
        fputs("]", f);
    }
    fputs("}\n", f);
}

/* A number for the tables: "-" when undefined. */
static const char *ev_fmt(char *buf, size_t cap, const char *fmt, double v) {
    if (isnan(v) || isinf(v)) snprintf(buf, cap, "-");
    else snprintf(buf, cap, fmt, v);
    return buf;
}

static void ev_put_table(FILE *f, const EvCtx *cx, const EvResult *R, int per_doc) {
    char a[32], b[32], c[32];
    fprintf(f, "sr eval: %d pairs (%d originals, %d synthetic; %d missing, %d extra, %d errors)\n", R->pairs, R->n_orig, R->n_syn, R->n_missing, R->n_extra, R->n_err);
    for (int i = 0; i < R->n_missing; i++) fprintf(f, "  missing: no synthetic letter for id %s\n", R->missing[i]);
    for (int i = 0; i < R->n_extra; i++) fprintf(f, "  extra: synthetic letter %s has no original\n", R->extra[i]);
    for (int i = 0; i < R->n_err; i++) fprintf(f, "  error: %s: %s\n", R->err[i].id, R->err[i].msg);
    fputc('\n', f);
    if (R->phi_docs) {
        EvPhiTot all, hip;
        ev_phi_totals(cx, R, 0, &all);
        ev_phi_totals(cx, R, 1, &hip);
        fprintf(f, "PHI detection (%s, against the gold PHI of %d letters)\n", R->phi_source, R->phi_docs);
        fprintf(f, "  %-22s %8s %8s %8s %8s %8s\n", "gold type", "tokens", "found", "recall", "spans", "span rec");
        int *ids, n = ev_type_list(cx, R, 0, &ids);
        for (int k = 0; k < n; k++) {
            int i = ids[k];
            fprintf(f, "  %-22.22s %8ld %8ld %8s %8ld %8s%s\n", ev_intern_str(&cx->types, i), R->tok_gold[i], R->tok_found[i],
                    ev_fmt(a, sizeof a, "%.3f", ev_ratio(R->tok_found[i], R->tok_gold[i])), R->span_gold[i],
                    ev_fmt(b, sizeof b, "%.3f", ev_ratio(R->span_found[i], R->span_gold[i])),
                    ev_in_list(&cx->lists.non_hipaa, ev_intern_str(&cx->types, i)) ? "  (not HIPAA)" : "");
        }
        free(ids);
        const EvPhiTot *ts[2] = {&all, &hip};
        for (int k = 0; k < 2; k++)
            fprintf(f, "  %-22s %8ld %8ld %8s %8ld %8s   precision %s\n", k ? "HIPAA subset" : "all types", ts[k]->tok, ts[k]->found,
                    ev_fmt(a, sizeof a, "%.3f", ev_ratio(ts[k]->found, ts[k]->tok)), ts[k]->spans,
                    ev_fmt(b, sizeof b, "%.3f", ev_ratio(ts[k]->spans_found, ts[k]->spans)),
                    ev_fmt(c, sizeof c, "%.3f", ev_ratio(ts[k]->found, ts[k]->found + ts[k]->fp)));
        fprintf(f, "  false-positive tokens: %ld\n\n", all.fp);
    } else fputs("PHI detection: no gold PHI in the originals (give \"phi\" spans to measure it)\n\n", f);
    fprintf(f, "%-28s %s  (%ld of %ld %s PHI strings survive)\n", "Re-identification risk", ev_fmt(a, sizeof a, "%.4f", ev_ratio(R->reid_surv, R->reid_strings)),
            R->reid_surv, R->reid_strings, ev_reid_reference(R));
    fprintf(f, "%-28s R-1 %s  R-2 %s  R-L %s  (mean of %d)\n", "ROUGE F1", ev_fmt(a, sizeof a, "%.4f", ev_mean(R->rouge_sum[0], R->pairs)),
            ev_fmt(b, sizeof b, "%.4f", ev_mean(R->rouge_sum[1], R->pairs)), ev_fmt(c, sizeof c, "%.4f", ev_mean(R->rouge_sum[2], R->pairs)), R->pairs);
    fprintf(f, "%-28s", "Top-N word overlap");
    for (int k = 0; k < EV_NTOP; k++) fprintf(f, "  %d: %s", ev_top_n[k], ev_fmt(a, sizeof a, "%.3f", R->overlap[k]));
    fputc('\n', f);
    if (R->med_docs) fprintf(f, "%-28s %s  (%ld of %ld gold entities)\n", "Medical entities kept", ev_fmt(a, sizeof a, "%.4f", ev_ratio(R->ent_kept, R->ent_gold)), R->ent_kept, R->ent_gold);
    else fprintf(f, "%-28s -  (no gold \"med\" spans)\n", "Medical entities kept");
    if (R->sim)
        fprintf(f, "%-28s P %s  R %s  F1 %s  (%d pairs; %s, last layer)\n", "Similarity (BERTScore-style)", ev_fmt(a, sizeof a, "%.4f", ev_mean(R->sim_sum[0], R->sim_pairs)),
                ev_fmt(b, sizeof b, "%.4f", ev_mean(R->sim_sum[1], R->sim_pairs)), ev_fmt(c, sizeof c, "%.4f", ev_mean(R->sim_sum[2], R->sim_pairs)), R->sim_pairs, R->sim_model);
    fprintf(f, "%-28s %s  (%ld of %ld words)\n\n", "Words changed", ev_fmt(a, sizeof a, "%.4f", ev_ratio(R->changed, R->words)), R->changed, R->words);
    static const char *const read_name[3] = {"Flesch reading ease", "Flesch-Kincaid grade", "SMOG"};
    fprintf(f, "%-28s %10s %10s\n", "Readability (mean)", "original", "synthetic");
    for (int k = 0; k < 3; k++)
        fprintf(f, "  %-26s %10s %10s\n", read_name[k], ev_fmt(a, sizeof a, "%.2f", ev_mean(R->read_sum_o[k], R->read_docs_o)), ev_fmt(b, sizeof b, "%.2f", ev_mean(R->read_sum_s[k], R->read_docs_s)));
    if (!per_doc || R->n_doc == 0) return;
    fprintf(f, "\n%-24s %6s %6s %6s %8s %9s %9s %8s %8s\n", "document", "R-1", "R-2", "R-L", "changed", "entities", "PHI surv", "FRE orig", "FRE syn");
    for (int i = 0; i < R->n_doc; i++) {
        const EvDocResult *d = &R->doc[i];
        char ent[32], reid[32], ch[32], fo[32], fs[32];
        snprintf(ent, sizeof ent, "%ld/%ld", d->ent_kept, d->ent_gold);
        snprintf(reid, sizeof reid, "%ld/%ld", d->reid_surv, d->reid_strings);
        fprintf(f, "%-24.24s %6.3f %6.3f %6.3f %8s %9s %9s %8s %8s\n", d->id_json, d->rouge[0], d->rouge[1], d->rouge[2],
                ev_fmt(ch, sizeof ch, "%.3f", ev_ratio(d->changed, d->words)), ent, reid,
                ev_fmt(fo, sizeof fo, "%.1f", d->read_o[0]), ev_fmt(fs, sizeof fs, "%.1f", d->read_s[0]));
    }
}

/* ---- sr eval ---- */

static void eval_usage(FILE *f) {
    fputs("usage: sr eval ORIGINALS SYNTHETIC [--json] [options]\n"
          "       sr eval --sweep ORIGINALS --report DIR [-m MODEL] [--ratios LIST] [--fill LIST] [options]\n"
          "Measure synthetic letters against their originals as Belkadi et al. (2025): PHI\n"
          "recall/precision, re-identification risk, ROUGE-1/2/L, readability, top-N word\n"
          "overlap, medical entities kept, words changed (definitions: README, \"sr eval\").\n"
          "  ORIGINALS         JSONL {\"id\",\"text\"[,\"phi\":[{start,end,type}]][,\"med\":[...]]}\n"
          "                    (code points), a folder of i2b2 XML / BRAT .txt+.ann files, or\n"
          "                    one letter file\n"
          "  SYNTHETIC         the JSONL of sr generate --jsonl, or a folder of NAME.txt /\n"
          "                    NAME.xml (sr generate --out); joined by id (file name)\n"
          "  --json            one JSON object instead of the tables\n"
          "  --no-documents    leave out the per-document table / \"per_document\"\n"
          "  --phi-pred FILE   predicted PHI spans (sr deid --jsonl, or any tool's\n"
          "                    {\"id\",\"spans\"|\"phi\"}) instead of running the Masker\n"
          "  -m MODEL          also a BERTScore-style similarity from MODEL's last layer\n"
          "                    (\"similarity\"; not the paper's roberta-large BERTScore)\n"
          "  --threads N       threads for that model's forward passes\n"
          "  --phi-model M, --med-model M, --pos-model M, --lexicon FILE, --data DIR\n"
          "                    the Masker's options, as sr generate\n"
          "Sweep (runs the Masker and the generator over a grid, writes DIR/report.html,\n"
          "DIR/results.json and DIR/synthetic-FILL-RATIO.jsonl):\n"
          "  --sweep           ORIGINALS only\n"
          "  --report DIR      output folder (created)\n"
          "  -m MODEL          masked-LM model (default: the demo model)\n"
          "  --ratios LIST     masking ratios (0.3,0.5,0.7,0.9,1.0)\n"
          "  --fill LIST       strategies (iterative,rounds:4,parallel)\n"
          "  --seed S, --top-k K, --window W, --max-pieces N, --threads N   as sr generate\n"
          "  --allow-leaks     as sr generate (by default a leaking letter is resampled, then\n"
          "                    written with [**TYPE**] at what still leaks)\n"
          "  --quiet           no progress line\n",
          f);
}

/* The Masker's options, as sr generate takes them: 1 when argv[*i] was one. */
static int ev_masker_arg(int argc, char **argv, int *i, SrMaskerOptions *mo, const char **phi, const char **med, const char **pos,
                         const char **lexicons, int *n_lex) {
    const char *a = argv[*i];
    if (!strcmp(a, "--phi-model")) *phi = opt_value(argc, argv, i);
    else if (!strcmp(a, "--med-model")) *med = opt_value(argc, argv, i);
    else if (!strcmp(a, "--pos-model")) *pos = opt_value(argc, argv, i);
    else if (!strcmp(a, "--lexicon")) lexicons[(*n_lex)++] = opt_value(argc, argv, i);
    else if (!strcmp(a, "--data")) mo->data_dir = opt_value(argc, argv, i);
    else return 0;
    return 1;
}

static int ev_sweep(int argc, char **argv);

static int cmd_eval(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--sweep")) return ev_sweep(argc, argv);
    SrMaskerOptions mo;
    memset(&mo, 0, sizeof mo);
    const char *items[2] = {NULL, NULL}, *pred_path = NULL, *phi_path = NULL, *med_path = NULL, *pos_path = NULL, *sim_path = NULL;
    const char **lexicons = xmalloc((size_t)argc * sizeof(char *));
    int n_items = 0, n_lex = 0, json = 0, per_doc = 1, rc = 2, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--no-documents")) per_doc = 0;
        else if (!strcmp(a, "--phi-pred")) pred_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) sim_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--threads")) threads = opt_threads(argc, argv, &i);
        else if (ev_masker_arg(argc, argv, &i, &mo, &phi_path, &med_path, &pos_path, lexicons, &n_lex)) continue;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { eval_usage(stdout); free(lexicons); return 0; }
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr eval: unknown option %s (see sr eval --help)\n", a); free(lexicons); return 2; }
        else if (n_items < 2) items[n_items++] = a;
        else { fprintf(stderr, "sr eval: give ORIGINALS and SYNTHETIC (one each)\n"); free(lexicons); return 2; }
    }
    if (n_items != 2) { eval_usage(stderr); free(lexicons); return 2; }
    char err[SR_ERR_LEN];
    EvCtx cx;
    EvDocs orig = {0}, syn = {0}, pred = {0};
    EvResult R;
    memset(&R, 0, sizeof R);
    SrModel *sim_m = NULL;
    GenTools gt;
    memset(&gt, 0, sizeof gt);
    EvSim sim;
    memset(&sim, 0, sizeof sim);
    rc = 1;
    if (ev_ctx_init(&cx, mo.data_dir, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); free(lexicons); return 2; }
    if (ev_read_input(items[0], &cx.lists, 1, &orig, err) < 0 || ev_read_input(items[1], &cx.lists, 0, &syn, err) < 0 ||
        (pred_path && ev_read_jsonl(pred_path, &pred, 0, err) < 0)) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    /* two single letter files are one pair, whatever their names */
    struct stat s0, s1;
    if (orig.n == 1 && syn.n == 1 && stat(items[0], &s0) == 0 && stat(items[1], &s1) == 0 && S_ISREG(s0.st_mode) && S_ISREG(s1.st_mode) &&
        !ev_ends(items[0], ".jsonl") && !ev_ends(items[1], ".jsonl") && !ev_ends(items[0], ".json") && !ev_ends(items[1], ".json")) {
        free(syn.d[0].key);
        syn.d[0].key = ev_strndup(orig.d[0].key, strlen(orig.d[0].key));
    }
    if (pred_path) snprintf(R.phi_source, sizeof R.phi_source, "%s", pred_path);
    else {
        mo.lexicons = lexicons;
        mo.n_lexicons = n_lex;
        if (gen_tools_open(&gt, "eval", 0, NULL, phi_path, med_path, pos_path, &mo, 0, NULL, 0) < 0) { rc = 2; goto done; }
        snprintf(R.phi_source, sizeof R.phi_source, "the Masker%s", gt.phi ? " (rules + --phi-model)" : " (rules and lexicons)");
    }
    if (sim_path) {
        if (sr_load(&sim_m, sim_path, err) < 0 || !(sim.tok = sr_tokenizer_from_model(sim_m, err))) { fprintf(stderr, "sr eval: %s\n", err); rc = 2; goto done; }
        if (sr_config(sim_m)->cls_id < 0 || sr_config(sim_m)->sep_id < 0 || sr_config(sim_m)->max_position < 3) { fprintf(stderr, "sr eval: %s: no [CLS]/[SEP] for the similarity\n", sim_path); rc = 2; goto done; }
        if (threads > 0) sr_set_threads(threads);
        sim.m = sim_m;
        sim.st = sr_state_new(sim_m, sr_config(sim_m)->max_position);
        sim.ids = xmalloc((size_t)sr_config(sim_m)->max_position * sizeof(int));
        R.sim = &sim;
        R.sim_model = sim_path;
    }
    if (ev_evaluate(&cx, &orig, &syn, pred_path ? &pred : NULL, gt.mk, &R, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    if (json) ev_put_json(stdout, &cx, &R, per_doc);
    else ev_put_table(stdout, &cx, &R, per_doc);
    if (stdout_check() < 0) goto done;
    rc = R.n_missing || R.n_extra || R.n_err ? 1 : 0;
    if (rc) fprintf(stderr, "sr eval: %d missing, %d extra, %d error records (listed in the output)\n", R.n_missing, R.n_extra, R.n_err);
done:
    ev_result_free(&R);
    ev_docs_free(&orig); ev_docs_free(&syn); ev_docs_free(&pred);
    gen_tools_close(&gt);
    sr_state_free(sim.st);
    sr_tokenizer_free(sim.tok);
    sr_tokens_free(&sim.tk);
    free(sim.ids); free(sim.a); free(sim.b);
    if (sim_m) sr_free(sim_m);
    ev_ctx_free(&cx);
    free(lexicons);
    return rc;
}

/* ---- sr eval --sweep: the grid of masking ratios and fill strategies, the report ---- */

#define EV_PAPER_KEYS 9
static const char *const ev_paper_key[EV_PAPER_KEYS] = {"phi_recall", "reid_risk", "rouge1", "rouge2", "rougeL", "smog",
                                                        "flesch_reading_ease", "flesch_kincaid_grade", "seconds_per_letter"};
typedef struct { double value[EV_PAPER_KEYS]; char note[EV_PAPER_KEYS][200]; } EvPaper;

/* data/eval_paper.txt: "KEY VALUE NOTE" lines. */
static int ev_load_paper(const char *data_dir, EvPaper *p, char *err) {
    char path[8192], *buf, **lines;
    for (int k = 0; k < EV_PAPER_KEYS; k++) { p->value[k] = NAN; p->note[k][0] = 0; }
    int n = ev_data_lines(data_dir, "eval_paper.txt", &buf, &lines, path, sizeof path, err);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        char *s = lines[i], key[64], *e;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        int kl = 0;
        while (s[kl] && !isspace((unsigned char)s[kl]) && kl < 63) { key[kl] = s[kl]; kl++; }
        key[kl] = 0;
        int k = 0;
        while (k < EV_PAPER_KEYS && strcmp(ev_paper_key[k], key)) k++;
        double v = strtod(s + kl, &e);
        if (k == EV_PAPER_KEYS || e == s + kl) { free(buf); free(lines); return sr_fail(err, "%s:%d: expected \"KEY VALUE NOTE\" with a known KEY", path, i + 1); }
        while (*e == ' ' || *e == '\t') e++;
        p->value[k] = v;
        snprintf(p->note[k], sizeof p->note[k], "%s", e);
    }
    free(buf);
    free(lines);
    return 0;
}

typedef struct {
    char fill_name[32];
    SrGenOptions opt;
    int letters, failed;
    long forwards, masks;
    double seconds;
    EvResult R;
} EvRun;

static void ev_html_esc(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}
/* <tag attrs data-key="key">: the key is a path into results.json. */
static void ev_hopen(FILE *f, const char *tag, const char *attrs, const char *keyfmt, va_list ap) {
    char key[256];
    vsnprintf(key, sizeof key, keyfmt, ap);
    fprintf(f, "<%s%s%s data-key=\"%s\">", tag, attrs ? " " : "", attrs ? attrs : "", key);
}
/* <tag data-key="key">value</tag>: a number of results.json, "-" when undefined. */
static void ev_hv(FILE *f, const char *tag, const char *attrs, const char *fmt, double v, const char *keyfmt, ...) {
    va_list ap;
    va_start(ap, keyfmt);
    ev_hopen(f, tag, attrs, keyfmt, ap);
    va_end(ap);
    if (isnan(v) || isinf(v)) fputs("-", f);
    else fprintf(f, fmt, v);
    fprintf(f, "</%s>", tag);
}
/* The same for a string of results.json. */
static void ev_hs(FILE *f, const char *tag, const char *attrs, const char *s, const char *keyfmt, ...) {
    va_list ap;
    va_start(ap, keyfmt);
    ev_hopen(f, tag, attrs, keyfmt, ap);
    va_end(ap);
    ev_html_esc(f, s);
    fprintf(f, "</%s>", tag);
}

static const char *ev_fill_color(const char *fill) {
    if (!strcmp(fill, "iterative")) return "#1f77b4";
    if (!strcmp(fill, "parallel")) return "#2ca02c";
    return "#e8730c"; /* rounds:N */
}

typedef struct {
    const char *originals, *model_path, *masker;
    int demo, letters, threads;
    double ratios[32];
    int n_ratios;
    char fills[8][32];
    int n_fills;
    char created[64];
    const SrConfig *cfg;
    EvPaper paper;
    int compare; /* the run set beside the paper: iterative at the ratio nearest 0.5 */
} EvSweep;

static double ev_run_val(const EvRun *r, const char *what) {
    const EvResult *R = &r->R;
    if (!strcmp(what, "rouge1")) return ev_mean(R->rouge_sum[0], R->pairs);
    if (!strcmp(what, "rouge2")) return ev_mean(R->rouge_sum[1], R->pairs);
    if (!strcmp(what, "rougeL")) return ev_mean(R->rouge_sum[2], R->pairs);
    if (!strcmp(what, "reid")) return ev_ratio(R->reid_surv, R->reid_strings);
    if (!strcmp(what, "fre")) return ev_mean(R->read_sum_s[0], R->read_docs_s);
    if (!strcmp(what, "fkgl")) return ev_mean(R->read_sum_s[1], R->read_docs_s);
    if (!strcmp(what, "smog")) return ev_mean(R->read_sum_s[2], R->read_docs_s);
    if (!strcmp(what, "spl")) return r->letters ? r->seconds / r->letters : NAN;
    return NAN;
}

static void ev_put_results(FILE *f, const EvCtx *cx, const EvSweep *sw, const EvRun *runs, int n_runs) {
    fputs("{\"report\":\"sr eval --sweep\",\"created\":", f);
    json_put_cstr(f, sw->created);
    fputs(",\n\"settings\":{\"originals\":", f);
    json_put_cstr(f, sw->originals);
    fprintf(f, ",\"letters\":%d,\"ratios\":[", sw->letters);
    for (int i = 0; i < sw->n_ratios; i++) { fputs(i ? "," : "", f); ev_num(f, sw->ratios[i]); }
    fputs("],\"fills\":[", f);
    for (int i = 0; i < sw->n_fills; i++) { fputs(i ? "," : "", f); json_put_cstr(f, sw->fills[i]); }
    const SrGenOptions *o = &runs[0].opt;
    fprintf(f, "],\"seed\":%llu,\"top_k\":%d,\"window\":%d,\"max_pieces\":%d,\"threads\":%d,\"masker\":", (unsigned long long)o->seed, o->top_k, o->window, o->max_pieces, sw->threads);
    json_put_cstr(f, sw->masker);
    fputs("},\n\"model\":{\"path\":", f);
    json_put_cstr(f, sw->model_path);
    fprintf(f, ",\"demo\":%s,\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"vocab\":%d,\"weights\":\"%s\",\"lowercase\":%s},\n\"paper\":{",
            sw->demo ? "true" : "false", sw->cfg->n_layers, sw->cfg->hidden, sw->cfg->n_heads, sw->cfg->vocab_size,
            sw->cfg->weight_type == SR_WEIGHTS_Q8 ? "q8" : "f32", sw->cfg->flags & SR_FLAG_LOWERCASE ? "true" : "false");
    fputs("\"source\":\"Belkadi et al. (2025), NAACL SRW; figures as quoted in data/eval_paper.txt\"", f);
    for (int k = 0; k < EV_PAPER_KEYS; k++) {
        fprintf(f, ",\"%s\":{\"value\":", ev_paper_key[k]);
        ev_num(f, sw->paper.value[k]);
        fputs(",\"note\":", f);
        json_put_cstr(f, sw->paper.note[k]);
        fputc('}', f);
    }
    fprintf(f, "},\n\"compare_run\":%d,\n\"runs\":[", sw->compare);
    for (int r = 0; r < n_runs; r++) {
        const EvRun *u = &runs[r];
        fprintf(f, "%s\n{\"fill\":\"%s\",\"ratio\":", r ? "," : "", u->fill_name);
        ev_num(f, u->opt.ratio);
        fprintf(f, ",\"letters\":%d,\"failed\":%d,\"forwards\":%ld,\"masks\":%ld,\"seconds\":", u->letters, u->failed, u->forwards, u->masks);
        ev_num(f, u->seconds);
        fputs(",\"seconds_per_letter\":", f);
        ev_num(f, ev_run_val(u, "spl"));
        fputs(",\"eval\":", f);
        ev_put_json(f, cx, &u->R, 0);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* Plot frame: data [x0, x1] x [y0, y1] in a W x H box, grid every xstep / ystep. */
typedef struct { double L, T, W, H, x0, x1, y0, y1, xstep, ystep; } EvPlot;
static double ev_px(const EvPlot *p, double x) { return p->L + (x - p->x0) / (p->x1 - p->x0) * p->W; }
static double ev_py(const EvPlot *p, double y) { return p->T + p->H - (y - p->y0) / (p->y1 - p->y0) * p->H; }
/* A range in [0, 1] around lo..hi, on multiples of 0.1 (at least 0.3 wide); *step for its grid. */
static void ev_range(double lo, double hi, double *a, double *b, double *step) {
    if (isnan(lo) || isnan(hi)) { lo = 0; hi = 1; }
    *a = floor((lo - 0.02) * 10) / 10;
    *b = ceil((hi + 0.02) * 10) / 10;
    if (*a < 0) *a = 0;
    if (*b > 1) *b = 1;
    while (*b - *a < 0.29) { if (*a > 0) *a -= 0.1; if (*b - *a < 0.29 && *b < 1) *b += 0.1; }
    *step = *b - *a > 0.61 ? 0.2 : 0.1;
}
static void ev_axes(FILE *f, const EvPlot *p, const char *xtitle, const char *ytitle) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", p->L, p->T, p->W, p->H);
    int yd = p->ystep < 0.01 ? 3 : p->ystep < 0.1 ? 2 : 1;
    for (int i = 0; p->x0 + i * p->xstep <= p->x1 + 1e-9; i++) {
        double v = p->x0 + i * p->xstep, x = ev_px(p, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", x, p->T, x, p->T + p->H);
        fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n", x, p->T + p->H + 16, v);
    }
    for (int i = 0; p->y0 + i * p->ystep <= p->y1 + 1e-9; i++) {
        double v = p->y0 + i * p->ystep, y = ev_py(p, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", p->L, y, p->L + p->W, y);
        fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n", p->L - 6, y + 4, yd, v);
    }
    fprintf(f, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", p->L + p->W / 2, p->T + p->H + 36);
    ev_html_esc(f, xtitle);
    fprintf(f, "</text><text class=\"name\" transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">", p->L - 44, p->T + p->H / 2);
    ev_html_esc(f, ytitle);
    fputs("</text>\n", f);
}
static void ev_legend(FILE *f, const EvSweep *sw, const EvRun *runs, int n_runs, double x, double y) {
    for (int i = 0; i < sw->n_fills; i++) {
        int r = 0;
        while (r < n_runs && strcmp(runs[r].fill_name, sw->fills[i])) r++;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y + 18 * i, ev_fill_color(sw->fills[i]));
        char at[64];
        snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\"", x + 18, y + 18 * i + 11);
        ev_hs(f, "text", at, sw->fills[i], "runs.%d.fill", r);
        fputc('\n', f);
    }
}

static int ev_write_report(const char *path, const EvCtx *cx, const EvSweep *sw, const EvRun *runs, int n_runs, char *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return sr_fail(err, "%s: %s", path, strerror(errno));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>sr eval report</title>\n<style>\n"
          "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1220px;margin:20px auto;padding:0 16px;color:#222;font-size:14px}\n"
          "h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}\n"
          "table{border-collapse:collapse;margin:8px 0 12px}\n"
          "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;font-size:13px}\n"
          "th{background:#f0f0f0}td.l,th.l{text-align:left}tr.orig td{background:#f6f6f6;font-style:italic}\n"
          ".warn{background:#fff4d6;border:1px solid #e0b84c;padding:10px 14px;margin:12px 0}\n"
          ".note{color:#555;font-size:13px}\nsvg{background:#fff}svg text{font-size:12px}\n"
          ".plots{display:flex;flex-wrap:wrap;gap:20px}\n</style>\n</head>\n<body>\n", f);
    fputs("<h1>sr eval: synthetic letters measured against their originals</h1>\n<p class=\"note\">Letters: ", f);
    ev_hv(f, "span", NULL, "%.0f", sw->letters, "settings.letters");
    fputs(" from ", f);
    ev_hs(f, "code", NULL, sw->originals, "settings.originals");
    fputs(". Made ", f);
    ev_hs(f, "span", NULL, sw->created, "created");
    fputs(" by <code>sr eval --sweep</code>; the numbers are in <code>results.json</code> beside this page.</p>\n", f);
    if (sw->demo)
        fputs("<div class=\"warn\"><b>These are the demo model's numbers.</b> The model that filled the masks is sr's own "
              "small demo model (<code>models/sr-demo.srm</code>, trained on public medical text; see "
              "<code>models/MODEL_CARD.md</code>). It is there to show that the pipeline runs: its fills are mostly "
              "frequent words, so ROUGE, readability and overlap below describe the demo model, not what the method can "
              "do with a clinical model such as Bio_ClinicalBERT. The Masker's numbers (PHI detection) and the "
              "re-identification check do not depend on the model.</div>\n", f);
    /* settings */
    fputs("<h2>Settings</h2>\n<table>\n<tr><th class=\"l\">model</th><td class=\"l\">", f);
    ev_hs(f, "code", NULL, sw->model_path, "model.path");
    fputs(" (", f);
    ev_hv(f, "span", NULL, "%.0f", sw->cfg->n_layers, "model.layers");
    fputs(" layers, hidden ", f);
    ev_hv(f, "span", NULL, "%.0f", sw->cfg->hidden, "model.hidden");
    fputs(", vocabulary ", f);
    ev_hv(f, "span", NULL, "%.0f", sw->cfg->vocab_size, "model.vocab");
    fputs(", weights ", f);
    ev_hs(f, "span", NULL, sw->cfg->weight_type == SR_WEIGHTS_Q8 ? "q8" : "f32", "model.weights");
    fputs(")</td></tr>\n<tr><th class=\"l\">Masker</th><td class=\"l\">", f);
    ev_hs(f, "span", NULL, sw->masker, "settings.masker");
    fputs("</td></tr>\n<tr><th class=\"l\">masking ratios</th><td class=\"l\">", f);
    for (int i = 0; i < sw->n_ratios; i++) { fputs(i ? ", " : "", f); ev_hv(f, "span", NULL, "%.2f", sw->ratios[i], "settings.ratios.%d", i); }
    fputs("</td></tr>\n<tr><th class=\"l\">fill strategies</th><td class=\"l\">", f);
    for (int i = 0; i < sw->n_fills; i++) { fputs(i ? ", " : "", f); ev_hs(f, "span", NULL, sw->fills[i], "settings.fills.%d", i); }
    const SrGenOptions *o = &runs[0].opt;
    fputs("</td></tr>\n<tr><th class=\"l\">sampling</th><td class=\"l\">top-k ", f);
    ev_hv(f, "span", NULL, "%.0f", o->top_k, "settings.top_k");
    fputs(", seed ", f);
    ev_hv(f, "span", NULL, "%.0f", (double)o->seed, "settings.seed");
    fputs(", window ", f);
    ev_hv(f, "span", NULL, "%.0f", o->window, "settings.window");
    fputs(" tokens each side, at most ", f);
    ev_hv(f, "span", NULL, "%.0f", o->max_pieces, "settings.max_pieces");
    fputs(" WordPieces a word, threads ", f);
    ev_hv(f, "span", NULL, "%.0f", sw->threads, "settings.threads");
    fputs("</td></tr>\n</table>\n", f);
    /* the paper's table */
    const EvRun *r0 = &runs[0];
    fputs("<h2>The paper's table, reproduced for this run</h2>\n<table>\n<tr><th>ratio</th><th class=\"l\">fill</th>"
          "<th>ROUGE-1</th><th>ROUGE-2</th><th>ROUGE-L</th><th>top-5</th><th>top-10</th><th>top-20</th><th>top-50</th>"
          "<th>top-100</th><th>SMOG</th><th>Flesch RE</th><th>FK grade</th><th>re-id risk</th><th>entities kept</th>"
          "<th>words changed</th><th>s / letter</th></tr>\n", f);
    fputs("<tr class=\"orig\"><td>-</td><td class=\"l\">original letters</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>", f);
    ev_hv(f, "td", NULL, "%.2f", ev_mean(r0->R.read_sum_o[2], r0->R.read_docs_o), "runs.0.eval.readability.original.smog");
    ev_hv(f, "td", NULL, "%.2f", ev_mean(r0->R.read_sum_o[0], r0->R.read_docs_o), "runs.0.eval.readability.original.flesch_reading_ease");
    ev_hv(f, "td", NULL, "%.2f", ev_mean(r0->R.read_sum_o[1], r0->R.read_docs_o), "runs.0.eval.readability.original.flesch_kincaid_grade");
    fputs("<td>-</td><td>-</td><td>-</td><td>-</td></tr>\n", f);
    for (int r = 0; r < n_runs; r++) {
        const EvRun *u = &runs[r];
        fputs("<tr>", f);
        ev_hv(f, "td", NULL, "%.2f", u->opt.ratio, "runs.%d.ratio", r);
        ev_hs(f, "td", "class=\"l\"", u->fill_name, "runs.%d.fill", r);
        static const char *const rk[3] = {"rouge1", "rouge2", "rougeL"};
        for (int k = 0; k < 3; k++) ev_hv(f, "td", NULL, "%.3f", ev_run_val(u, rk[k]), "runs.%d.eval.rouge.%s", r, rk[k]);
        for (int k = 0; k < EV_NTOP; k++) ev_hv(f, "td", NULL, "%.2f", u->R.overlap[k], "runs.%d.eval.overlap.%d", r, ev_top_n[k]);
        ev_hv(f, "td", NULL, "%.2f", ev_run_val(u, "smog"), "runs.%d.eval.readability.synthetic.smog", r);
        ev_hv(f, "td", NULL, "%.2f", ev_run_val(u, "fre"), "runs.%d.eval.readability.synthetic.flesch_reading_ease", r);
        ev_hv(f, "td", NULL, "%.2f", ev_run_val(u, "fkgl"), "runs.%d.eval.readability.synthetic.flesch_kincaid_grade", r);
        ev_hv(f, "td", NULL, "%.3f", ev_run_val(u, "reid"), "runs.%d.eval.reid_risk.risk", r);
        if (u->R.med_docs) ev_hv(f, "td", NULL, "%.3f", ev_ratio(u->R.ent_kept, u->R.ent_gold), "runs.%d.eval.entities.share", r);
        else fputs("<td>-</td>", f);
        ev_hv(f, "td", NULL, "%.3f", ev_ratio(u->R.changed, u->R.words), "runs.%d.eval.changed.share", r);
        ev_hv(f, "td", NULL, "%.2f", ev_run_val(u, "spl"), "runs.%d.seconds_per_letter", r);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">ROUGE: <span class=\"name\">F1</span> of each synthetic letter against its original, mean over letters "
          "(rouge_score's defaults). top-N: share of the N most frequent words (stop words removed) that the originals "
          "and the synthetic letters have in common, over all letters: lower means more diverse. Readability: mean over "
          "letters. Re-id risk: share of PHI strings that survive into the synthetic letters. Entities kept: gold "
          "medical entities found verbatim at their aligned place (\"-\": no gold entities given).</p>\n", f);
    /* beside the paper */
    const EvRun *cr = &runs[sw->compare];
    EvPhiTot all;
    ev_phi_totals(cx, &cr->R, 0, &all);
    fputs("<h2>Belkadi et al. (2025) and this run</h2>\n<table>\n<tr><th class=\"l\">measure</th><th>the paper</th><th>this run", f);
    fputs(sw->demo ? " (demo model)" : "", f);
    fputs("</th><th class=\"l\">notes</th></tr>\n", f);
    static const char *const rowname[EV_PAPER_KEYS] = {"PHI recall (tokens)", "re-identification risk", "ROUGE-1", "ROUGE-2",
                                                        "ROUGE-L", "SMOG", "Flesch reading ease", "Flesch-Kincaid grade", "seconds a letter"};
    for (int k = 0; k < EV_PAPER_KEYS; k++) {
        fprintf(f, "<tr><th class=\"l\">%s</th>", rowname[k]);
        ev_hv(f, "td", NULL, k == 1 ? "%.3f" : "%.2f", sw->paper.value[k], "paper.%s.value", ev_paper_key[k]);
        double ours = NAN;
        char key[160];
        if (k == 0) { ours = cr->R.phi_docs ? ev_ratio(all.found, all.tok) : NAN; snprintf(key, sizeof key, cr->R.phi_docs ? "runs.%d.eval.phi.token_recall" : "runs.%d.eval.phi", sw->compare); }
        else if (k == 1) { ours = ev_run_val(cr, "reid"); snprintf(key, sizeof key, "runs.%d.eval.reid_risk.risk", sw->compare); }
        else if (k <= 4) { ours = ev_run_val(cr, ev_paper_key[k]); snprintf(key, sizeof key, "runs.%d.eval.rouge.%s", sw->compare, ev_paper_key[k]); }
        else if (k <= 7) { ours = ev_run_val(cr, k == 5 ? "smog" : k == 6 ? "fre" : "fkgl"); snprintf(key, sizeof key, "runs.%d.eval.readability.synthetic.%s", sw->compare, ev_paper_key[k]); }
        else { ours = ev_run_val(cr, "spl"); snprintf(key, sizeof key, "runs.%d.seconds_per_letter", sw->compare); }
        ev_hv(f, "td", NULL, k == 1 ? "%.3f" : "%.2f", ours, "%s", key);
        fputs("<td class=\"l\">", f);
        if (!isnan(sw->paper.value[k])) ev_hs(f, "span", NULL, sw->paper.note[k], "paper.%s.note", ev_paper_key[k]);
        else fputs("the paper's figure is not in data/eval_paper.txt", f);
        if (k == 0 && !cr->R.phi_docs) fputs("; this run: no gold PHI given", f);
        if (k == 8) fputs("; this run: CPU", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">\"this run\" is the run with fill ", f);
    ev_hs(f, "span", NULL, cr->fill_name, "runs.%d.fill", sw->compare);
    fputs(" at masking ratio ", f);
    ev_hv(f, "span", NULL, "%.2f", cr->opt.ratio, "runs.%d.ratio", sw->compare);
    fputs(" (the paper fills iteratively). \"-\": no figure. The paper's PHI recall is Philter's on its own data; "
          "ours is sr's Masker on the letters given here.</p>\n", f);
    /* plots */
    fputs("<div class=\"plots\">\n<div><h2>Fidelity against diversity</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"400\" viewBox=\"0 0 560 400\">\n", f);
    double xlo = NAN, xhi = NAN, ylo = NAN, yhi = NAN;
    for (int r = 0; r < n_runs; r++) {
        double x = 1 - runs[r].R.overlap[2], y = ev_run_val(&runs[r], "rougeL");
        if (isnan(x) || isnan(y)) continue;
        if (isnan(xlo) || x < xlo) xlo = x;
        if (isnan(xhi) || x > xhi) xhi = x;
        if (isnan(ylo) || y < ylo) ylo = y;
        if (isnan(yhi) || y > yhi) yhi = y;
    }
    EvPlot p = {70, 20, 360, 320, 0, 1, 0, 1, 0.2, 0.2};
    ev_range(xlo, xhi, &p.x0, &p.x1, &p.xstep);
    ev_range(ylo, yhi, &p.y0, &p.y1, &p.ystep);
    ev_axes(f, &p, "diversity: 1 - top-20 word overlap", "fidelity: ROUGE-L F1");
    for (int r = 0; r < n_runs; r++) {
        double x = 1 - runs[r].R.overlap[2], y = ev_run_val(&runs[r], "rougeL");
        if (isnan(x) || isnan(y)) continue;
        int fi = 0;
        while (fi < sw->n_fills && strcmp(sw->fills[fi], runs[r].fill_name)) fi++;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"#333\"/>", ev_px(&p, x), ev_py(&p, y), ev_fill_color(runs[r].fill_name));
        char at[96]; /* each fill's labels on its own side of the point */
        snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\"", ev_px(&p, x) + (fi == 1 ? -8 : 8),
                 ev_py(&p, y) + (fi == 2 ? 14 : -5), ev_fill_color(runs[r].fill_name), fi == 1 ? "end" : "start");
        ev_hv(f, "text", at, "%.2f", runs[r].opt.ratio, "runs.%d.ratio", r);
        fputc('\n', f);
    }
    ev_legend(f, sw, runs, n_runs, 445, 30);
    fputs("<text class=\"name\" x=\"445\" y=\"100\">label: ratio</text>\n</svg></div>\n", f);
    /* re-identification risk by ratio */
    double top = 0;
    for (int r = 0; r < n_runs; r++) { double v = ev_run_val(&runs[r], "reid"); if (v > top) top = v; }
    if (!isnan(sw->paper.value[1]) && sw->paper.value[1] > top) top = sw->paper.value[1];
    static const double nice[] = {0.05, 0.1, 0.2, 0.5, 1.0};
    double ymax = 1.0;
    for (int i = 0; i < 5; i++) if (top <= nice[i] * 0.92) { ymax = nice[i]; break; }
    fputs("<div><h2>Re-identification risk by masking ratio</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"400\" viewBox=\"0 0 560 400\">\n", f);
    p = (EvPlot){70, 20, 360, 320, 0, 1, 0, ymax, 0.2, ymax / 5};
    ev_axes(f, &p, "masking ratio", "share of PHI strings that survive");
    if (!isnan(sw->paper.value[1])) {
        double y = ev_py(&p, sw->paper.value[1]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b00\" stroke-dasharray=\"5,4\"/>", p.L, y, p.L + p.W, y);
        fprintf(f, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" fill=\"#b00\">the paper</text>", p.L + 4, y - 4);
        char at[64];
        snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\" fill=\"#b00\"", p.L + 70, y - 4);
        ev_hv(f, "text", at, "%.3f", sw->paper.value[1], "paper.reid_risk.value");
        fputc('\n', f);
    }
    for (int i = 0; i < sw->n_fills; i++) {
        fputs("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"", f);
        fputs(ev_fill_color(sw->fills[i]), f);
        fputs("\" points=\"", f);
        for (int j = 0; j < sw->n_ratios; j++)
            for (int r = 0; r < n_runs; r++)
                if (!strcmp(runs[r].fill_name, sw->fills[i]) && runs[r].opt.ratio == (float)sw->ratios[j] && !isnan(ev_run_val(&runs[r], "reid")))
                    fprintf(f, "%.1f,%.1f ", ev_px(&p, runs[r].opt.ratio), ev_py(&p, ev_run_val(&runs[r], "reid")));
        fputs("\"/>\n", f);
    }
    for (int r = 0; r < n_runs; r++) {
        double v = ev_run_val(&runs[r], "reid");
        if (isnan(v)) continue;
        double x = ev_px(&p, runs[r].opt.ratio), y = ev_py(&p, v);
        int fi = 0;
        while (fi < sw->n_fills && strcmp(sw->fills[fi], runs[r].fill_name)) fi++;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", x, y, ev_fill_color(runs[r].fill_name));
        char at[64];
        snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"", x, y - 8 - 13 * fi);
        ev_hv(f, "text", at, "%.3f", v, "runs.%d.eval.reid_risk.risk", r);
        fputc('\n', f);
    }
    ev_legend(f, sw, runs, n_runs, 445, 30);
    fputs("</svg></div>\n</div>\n", f);
    /* PHI recall per type */
    fputs("<h2>PHI recall by type (the Masker on the originals)</h2>\n", f);
    if (!r0->R.phi_docs) fputs("<p class=\"note\">No gold PHI in the originals: give \"phi\" spans (JSONL), <span class=\"name\">i2b2</span> XML or BRAT files to measure the Masker.</p>\n", f);
    else {
        int *ids, n = ev_type_list(cx, &r0->R, 0, &ids);
        EvPhiTot hip;
        ev_phi_totals(cx, &r0->R, 0, &all);
        ev_phi_totals(cx, &r0->R, 1, &hip);
        int rows = n + 2;
        double bx = 190, bw = 420, rh = 24;
        fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"%.0f\" viewBox=\"0 0 900 %.0f\">\n", rows * rh + 50, rows * rh + 50);
        for (int i = 0; i <= 5; i++) {
            double x = bx + bw * i / 5.0;
            fprintf(f, "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/><text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n",
                    x, x, rows * rh + 14, x, rows * rh + 30, i / 5.0);
        }
        for (int i = 0; i < rows; i++) {
            double y = 14 + i * rh, v;
            char at[96], key[128];
            const char *label;
            long tok;
            if (i < 2) {
                const EvPhiTot *t = i ? &hip : &all;
                v = ev_ratio(t->found, t->tok);
                tok = t->tok;
                label = i ? "HIPAA subset" : "all types";
                snprintf(key, sizeof key, "runs.0.eval.phi.%s", i ? "hipaa." : "");
                fprintf(f, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-weight=\"bold\">%s</text>", bx - 8, y + 14, label);
            } else {
                int t = ids[i - 2];
                v = ev_ratio(r0->R.tok_found[t], r0->R.tok_gold[t]);
                tok = r0->R.tok_gold[t];
                snprintf(key, sizeof key, "runs.0.eval.phi.per_type.%d.", i - 2);
                snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"", bx - 8, y + 14);
                ev_hs(f, "text", at, ev_intern_str(&cx->types, t), "%stype", key);
            }
            if (!isnan(v)) fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", bx, y, bw * v, rh - 6, i < 2 ? "#555" : "#1f77b4");
            snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\"", bx + bw + 8, y + 14);
            ev_hv(f, "text", at, "%.3f", v, "%stoken_recall", key);
            snprintf(at, sizeof at, "x=\"%.1f\" y=\"%.1f\" fill=\"#666\"", bx + bw + 60, y + 14);
            ev_hv(f, "text", at, "%.0f", (double)tok, "%stokens", key);
            fprintf(f, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" fill=\"#666\">tokens</text>\n", bx + bw + 100, y + 14);
        }
        if (!isnan(sw->paper.value[0])) {
            double x = bx + bw * sw->paper.value[0];
            fprintf(f, "<line x1=\"%.1f\" y1=\"6\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b00\" stroke-dasharray=\"5,4\"/>", x, x, rows * rh + 10);
            fprintf(f, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" fill=\"#b00\" text-anchor=\"end\">Philter in the paper</text>\n", x - 4, rows * rh + 44);
        }
        fputs("</svg>\n<p class=\"note\">Token recall: a gold PHI token (a run of letters and digits) counts as found when "
              "every character is masked. Types outside the HIPAA Safe Harbor list (data/eval_types.txt) are left out of "
              "the HIPAA line.</p>\n", f);
        free(ids);
    }
    /* timings */
    fputs("<h2>Timings</h2>\n<table>\n<tr><th>ratio</th><th class=\"l\">fill</th><th>letters</th><th>failed</th><th>masks</th><th>forward passes</th><th>seconds</th><th>s / letter</th></tr>\n", f);
    for (int r = 0; r < n_runs; r++) {
        const EvRun *u = &runs[r];
        fputs("<tr>", f);
        ev_hv(f, "td", NULL, "%.2f", u->opt.ratio, "runs.%d.ratio", r);
        ev_hs(f, "td", "class=\"l\"", u->fill_name, "runs.%d.fill", r);
        ev_hv(f, "td", NULL, "%.0f", u->letters, "runs.%d.letters", r);
        ev_hv(f, "td", NULL, "%.0f", u->failed, "runs.%d.failed", r);
        ev_hv(f, "td", NULL, "%.0f", (double)u->masks, "runs.%d.masks", r);
        ev_hv(f, "td", NULL, "%.0f", (double)u->forwards, "runs.%d.forwards", r);
        ev_hv(f, "td", NULL, "%.2f", u->seconds, "runs.%d.seconds", r);
        ev_hv(f, "td", NULL, "%.2f", ev_run_val(u, "spl"), "runs.%d.seconds_per_letter", r);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">Definitions of every measure: README, section \"sr eval\". The synthetic letters of each "
          "run are beside this page (synthetic-FILL-RATIO.jsonl); <code>sr eval ORIGINALS FILE</code> measures one again "
          "with its per-letter table.</p>\n</body>\n</html>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return sr_fail(err, "%s: write error", path);
    return 0;
}

/* One run's progress on stderr. */
typedef struct { int run, n_runs; const char *fill; float ratio; int letter, letters; double start; } EvProgress;
static void ev_progress(const EvProgress *p, int end) {
    fprintf(stderr, "%ssr eval: run %d/%d (%s, ratio %.2f): letter %d/%d, %.1f s%s", isatty(2) ? "\r" : "", p->run, p->n_runs, p->fill, p->ratio,
            p->letter, p->letters, now_seconds() - p->start, end ? "\n" : "   ");
}

static int ev_sweep(int argc, char **argv) {
    SrGenOptions base;
    sr_gen_options_default(&base);
    base.strict = 1; /* the letters sr generate would write: leaks fail closed (--allow-leaks: as found) */
    SrMaskerOptions mo;
    memset(&mo, 0, sizeof mo);
    const char *orig_path = NULL, *report = NULL, *model_path = NULL, *phi_path = NULL, *med_path = NULL, *pos_path = NULL;
    const char *ratios = "0.3,0.5,0.7,0.9,1.0", *fills = "iterative,rounds:4,parallel";
    const char **lexicons = xmalloc((size_t)argc * sizeof(char *));
    int n_lex = 0, threads = 0, quiet = 0;
    EvSweep sw;
    memset(&sw, 0, sizeof sw);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--sweep")) continue;
        if (!strcmp(a, "--report")) report = opt_value(argc, argv, &i);
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--ratios")) ratios = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--fill")) fills = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--seed")) base.seed = opt_u64(argc, argv, &i);
        else if (!strcmp(a, "--top-k")) base.top_k = (int)opt_int(argc, argv, &i, 0, INT32_MAX);
        else if (!strcmp(a, "--window")) base.window = (int)opt_int(argc, argv, &i, 1, 1 << 20);
        else if (!strcmp(a, "--max-pieces")) base.max_pieces = (int)opt_int(argc, argv, &i, 1, SR_GEN_MAX_PIECES);
        else if (!strcmp(a, "--threads")) threads = opt_threads(argc, argv, &i);
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--allow-leaks")) base.strict = 0;
        else if (ev_masker_arg(argc, argv, &i, &mo, &phi_path, &med_path, &pos_path, lexicons, &n_lex)) continue;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { eval_usage(stdout); free(lexicons); return 0; }
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr eval: unknown option %s (see sr eval --help)\n", a); free(lexicons); return 2; }
        else if (!orig_path) orig_path = a;
        else { fprintf(stderr, "sr eval --sweep: give ORIGINALS only (the sweep makes the synthetic letters)\n"); free(lexicons); return 2; }
    }
    if (!orig_path || !report) { fprintf(stderr, "sr eval --sweep: give ORIGINALS and --report DIR\n"); free(lexicons); return 2; }
    if (base.top_k < 0 || base.window < 1 || base.max_pieces < 1 || base.max_pieces > SR_GEN_MAX_PIECES) {
        fprintf(stderr, "sr eval --sweep: --top-k >= 0, --window >= 1 and --max-pieces 1..%d\n", SR_GEN_MAX_PIECES); free(lexicons); return 2;
    }
    for (const char *p = ratios; *p;) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || !(v >= 0 && v <= 1) || sw.n_ratios == 32 || (*e && *e != ',')) { fprintf(stderr, "sr eval --sweep: --ratios wants numbers in [0, 1], comma-separated (at most 32)\n"); free(lexicons); return 2; }
        sw.ratios[sw.n_ratios++] = v;
        p = *e ? e + 1 : e;
    }
    for (const char *p = fills; *p;) {
        size_t n = strcspn(p, ",");
        if (sw.n_fills == 8 || n == 0 || n >= 32) { fprintf(stderr, "sr eval --sweep: --fill wants iterative, parallel, rounds:N (comma-separated, at most 8)\n"); free(lexicons); return 2; }
        memcpy(sw.fills[sw.n_fills], p, n);
        sw.fills[sw.n_fills][n] = 0;
        const char *v = sw.fills[sw.n_fills];
        char *e = NULL;
        if (strcmp(v, "iterative") && strcmp(v, "parallel") && !(!strncmp(v, "rounds:", 7) && strtol(v + 7, &e, 10) >= 1 && e && !*e)) {
            fprintf(stderr, "sr eval --sweep: unknown --fill %s (iterative, parallel, rounds:N)\n", v); free(lexicons); return 2;
        }
        sw.n_fills++;
        p += n + (p[n] == ',');
    }
    char err[SR_ERR_LEN];
    EvCtx cx;
    EvDocs orig = {0};
    int n_runs = sw.n_fills * sw.n_ratios, rc = 1;
    EvRun *runs = xcalloc((size_t)n_runs, sizeof *runs);
    GenTools gt;
    memset(&gt, 0, sizeof gt);
    char model_found[4096];
    if (ev_ctx_init(&cx, mo.data_dir, err) < 0 || ev_load_paper(mo.data_dir, &sw.paper, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); free(lexicons); free(runs); return 2; }
    if (ev_read_input(orig_path, &cx.lists, 1, &orig, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    if (orig.n == 0) { fprintf(stderr, "sr eval: %s holds no letters\n", orig_path); goto done; }
    struct stat sb;
    if (stat(report, &sb) != 0 && mkdir(report, 0777) != 0) { fprintf(stderr, "sr eval: --report %s: %s\n", report, strerror(errno)); goto done; }
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    if (gen_tools_open(&gt, "eval", 1, model_path, phi_path, med_path, pos_path, &mo, threads, &base, 0) < 0) { rc = 2; goto done; }
    SrModel *m = gt.m;
    gen_fit_window(m, &base, quiet);
    if (model_path) snprintf(model_found, sizeof model_found, "%s", model_path);
    else snprintf(model_found, sizeof model_found, "models/sr-demo.srm (the demo model)");
    sw.originals = orig_path;
    sw.model_path = model_found;
    sw.demo = !model_path || !strcmp(ev_base(model_path), "sr-demo.srm");
    sw.masker = gt.phi ? "rules and lexicons, unioned with --phi-model" : "rules and lexicons";
    sw.letters = orig.n;
    sw.cfg = sr_config(m);
#ifdef _OPENMP
    sw.threads = threads > 0 ? threads : omp_get_max_threads();
#else
    sw.threads = 1;
#endif
    time_t now = time(NULL);
    strftime(sw.created, sizeof sw.created, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    double best = 2;
    for (int fi = 0, r = 0; fi < sw.n_fills; fi++)
        for (int ri = 0; ri < sw.n_ratios; ri++, r++) {
            EvRun *u = &runs[r];
            u->opt = base;
            u->opt.ratio = (float)sw.ratios[ri];
            snprintf(u->fill_name, sizeof u->fill_name, "%s", sw.fills[fi]);
            if (!strcmp(sw.fills[fi], "iterative")) u->opt.fill = SR_FILL_ITERATIVE;
            else if (!strcmp(sw.fills[fi], "parallel")) u->opt.fill = SR_FILL_PARALLEL;
            else { u->opt.fill = SR_FILL_ROUNDS; u->opt.rounds = atoi(sw.fills[fi] + 7); }
            double d = fabs(sw.ratios[ri] - 0.5) + (u->opt.fill == SR_FILL_ITERATIVE ? 0 : 1);
            if (d < best) { best = d; sw.compare = r; }
        }
    for (int r = 0; r < n_runs; r++) {
        EvRun *u = &runs[r];
        char path[4096];
        char fname[64];
        snprintf(fname, sizeof fname, "%s", u->fill_name);
        for (char *c = fname; *c; c++) if (*c == ':') *c = '-';
        snprintf(path, sizeof path, "%s/synthetic-%s-%.2f.jsonl", report, fname, u->opt.ratio);
        SrOutFile of;
        if (outfile_open(&of, path, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
        FILE *out = of.f;
        EvDocs syn = {0};
        EvProgress pg = {r + 1, n_runs, u->fill_name, u->opt.ratio, 0, orig.n, now_seconds()};
        for (int i = 0; i < orig.n; i++) {
            const EvDoc *o = &orig.d[i];
            SrGenResult res;
            memset(&res, 0, sizeof res);
            EvDoc *s = ev_docs_push(&syn);
            s->key = ev_strndup(o->key, strlen(o->key));
            s->id_json = ev_strndup(o->id_json, strlen(o->id_json));
            snprintf(s->where, sizeof s->where, "%.300s", path);
            SrRecord rec = {o->text, o->len, o->id_json};
            if (sr_generate(m, gt.st, gt.tok, gt.mk, &u->opt, o->text, o->len, &res, err) < 0) {
                s->error = ev_strndup(err, strlen(err));
                print_error_record(out, &rec, i, err);
                u->failed++;
            } else {
                s->text = ev_strndup(res.text, res.len);
                s->len = res.len;
                print_jsonl(out, m, &rec, i, &res, 0, 0, 0, 0);
                u->forwards += res.forwards;
                u->masks += res.masks;
            }
            u->letters++;
            sr_gen_result_free(&res);
            pg.letter = i + 1;
            if (!quiet && isatty(2)) ev_progress(&pg, 0);
        }
        u->seconds = now_seconds() - pg.start;
        if (outfile_commit(&of, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); ev_docs_free(&syn); goto done; }
        if (!quiet) ev_progress(&pg, 1);
        snprintf(u->R.phi_source, sizeof u->R.phi_source, "the Masker (%s)", sw.masker);
        int erc = ev_evaluate(&cx, &orig, &syn, NULL, gt.mk, &u->R, err);
        ev_docs_free(&syn);
        if (erc < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", report);
    SrOutFile rf;
    if (outfile_open(&rf, path, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    ev_put_results(rf.f, &cx, &sw, runs, n_runs);
    if (outfile_commit(&rf, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    snprintf(path, sizeof path, "%s/report.html", report);
    if (ev_write_report(path, &cx, &sw, runs, n_runs, err) < 0) { fprintf(stderr, "sr eval: %s\n", err); goto done; }
    int failed = 0;
    for (int r = 0; r < n_runs; r++) failed += runs[r].failed;
    fprintf(stderr, "sr eval: %d runs of %d letters; report %s/report.html, numbers %s/results.json%s\n", n_runs, orig.n, report, report,
            failed ? " (some letters failed: see the error records)" : "");
    rc = failed ? 1 : 0;
done:
    for (int r = 0; r < n_runs; r++) ev_result_free(&runs[r].R);
    free(runs);
    ev_docs_free(&orig);
    gen_tools_close(&gt);
    ev_ctx_free(&cx);
    free(lexicons);
    return rc;
}
