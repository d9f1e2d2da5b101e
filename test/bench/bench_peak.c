/* bench_peak.c - the machine's own arithmetic peaks, measured, so that every speed
 * figure of test/bench/bench_engine.sh has its share of peak beside it.
 *
 *   cc -O2 -fopenmp -o bench_peak test/bench/bench_peak.c && ./bench_peak [THREADS]
 *
 * Prints one JSON line: {"threads":T, "fma_gflops":..., "vnni_gops":..., "avx2_gflops":...}
 * (a set the CPU lacks is null). Each figure is the best of 5 runs of a loop of
 * independent multiply-adds on registers only (no memory traffic), on T threads:
 *   fma   AVX-512 _mm512_fmadd_ps: 16 lanes x 2 flops a lane;
 *   avx2  AVX2 _mm256_fmadd_ps: 8 lanes x 2 flops;
 *   vnni  AVX-512 VNNI _mm512_dpbusd_epi32: 64 u8 x s8 products and their sums a
 *         lane group, counted as 2 ops a product (the convention of int8 GOP/s).
 * 12 accumulators hide the 4-cycle latency of two FMA pipes. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PEAK_X86 1
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define REPS 20000000L /* iterations of the inner block: ~0.1-0.3 s a run */
#define ACC 12 /* accumulators: hide the FMA latency of two pipes */

#ifdef PEAK_X86
/* 12 named accumulators (an array of them stays in memory at -O2); vpdpbusd as inline
 * assembly, as sr.c has it (gcc 12 wraps the intrinsic in register copies) */
#define ACC12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
__attribute__((target("avx512f"))) static float loop_fma512(long reps, float seed) {
    __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(seed * 1e-7f);
#define DECL(i) __m512 a##i = _mm512_set1_ps(seed + i);
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c);
#define SUM(i) s = _mm512_add_ps(s, a##i);
    ACC12(DECL)
    for (long r = 0; r < reps; r++) { ACC12(STEP) }
    __m512 s = _mm512_setzero_ps();
    ACC12(SUM)
    return _mm512_reduce_add_ps(s);
#undef DECL
#undef STEP
#undef SUM
}
__attribute__((target("avx2,fma"))) static float loop_fma256(long reps, float seed) {
    __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(seed * 1e-7f);
#define DECL(i) __m256 a##i = _mm256_set1_ps(seed + i);
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, b, c);
#define SUM(i) s = _mm256_add_ps(s, a##i);
    ACC12(DECL)
    for (long r = 0; r < reps; r++) { ACC12(STEP) }
    __m256 s = _mm256_setzero_ps();
    ACC12(SUM)
    float out[8], t = 0;
    _mm256_storeu_ps(out, s);
    for (int i = 0; i < 8; i++) t += out[i];
    return t;
#undef DECL
#undef STEP
#undef SUM
}
__attribute__((target("avx512f,avx512vnni"))) static float loop_vnni(long reps, float seed) {
    __m512i b = _mm512_set1_epi8(3), c = _mm512_set1_epi8(-2);
#define DECL(i) __m512i a##i = _mm512_set1_epi32((int)seed + i);
#define STEP(i) __asm__("vpdpbusd %2, %1, %0" : "+v"(a##i) : "v"(b), "v"(c));
#define SUM(i) s = _mm512_add_epi32(s, a##i);
    ACC12(DECL)
    for (long r = 0; r < reps; r++) { ACC12(STEP) }
    __m512i s = _mm512_setzero_si512();
    ACC12(SUM)
    return (float)_mm512_reduce_add_epi32(s);
#undef DECL
#undef STEP
#undef SUM
}
#endif

/* ops per inner iteration, and the loop */
typedef float (*Loop)(long, float);

static double measure(Loop f, double ops_per_rep, int threads) {
    double best = 0;
    volatile float sink = 0;
    for (int run = 0; run < 5; run++) {
        double t0 = now();
        float acc = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : acc)
#endif
        acc += f(REPS / 4, (float)(run + 1));
        double dt = now() - t0;
        sink += acc;
        double rate = ops_per_rep * (REPS / 4) * threads / dt / 1e9;
        if (rate > best) best = rate;
    }
    (void)sink;
    return best;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1) { fprintf(stderr, "bench_peak: THREADS must be >= 1\n"); return 2; }
#ifndef _OPENMP
    threads = 1;
#endif
    printf("{\"threads\":%d", threads);
#ifdef PEAK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) printf(",\"fma_gflops\":%.1f", measure(loop_fma512, ACC * 16 * 2.0, threads));
    else printf(",\"fma_gflops\":null");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) printf(",\"avx2_gflops\":%.1f", measure(loop_fma256, ACC * 8 * 2.0, threads));
    else printf(",\"avx2_gflops\":null");
    if (__builtin_cpu_supports("avx512vnni")) printf(",\"vnni_gops\":%.1f", measure(loop_vnni, ACC * 64 * 2.0, threads));
    else printf(",\"vnni_gops\":null");
#else
    printf(",\"fma_gflops\":null,\"avx2_gflops\":null,\"vnni_gops\":null");
#endif
    printf("}\n");
    return 0;
}
