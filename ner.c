/* ner.c - token classification decoding (Hugging Face pipeline semantics), the PHI
 * rules, medical-entity protection, mask eligibility: the Masker. Included by sr.c. */

void sr_spans_free(SrSpans *s) { free(s->span); memset(s, 0, sizeof *s); }

/* ================================================================================
 * PHI rules
 * ================================================================================ */

/* PHI: stubs until the rules land. */
struct SrPhiRules { int unused; };
SrPhiRules *sr_phi_rules_new(const char *data_dir, char *err) { (void)data_dir; (void)err; return xcalloc(1, sizeof(SrPhiRules)); }
int sr_phi_add_lexicon(SrPhiRules *r, const char *path, char *err) { (void)r; (void)path; (void)err; return 0; }
void sr_phi_rules_free(SrPhiRules *r) { free(r); }
int sr_phi_find(const SrPhiRules *r, const char *text, size_t len, SrSpans *out, char *err) {
    (void)r; (void)text; (void)len; (void)out; return sr_fail(err, "PHI rules not implemented yet");
}

static int cmd_deid(int argc, char **argv) { (void)argc; (void)argv; fputs("sr deid: not implemented yet\n", stderr); return 2; }

/* ----------------------------------------------------------- end of the PHI rules */

/* ================================================================================
 * Token classification decoding, medical entities, eligibility, the Masker
 * ================================================================================ */

/* Masker: stubs until it lands. */
struct SrMasker { int unused; };
SrMasker *sr_masker_new(const SrMaskerOptions *opt, char *err) { (void)opt; sr_fail(err, "masker not implemented yet"); return NULL; }
void sr_masker_free(SrMasker *mk) { free(mk); }
int sr_masker_run(SrMasker *mk, const char *text, size_t len, SrSpans *out, char *err) {
    (void)mk; (void)text; (void)len; (void)out; return sr_fail(err, "masker not implemented yet");
}

static int cmd_ner(int argc, char **argv) { (void)argc; (void)argv; fputs("sr ner: not implemented yet\n", stderr); return 2; }
