/* test/c/tokenizer_bench.c - times sr_tokenize alone, for test/bench/bench_tokenizer.sh.
 *
 *   cc -O3 -march=native -DSR_NO_MAIN -o tokenizer_bench test/c/tokenizer_bench.c -lm
 *   ./tokenizer_bench VOCAB.txt (lower|cased) LINES.txt REPS
 *
 * Reads LINES.txt (one text a line), builds the tokenizer, then REPS times tokenizes
 * every line with [CLS]/[SEP] on one thread, timing only that loop (no I/O, no
 * output). Prints one line: median wall-clock seconds and MB/s, median thread CPU
 * seconds and MB/s (fairer on a shared machine), lines, tokens, and an id checksum. */
#include "../../sr.c"

static double tb_cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int tb_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: tokenizer_bench VOCAB (lower|cased) LINES REPS\n"); return 2; }
    char err[SR_ERR_LEN];
    SrTokenizer *t = sr_tokenizer_from_vocab(argv[1], strcmp(argv[2], "lower") == 0, err);
    if (!t) { fprintf(stderr, "%s\n", err); return 1; }
    size_t len;
    char *buf = read_file(argv[3], &len, err);
    if (!buf) { fprintf(stderr, "%s\n", err); return 1; }
    int reps = atoi(argv[4]);
    if (reps < 1 || reps > 1000) reps = 5;
    /* line starts and lengths */
    int n = 0, cap = 0;
    size_t *start = NULL, *llen = NULL;
    int cap2 = 0;
    for (size_t i = 0; i < len;) {
        char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;
        start = grow(start, &cap, n + 1, sizeof *start);
        llen = grow(llen, &cap2, n + 1, sizeof *llen);
        start[n] = i;
        llen[n] = e - i;
        n++;
        i = e + 1;
    }
    SrTokens toks = {0};
    double *secs = xmalloc((size_t)reps * sizeof *secs), *cpu = xmalloc((size_t)reps * sizeof *cpu);
    long tokens = 0;
    unsigned long sum = 0;
    for (int r = 0; r < reps; r++) {
        tokens = 0;
        sum = 0;
        double t0 = now_seconds(), c0 = tb_cpu_seconds();
        for (int k = 0; k < n; k++) {
            if (sr_tokenize(t, buf + start[k], llen[k], 1, &toks, err) < 0) { fprintf(stderr, "line %d: %s\n", k + 1, err); return 1; }
            tokens += toks.n;
            for (int j = 0; j < toks.n; j++) sum = sum * 31 + (unsigned)toks.tok[j].id;
        }
        secs[r] = now_seconds() - t0;
        cpu[r] = tb_cpu_seconds() - c0;
    }
    qsort(secs, (size_t)reps, sizeof *secs, tb_cmp_double);
    qsort(cpu, (size_t)reps, sizeof *cpu, tb_cmp_double);
    double med = secs[reps / 2], medc = cpu[reps / 2];
    printf("sr_tokenize: wall %.4f s %.1f MB/s, cpu %.4f s %.1f MB/s (medians of %d), %d lines, %ld tokens, checksum %lu\n",
           med, len / med / 1e6, medc, len / medc / 1e6, reps, n, tokens, sum);
    free(secs);
    free(cpu);
    sr_tokens_free(&toks);
    free(start);
    free(llen);
    free(buf);
    sr_tokenizer_free(t);
    return 0;
}
