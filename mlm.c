/* mlm.c - the masked-LM side: sampler, mask-filling strategies, `sr fill` and
 * `sr generate`. Included by sr.c. */

static int cmd_fill(int argc, char **argv) { (void)argc; (void)argv; fputs("sr fill: not implemented yet\n", stderr); return 2; }
static int cmd_generate(int argc, char **argv) { (void)argc; (void)argv; fputs("sr generate: not implemented yet\n", stderr); return 2; }
