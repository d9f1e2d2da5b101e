/* libFuzzer target over the PHI rules (sr_phi_find) and the masked-text writer.
 *
 *   clang -O1 -g -fsanitize=fuzzer,address,undefined -o fuzz_phi test/c/fuzz_phi.c -lm
 *   SR_DATA=data ./fuzz_phi -max_total_time=600
 *
 * Any input: invalid UTF-8 must be refused with an error, never read out of bounds;
 * valid input must give spans that are sorted, non-overlapping, inside the text, on
 * code-point boundaries, with code-point offsets that agree with the byte offsets. */
#define SR_NO_MAIN
#include "../../sr.c"

static SrPhiRules *fuzz_rules;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    char err[SR_ERR_LEN];
    fuzz_rules = sr_phi_rules_new(getenv("SR_DATA"), err);
    if (!fuzz_rules) { fprintf(stderr, "fuzz_phi: %s (set SR_DATA to the data/ folder)\n", err); abort(); }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SR_ERR_LEN];
    SrSpans sp = {0};
    char *text = malloc(size ? size : 1); /* exact size: ASan sees any overread */
    memcpy(text, data, size);
    int rc = sr_phi_find(fuzz_rules, text, size, &sp, err);
    int valid = utf8_check(text, size, err) == 0;
    if (rc == 0 && !valid) abort(); /* invalid UTF-8 accepted */
    if (rc < 0 && valid) abort();   /* valid text refused */
    if (rc == 0) {
        int prev_end = 0;
        for (int k = 0; k < sp.n; k++) {
            const SrSpan *s = &sp.span[k];
            if (s->byte_start < prev_end || s->byte_end <= s->byte_start || (size_t)s->byte_end > size) abort();
            if (s->action != SR_ACT_PHI || !s->category[0] || !s->source[0]) abort();
            /* code points before the span == cp_start; inside == cp_end - cp_start */
            int cps = 0;
            for (int b = 0; b < s->byte_start; b++) cps += ((unsigned char)text[b] & 0xC0) != 0x80;
            if (cps != s->cp_start) abort();
            int inside = 0;
            for (int b = s->byte_start; b < s->byte_end; b++) inside += ((unsigned char)text[b] & 0xC0) != 0x80;
            if (inside != s->cp_end - s->cp_start) abort();
            if (((unsigned char)text[s->byte_start] & 0xC0) == 0x80) abort();
            if ((size_t)s->byte_end < size && ((unsigned char)text[s->byte_end] & 0xC0) == 0x80) abort();
            prev_end = s->byte_end;
        }
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            phi_put_masked(null, text, size, &sp, 0);
            phi_put_masked(null, text, size, &sp, 1);
            fclose(null);
        }
    }
    sr_spans_free(&sp);
    free(text);
    return 0;
}
