/* sr.h - public API of sr: synthetic medical records by masked language modelling.
 *
 * sr is one C program (sr.c #includes tokenizer.c, ner.c and mlm.c). This header is
 * what another C program needs to embed the engine: compile sr.c with -DSR_NO_MAIN
 * and call the functions below.
 *
 * Conventions
 *   - Functions that can fail return 0 on success and -1 on failure, writing a one-line
 *     reason into `err` (a caller-provided buffer of SR_ERR_LEN bytes).
 *   - Text is UTF-8. Every span carries both byte offsets (for C callers) and Unicode
 *     code-point offsets (what Hugging Face reports). End offsets are exclusive.
 *   - A model (SrModel) is read-only once loaded and may be shared by threads; all
 *     scratch memory lives in an SrState, one per thread.
 *
 * ---------------------------------------------------------------------------------
 * MODEL FILE FORMAT (version 2), written by convert_weights.py
 * ---------------------------------------------------------------------------------
 * All integers little-endian. Offsets are from the start of the file. The loader
 * checks every offset and size against the real file length before using it.
 *
 * Version 2 is version 1 with two checksums in bytes 152..159 of the header, which
 * version 1 left zero; nothing else differs. sr reads both versions. Every load checks
 * the header's checksum (a flipped bit in an offset or a size would otherwise be read
 * as a valid, different model); the contents' checksum is checked by sr_model_verify
 * (`sr info --verify`), since it means reading the whole file, which a load that maps
 * the file does not do. A version 1 file loads as before, without either check, and
 * sr_model_verify says it cannot be verified; a version 1 header with anything in bytes
 * 152..159 is refused (a version 2 file whose version field was damaged would otherwise
 * load unchecked). The algorithm is CRC-32 as zlib computes
 * it (polynomial 0xEDB88320 reflected, initial value and result inverted): Python's
 * zlib.crc32 gives the same numbers.
 *
 * Header, 256 bytes:
 *     0  char[8]  magic            "SRBERT\0\0"
 *     8  u32      version          2 (1: no checksums, bytes 152..159 zero)
 *    12  u32      header_size      256
 *    16  u64      file_size        total length of the file in bytes
 *    24  u32      vocab_size       number of WordPiece tokens
 *    28  u32      hidden           hidden size H
 *    32  u32      n_layers
 *    36  u32      n_heads          H % n_heads == 0
 *    40  u32      intermediate     FFN size I
 *    44  u32      max_position     number of position embeddings (512 for BERT)
 *    48  u32      type_vocab_size  token-type embeddings (2 for BERT)
 *    52  u32      n_labels         classifier outputs (0 = no classifier head)
 *    56  f32      layer_norm_eps
 *    60  u32      flags            SR_FLAG_* below
 *    64  u32      weight_type      SR_WEIGHTS_F32 or SR_WEIGHTS_Q8 (what the big matrices use)
 *    68  u32      group_size       q8 quantisation group G, a multiple of 4 up to 4096
 *                                  (convert_weights.py --group-size: 128 by default, 64
 *                                  before 2026-12; activations use the same G); 0 for f32
 *    72  i32      cls_id, sep_id, pad_id, unk_id, mask_id   (5 x i32; -1 = absent)
 *    92  u32      n_tensors
 *    96  u64      vocab_offset     vocab_size tokens, each followed by '\n' (vocab.txt)
 *   104  u64      vocab_bytes
 *   112  u64      labels_offset    n_labels label names (id2label order), each + '\n'
 *   120  u64      labels_bytes
 *   128  u64      tensors_offset   n_tensors directory entries (below)
 *   136  u64      meta_offset      UTF-8 JSON text for auditing: source folder,
 *   144  u64      meta_bytes       converter version, the original config.json, ...
 *   152  u32      header_crc       CRC-32 of the 256 header bytes, these 4 read as zero
 *   156  u32      contents_crc     CRC-32 of bytes 256 .. file_size-1 (everything after
 *                                  the header), written once the file is complete
 *   160  ...      zero up to 256
 *
 * Tensor directory entry, 112 bytes:
 *     0  char[64] name     NUL-padded; Hugging Face names without the "bert." prefix,
 *                          e.g. "encoder.layer.3.attention.self.query.weight"
 *    64  u32      type     SR_TENSOR_F32 or SR_TENSOR_Q8
 *    68  u32      ndim     1 or 2
 *    72  u32      rows     2-D: shape[0] (outputs of a Linear); 1-D: the length
 *    76  u32      cols     2-D: shape[1] (inputs of a Linear);  1-D: 1
 *    80  u64      offset   data, 64-byte aligned
 *    88  u64      bytes    f32: rows*cols*4; q8: rows*padded_cols (int8)
 *    96  u64      scale_offset   q8 only: f32 scales, rows * padded_cols/group_size,
 *   104  u64      scale_bytes    64-byte aligned; 0 and 0 for f32 tensors
 *
 * q8 encoding of a [rows][cols] matrix: padded_cols = cols rounded up to group_size;
 * row r, group g holds int8 q[r][g*G .. g*G+G-1] (zero in the padding) and scale
 * s[r][g] = max|w| / 127 over the group (0 if the group is all zero); w ~= q * s.
 * Only 2-D matrices may be q8: word embeddings (also the tied MLM decoder) and every
 * encoder / MLM-transform Linear weight. Biases, LayerNorm, position and token-type
 * embeddings and the classifier stay f32.
 *
 * Tensors (H = hidden, I = intermediate, V = vocab, P = max_position, T = type vocab,
 * L = n_labels); {i} = 0 .. n_layers-1:
 *   embeddings.word_embeddings.weight            [V][H]
 *   embeddings.position_embeddings.weight        [P][H]
 *   embeddings.token_type_embeddings.weight      [T][H]
 *   embeddings.LayerNorm.weight, .bias           [H]
 *   encoder.layer.{i}.attention.self.query.weight [H][H], .bias [H]  (also key, value)
 *   encoder.layer.{i}.attention.output.dense.weight [H][H], .bias [H]
 *   encoder.layer.{i}.attention.output.LayerNorm.weight, .bias [H]
 *   encoder.layer.{i}.intermediate.dense.weight  [I][H], .bias [I]
 *   encoder.layer.{i}.output.dense.weight        [H][I], .bias [H]
 *   encoder.layer.{i}.output.LayerNorm.weight, .bias [H]
 * MLM head (flag SR_FLAG_MLM_HEAD):
 *   cls.predictions.transform.dense.weight       [H][H], .bias [H]
 *   cls.predictions.transform.LayerNorm.weight, .bias [H]
 *   cls.predictions.bias                         [V]
 *   cls.predictions.decoder.weight               [V][H]  only when NOT tied to the
 *                                                        word embeddings
 * Token classification head (flag SR_FLAG_CLASSIFIER):
 *   classifier.weight [L][H], classifier.bias [L]
 */
#ifndef SR_H
#define SR_H

#include <stddef.h>
#include <stdint.h>

#define SR_ERR_LEN 256

#define SR_MAGIC "SRBERT\0\0"
#define SR_FILE_VERSION 2        /* what convert_weights.py writes */
#define SR_FILE_VERSION_OLDEST 1 /* still read: a file without checksums */
#define SR_HEADER_SIZE 256
#define SR_HEADER_CRC_OFFSET 152
#define SR_DATA_CRC_OFFSET 156
#define SR_TENSOR_ENTRY_SIZE 112

/* header flags */
#define SR_FLAG_LOWERCASE 1u     /* the tokenizer lower-cases (effective HF setting) */
#define SR_FLAG_STRIP_ACCENTS 2u /* the tokenizer strips accents (NFD, drop Mn) */
#define SR_FLAG_CHINESE_CHARS 4u /* spaces around CJK ideographs (BERT default: set) */
#define SR_FLAG_MLM_HEAD 8u      /* the file has the masked-LM head */
#define SR_FLAG_CLASSIFIER 16u   /* the file has a token-classification head */

#define SR_WEIGHTS_F32 0
#define SR_WEIGHTS_Q8 1
#define SR_TENSOR_F32 0
#define SR_TENSOR_Q8 1

/* ---------------------------------------------------------------- model */

typedef struct {
    int vocab_size, hidden, n_layers, n_heads, intermediate;
    int max_position, type_vocab_size, n_labels;
    float layer_norm_eps;
    uint32_t flags;
    int weight_type, group_size;
    int cls_id, sep_id, pad_id, unk_id, mask_id;
} SrConfig;

typedef struct SrModel SrModel; /* defined in sr.c */
typedef struct SrState SrState; /* per-thread activations, defined in sr.c */

/* Map and check a model file (a version 2 file's header checksum included). */
int sr_load(SrModel **out, const char *path, char *err);
/* Read the whole file and check both checksums. Unlike the other functions it has three
 * outcomes: 0 both match (err then holds a one-line summary with the two CRCs); 1 the
 * file is damaged, is not an sr model file, or is version 1 and carries no checksums (err
 * says which); -1 it cannot be read at all (err: open or read error). */
int sr_model_verify(const char *path, char *err);
void sr_free(SrModel *m);
const SrConfig *sr_config(const SrModel *m);
const char *sr_token_text(const SrModel *m, int id); /* vocab entry, NUL-terminated */
const char *sr_label_name(const SrModel *m, int label);
const char *sr_meta_json(const SrModel *m);          /* converter's audit record */

/* Scratch memory for sequences of up to max_tokens (capped at max_position), sized for
 * the thread count at creation (a later sr_set_threads cannot raise it). */
SrState *sr_state_new(const SrModel *m, int max_tokens);
void sr_state_free(SrState *s);

/* Run the encoder on ids[0..n-1]. types may be NULL (all 0); attn may be NULL (all
 * attend) or hold 1 for tokens to attend to and 0 for padding. Returns the last
 * hidden states [n][hidden], owned by the state and valid until the next forward. */
const float *sr_forward(const SrModel *m, SrState *s, const int *ids, const int *types,
                        const uint8_t *attn, int n);
/* Why the last sr_forward returned NULL: n outside 1..max_tokens, an id outside the
 * vocabulary or a token type outside type_vocab_size. */
const char *sr_state_error(const SrState *s);

/* After sr_forward: MLM logits at the npos given token positions into
 * out[npos][vocab_size]. Returns -1 (with err) when the model has no MLM head. */
int sr_mlm_logits(const SrModel *m, SrState *s, const int *positions, int npos, float *out,
                  char *err);

/* After sr_forward: classifier logits for all n tokens into out[n][n_labels]. */
int sr_classify_logits(const SrModel *m, SrState *s, float *out, char *err);

/* Threads used by the kernels (OpenMP builds; results do not depend on it). */
void sr_set_threads(int n);

/* The kernel set in use, chosen once from the CPU (or the environment's SR_KERNELS):
 * "avx512" (AVX-512 + VNNI), "avx2" (AVX2 + FMA), "neon" (AArch64) or "generic" (plain
 * C). Results do not depend on the thread count; across kernel sets they agree to float
 * rounding only. */
const char *sr_kernel_name(void);

/* ---------------------------------------------------------------- tokenizer */

typedef struct SrTokenizer SrTokenizer; /* defined in tokenizer.c */

typedef struct {
    int id;                   /* vocabulary id */
    int word;                 /* index of the pre-tokenized word it comes from; -1 for
                                 [CLS]/[SEP] (Hugging Face's word_ids()) */
    int byte_start, byte_end; /* span in the original UTF-8 input */
    int cp_start, cp_end;     /* the same span in code points ([CLS]/[SEP]: 0,0) */
} SrToken;

typedef struct {
    SrToken *tok;
    int n, cap; /* reuse one SrTokens across calls: it only grows */
} SrTokens;

/* From a loaded model (its vocab, casing flags and special ids). */
SrTokenizer *sr_tokenizer_from_model(const SrModel *m, char *err);
/* From a vocab.txt; lowercase also strips accents, as Hugging Face's default. */
SrTokenizer *sr_tokenizer_from_vocab(const char *vocab_path, int lowercase, char *err);
void sr_tokenizer_free(SrTokenizer *t);
/* Tokenize text[0..len-1] (need not be NUL-terminated). add_special: wrap in
 * [CLS] ... [SEP]. Invalid UTF-8 is an error naming the byte offset. */
int sr_tokenize(const SrTokenizer *t, const char *text, size_t len, int add_special,
                SrTokens *out, char *err);
void sr_tokens_free(SrTokens *t);
int sr_tokenizer_vocab_size(const SrTokenizer *t);
const char *sr_tokenizer_token(const SrTokenizer *t, int id);
int sr_tokenizer_lookup(const SrTokenizer *t, const char *piece, size_t len); /* -1: none */

/* ---------------------------------------------------------------- spans (Masker) */

/* What the Masker decided for one stretch of the original text. */
enum { SR_ACT_PHI = 1, SR_ACT_PROTECT = 2, SR_ACT_ELIGIBLE = 3 };

typedef struct {
    int byte_start, byte_end, cp_start, cp_end;
    int action;        /* SR_ACT_* */
    char category[24]; /* PHI type (NAME, DATE, ...), entity label (PROBLEM, ...) or
                          part of speech (NOUN, ...) */
    char source[64];   /* who decided: "rule:title-name", "lexicon:icd10cm",
                          "model:B-NAME", "closed-class", ... */
    float score;       /* model probability, or 1 for rules */
} SrSpan;

typedef struct {
    SrSpan *span;
    int n, cap;
} SrSpans;

void sr_spans_free(SrSpans *s);

/* ---------------------------------------------------------------- PHI rules (ner.c) */

/* The rule-based PHI detector: context, shape and lexicons. data_dir holds the shipped
 * lexicons (NULL: the data/ folder beside the binary). */
typedef struct SrPhiRules SrPhiRules;
SrPhiRules *sr_phi_rules_new(const char *data_dir, char *err);
/* A site's own names and places (--lexicon FILE), one entry a line. */
int sr_phi_add_lexicon(SrPhiRules *r, const char *path, char *err);
/* The non-HIPAA extras (hospitals, wards/rooms, professions, a year alone): on by default. */
void sr_phi_set_extras(SrPhiRules *r, int on);
/* The fail-closed layer (every word no rule decided and no safe vocabulary knows is
 * masked; long numbers no clinical grammar explains too): on by default. */
void sr_phi_set_fail_closed(SrPhiRules *r, int on);
void sr_phi_rules_free(SrPhiRules *r);
/* Append one SR_ACT_PHI span per identifier found in text[0..len-1]: category is the
 * PHI type, source the rule that fired. */
int sr_phi_find(const SrPhiRules *r, const char *text, size_t len, SrSpans *out, char *err);

/* ---------------------------------------------------------------- surrogates (phi.c) */

/* Typed, format-preserving surrogates for PHI spans (phi.c, "Surrogates", says what each
 * type becomes). The pools are data/surrogate_*.txt; rules (may be NULL) lend the PHI
 * rules' head words (Road, Hospital) that places keep. */
typedef struct SrSurrogates SrSurrogates;
SrSurrogates *sr_surrogates_new(const char *data_dir, const SrPhiRules *rules, char *err);
/* A secret key file (>= 16 bytes): the same original gets the same surrogate in every
 * document, and the date shift depends on the key and the patient only. */
int sr_surrogates_key_file(SrSurrogates *s, const char *path, char *err);
void sr_surrogates_free(SrSurrogates *s);
typedef struct {
    uint64_t seed;            /* without a key: with the text, keys the document's choices */
    int shift_min, shift_max; /* the date shift in days, drawn from [min, max] (never 0) */
    const char *patient;      /* with a key: the record's "patient" (NULL: none) */
    int consistency;          /* SR_CONSIST_* (0: patient with a key, else document) */
} SrSurrogateOptions;
/* --consistency: one surrogate per original in a document (the key, if any, mixed with
 * the text); in every document of a key (the date shift per "patient"); or a Markov
 * chain: each repeat of an original keeps the previous surrogate with probability 1/2,
 * else takes a fresh one (Osborne et al.) */
enum { SR_CONSIST_DEFAULT = 0, SR_CONSIST_DOCUMENT = 1, SR_CONSIST_PATIENT = 2, SR_CONSIST_MARKOV = 3 };
/* out[k] = a malloc'd surrogate for each SR_ACT_PHI span k, or NULL where the type has
 * none (the masked LM fills it); out[k] = NULL for other spans. how (NULL: not wanted):
 * how[k] = a malloc'd line saying what kind of surrogate span k got ("date shifted -812
 * days, format DD/MM/YYYY kept"), never holding the original; NULL for other spans. */
int sr_surrogates_make(const SrSurrogates *s, const SrSurrogateOptions *o, const char *text, size_t len,
                       const SrSpans *spans, char **out, char **how, char *err);

/* ---------------------------------------------------------------- POS tagger (ner.c) */

/* The built-in UPOS tagger (an averaged perceptron trained on UD English EWT by
 * train/train_pos.py; the shipped weights are data/pos_ewt.srp, CC BY-SA 4.0). It tags
 * tokens as given: pointer + byte length each, any segmentation.
 * File (little-endian): "SRPOS\0\0\1", u32 n_tags, u32 log2_buckets, u32 n_words,
 * u32 n_templates, u32 weight_bytes (1: int8 codes, 2: int16), 20 reserved bytes; n_tags x
 * 8-byte tag names; for int8 codes 256 x i32 (code q's value at [q + 128]); n_words x
 * (u32 crc32 of a word key, u32 info) sorted by crc; 2^log2_buckets x n_tags weights.
 * A tag's score is the sum of its weights over the token's features (train/train_pos.py
 * says which). The file's size must be exactly what the header says. */
typedef struct SrPos SrPos;
SrPos *sr_pos_load(const char *path, char *err);
void sr_pos_free(SrPos *p);
int sr_pos_n_tags(const SrPos *p);
const char *sr_pos_tag_name(const SrPos *p, int tag);
/* tag[i] = tag index of the token word[i][0..len[i]); one SrPos may serve many threads. */
int sr_pos_tag(const SrPos *p, const char *const *word, const int *len, int n, unsigned char *tag, char *err);

/* ---------------------------------------------------------------- the Masker (ner.c) */

typedef struct {
    const char *data_dir;     /* lexicons; NULL = the data/ folder beside the binary */
    const char **lexicons;    /* --lexicon files: a site's names and places */
    int n_lexicons;
    const SrModel *phi_model; /* optional de-identification NER model, unioned */
    const SrModel *med_model; /* optional medical NER model (else the shipped lexicon) */
    const SrModel *pos_model; /* optional UPOS model (else the built-in tagger) */
    const char *pos_tagger;   /* the built-in tagger's file; NULL = data/pos_ewt.srp */
    const char **label_files; /* more letter-structure labels (data/letter_structure.txt's
                                 format), e.g. data/phi_labels.txt */
    int n_label_files;
    const char *med_labels;   /* entity types to protect, comma-separated; NULL = default */
    const char *mask_pos;     /* eligible parts of speech; NULL = "NOUN,VERB,ADJ" */
    int no_phi_extras;        /* 1: leave hospitals, wards/rooms, professions and a lone
                                 year unmasked; 0 (a zeroed struct, the safe default)
                                 masks them too */
    int no_fail_closed;       /* 1: only what a rule finds is PHI (for comparison); 0: the
                                 fail-closed layer masks what no rule or vocabulary knows */
} SrMaskerOptions;

/* PHI known for one text from outside the Masker: spans another de-identification
 * tool or a reviewer found ("given_phi"), and strings from the record system
 * ("known_phi": every occurrence in any case is masked, and each part of a name). */
typedef struct {
    const SrSpan *given;        /* byte and code-point offsets, category = type */
    int n_given;
    const char *const *strings; /* NUL-terminated UTF-8 */
    const char *const *types;   /* the PHI type of each string, or "" to guess */
    int n_strings;
    int only;                   /* 1: the given spans are the PHI (the rules and the
                                   model do not run); 0: united with the Masker's */
} SrKnownPhi;

typedef struct SrMasker SrMasker;
SrMasker *sr_masker_new(const SrMaskerOptions *opt, char *err);
void sr_masker_free(SrMasker *mk);
/* Decide the text: every PHI span (SR_ACT_PHI), protected medical entities and letter
 * structure (SR_ACT_PROTECT; category PROBLEM/TEST/TREATMENT/TERM, or LABEL/HEADER/
 * SALUTATION/CLOSING with a source "structure:...") and maskable words (SR_ACT_ELIGIBLE,
 * category = part of speech), sorted by start and not overlapping (PHI wins over the
 * rest). Words in none are left alone. */
int sr_masker_run(SrMasker *mk, const char *text, size_t len, SrSpans *out, char *err);
/* The same with PHI known from outside (NULL: none). */
int sr_masker_run_known(SrMasker *mk, const char *text, size_t len, const SrKnownPhi *known,
                        SrSpans *out, char *err);

/* ---------------------------------------------------------------- generation (mlm.c) */

/* Turn one letter into a synthetic one (method of Belkadi et al. 2025, see mlm.c):
 * the Masker decides; every PHI span and a ratio of the eligible words are masked;
 * the masked-LM fills them; the leak check counts original PHI strings left over. */
enum { SR_FILL_ITERATIVE = 0, SR_FILL_PARALLEL = 1, SR_FILL_ROUNDS = 2 };
/* PHI fill: the masked LM like any word (the paper), typed surrogates written before
 * the model runs (it sees them as context), or [**TYPE**] tags */
enum { SR_PHI_MLM = 0, SR_PHI_SURROGATE = 1, SR_PHI_TAG = 2 };
/* SrGenResult.phi_fill also says SR_PHI_REDACTED: a [**TYPE**] written over a leak */
enum { SR_PHI_REDACTED = 3 };

typedef struct {
    float ratio;        /* share of eligible words masked (0.5) */
    int fill;           /* SR_FILL_* (iterative) */
    int rounds;         /* passes for SR_FILL_ROUNDS (4) */
    int window;         /* tokens of context each side of a mask (128) */
    int max_pieces;     /* WordPieces a refilled word may take, 1..8 (3) */
    int top_k;          /* 6 as the paper; 0 = whole vocabulary; 1 = greedy */
    float top_p;        /* nucleus; 1 = off */
    float temperature;  /* 1; 0 = greedy */
    uint64_t seed;      /* with the text, seeds the letter's RNG */
    int stratify;       /* pick the ratio per category (POS) rather than overall */
    int paper;          /* the paper's procedure: PHI visible on the right, 1 piece */
    int strict;         /* resample leaking letters, else write [**TYPE**] */
    int strict_tries;   /* resamples before redacting (3) */
    int explain;        /* record every decision with its context and candidates */
    int keep_original;  /* explain contexts may show original PHI */
    const SrKnownPhi *known; /* this letter's PHI known from outside (NULL: none) */
    int phi_fill;            /* SR_PHI_*: how PHI spans are filled (API default: mlm) */
    const SrSurrogates *surrogates; /* the pools SR_PHI_SURROGATE needs */
    SrSurrogateOptions surrogate;   /* its date shift and the record's patient (the seed is .seed above) */
    /* called after every forward pass with the pieces decided so far and the masks */
    void (*progress)(void *arg, int decided, int masks, int forwards);
    void *progress_arg;
} SrGenOptions;

void sr_gen_options_default(SrGenOptions *o);
/* Tokens an SrState must hold for these options: min(2*window+3, max_position). */
int sr_gen_state_tokens(const SrModel *m, const SrGenOptions *o);

/* One refilled word, offsets in the synthetic text. */
typedef struct {
    int byte_start, byte_end, cp_start, cp_end;
    int orig_cp_start, orig_cp_end; /* the word it replaces, in the original text */
    int action;         /* SR_ACT_PHI (a surrogate), SR_ACT_ELIGIBLE, or 0: a [**TYPE**]
                           written over a leak (category TYPE, n_pieces 0) */
    char category[24];
    int n_pieces;       /* WordPieces chosen (0: a surrogate written in before the model ran) */
    float prob;         /* product of the chosen pieces' probabilities (full softmax) */
    int forward;        /* forward pass (1-based) that chose its first piece */
} SrFill;

/* One sampling decision (kept with opt->explain). */
#define SR_EXPLAIN_K 16
typedef struct {
    int forward, fill, piece; /* fill: index into SrGenResult.fill */
    char *context;            /* the window around the mask as the model saw it */
    int n_cand;
    int cand_id[SR_EXPLAIN_K]; /* -2 = "end of word" */
    float cand_prob[SR_EXPLAIN_K];
    int chosen;               /* token id, or -2 */
    float prob;
} SrDecision;

typedef struct {
    char *text;          /* the synthetic letter (NUL-terminated) */
    size_t len;
    SrSpans phi;         /* surrogates: PHI spans mapped into text */
    SrSpans phi_orig;    /* the same spans where they lie in the original (phi_orig.span[i]
                            is phi.span[i]'s): for --map-out, which may show originals */
    char **phi_how;      /* with opt->explain: what kind of surrogate phi.span[i] got
                            (sr_surrogates_make's how; NULL: none), never the original */
    unsigned char *phi_fill; /* phi_fill[i]: how phi.span[i] was filled (SR_PHI_SURROGATE,
                                SR_PHI_TAG, SR_PHI_MLM or SR_PHI_REDACTED) */
    int cap_phi_fill, cap_phi_how;
    SrSpans entities;    /* protected medical entities, unchanged, mapped into text */
    SrFill *fill;
    int n_fills, cap_fills;
    SrDecision *dec;
    int n_dec, cap_dec;
    int n_tokens, masks, forwards, leaks, resamples, redactions;
    double seconds, mask_seconds, forward_seconds, head_seconds;
} SrGenResult;

/* s must hold sr_gen_state_tokens() tokens; mk may be shared between letters. */
int sr_generate(const SrModel *m, SrState *s, const SrTokenizer *t, SrMasker *mk,
                const SrGenOptions *opt, const char *text, size_t len, SrGenResult *out,
                char *err);
/* The same from spans already decided (e.g. gold PHI annotations): SR_ACT_PHI spans are
 * masked, SR_ACT_PROTECT kept, a ratio of SR_ACT_ELIGIBLE masked. */
int sr_generate_spans(const SrModel *m, SrState *s, const SrTokenizer *t, const SrSpans *spans,
                      const SrGenOptions *opt, const char *text, size_t len, SrGenResult *out,
                      char *err);
void sr_gen_result_free(SrGenResult *r);

#endif
