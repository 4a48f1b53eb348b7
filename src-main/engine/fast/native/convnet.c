// Training and inference kernels for the ZSSR network (3x3 convs, ReLU, residual, L1, Adam),
// compiled to WebAssembly SIMD. Several threads (Node worker_threads) run the same entry point
// on one shared memory. Each phase (a layer's forward, a layer's backward, Adam...) is cut into
// small chunks that threads claim from an atomic counter; a phase ends when all its chunks are
// done. A thread the OS parks (a busy machine) thus only delays the chunk it holds, not a
// barrier: the others take its share.
//
// Layout: activations are HWC float32 with a one-pixel zero border ((H+2) x (W+2) x C), so the
// inner loops need no bounds checks. Channel counts are multiples of 4 (RGB is padded to 4).
// Weights are [3][3][Cin][Cout] (tfjs HWIO), biases [Cout].
//
// Layers whose channel counts are multiples of 8 (all but the RGB ones) run Winograd F(4x4,3x3)
// (winograd.h): forward, input gradient and weight gradient. The thin first and last layers run
// the direct kernels below (conv3x3, conv3x3_dw), which do all layers when Winograd is off.
//
// Build: see build.mjs beside this file (clang --target=wasm32 -msimd128, shared memory).
#include <wasm_simd128.h>

#define MAXL 32
#define MAXPH (2 * MAXL + 8)

// acc + a * b: one fused multiply-add where relaxed SIMD is available (built with -mrelaxed-simd).
#ifdef __wasm_relaxed_simd__
#define MADD(acc, a, b) __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc))
#else
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif
#define EXPORT(name) __attribute__((export_name(#name)))
// Kernels stay separate functions: the engine optimises each on its own as soon as it is hot
// (inlined into the once-per-step entry point they would run unoptimised for the first steps).
#define NOINLINE __attribute__((noinline))

typedef unsigned int u32;

// The header JS fills in (every field 4 bytes, in this order; mirrored in layout.ts).
typedef struct {
  int depth;        // number of conv layers
  int H, W;         // interior size of the current image
  int nthreads;
  int cin[MAXL];
  int cout[MAXL];
  u32 w[MAXL];      // weight offsets (into params)
  u32 b[MAXL];
  u32 gw[MAXL];     // gradient offsets (into grads)
  u32 gb[MAXL];
  u32 wt[MAXL];     // transposed, rotated weights for the input gradient (scratch for ub)
  u32 act[MAXL + 1];// training: act[0] input, act[l] output of layer l (act[depth] = last z)
  u32 dz[2];        // ping-pong gradient buffers (padded, max channels)
  u32 hr;           // target, H x W x 3, unpadded
  u32 params, grads, m, v;
  int nparams;
  float lr, beta1, beta2, eps;
  int t;            // Adam step count (after this step)
  u32 loss_rows;    // training: the L1 sum of each row, added up in order (same loss on any thread count)
  float loss;
  u32 out;          // inference: output H x W x 3 (residual added)
  int train_bias;   // 0: bias gradients are zero, so biases keep their values (the original ZSSR has none)
  u32 uf[MAXL];     // Winograd layers (0: direct): transformed weights [36][cin][cout]
  u32 ub[MAXL];     // and those of the input gradient [36][cout][cin]
  u32 scratch;      // per-thread scratch: thread k's at scratch + k * sstride
  u32 sstride;
  u32 svb;          // offsets within a thread's scratch: the second tile block,
  u32 sm;           // the transform-domain sums of a weight gradient [36][cin][cout]
  u32 part;         // weight-gradient parts: NPART per layer parity, part_stride bytes each
  u32 part_stride;
  int prep;         // inference: transform the weights first (they changed)
  u32 stacks;       // thread k's stack: [stacks + k * stack_bytes, stacks + (k + 1) * stack_bytes)
  u32 stack_bytes;
  int fault;        // set for good when a thread finds itself on another thread's stack
  int claim[MAXPH];  // per phase: next work chunk to take
  int done[MAXPH];   // per phase: chunks finished
} Net;

static inline float* F(u32 off) { return (float*)off; }

#include "winograd.h"

// ---- dynamic work sharing ----
static inline int claim(Net* n, int p) { return __atomic_fetch_add(&n->claim[p], 1, __ATOMIC_ACQ_REL); }

static inline void finish(Net* n, int p, int total) {
  if (__atomic_add_fetch(&n->done[p], 1, __ATOMIC_ACQ_REL) == total) __builtin_wasm_memory_atomic_notify(&n->done[p], 64);
}

// Wait until every chunk of phase p is done (spin briefly, then sleep on the counter).
static void wait_phase(Net* n, int p, int total) {
  for (int i = 0; i < 4000; i++)
    if (__atomic_load_n(&n->done[p], __ATOMIC_ACQUIRE) >= total) return;
  for (;;) {
    int d = __atomic_load_n(&n->done[p], __ATOMIC_ACQUIRE);
    if (d >= total) return;
    __builtin_wasm_memory_atomic_wait32(&n->done[p], d, 2000000LL);
  }
}

// Rows per chunk: small enough to balance two or more threads, large enough to amortise.
static inline int row_chunk(int H, int nt) {
  int r = H / (8 * nt);
  return r < 1 ? 1 : (r > 4 ? 4 : r);
}

// Zero the border pixels of a padded image for the interior rows [y0, y1), plus the top/bottom
// border row when the range starts/ends the image.
static void zero_border(float* img, int H, int W, int C, int y0, int y1) {
  int rs = (W + 2) * C;
  v128_t z = wasm_f32x4_splat(0.f);
  if (y0 == 0)
    for (int i = 0; i < rs; i += 4) wasm_v128_store(img + i, z);
  if (y1 == H)
    for (int i = 0; i < rs; i += 4) wasm_v128_store(img + (H + 1) * rs + i, z);
  for (int y = y0; y < y1; y++) {
    float* row = img + (y + 1) * rs;
    for (int c = 0; c < C; c += 4) {
      wasm_v128_store(row + c, z);
      wasm_v128_store(row + (W + 1) * C + c, z);
    }
  }
}

// ---- 3x3 convolution, rows [y0,y1) of the output interior ----
// mode 0: out = conv + bias; 1: out = relu(conv + bias); 2: out = conv * (mask > 0) (no bias).
#define ACC_STORE(v, i) wasm_v128_store(o + (i), v)

static NOINLINE void conv3x3(const float* in, float* out, const float* w, const float* bias, const float* mask,
                             int W, int Cin, int Cout, int y0, int y1, int mode) {
  const int irs = (W + 2) * Cin, ors = (W + 2) * Cout;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (int y = y0; y < y1; y++) {
    const float* irow = in + y * irs;  // top-left tap row for output row y
    float* orow = out + (y + 1) * ors + Cout;
    const float* mrow = mask ? mask + (y + 1) * ors + Cout : 0;
    for (int cb = 0; cb < Cout; cb += 8) {
      const int two = (cb + 8 <= Cout);
      v128_t b0 = zero, b1 = zero;
      if (mode != 2) {
        b0 = wasm_v128_load(bias + cb);
        if (two) b1 = wasm_v128_load(bias + cb + 4);
      }
      int x = 0;
      if (two) {
        for (; x + 4 <= W; x += 4) {
          v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
          for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
              const float* ip = irow + ky * irs + (x + kx) * Cin;
              const float* wp = w + ((ky * 3 + kx) * Cin) * Cout + cb;
              for (int ci = 0; ci < Cin; ci++) {
                v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 4);
                wp += Cout;
                v128_t i0 = wasm_v128_load32_splat(ip + ci);
                v128_t i1 = wasm_v128_load32_splat(ip + Cin + ci);
                v128_t i2 = wasm_v128_load32_splat(ip + 2 * Cin + ci);
                v128_t i3 = wasm_v128_load32_splat(ip + 3 * Cin + ci);
                a00 = MADD(a00, i0, w0);
                a01 = MADD(a01, i0, w1);
                a10 = MADD(a10, i1, w0);
                a11 = MADD(a11, i1, w1);
                a20 = MADD(a20, i2, w0);
                a21 = MADD(a21, i2, w1);
                a30 = MADD(a30, i3, w0);
                a31 = MADD(a31, i3, w1);
              }
            }
          }
          float* o = orow + x * Cout + cb;
          if (mode == 1) {
            a00 = wasm_f32x4_max(a00, zero); a01 = wasm_f32x4_max(a01, zero);
            a10 = wasm_f32x4_max(a10, zero); a11 = wasm_f32x4_max(a11, zero);
            a20 = wasm_f32x4_max(a20, zero); a21 = wasm_f32x4_max(a21, zero);
            a30 = wasm_f32x4_max(a30, zero); a31 = wasm_f32x4_max(a31, zero);
          } else if (mode == 2) {
            const float* m = mrow + x * Cout + cb;
            a00 = wasm_v128_and(a00, wasm_f32x4_gt(wasm_v128_load(m), zero));
            a01 = wasm_v128_and(a01, wasm_f32x4_gt(wasm_v128_load(m + 4), zero));
            a10 = wasm_v128_and(a10, wasm_f32x4_gt(wasm_v128_load(m + Cout), zero));
            a11 = wasm_v128_and(a11, wasm_f32x4_gt(wasm_v128_load(m + Cout + 4), zero));
            a20 = wasm_v128_and(a20, wasm_f32x4_gt(wasm_v128_load(m + 2 * Cout), zero));
            a21 = wasm_v128_and(a21, wasm_f32x4_gt(wasm_v128_load(m + 2 * Cout + 4), zero));
            a30 = wasm_v128_and(a30, wasm_f32x4_gt(wasm_v128_load(m + 3 * Cout), zero));
            a31 = wasm_v128_and(a31, wasm_f32x4_gt(wasm_v128_load(m + 3 * Cout + 4), zero));
          }
          ACC_STORE(a00, 0); ACC_STORE(a01, 4);
          ACC_STORE(a10, Cout); ACC_STORE(a11, Cout + 4);
          ACC_STORE(a20, 2 * Cout); ACC_STORE(a21, 2 * Cout + 4);
          ACC_STORE(a30, 3 * Cout); ACC_STORE(a31, 3 * Cout + 4);
        }
      }
      if (!two) {  // four output channels (the last layer): four pixels per block
        for (; x + 4 <= W; x += 4) {
          v128_t a0 = b0, a1 = b0, a2 = b0, a3 = b0;
          for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
              const float* ip = irow + ky * irs + (x + kx) * Cin;
              const float* wp = w + ((ky * 3 + kx) * Cin) * Cout + cb;
              for (int ci = 0; ci < Cin; ci++) {
                v128_t w0 = wasm_v128_load(wp);
                wp += Cout;
                a0 = MADD(a0, wasm_v128_load32_splat(ip + ci), w0);
                a1 = MADD(a1, wasm_v128_load32_splat(ip + Cin + ci), w0);
                a2 = MADD(a2, wasm_v128_load32_splat(ip + 2 * Cin + ci), w0);
                a3 = MADD(a3, wasm_v128_load32_splat(ip + 3 * Cin + ci), w0);
              }
            }
          }
          float* o = orow + x * Cout + cb;
          if (mode == 1) {
            a0 = wasm_f32x4_max(a0, zero); a1 = wasm_f32x4_max(a1, zero);
            a2 = wasm_f32x4_max(a2, zero); a3 = wasm_f32x4_max(a3, zero);
          } else if (mode == 2) {
            const float* m = mrow + x * Cout + cb;
            a0 = wasm_v128_and(a0, wasm_f32x4_gt(wasm_v128_load(m), zero));
            a1 = wasm_v128_and(a1, wasm_f32x4_gt(wasm_v128_load(m + Cout), zero));
            a2 = wasm_v128_and(a2, wasm_f32x4_gt(wasm_v128_load(m + 2 * Cout), zero));
            a3 = wasm_v128_and(a3, wasm_f32x4_gt(wasm_v128_load(m + 3 * Cout), zero));
          }
          ACC_STORE(a0, 0); ACC_STORE(a1, Cout); ACC_STORE(a2, 2 * Cout); ACC_STORE(a3, 3 * Cout);
        }
      }
      // Tail pixels: one pixel, one or two vectors.
      for (; x < W; x++) {
        v128_t a0 = b0, a1 = b1;
        for (int ky = 0; ky < 3; ky++) {
          for (int kx = 0; kx < 3; kx++) {
            const float* ip = irow + ky * irs + (x + kx) * Cin;
            const float* wp = w + ((ky * 3 + kx) * Cin) * Cout + cb;
            if (two) {
              for (int ci = 0; ci < Cin; ci++) {
                v128_t i0 = wasm_v128_load32_splat(ip + ci);
                a0 = MADD(a0, i0, wasm_v128_load(wp));
                a1 = MADD(a1, i0, wasm_v128_load(wp + 4));
                wp += Cout;
              }
            } else {
              for (int ci = 0; ci < Cin; ci++) {
                a0 = MADD(a0, wasm_v128_load32_splat(ip + ci), wasm_v128_load(wp));
                wp += Cout;
              }
            }
          }
        }
        float* o = orow + x * Cout + cb;
        if (mode == 1) {
          a0 = wasm_f32x4_max(a0, zero);
          a1 = wasm_f32x4_max(a1, zero);
        } else if (mode == 2) {
          const float* m = mrow + x * Cout + cb;
          a0 = wasm_v128_and(a0, wasm_f32x4_gt(wasm_v128_load(m), zero));
          if (two) a1 = wasm_v128_and(a1, wasm_f32x4_gt(wasm_v128_load(m + 4), zero));
        }
        wasm_v128_store(o, a0);
        if (two) wasm_v128_store(o + 4, a1);
      }
    }
  }
}

// ---- weight gradient: gw[k][ci][co] = sum_p A[p + tap k][ci] * dZ[p][co]; items = (ci/4) * 9 + k ----
// Pixels are visited in short row segments so the slices of A and dZ a segment needs stay in
// L1 while every (tap, 4 input channels, 8 output channels) tile sweeps them; the tile's
// accumulators live in registers within a segment and in gw between segments.
#define DW_SEG 32
static NOINLINE void conv3x3_dw(const float* a, const float* dz, float* gw, int H, int W, int Cin, int Cout, int i0, int i1) {
  const int ars = (W + 2) * Cin, drs = (W + 2) * Cout;
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int y = 0; y < H; y++) {
    for (int xs = 0; xs < W; xs += DW_SEG) {
      const int xe = xs + DW_SEG < W ? xs + DW_SEG : W;
      const int first = (y == 0 && xs == 0);
      for (int item = i0; item < i1; item++) {
        const int k = item % 9, ci = (item / 9) * 4;
        const int ky = k / 3, kx = k % 3;
        for (int cb = 0; cb < Cout; cb += 8) {
          float* g = gw + (k * Cin + ci) * Cout + cb;
          const float* ap = a + (y + ky) * ars + (xs + kx) * Cin + ci;
          const float* dp = dz + (y + 1) * drs + (xs + 1) * Cout + cb;
          if (cb + 8 <= Cout) {
            v128_t s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
            if (!first) {
              s00 = wasm_v128_load(g); s01 = wasm_v128_load(g + 4);
              s10 = wasm_v128_load(g + Cout); s11 = wasm_v128_load(g + Cout + 4);
              s20 = wasm_v128_load(g + 2 * Cout); s21 = wasm_v128_load(g + 2 * Cout + 4);
              s30 = wasm_v128_load(g + 3 * Cout); s31 = wasm_v128_load(g + 3 * Cout + 4);
            }
            for (int x = xs; x < xe; x++) {
              v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4);
              v128_t q0 = wasm_v128_load32_splat(ap), q1 = wasm_v128_load32_splat(ap + 1);
              v128_t q2 = wasm_v128_load32_splat(ap + 2), q3 = wasm_v128_load32_splat(ap + 3);
              s00 = MADD(s00, q0, d0);
              s01 = MADD(s01, q0, d1);
              s10 = MADD(s10, q1, d0);
              s11 = MADD(s11, q1, d1);
              s20 = MADD(s20, q2, d0);
              s21 = MADD(s21, q2, d1);
              s30 = MADD(s30, q3, d0);
              s31 = MADD(s31, q3, d1);
              dp += Cout;
              ap += Cin;
            }
            wasm_v128_store(g, s00); wasm_v128_store(g + 4, s01);
            wasm_v128_store(g + Cout, s10); wasm_v128_store(g + Cout + 4, s11);
            wasm_v128_store(g + 2 * Cout, s20); wasm_v128_store(g + 2 * Cout + 4, s21);
            wasm_v128_store(g + 3 * Cout, s30); wasm_v128_store(g + 3 * Cout + 4, s31);
          } else {
            v128_t s0 = z, s1 = z, s2 = z, s3 = z;
            if (!first) {
              s0 = wasm_v128_load(g); s1 = wasm_v128_load(g + Cout);
              s2 = wasm_v128_load(g + 2 * Cout); s3 = wasm_v128_load(g + 3 * Cout);
            }
            for (int x = xs; x < xe; x++) {
              v128_t d0 = wasm_v128_load(dp);
              s0 = MADD(s0, wasm_v128_load32_splat(ap), d0);
              s1 = MADD(s1, wasm_v128_load32_splat(ap + 1), d0);
              s2 = MADD(s2, wasm_v128_load32_splat(ap + 2), d0);
              s3 = MADD(s3, wasm_v128_load32_splat(ap + 3), d0);
              dp += Cout;
              ap += Cin;
            }
            wasm_v128_store(g, s0); wasm_v128_store(g + Cout, s1);
            wasm_v128_store(g + 2 * Cout, s2); wasm_v128_store(g + 3 * Cout, s3);
          }
        }
      }
    }
  }
}

static NOINLINE void bias_grad(const float* dz, float* gb, int H, int W, int C) {
  const int rs = (W + 2) * C;
  for (int c = 0; c < C; c += 4) {
    v128_t s = wasm_f32x4_splat(0.f);
    for (int y = 0; y < H; y++) {
      const float* p = dz + (y + 1) * rs + C + c;
      for (int x = 0; x < W; x++) s = wasm_f32x4_add(s, wasm_v128_load(p + x * C));
    }
    wasm_v128_store(gb + c, s);
  }
}

// wt[ky][kx][co][ci] = w[2-ky][2-kx][ci][co], rows (k, co) split between threads.
static NOINLINE void transpose_rot(const float* w, float* wt, int Cin, int Cout, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    const int k = r / Cout, co = r % Cout;
    const int ks = 8 - k;
    float* dst = wt + (k * Cout + co) * Cin;
    const float* src = w + (ks * Cin) * Cout + co;
    for (int ci = 0; ci < Cin; ci++) dst[ci] = src[ci * Cout];
  }
}

// ---- work split of the Winograd layers: blocks of up to tb tiles within one row of 4x4 tiles ----
typedef struct {
  int nbx, tbw, tw, total;  // blocks per tile row, tiles per block, tiles per row, blocks
} Blocks;

static inline Blocks blocks(int H, int W, int tb) {
  Blocks b;
  b.tw = (W + 3) / 4;
  b.nbx = (b.tw + tb - 1) / tb;
  b.tbw = (b.tw + b.nbx - 1) / b.nbx;
  b.total = ((H + 3) / 4) * b.nbx;
  return b;
}

// Convolution chunks: half blocks on small images, so every thread gets a dozen or more chunks
// per layer and the last one to finish waits less (the GEMMs run as fast on 8 tiles as on 16).
static inline Blocks conv_blocks(int H, int W, int nt) {
  const Blocks b = blocks(H, W, TB);
  return b.total >= 16 * nt ? b : blocks(H, W, TB / 2);
}

static inline void block_of(const Blocks* b, int c, int* ty, int* tx0, int* tx1) {
  *ty = c / b->nbx;
  *tx0 = (c % b->nbx) * b->tbw;
  *tx1 = *tx0 + b->tbw < b->tw ? *tx0 + b->tbw : b->tw;
}

static inline float* scratch(Net* n, int tid, u32 off) { return F(n->scratch + (u32)tid * n->sstride + off); }

// The weight gradient of a Winograd layer is made of NPART parts, each from a fixed run of tile
// blocks (summed in the transform domain, then transformed back), added up in part order: the
// result does not depend on how many threads there are or which took what (per-thread sums
// would make every run differ in the last bits). A part is one chunk of work; the small
// input-gradient blocks of the same phase fill the gaps between the big ones.
#define NPART 4
static inline int nparts(const Blocks* b) { return b->total < NPART ? b->total : NPART; }
static inline float* part(Net* n, int l, int s) { return F(n->part + (u32)((l & 1) * NPART + s) * n->part_stride); }

// gw[i] = the parts' [i] added up in order, for i in [i0, i1) (multiples of 4).
static NOINLINE void sum_parts(const float* P, u32 stride, int ns, float* gw, int i0, int i1) {
  for (int i = i0; i < i1; i += 4) {
    v128_t s = wasm_v128_load(P + i);
    for (int k = 1; k < ns; k++) s = wasm_f32x4_add(s, wasm_v128_load(P + k * stride + i));
    wasm_v128_store(gw + i, s);
  }
}
#define SUMGRP 4096  // floats per chunk of sum_parts

// Weight transforms run as chunks of WGRP channels.
#define WGRP 16
static inline int groups_of(int c) { return (c + WGRP - 1) / WGRP; }
static inline int grp_end(int g, int c) { return g * WGRP + WGRP < c ? g * WGRP + WGRP : c; }

static int uf_chunks(Net* n) {
  int c = 0;
  for (int l = 0; l < n->depth; l++)
    if (n->uf[l]) c += groups_of(n->cin[l]);
  return c;
}

static void uf_chunk(Net* n, int c) {
  for (int l = 0; l < n->depth; l++) {
    if (!n->uf[l]) continue;
    const int k = groups_of(n->cin[l]);
    if (c < k) {
      wino_weights(F(n->params) + n->w[l], F(n->uf[l]), n->cin[l], n->cout[l], c * WGRP, grp_end(c, n->cin[l]));
      return;
    }
    c -= k;
  }
}

// Training keeps every activation (act[l]); inference ping-pongs between act[1] and act[2] and
// keeps the input act[0] for the residual. Returns the next phase index.
static int forward_layers(Net* n, int tid, int train, int p) {
  const int H = n->H, W = n->W, nt = n->nthreads, L = n->depth;
  const int rc = row_chunk(H, nt), nrow = (H + rc - 1) / rc;
  const Blocks bk = conv_blocks(H, W, nt);
  // The first layer (3 input channels: always direct) carries the weight transforms of every
  // Winograd layer, needed from the second layer on.
  const int nuf = (train || n->prep) ? uf_chunks(n) : 0;
  float* va = scratch(n, tid, 0);
  float* vb = scratch(n, tid, n->svb);
  for (int l = 0; l < L; l++, p++) {
    const float* in = F(train ? n->act[l] : (l == 0 ? n->act[0] : n->act[1 + ((l - 1) & 1)]));
    float* out = F(train ? n->act[l + 1] : n->act[1 + (l & 1)]);
    const int Cin = n->cin[l], Cout = n->cout[l], wino = n->uf[l] != 0, mode = l < L - 1 ? 1 : 0;
    const float* w = F(n->params) + n->w[l];
    const float* bias = F(n->params) + n->b[l];
    const int nmain = wino ? bk.total : nrow;
    const int nw = l == 0 ? nuf : 0;
    // This layer's input-gradient weights ride along as extra chunks.
    const int ntr = (train && l > 0) ? (wino ? groups_of(Cout) : (9 * Cout + 63) / 64) : 0;
    const int total = nmain + nw + ntr;
    for (int c; (c = claim(n, p)) < total; finish(n, p, total)) {
      if (c < nmain) {
        if (wino) {
          int ty, tx0, tx1;
          block_of(&bk, c, &ty, &tx0, &tx1);
          if (tx0 == 0) zero_border(out, H, W, Cout, 4 * ty, 4 * ty + 4 < H ? 4 * ty + 4 : H);
          wino_conv(in, out, F(n->uf[l]), bias, 0, H, W, Cin, Cout, ty, tx0, tx1, mode, va, vb);
        } else {
          const int y0 = c * rc, y1 = y0 + rc < H ? y0 + rc : H;
          zero_border(out, H, W, Cout, y0, y1);
          conv3x3(in, out, w, bias, 0, W, Cin, Cout, y0, y1, mode);
        }
      } else if (c < nmain + nw) {
        uf_chunk(n, c - nmain);
      } else {
        const int r = c - nmain - nw;
        if (wino) {
          // Rotated and transposed first (rows (tap, co) of this group), then transformed.
          const int co0 = r * WGRP, co1 = grp_end(r, Cout);
          for (int k = 0; k < 9; k++) transpose_rot(w, F(n->wt[l]), Cin, Cout, k * Cout + co0, k * Cout + co1);
          wino_weights(F(n->wt[l]), F(n->ub[l]), Cout, Cin, co0, co1);
        } else transpose_rot(w, F(n->wt[l]), Cin, Cout, r * 64, r * 64 + 64 < 9 * Cout ? r * 64 + 64 : 9 * Cout);
      }
    }
    wait_phase(n, p, total);
  }
  return p;
}

static int zero_input(Net* n, int p) {
  const int H = n->H, rc = row_chunk(H, n->nthreads), nrow = (H + rc - 1) / rc;
  for (int c; (c = claim(n, p)) < nrow; finish(n, p, nrow)) {
    const int y0 = c * rc, y1 = y0 + rc < H ? y0 + rc : H;
    zero_border(F(n->act[0]), H, n->W, n->cin[0], y0, y1);
  }
  wait_phase(n, p, nrow);
  return p + 1;
}

// One training step on the crop in act[0] (padded, 4 channels) against hr (H x W x 3).
// The caller zeroes claim/done first.
EXPORT(train_step) void train_step(Net* n, int tid) {
  const int H = n->H, W = n->W, nt = n->nthreads, L = n->depth;
  const int rc = row_chunk(H, nt), nrow = (H + rc - 1) / rc;
  int p = zero_input(n, 0);
  p = forward_layers(n, tid, 1, p);

  // L1 loss and its gradient (mean over H*W*3), residual over the input.
  {
    const float* x = F(n->act[0]);
    const float* z = F(n->act[L]);
    const float* hr = F(n->hr);
    float* d = F(n->dz[0]);
    const int C = n->cout[L - 1], Ci = n->cin[0];
    const float g = 1.0f / ((float)H * (float)W * 3.0f);
    for (int c; (c = claim(n, p)) < nrow; finish(n, p, nrow)) {
      const int y0 = c * rc, y1 = y0 + rc < H ? y0 + rc : H;
      zero_border(d, H, W, C, y0, y1);
      for (int y = y0; y < y1; y++) {
        float s = 0.f;
        for (int xx = 0; xx < W; xx++) {
          const float* xp = x + ((y + 1) * (W + 2) + xx + 1) * Ci;
          const float* zp = z + ((y + 1) * (W + 2) + xx + 1) * C;
          float* dp = d + ((y + 1) * (W + 2) + xx + 1) * C;
          const float* hp = hr + (y * W + xx) * 3;
          for (int k = 0; k < 3; k++) {
            float diff = xp[k] + zp[k] - hp[k];
            s += diff < 0 ? -diff : diff;
            dp[k] = diff > 0 ? g : (diff < 0 ? -g : 0.f);
          }
          for (int k = 3; k < C; k++) dp[k] = 0.f;
        }
        F(n->loss_rows)[y] = s;
      }
    }
    wait_phase(n, p, nrow);
    p++;
  }

  // Backward: each layer's weight gradient, its bias gradient and (except the first) the gradient
  // of its input. Direct layers split the weight gradient into groups of 4 input channels x all
  // taps (single items for thin layers); Winograd layers into parts (see NPART), which the next
  // (shallower) layer's phase adds up. The parts' blocks do not depend on the thread count (the
  // rounding of the sums would).
  const Blocks bk = conv_blocks(H, W, nt), bw = blocks(H, W, TB);
  float* va = scratch(n, tid, 0);
  float* vb = scratch(n, tid, n->svb);
  const int ns = nparts(&bw);
  int cur = 0;
  for (int l = L - 1; l >= 0; l--, p++) {
    const float* dz = F(n->dz[cur]);
    float* dprev = F(n->dz[cur ^ 1]);
    const int Cin = n->cin[l], Cout = n->cout[l], wino = n->uf[l] != 0;
    const int nci = Cin / 4;
    const int per = nci >= 8 ? 9 : 1;  // items per group (direct)
    const int ndw = wino ? ns : 9 * nci / per;
    const int ndx = l > 0 ? (wino ? bk.total : nrow) : 0;
    const int lr = l + 1;  // the layer whose weight-gradient parts are added up here
    const int nsum = lr < L && n->uf[lr] ? 9 * n->cin[lr] * n->cout[lr] : 0, nred = (nsum + SUMGRP - 1) / SUMGRP;
    const int total = ndw + 1 + ndx + nred;
    for (int c; (c = claim(n, p)) < total; finish(n, p, total)) {
      if (c < ndw) {
        if (wino) {
          float* M = scratch(n, tid, n->sm);
          const int b0 = c * bw.total / ns, b1 = (c + 1) * bw.total / ns;
          for (int b = b0; b < b1; b++) {
            int ty, tx0, tx1;
            block_of(&bw, b, &ty, &tx0, &tx1);
            wino_dw(F(n->act[l]), dz, M, H, W, Cin, Cout, ty, tx0, tx1, va, vb, b == b0);
          }
          wino_dw_back(M, part(n, l, c), Cin, Cout);
        } else {
          conv3x3_dw(F(n->act[l]), dz, F(n->grads) + n->gw[l], H, W, Cin, Cout, c * per, c * per + per);
        }
      } else if (c == ndw) {
        float* gb = F(n->grads) + n->gb[l];
        if (n->train_bias) bias_grad(dz, gb, H, W, Cout);
        else for (int k = 0; k < Cout; k++) gb[k] = 0.f;
      } else if (c < ndw + 1 + ndx) {
        if (wino) {
          int ty, tx0, tx1;
          block_of(&bk, c - ndw - 1, &ty, &tx0, &tx1);
          if (tx0 == 0) zero_border(dprev, H, W, Cin, 4 * ty, 4 * ty + 4 < H ? 4 * ty + 4 : H);
          wino_conv(dz, dprev, F(n->ub[l]), 0, F(n->act[l]), H, W, Cout, Cin, ty, tx0, tx1, 2, va, vb);
        } else {
          const int y0 = (c - ndw - 1) * rc, y1 = y0 + rc < H ? y0 + rc : H;
          zero_border(dprev, H, W, Cin, y0, y1);
          conv3x3(dz, dprev, F(n->wt[l]), 0, F(n->act[l]), W, Cout, Cin, y0, y1, 2);
        }
      } else {
        const int i0 = (c - ndw - 1 - ndx) * SUMGRP, i1 = i0 + SUMGRP < nsum ? i0 + SUMGRP : nsum;
        sum_parts(part(n, lr, 0), n->part_stride / 4, ns, F(n->grads) + n->gw[lr], i0, i1);
      }
    }
    wait_phase(n, p, total);
    cur ^= 1;
  }

  // Adam (as torch.optim.Adam: bias-corrected, eps outside the sqrt), in chunks of 4096.
  {
    float* P = F(n->params);
    const float* G = F(n->grads);
    float* M = F(n->m);
    float* V = F(n->v);
    const float b1 = n->beta1, b2 = n->beta2;
    float b1t = 1.f, b2t = 1.f;
    for (int i = 0; i < n->t; i++) {
      b1t *= b1;
      b2t *= b2;
    }
    const float step = n->lr / (1.f - b1t);
    const float sc2 = __builtin_sqrtf(1.f / (1.f - b2t));
    const v128_t vb1 = wasm_f32x4_splat(b1), vb1c = wasm_f32x4_splat(1.f - b1);
    const v128_t vb2 = wasm_f32x4_splat(b2), vb2c = wasm_f32x4_splat(1.f - b2);
    const v128_t vstep = wasm_f32x4_splat(step), vsc2 = wasm_f32x4_splat(sc2), veps = wasm_f32x4_splat(n->eps);
    const int CH = 4096, total = (n->nparams + CH - 1) / CH;
    for (int c; (c = claim(n, p)) < total; finish(n, p, total)) {
      const int p0 = c * CH, p1 = p0 + CH < n->nparams ? p0 + CH : n->nparams;
      int i = p0;
      for (; i + 4 <= p1; i += 4) {
        v128_t g = wasm_v128_load(G + i);
        v128_t m = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(M + i)), wasm_f32x4_mul(vb1c, g));
        v128_t v = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(V + i)), wasm_f32x4_mul(vb2c, wasm_f32x4_mul(g, g)));
        wasm_v128_store(M + i, m);
        wasm_v128_store(V + i, v);
        v128_t den = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(v), vsc2), veps);
        wasm_v128_store(P + i, wasm_f32x4_sub(wasm_v128_load(P + i), wasm_f32x4_div(wasm_f32x4_mul(vstep, m), den)));
      }
      for (; i < p1; i++) {
        float g = G[i];
        M[i] = b1 * M[i] + (1.f - b1) * g;
        V[i] = b2 * V[i] + (1.f - b2) * g * g;
        float den = __builtin_sqrtf(V[i]) * sc2 + n->eps;
        P[i] -= step * M[i] / den;
      }
    }
    wait_phase(n, p, total);
    p++;
  }
  if (tid == 0) {
    float s = 0.f;
    for (int y = 0; y < H; y++) s += F(n->loss_rows)[y];
    n->loss = s / ((float)H * (float)W * 3.0f);
  }
}

// Loss and gradients only (no update): for tests against autodiff.
EXPORT(grad_step) void grad_step(Net* n, int tid) {
  float lr = n->lr;
  n->lr = 0.f;  // Adam with lr 0 leaves the weights; m/v are restored by the caller
  train_step(n, tid);
  n->lr = lr;
}

// Inference on the image in act[0] (padded, 4 channels); writes out = input + net(input), H x W x 3.
EXPORT(infer) void infer(Net* n, int tid) {
  const int H = n->H, W = n->W, nt = n->nthreads, L = n->depth;
  const int rc = row_chunk(H, nt), nrow = (H + rc - 1) / rc;
  int p = zero_input(n, 0);
  p = forward_layers(n, tid, 0, p);
  const float* x = F(n->act[0]);
  const float* z = F(n->act[1 + ((L - 1) & 1)]);
  float* o = F(n->out);
  const int C = n->cout[L - 1], Ci = n->cin[0];
  for (int c; (c = claim(n, p)) < nrow; finish(n, p, nrow)) {
    const int y0 = c * rc, y1 = y0 + rc < H ? y0 + rc : H;
    for (int y = y0; y < y1; y++)
      for (int xx = 0; xx < W; xx++)
        for (int k = 0; k < 3; k++)
          o[(y * W + xx) * 3 + k] = x[((y + 1) * (W + 2) + xx + 1) * Ci + k] + z[((y + 1) * (W + 2) + xx + 1) * C + k];
  }
  wait_phase(n, p, nrow);
}

// Entry for every thread: run `fn` (0 train, 1 grad, 2 infer) on header `n` as thread `tid`.
EXPORT(run) void run(Net* n, int fn, int tid) {
  // Local arrays live on a stack in the shared memory; one shared by two threads would corrupt
  // results now and then. Refuse to work instead (the host checks `fault` after each run).
  volatile int probe = 0;
  const u32 at = (u32)&probe, lo = n->stacks + (u32)tid * n->stack_bytes;
  if (at < lo || at >= lo + n->stack_bytes) {
    __atomic_store_n(&n->fault, 1, __ATOMIC_RELEASE);
    return;
  }
  if (fn == 0) train_step(n, tid);
  else if (fn == 1) grad_step(n, tid);
  else infer(n, tid);
}

// Lets the JS side check that its copy of the header layout matches this one.
EXPORT(header_words) int header_words(void) { return (int)(sizeof(Net) / 4); }
// And that its buffer sizes follow these (mirrored in layout.ts).
EXPORT(wino_tiles) int wino_tiles(void) { return TB; }
EXPORT(wino_parts) int wino_parts(void) { return NPART; }
EXPORT(offset_words) int offset_words(void) { return (int)(__builtin_offsetof(Net, done) / 4); }
