/* engine_dump.c - test harness for the engine (sr.c sections 2-4), built from the same
 * single compilation unit:   cc -O2 -DSR_NO_MAIN -o engine_dump test/c/engine_dump.c -lm
 *
 *   engine_dump run MODEL CASES OUTDIR [--threads N]
 *       runs every case of CASES (lines "ids=..;types=..;attn=..", as written by
 *       test/models/make_models.py) and writes OUTDIR/hidden_K.f32 [n][H], mlm_K.f32 [n][V]
 *       (when the model has an MLM head) and cls_K.f32 [n][L] (classifier).
 *   engine_dump threads MODEL CASES
 *       runs every case with 1 thread and with 2 threads and checks the hidden states
 *       and logits are bit-identical.
 *   engine_dump kernels
 *       checks the GEMM kernels (f32 and q8, fast and generic C) against a plain
 *       double-precision product on random matrices of awkward sizes, and the
 *       element-wise functions (exp, erf) against libm.
 *   engine_dump load MODEL
 *       loads MODEL; prints "ok" or the loader's one-line error (exit 1).
 *   engine_dump forward MODEL
 *       loads MODEL and runs one short forward, with its heads (exit 1 on error).
 *   engine_dump verify MODEL
 *       sr_model_verify: prints its one line; exit 0 (checksums match), 1 (damaged or
 *       no checksums) or 2 (unreadable).
 */
#define SR_NO_MAIN
#include "../../sr.c"

typedef struct {
    int *ids, *types;
    uint8_t *attn;
    int n;
} Case;

static int parse_ints(const char *s, const char *key, int *out, int cap) {
    const char *p = strstr(s, key);
    if (!p) return -1;
    p += strlen(key);
    int n = 0;
    while (*p && *p != ';' && *p != '\n') {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        if (n >= cap) return -1;
        out[n++] = (int)v;
        p = end;
    }
    return n;
}

static Case *read_cases(const char *path, int *ncases) {
    char err[SR_ERR_LEN];
    size_t len;
    char *text = read_file(path, &len, err);
    if (!text) { fprintf(stderr, "%s\n", err); exit(1); }
    Case *cs = NULL;
    int n = 0, cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int buf[4096];
        Case c;
        c.n = parse_ints(line, "ids=", buf, 4096);
        if (c.n <= 0) continue;
        c.ids = xmalloc(c.n * sizeof(int));
        memcpy(c.ids, buf, c.n * sizeof(int));
        c.types = xcalloc(c.n, sizeof(int));
        if (parse_ints(line, "types=", buf, 4096) == c.n) memcpy(c.types, buf, c.n * sizeof(int));
        c.attn = xmalloc(c.n);
        memset(c.attn, 1, c.n);
        if (parse_ints(line, "attn=", buf, 4096) == c.n)
            for (int i = 0; i < c.n; i++) c.attn[i] = (uint8_t)buf[i];
        cs = grow(cs, &cap, n + 1, sizeof(Case));
        cs[n++] = c;
    }
    free(text);
    *ncases = n;
    return cs;
}

static void write_f32(const char *dir, const char *what, int k, const float *x, size_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d.f32", dir, what, k);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof(float), count, f) != count) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
    fclose(f);
}

/* Forward + heads of one case into freshly allocated arrays. */
static int run_case(const SrModel *m, SrState *s, const Case *c, float **hid, float **mlm, float **cls) {
    const SrConfig *cfg = sr_config(m);
    char err[SR_ERR_LEN];
    const float *h = sr_forward(m, s, c->ids, c->types, c->attn, c->n);
    if (!h) { fprintf(stderr, "forward: %s\n", sr_state_error(s)); return -1; }
    *hid = xmalloc((size_t)c->n * cfg->hidden * sizeof(float));
    memcpy(*hid, h, (size_t)c->n * cfg->hidden * sizeof(float));
    *mlm = *cls = NULL;
    if (cfg->flags & SR_FLAG_MLM_HEAD) {
        int *pos = xmalloc(c->n * sizeof(int));
        for (int i = 0; i < c->n; i++) pos[i] = i;
        *mlm = xmalloc((size_t)c->n * cfg->vocab_size * sizeof(float));
        if (sr_mlm_logits(m, s, pos, c->n, *mlm, err) < 0) { fprintf(stderr, "mlm: %s\n", err); return -1; }
        free(pos);
    }
    if (cfg->flags & SR_FLAG_CLASSIFIER) {
        *cls = xmalloc((size_t)c->n * cfg->n_labels * sizeof(float));
        if (sr_classify_logits(m, s, *cls, err) < 0) { fprintf(stderr, "cls: %s\n", err); return -1; }
    }
    return 0;
}

static int max_n(const Case *cs, int nc) {
    int mx = 1;
    for (int i = 0; i < nc; i++) mx = cs[i].n > mx ? cs[i].n : mx;
    return mx;
}

static int cmd_run(int argc, char **argv) {
    if (argc < 4) { fputs("usage: engine_dump run MODEL CASES OUTDIR [--threads N]\n", stderr); return 2; }
    if (argc >= 6 && !strcmp(argv[4], "--threads")) sr_set_threads(atoi(argv[5]));
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[1], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    int nc;
    Case *cs = read_cases(argv[2], &nc);
    const SrConfig *cfg = sr_config(m);
    SrState *s = sr_state_new(m, max_n(cs, nc));
    for (int k = 0; k < nc; k++) {
        float *hid, *mlm, *cls;
        if (run_case(m, s, &cs[k], &hid, &mlm, &cls) < 0) return 1;
        write_f32(argv[3], "hidden", k, hid, (size_t)cs[k].n * cfg->hidden);
        if (mlm) write_f32(argv[3], "mlm", k, mlm, (size_t)cs[k].n * cfg->vocab_size);
        if (cls) write_f32(argv[3], "cls", k, cls, (size_t)cs[k].n * cfg->n_labels);
        free(hid); free(mlm); free(cls);
    }
    printf("ran %d cases with %s\n", nc, sr_kernel_name());
    sr_state_free(s);
    sr_free(m);
    return 0;
}

static int same(const float *a, const float *b, size_t n) { return (!a && !b) || (a && b && !memcmp(a, b, n * sizeof(float))); }

static int cmd_threads(int argc, char **argv) {
    if (argc < 3) { fputs("usage: engine_dump threads MODEL CASES\n", stderr); return 2; }
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[1], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    int nc;
    Case *cs = read_cases(argv[2], &nc);
    const SrConfig *cfg = sr_config(m);
    SrState *s = sr_state_new(m, max_n(cs, nc));
    int bad = 0;
    for (int k = 0; k < nc; k++) {
        float *h1, *m1, *c1, *h2, *m2, *c2;
        sr_set_threads(1);
        if (run_case(m, s, &cs[k], &h1, &m1, &c1) < 0) return 1;
        sr_set_threads(2);
        if (run_case(m, s, &cs[k], &h2, &m2, &c2) < 0) return 1;
        size_t n = cs[k].n;
        if (!same(h1, h2, n * cfg->hidden) || !same(m1, m2, m1 ? n * cfg->vocab_size : 0) ||
            !same(c1, c2, c1 ? n * cfg->n_labels : 0)) {
            printf("case %d: results differ between 1 and 2 threads\n", k);
            bad = 1;
        }
        free(h1); free(m1); free(c1); free(h2); free(m2); free(c2);
    }
    if (!bad) printf("%d cases bit-identical with 1 and 2 threads (%s)\n", nc, sr_kernel_name());
    sr_state_free(s);
    sr_free(m);
    return bad;
}

/* ---- kernels against a double-precision product ---- */

static uint64_t rng_state = 88172645463325252ull;
static double urand(void) { /* xorshift64, uniform in [-1, 1) */
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / (double)(1ull << 52) - 1.0;
}

/* The kernel set checked against the generic one: the set in use (SR_KERNELS). */
static const SrKernels *fast;

/* Random W [N][K] as f32 and as q8 (group G), packed both ways; A [M][K]; compare
 * fast and generic kernels with the double product of what each path means. */
static int check_gemm(int M, int N, int K, int G) {
    float *W = xmalloc((size_t)N * K * 4), *A = xmalloc((size_t)M * K * 4), *bias = xmalloc((size_t)N * 4);
    for (size_t i = 0; i < (size_t)N * K; i++) W[i] = (float)urand();
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)(urand() * 3);
    for (int i = 0; i < N; i++) bias[i] = (float)urand();
    /* q8 version of W as the converter writes it */
    int Kp = (K + G - 1) / G * G, ng = Kp / G;
    int8_t *q = xcalloc((size_t)N * Kp, 1);
    float *sc = xcalloc((size_t)N * ng, 4);
    for (int n = 0; n < N; n++)
        for (int g = 0; g < ng; g++) {
            float mx = 0;
            for (int k = g * G; k < g * G + G && k < K; k++) mx = fmaxf(mx, fabsf(W[(size_t)n * K + k]));
            float s = mx / 127;
            sc[(size_t)n * ng + g] = s;
            for (int k = g * G; k < g * G + G && k < K; k++)
                q[(size_t)n * Kp + k] = (int8_t)(s > 0 ? lrintf(W[(size_t)n * K + k] / s) : 0);
        }
    SrMat mf = {SR_TENSOR_F32, N, K, K, W, NULL, NULL}, mq = {SR_TENSOR_Q8, N, K, Kp, NULL, q, sc};
    const float *bp = bias;
    SrLinear Lf, Lq;
    pack_linear(&Lf, &mf, &bp, 1, G);
    pack_linear(&Lq, &mq, &bp, 1, G);
    float *C1 = xmalloc((size_t)M * N * 4), *C2 = xmalloc((size_t)M * N * 4);
    uint8_t *aq = xmalloc((size_t)M * Kp);
    float *as = xmalloc((size_t)M * ng * 4);
    int fail = 0;
    /* f32: fast vs generic vs double */
    for (int generic = 0; generic < 2; generic++) {
        sr_kern = generic ? &sr_k_generic : fast;
        gemm_f32(A, K, Lf.f, K, N, Lf.bias, generic ? C2 : C1, N, M, 1);
    }
    /* errors are relative to sum |a w| + |bias|, the scale of a dot product's rounding */
    double e_f = 0, e_fg = 0;
    for (int i = 0; i < M; i++)
        for (int n = 0; n < N; n++) {
            double ref = bias[n], mag = fabs(bias[n]);
            for (int k = 0; k < K; k++) {
                ref += (double)A[(size_t)i * K + k] * W[(size_t)n * K + k];
                mag += fabs((double)A[(size_t)i * K + k] * W[(size_t)n * K + k]);
            }
            e_f = fmax(e_f, fabs(C1[(size_t)i * N + n] - ref) / mag);
            e_fg = fmax(e_fg, fabs(C2[(size_t)i * N + n] - ref) / mag);
        }
    /* q8: the exact integer result of the quantized operands, scaled */
    quantize_rows(A, K, M, K, Kp, G, aq, Kp, as, ng);
    for (int generic = 0; generic < 2; generic++) {
        sr_kern = generic ? &sr_k_generic : fast;
        int nb = (N + 31) / 32;
        for (int b = 0; b < nb; b++) gemm_q8_block(b, aq, Kp, as, ng, &Lq, generic ? C2 : C1, N, M, 0, sr_kern);
    }
    double e_q = 0, e_qg = 0, e_qw = 0;
    for (int i = 0; i < M; i++)
        for (int n = 0; n < N; n++) {
            double ref = 0, exact = bias[n], mag = fabs(bias[n]);
            for (int g = 0; g < ng; g++) {
                long isum = 0;
                for (int k = g * G; k < g * G + G; k++) isum += (long)((int)aq[(size_t)i * Kp + k] - 128) * q[(size_t)n * Kp + k];
                ref += (double)isum * sc[(size_t)n * ng + g] * as[(size_t)i * ng + g];
            }
            ref += bias[n];
            for (int k = 0; k < K; k++) {
                exact += (double)A[(size_t)i * K + k] * W[(size_t)n * K + k];
                mag += fabs((double)A[(size_t)i * K + k] * W[(size_t)n * K + k]);
            }
            e_q = fmax(e_q, fabs(C1[(size_t)i * N + n] - ref) / mag);
            e_qg = fmax(e_qg, fabs(C2[(size_t)i * N + n] - ref) / mag);
            e_qw = fmax(e_qw, fabs(C1[(size_t)i * N + n] - exact) / mag);
        }
    /* q8 with plain u8 activations (0..255, no +128: the attention's probabilities; the
     * layer's wsum is then zero), accumulating into C: the exact integer result again */
    double e_p = 0;
    memset(Lq.wsum, 0, (size_t)Lq.npanels * ng * SR_NR * sizeof(int32_t));
    Lq.plain_u8 = 1;
    for (int i = 0; i < M * Kp; i++) aq[i] = (uint8_t)(i % 7 == 3 ? 255 : (urand() + 1) * 127.9);
    for (int generic = 0; generic < 2; generic++) {
        sr_kern = generic ? &sr_k_generic : fast;
        float *C = generic ? C2 : C1;
        for (int i = 0; i < M * N; i++) C[i] = 1.0f;
        for (int b = 0; b < (N + 31) / 32; b++) gemm_q8_block(b, aq, Kp, as, ng, &Lq, C, N, M, 1, sr_kern);
    }
    for (int i = 0; i < M; i++)
        for (int n = 0; n < N; n++) {
            double ref = 1.0, mag = 1.0;
            for (int g = 0; g < ng; g++) {
                long isum = 0, iabs = 0;
                for (int k = g * G; k < g * G + G; k++) {
                    isum += (long)aq[(size_t)i * Kp + k] * q[(size_t)n * Kp + k];
                    iabs += labs((long)aq[(size_t)i * Kp + k] * q[(size_t)n * Kp + k]);
                }
                ref += (double)isum * sc[(size_t)n * ng + g] * as[(size_t)i * ng + g];
                mag += (double)iabs * sc[(size_t)n * ng + g] * as[(size_t)i * ng + g];
            }
            e_p = fmax(e_p, fmax(fabs(C1[(size_t)i * N + n] - ref), fabs(C2[(size_t)i * N + n] - ref)) / mag);
        }
    sr_kern = fast;
    /* f32: float rounding only; q8 against its own integer math: the same; q8 against
     * the f32 product: the quantization error of both operands (< 1/127 each) */
    double tol = 1e-6;
    fail = e_f > tol || e_fg > tol || e_q > tol || e_qg > tol || e_qw > 2.0 / 127 || e_p > tol;
    printf("%s gemm M=%d N=%d K=%d G=%d: f32 fast %.2g generic %.2g | q8 fast %.2g generic %.2g (vs exact int) | q8 vs f32 math %.3g | q8 plain u8 %.2g\n",
           fail ? "BAD" : "ok ", M, N, K, G, e_f, e_fg, e_q, e_qg, e_qw, e_p);
    free_linear(&Lf); free_linear(&Lq);
    free(W); free(A); free(bias); free(q); free(sc); free(C1); free(C2); free(aq); free(as);
    return fail;
}

/* q8 attention, values: fast and generic give the same panel bytes and scales, and
 * each stored byte is the value rounded to the nearest multiple of its scale. */
static int check_value_packing(void) {
    int bad = 0, cases = 0;
    const int ld = 40, counts[] = {1, 3, 17, 63, 64};
    float V[64 * 40];
    for (int i = 0; i < 64 * ld; i++) V[i] = (float)(urand() * 3);
    V[5 * ld + 2] = 0; /* a dimension may be all zero in a group */
    for (int w = 1; w <= SR_NR; w++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++, cases++) {
            int kn = counts[c];
            int8_t p1[SR_ATT_G * SR_NR], p2[SR_ATT_G * SR_NR];
            float s1[SR_NR], s2[SR_NR];
            memset(p1, 0x55, sizeof p1);
            memset(p2, 0x55, sizeof p2);
            pack_value_group(V, ld, 0, kn, w, &sr_k_generic, p1, s1);
            pack_value_group(V, ld, 0, kn, w, fast, p2, s2);
            bad += memcmp(p1, p2, sizeof p1) != 0 || memcmp(s1, s2, sizeof s1) != 0;
            for (int key = 0; key < SR_ATT_G; key++)
                for (int j = 0; j < SR_NR; j++) {
                    int q = p1[(key / 4) * SR_NR * 4 + j * 4 + key % 4];
                    double v = key < kn && j < w ? V[key * ld + j] : 0.0;
                    bad += fabs(q * (double)s1[j] - v) > s1[j] * 0.5001 + 1e-12 || (j >= w && s1[j] != 0);
                }
        }
    printf("%s q8 attention values: %d panels, fast = generic, each byte = value / scale rounded (%d bad)\n",
           bad ? "BAD" : "ok ", cases, bad);
    return bad != 0;
}

/* q8 attention, probabilities: fast and generic agree (bytes within 1, from exp's last
 * bit), and q * scale is the softmax (double precision) to within half a step. */
static int check_softmax_quantize(void) {
    int bad = 0, rows = 0;
    const int lens[] = {1, 5, 64, 100, 130, 512};
    static float row[512], r1[512], r2[512], keep[512];
    static uint8_t q1[512], q2[512];
    float qs1[8], qs2[8];
    for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++)
        for (int masked = 0; masked < 2; masked++, rows++) {
            int n = lens[c], Kp = (n + SR_ATT_G - 1) / SR_ATT_G * SR_ATT_G;
            for (int j = 0; j < n; j++) {
                row[j] = (float)(urand() * 40);
                keep[j] = masked && j % 3 == 1 && n > 1 ? 0.0f : 1.0f;
            }
            memcpy(r1, row, n * sizeof(float));
            memcpy(r2, row, n * sizeof(float));
            sr_kern = &sr_k_generic;
            softmax_quantize_row(r1, n, keep, 0.125f, q1, qs1);
            sr_kern = fast;
            softmax_quantize_row(r2, n, keep, 0.125f, q2, qs2);
            double mx = -1e300, sum = 0;
            for (int j = 0; j < n; j++)
                if (keep[j] != 0) mx = fmax(mx, row[j] * 0.125);
            for (int j = 0; j < n; j++) sum += keep[j] != 0 ? exp(row[j] * 0.125 - mx) : 0;
            for (int j = 0; j < Kp; j++) {
                int g = j / SR_ATT_G;
                double p = j < n && keep[j] != 0 ? exp(row[j] * 0.125 - mx) / sum : 0;
                bad += abs((int)q1[j] - (int)q2[j]) > 1 || fabs(qs1[g] - qs2[g]) > 1e-5 * qs1[g];
                bad += fabs(q1[j] * (double)qs1[g] - p) > qs1[g] * 0.5001 + 1e-9;
            }
        }
    printf("%s q8 attention probabilities: %d rows, fast ~ generic, q * scale = softmax within half a step (%d bad)\n",
           bad ? "BAD" : "ok ", rows, bad);
    return bad != 0;
}

static int cmd_kernels(void) {
    int fail = 0;
    fast = sr_kernels();
    printf("ok  kernel set %s (%s) checked against generic\n", fast->name, fast->what);
    const int shapes[][4] = {{1, 1, 1, 4}, {1, 16, 64, 64}, {5, 17, 33, 64}, {6, 32, 64, 64}, {7, 33, 100, 64},
                             {13, 48, 40, 8}, {31, 100, 130, 32}, {64, 96, 768, 64}, {37, 50, 3072, 64}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        fail |= check_gemm(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3]);
    double e_exp = 0, e_erf = 0, e_gelu = 0;
    for (double x = -80; x <= 0; x += 1e-3) {
        double r = exp((double)(float)x);
        e_exp = fmax(e_exp, fabs(sr_expf((float)x) - r) / r);
    }
    for (double x = -10; x <= 10; x += 1e-4) {
        float xf = (float)x;
        double r = erf((double)xf);
        e_erf = fmax(e_erf, fabs(sr_erff(xf) - r));
        float g = xf;
        gelu_inplace(&g, 1);
        e_gelu = fmax(e_gelu, fabs(g - 0.5 * xf * (1 + erf(xf / sqrt(2.0)))));
    }
    /* the fast activation quantizer must give the generic one's bytes */
    int qbad = 0;
    for (int K = 1; K < 400; K += 7) {
        float a[400];
        uint8_t q1[480], q2[480];
        float s1[8], s2[8];
        for (int k = 0; k < K; k++) a[k] = (float)(urand() * 4);
        a[K / 2] = (float)(K % 5) - 2.5f; /* exact .5 steps after scaling: rounding ties */
        sr_kern = &sr_k_generic;
        int Kp = (K + 63) / 64 * 64;
        quantize_rows(a, K, 1, K, Kp, 64, q1, 480, s1, 8);
        sr_kern = fast;
        quantize_rows(a, K, 1, K, Kp, 64, q2, 480, s2, 8);
        qbad += memcmp(q1, q2, Kp) != 0 || memcmp(s1, s2, Kp / 64 * sizeof(float)) != 0;
    }
    printf("%s activation quantizer: fast and generic identical on %d rows (%d differ)\n", qbad ? "BAD" : "ok ", 57, qbad);
    int vbad = check_value_packing(), pbad = check_softmax_quantize();
    qbad |= vbad | pbad;
    int ef = qbad || e_exp > 4e-7 || e_erf > 5e-7 || e_gelu > 2e-6;
    printf("%s exp max rel error %.3g, erf max abs error %.3g, gelu max abs error %.3g\n", ef ? "BAD" : "ok ", e_exp, e_erf, e_gelu);
    return fail | ef;
}

static int cmd_load(int argc, char **argv, int forward) {
    if (argc < 2) return 2;
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[1], err) < 0) { printf("%s\n", err); return 1; }
    if (forward) {
        const SrConfig *c = sr_config(m);
        SrState *s = sr_state_new(m, 4);
        int ids[4] = {0, 1, 2, 3};
        for (int i = 0; i < 4; i++) ids[i] %= c->vocab_size;
        if (!sr_forward(m, s, ids, NULL, NULL, 4 < c->max_position ? 4 : c->max_position)) { printf("%s\n", sr_state_error(s)); return 1; }
        float *out = xmalloc((size_t)4 * (c->vocab_size + c->n_labels + 1) * sizeof(float));
        if (c->flags & SR_FLAG_MLM_HEAD) { int p = 0; sr_mlm_logits(m, s, &p, 1, out, err); }
        if (c->flags & SR_FLAG_CLASSIFIER) sr_classify_logits(m, s, out, err);
        free(out);
        sr_state_free(s);
    }
    printf("ok\n");
    sr_free(m);
    return 0;
}

/* The API refuses what it cannot do: each check prints ok/BAD. */
static int cmd_edges(int argc, char **argv) {
    if (argc < 2) return 2;
    char err[SR_ERR_LEN];
    SrModel *m;
    if (sr_load(&m, argv[1], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    const SrConfig *c = sr_config(m);
    int T = c->max_position, bad = 0;
    SrState *s = sr_state_new(m, T);
    int *ids = xcalloc(T + 1, sizeof(int)), *types = xcalloc(T + 1, sizeof(int)), pos = 0;
    float *out = xmalloc(((size_t)c->vocab_size + c->n_labels) * (T + 1) * sizeof(float));
#define EXPECT(cond, what) do { int ok_ = (cond); bad |= !ok_; printf("%s %s\n", ok_ ? "ok " : "BAD", what); } while (0)
    EXPECT(sr_state_new(m, 0) == NULL, "sr_state_new with 0 tokens returns NULL");
    EXPECT(sr_mlm_logits(m, s, &pos, 1, out, err) < 0 && sr_classify_logits(m, s, out, err) < 0, "heads before any forward are refused");
    EXPECT(sr_forward(m, s, ids, NULL, NULL, T + 1) == NULL, "n > max_position is refused");
    EXPECT(sr_forward(m, s, ids, NULL, NULL, 0) == NULL, "n = 0 is refused");
    ids[1] = c->vocab_size;
    EXPECT(sr_forward(m, s, ids, NULL, NULL, 3) == NULL, "id = vocab_size is refused");
    ids[1] = -1;
    EXPECT(sr_forward(m, s, ids, NULL, NULL, 3) == NULL, "id = -1 is refused");
    ids[1] = 0;
    types[2] = c->type_vocab_size;
    EXPECT(sr_forward(m, s, ids, types, NULL, 3) == NULL, "token type out of range is refused");
    EXPECT(sr_forward(m, s, ids, NULL, NULL, T) != NULL, "n = max_position runs");
    pos = T;
    EXPECT(!(c->flags & SR_FLAG_MLM_HEAD) || sr_mlm_logits(m, s, &pos, 1, out, err) < 0, "MLM position past the tokens is refused");
    EXPECT((c->flags & SR_FLAG_MLM_HEAD) || sr_mlm_logits(m, s, &pos, 1, out, err) < 0, "MLM logits without an MLM head are refused");
    EXPECT((c->flags & SR_FLAG_CLASSIFIER) || sr_classify_logits(m, s, out, err) < 0, "classifier logits without a classifier are refused");
    uint8_t *attn = xcalloc(T, 1);
    const float *h = sr_forward(m, s, ids, NULL, attn, 4);
    int finite = h != NULL;
    for (int i = 0; h && i < 4 * c->hidden; i++) finite &= isfinite(h[i]);
    EXPECT(finite, "all-padding attention mask gives finite states");
    SrState *small = sr_state_new(m, 2);
    EXPECT(sr_forward(m, small, ids, NULL, NULL, 3) == NULL, "n > the state's max_tokens is refused");
#undef EXPECT
    sr_state_free(small);
    sr_state_free(s);
    free(ids); free(types); free(out); free(attn);
    sr_free(m);
    return bad;
}

/* Indices of the k largest of x[0..n-1], largest first. */
static void topk(const float *x, int n, int k, int *out) {
    for (int j = 0; j < k; j++) out[j] = -1;
    for (int i = 0; i < n; i++) {
        int j = k;
        while (j > 0 && (out[j - 1] < 0 || x[i] > x[out[j - 1]])) j--;
        if (j >= k) continue;
        for (int t = k - 1; t > j; t--) out[t] = out[t - 1];
        out[j] = i;
    }
}

/* MLM top-1 agreement and top-5 overlap of two models (float32 and int8 files of the
 * same weights) at the [MASK] positions of the cases (all positions if none). */
static int cmd_agree(int argc, char **argv) {
    if (argc < 4) { fputs("usage: engine_dump agree MODEL_A MODEL_B CASES\n", stderr); return 2; }
    char err[SR_ERR_LEN];
    SrModel *a, *b;
    if (sr_load(&a, argv[1], err) < 0 || sr_load(&b, argv[2], err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    int nc;
    Case *cs = read_cases(argv[3], &nc);
    const SrConfig *c = sr_config(a);
    int V = c->vocab_size, T = max_n(cs, nc);
    SrState *sa = sr_state_new(a, T), *sb = sr_state_new(b, T);
    long npos = 0, top1 = 0, over5 = 0;
    double maxdiff = 0;
    for (int k = 0; k < nc; k++) {
        int *pos = xmalloc(cs[k].n * sizeof(int)), np = 0;
        for (int i = 0; i < cs[k].n; i++) if (cs[k].ids[i] == c->mask_id) pos[np++] = i;
        if (np == 0) for (int i = 0; i < cs[k].n; i++) if (cs[k].attn[i]) pos[np++] = i;
        float *la = xmalloc((size_t)np * V * 4), *lb = xmalloc((size_t)np * V * 4);
        if (!sr_forward(a, sa, cs[k].ids, cs[k].types, cs[k].attn, cs[k].n) || !sr_forward(b, sb, cs[k].ids, cs[k].types, cs[k].attn, cs[k].n) ||
            sr_mlm_logits(a, sa, pos, np, la, err) < 0 || sr_mlm_logits(b, sb, pos, np, lb, err) < 0) { fprintf(stderr, "forward failed\n"); return 1; }
        for (int p = 0; p < np; p++) {
            int ta[5], tb[5];
            topk(la + (size_t)p * V, V, 5, ta);
            topk(lb + (size_t)p * V, V, 5, tb);
            top1 += ta[0] == tb[0];
            for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) over5 += ta[i] == tb[j];
            for (int v = 0; v < V; v++) maxdiff = fmax(maxdiff, fabs(la[(size_t)p * V + v] - lb[(size_t)p * V + v]));
        }
        npos += np;
        free(pos); free(la); free(lb);
    }
    printf("agree positions=%ld top1=%.4f top5=%.4f max_logit_diff=%.4g\n", npos, (double)top1 / npos, over5 / (5.0 * npos), maxdiff);
    return 0;
}

/* GFLOP/s of one GEMM shape on this thread's CPU time (robust on a busy machine). */
static int cmd_gemmbench(int argc, char **argv) {
    if (argc < 4) return 2;
    int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]), G = 64, reps = 5;
    float *W = xmalloc((size_t)N * K * 4), *A = xmalloc((size_t)M * K * 4), *bias = xcalloc(N, 4);
    for (size_t i = 0; i < (size_t)N * K; i++) W[i] = (float)urand();
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)urand();
    int Kp = (K + G - 1) / G * G, ng = Kp / G;
    int8_t *q = xcalloc((size_t)N * Kp, 1);
    float *sc = xcalloc((size_t)N * ng, 4);
    for (size_t i = 0; i < (size_t)N * ng; i++) sc[i] = 0.01f;
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) q[(size_t)n * Kp + k] = (int8_t)(urand() * 127);
    SrMat mf = {SR_TENSOR_F32, N, K, K, W, NULL, NULL}, mq = {SR_TENSOR_Q8, N, K, Kp, NULL, q, sc};
    const float *bp = bias;
    SrLinear Lf, Lq;
    pack_linear(&Lf, &mf, &bp, 1, G);
    pack_linear(&Lq, &mq, &bp, 1, G);
    float *C = xmalloc((size_t)M * N * 4);
    uint8_t *aq = xmalloc((size_t)M * Kp);
    float *as = xmalloc((size_t)M * ng * 4);
    quantize_rows(A, K, M, K, Kp, G, aq, Kp, as, ng);
    double flop = 2.0 * M * N * K;
    for (int kind = 0; kind < 2; kind++) {
        double best = 1e9;
        for (int r = 0; r < reps; r++) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
            if (kind == 0) gemm_f32(A, K, Lf.f, K, N, Lf.bias, C, N, M, 0);
            else for (int b = 0; b < (N + 31) / 32; b++) gemm_q8_block(b, aq, Kp, as, ng, &Lq, C, N, M, 0, sr_kernels());
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
            double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
            best = dt < best ? dt : best;
        }
        printf("%s M=%d N=%d K=%d: %.2f ms, %.1f GFLOP/s (1 thread, CPU time)\n", kind ? "q8 " : "f32", M, N, K, best * 1e3, flop / best / 1e9);
    }
    return 0;
}

static int cmd_verify(int argc, char **argv) {
    if (argc < 2) { fputs("usage: engine_dump verify MODEL\n", stderr); return 2; }
    char err[SR_ERR_LEN];
    int v = sr_model_verify(argv[1], err);
    printf("%s\n", err);
    return v == 0 ? 0 : v > 0 ? 1 : 2;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "edges")) return cmd_edges(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "agree")) return cmd_agree(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "gemmbench")) return cmd_gemmbench(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run")) return cmd_run(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "threads")) return cmd_threads(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "kernels")) return cmd_kernels();
    if (argc >= 2 && !strcmp(argv[1], "load")) return cmd_load(argc - 1, argv + 1, 0);
    if (argc >= 2 && !strcmp(argv[1], "forward")) return cmd_load(argc - 1, argv + 1, 1);
    if (argc >= 2 && !strcmp(argv[1], "verify")) return cmd_verify(argc - 1, argv + 1);
    fputs("usage: engine_dump run|threads|kernels|load|forward|verify ...\n", stderr);
    return 2;
}
