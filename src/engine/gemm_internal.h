/* gemm_internal.h — the matmul backends behind parm_sgemm (not public API).
 * ops_blas.c owns the dispatch and the backend choice; gemm_dnnl.c is the
 * oneDNN side. */
#ifndef PARM_GEMM_INTERNAL_H
#define PARM_GEMM_INTERNAL_H

/* 1 when a oneDNN CPU engine could be created */
int parm_dnnl_available(void);
/* 1 when oneDNN reports an ISA with bf16 dot products (avx512_bf16, AMX) */
int parm_dnnl_bf16_supported(void);
/* 1 when oneDNN reports AMX (avx512_core_amx) */
int parm_dnnl_amx_supported(void);
/* C[M,N] = alpha·op(A)·op(B) + beta·C, or (bias != NULL, then alpha must be 1
 * and beta is ignored) C = op(A)·op(B) + bias[N]; bf16 = round A and B to
 * bf16 first (f32 accumulation and output). 0 on success; -1 when oneDNN
 * cannot do it (C untouched): the caller falls back to OpenBLAS. */
int parm_dnnl_gemm(int bf16, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc, const float *bias);
/* The same with B a weight matrix, reordered once per weight epoch into the
 * primitive's preferred layout (gemm_dnnl.c); falls back to the plain layout
 * when the weight cache is full. */
int parm_dnnl_gemm_w(int bf16, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *W, int ldw, float beta, float *C, int ldc, const float *bias);
void parm_dnnl_weight_stats(long *entries, long *reorders, size_t *bytes);
#endif
