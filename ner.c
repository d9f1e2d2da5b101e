/* ner.c - token classification decoding (Hugging Face pipeline semantics), the PHI
 * rules, medical-entity protection, mask eligibility: the Masker. Included by sr.c. */

void sr_spans_free(SrSpans *s) { free(s->span); memset(s, 0, sizeof *s); }

/* ================================================================================
 * PHI rules
 * ================================================================================ */

/* PHI: stubs until the rules land. */

/* ================================================================================
 * Token classification decoding, medical entities, eligibility, the Masker
 * ================================================================================ */

static int cmd_ner(int argc, char **argv) { (void)argc; (void)argv; fputs("sr ner: not implemented yet\n", stderr); return 2; }
static int cmd_deid(int argc, char **argv) { (void)argc; (void)argv; fputs("sr deid: not implemented yet\n", stderr); return 2; }
