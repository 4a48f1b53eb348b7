// Winograd F(4x4, 3x3) for the wide layers of convnet.c (included there; needs MADD and F()).
//
// A 3x3 convolution over a 4x4 output tile is Y = A^T [ (G g G^T) . (B^T d B) ] A, with d the 6x6
// input patch: 36 multiplies per tile and channel pair instead of 144. Summed over input channels
// the element-wise product becomes 36 independent GEMMs (one per point xi of the 6x6 transform
// domain), which carry almost all the work. The weight gradient uses the same identity transposed:
// dW = G^T [ sum over tiles (A dz A^T) . (B^T d B) ] G.
// Matrices (Lavin & Gray 2016, points 0, +-1, +-2, inf); in float32 the error stays within a few
// units of the direct sum's (checked against float64 before choosing these points).
//
// Layouts: a block of T tiles is transformed into records [T][C/4][36][4]: the 36 values of one
// tile and 4 channels side by side, so a transform reads and writes them at fixed offsets from
// one pointer (per-xi slabs cost the engine 36 live addresses and spilled). Transformed weights
// and weight-gradient sums are [36][Cin][Cout], one xi's matrix at a time in the GEMMs.
// All channel counts are multiples of 4 (Cout of a GEMM a multiple of 8).

#define TB 16  // tiles per block: the block's transforms stay in L2
#define REC 144  // floats per record: 36 points x 4 channels

// Floats between the xi matrices of transformed weights and gradient sums: one cache line more
// than Cin * Cout, so the 36 matrices a weight transform writes (Cin * Cout * 4 bytes apart, a
// multiple of 4 KiB) do not all fall into the same cache set.
static inline int wslab(int Cin, int Cout) { return Cin * Cout + 16; }

static inline v128_t vsplat(float x) { return wasm_f32x4_splat(x); }

// r = B^T d (6 -> 6):  [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
static inline void bt6(const v128_t* d, v128_t* r) {
  const v128_t c4 = vsplat(4.f), cm5 = vsplat(-5.f), cm4 = vsplat(-4.f), c2 = vsplat(2.f), cm2 = vsplat(-2.f);
  const v128_t t0 = MADD(d[4], d[2], cm4);  // d4 - 4 d2
  const v128_t t1 = MADD(d[3], d[1], cm4);  // d3 - 4 d1
  const v128_t t2 = wasm_f32x4_sub(d[4], d[2]);
  const v128_t t3 = wasm_f32x4_sub(d[3], d[1]);
  r[0] = MADD(MADD(d[4], d[2], cm5), d[0], c4);
  r[1] = wasm_f32x4_add(t0, t1);
  r[2] = wasm_f32x4_sub(t0, t1);
  r[3] = MADD(t2, t3, c2);
  r[4] = MADD(t2, t3, cm2);
  r[5] = MADD(MADD(d[5], d[3], cm5), d[1], c4);
}

// y = A^T m (6 -> 4):  [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
static inline void at6(const v128_t* m, v128_t* y) {
  const v128_t s12 = wasm_f32x4_add(m[1], m[2]), d12 = wasm_f32x4_sub(m[1], m[2]);
  const v128_t s34 = wasm_f32x4_add(m[3], m[4]), d34 = wasm_f32x4_sub(m[3], m[4]);
  y[0] = wasm_f32x4_add(wasm_f32x4_add(m[0], s12), s34);
  y[1] = MADD(d12, d34, vsplat(2.f));
  y[2] = MADD(s12, s34, vsplat(4.f));
  y[3] = wasm_f32x4_add(MADD(d12, d34, vsplat(8.f)), m[5]);
}

// z = A d (4 -> 6), the transpose of at6 without its last column.
static inline void a4(const v128_t* d, v128_t* z) {
  const v128_t e = wasm_f32x4_add(d[0], d[2]), o = wasm_f32x4_add(d[1], d[3]);
  const v128_t e4 = MADD(d[0], d[2], vsplat(4.f)), o8 = MADD(wasm_f32x4_add(d[1], d[1]), d[3], vsplat(8.f));
  z[0] = d[0];
  z[1] = wasm_f32x4_add(e, o);
  z[2] = wasm_f32x4_sub(e, o);
  z[3] = wasm_f32x4_add(e4, o8);
  z[4] = wasm_f32x4_sub(e4, o8);
  z[5] = d[3];
}

// u = G g (3 -> 6):  [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
static inline void g3(const v128_t* g, v128_t* u) {
  const v128_t s = wasm_f32x4_add(g[0], g[2]);
  const v128_t p = MADD(wasm_f32x4_mul(g[0], vsplat(1.f / 24.f)), g[2], vsplat(1.f / 6.f));
  u[0] = wasm_f32x4_mul(g[0], vsplat(0.25f));
  u[1] = wasm_f32x4_mul(wasm_f32x4_add(s, g[1]), vsplat(-1.f / 6.f));
  u[2] = wasm_f32x4_mul(wasm_f32x4_sub(s, g[1]), vsplat(-1.f / 6.f));
  u[3] = MADD(p, g[1], vsplat(1.f / 12.f));
  u[4] = MADD(p, g[1], vsplat(-1.f / 12.f));
  u[5] = g[2];
}

// r = G^T s (6 -> 3), the transpose of g3.
static inline void gt6(const v128_t* s, v128_t* r) {
  const v128_t a = wasm_f32x4_add(s[1], s[2]), b = wasm_f32x4_add(s[3], s[4]);
  const v128_t c = wasm_f32x4_sub(s[2], s[1]), d = wasm_f32x4_sub(s[3], s[4]);
  r[0] = MADD(MADD(wasm_f32x4_mul(s[0], vsplat(0.25f)), a, vsplat(-1.f / 6.f)), b, vsplat(1.f / 24.f));
  r[1] = MADD(wasm_f32x4_mul(c, vsplat(1.f / 6.f)), d, vsplat(1.f / 12.f));
  r[2] = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(b, a), vsplat(1.f / 6.f)), s[5]);
}

// ---- data transforms of one tile, all channels ----

// Records of tile t (C channels) in a block: V + t * C / 4 * REC, one per 4 channels.
static inline float* rec(float* V, int t, int C) { return V + t * (C / 4) * REC; }

// The records of tile t: (B^T d B) for the 6x6 patch at p (row stride rs, pixel stride C).
// Rows >= vr and columns >= vc read as zero (tiles over the image's edge): in floating point a
// stray value anywhere in the patch would leak into every output of the tile.
static inline __attribute__((always_inline)) void in_tile(const float* p, int rs, int C, int vr, int vc, float* V, int t) {
  const v128_t z = vsplat(0.f);
  float* o = rec(V, t, C);
  for (int c = 0; c < C; c += 4, o += REC) {
    v128_t tmp[36];
    const float* q = p + c;
    for (int y = 0; y < 6; y++, q += rs) {  // rows first: d B
      v128_t d[6];
      for (int x = 0; x < 6; x++) d[x] = (y < vr && x < vc) ? wasm_v128_load(q + x * C) : z;
      bt6(d, tmp + y * 6);
    }
    for (int j = 0; j < 6; j++) {  // then columns: B^T (d B)
      v128_t d[6], r[6];
      for (int y = 0; y < 6; y++) d[y] = tmp[y * 6 + j];
      bt6(d, r);
      for (int i = 0; i < 6; i++) wasm_v128_store(o + (i * 6 + j) * 4, r[i]);
    }
  }
}

// The records of tile t: (A dz A^T) for the 4x4 tile at p; rows >= vr, columns >= vc read as zero.
static inline __attribute__((always_inline)) void dz_tile(const float* p, int rs, int C, int vr, int vc, float* Z, int t) {
  const v128_t z = vsplat(0.f);
  float* o = rec(Z, t, C);
  for (int c = 0; c < C; c += 4, o += REC) {
    v128_t tmp[24];
    const float* q = p + c;
    for (int y = 0; y < 4; y++, q += rs) {  // rows: dz A^T
      v128_t d[4];
      for (int x = 0; x < 4; x++) d[x] = (y < vr && x < vc) ? wasm_v128_load(q + x * C) : z;
      a4(d, tmp + y * 6);
    }
    for (int j = 0; j < 6; j++) {  // columns: A (dz A^T)
      v128_t d[4], r[6];
      for (int y = 0; y < 4; y++) d[y] = tmp[y * 6 + j];
      a4(d, r);
      for (int i = 0; i < 6; i++) wasm_v128_store(o + (i * 6 + j) * 4, r[i]);
    }
  }
}

// The 4x4 output tile t of Mo (records of C channels) at o: A^T m A, then as conv3x3's modes
// (0: + bias; 1: relu(+ bias); 2: * (mask > 0)), writing rows < vr and columns < vc.
static inline __attribute__((always_inline)) void out_tile(float* Mo, int t, int C, float* o, int rs, const float* bias,
                                                           const float* mask, int vr, int vc, int mode) {
  const v128_t z = vsplat(0.f);
  const float* m = rec(Mo, t, C);
  for (int c = 0; c < C; c += 4, m += REC) {
    v128_t tmp[24];
    for (int i = 0; i < 6; i++) {  // rows of the record: m A
      v128_t d[6];
      for (int j = 0; j < 6; j++) d[j] = wasm_v128_load(m + (i * 6 + j) * 4);
      at6(d, tmp + i * 4);
    }
    const v128_t b = mode != 2 ? wasm_v128_load(bias + c) : z;
    for (int x = 0; x < vc; x++) {  // columns: A^T (m A)
      v128_t d[6], r[4];
      for (int i = 0; i < 6; i++) d[i] = tmp[i * 4 + x];
      at6(d, r);
      for (int y = 0; y < vr; y++) {
        const int at = y * rs + x * C + c;
        v128_t v = r[y];
        if (mode == 2) v = wasm_v128_and(v, wasm_f32x4_gt(wasm_v128_load(mask + at), z));
        else {
          v = wasm_f32x4_add(v, b);
          if (mode == 1) v = wasm_f32x4_max(v, z);
        }
        wasm_v128_store(o + at, v);
      }
    }
  }
}

// ---- the 36 GEMMs ----

// Mo[t][co][xi] = sum_ci V[t][ci][xi] U[xi][ci][co]: 4 tiles x 8 output channels in registers
// (8 accumulators; 6 tiles need 12 plus operands, more than the engine keeps in 16 vector
// registers, and ran at 60% of this speed).
static NOINLINE void gemm_fwd(const float* V, const float* U, float* Mo, int T, int Cin, int Cout) {
  const v128_t z = vsplat(0.f);
  const int vt = (Cin / 4) * REC, mt = (Cout / 4) * REC;  // floats per tile
  for (int xi = 0; xi < 36; xi++) {
    const float* u = U + xi * wslab(Cin, Cout);
    int t = 0;
    for (; t + 4 <= T; t += 4) {
      const float* v0 = V + t * vt + xi * 4;
      for (int co = 0; co < Cout; co += 8) {
        v128_t a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        const float* up = u + co;
        // One input channel per iteration (record ci / 4, lane ci % 4). Unrolled, the loads of
        // several channels get hoisted ahead of their multiplies and the engine spills registers.
        for (int ci = 0; ci < Cin; ci++, up += Cout) {
          const float* v = v0 + (ci >> 2) * REC + (ci & 3);
          const v128_t w0 = wasm_v128_load(up), w1 = wasm_v128_load(up + 4);
          v128_t s = wasm_v128_load32_splat(v);
          a00 = MADD(a00, s, w0);
          a01 = MADD(a01, s, w1);
          s = wasm_v128_load32_splat(v + vt);
          a10 = MADD(a10, s, w0);
          a11 = MADD(a11, s, w1);
          s = wasm_v128_load32_splat(v + 2 * vt);
          a20 = MADD(a20, s, w0);
          a21 = MADD(a21, s, w1);
          s = wasm_v128_load32_splat(v + 3 * vt);
          a30 = MADD(a30, s, w0);
          a31 = MADD(a31, s, w1);
        }
        float* o = Mo + t * mt + (co / 4) * REC + xi * 4;
        wasm_v128_store(o, a00);
        wasm_v128_store(o + REC, a01);
        wasm_v128_store(o + mt, a10);
        wasm_v128_store(o + mt + REC, a11);
        wasm_v128_store(o + 2 * mt, a20);
        wasm_v128_store(o + 2 * mt + REC, a21);
        wasm_v128_store(o + 3 * mt, a30);
        wasm_v128_store(o + 3 * mt + REC, a31);
      }
    }
    for (; t < T; t++) {
      for (int co = 0; co < Cout; co += 8) {
        v128_t a0 = z, a1 = z;
        const float* up = u + co;
        const float* v0 = V + t * vt + xi * 4;
        for (int ci = 0; ci < Cin; ci++, up += Cout) {
          const v128_t s = wasm_v128_load32_splat(v0 + (ci >> 2) * REC + (ci & 3));
          a0 = MADD(a0, s, wasm_v128_load(up));
          a1 = MADD(a1, s, wasm_v128_load(up + 4));
        }
        float* o = Mo + t * mt + (co / 4) * REC + xi * 4;
        wasm_v128_store(o, a0);
        wasm_v128_store(o + REC, a1);
      }
    }
  }
}

// M[xi][ci][co] (+)= sum_t V[t][ci][xi] Z[t][co][xi] (= when `first`): 4 input x 8 output
// channels in registers.
static NOINLINE void gemm_dw(const float* V, const float* Z, float* M, int T, int Cin, int Cout, int first) {
  const v128_t z = vsplat(0.f);
  const int vt = (Cin / 4) * REC, zt = (Cout / 4) * REC;
  for (int xi = 0; xi < 36; xi++) {
    float* m = M + xi * wslab(Cin, Cout);
    for (int ci = 0; ci < Cin; ci += 4) {
      for (int co = 0; co < Cout; co += 8) {
        float* g = m + ci * Cout + co;
        v128_t s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
        if (!first) {
          s00 = wasm_v128_load(g), s01 = wasm_v128_load(g + 4);
          s10 = wasm_v128_load(g + Cout), s11 = wasm_v128_load(g + Cout + 4);
          s20 = wasm_v128_load(g + 2 * Cout), s21 = wasm_v128_load(g + 2 * Cout + 4);
          s30 = wasm_v128_load(g + 3 * Cout), s31 = wasm_v128_load(g + 3 * Cout + 4);
        }
        const float* vp = V + (ci / 4) * REC + xi * 4;
        const float* zp = Z + (co / 4) * REC + xi * 4;
        for (int t = 0; t < T; t++, vp += vt, zp += zt) {
          const v128_t d0 = wasm_v128_load(zp), d1 = wasm_v128_load(zp + REC);
          v128_t q = wasm_v128_load32_splat(vp);
          s00 = MADD(s00, q, d0);
          s01 = MADD(s01, q, d1);
          q = wasm_v128_load32_splat(vp + 1);
          s10 = MADD(s10, q, d0);
          s11 = MADD(s11, q, d1);
          q = wasm_v128_load32_splat(vp + 2);
          s20 = MADD(s20, q, d0);
          s21 = MADD(s21, q, d1);
          q = wasm_v128_load32_splat(vp + 3);
          s30 = MADD(s30, q, d0);
          s31 = MADD(s31, q, d1);
        }
        wasm_v128_store(g, s00);
        wasm_v128_store(g + 4, s01);
        wasm_v128_store(g + Cout, s10);
        wasm_v128_store(g + Cout + 4, s11);
        wasm_v128_store(g + 2 * Cout, s20);
        wasm_v128_store(g + 2 * Cout + 4, s21);
        wasm_v128_store(g + 3 * Cout, s30);
        wasm_v128_store(g + 3 * Cout + 4, s31);
      }
    }
  }
}

// ---- weights ----

// U[xi][ci][co] = (G g G^T)[xi] with g = w[.][.][ci][co] (HWIO), for input channels [ci0, ci1).
static NOINLINE void wino_weights(const float* w, float* U, int Cin, int Cout, int ci0, int ci1) {
  for (int ci = ci0; ci < ci1; ci++) {
    for (int co = 0; co < Cout; co += 4) {
      v128_t tmp[18];
      for (int kx = 0; kx < 3; kx++) {
        v128_t g[3], u[6];
        for (int ky = 0; ky < 3; ky++) g[ky] = wasm_v128_load(w + ((ky * 3 + kx) * Cin + ci) * Cout + co);
        g3(g, u);
        for (int i = 0; i < 6; i++) tmp[i * 3 + kx] = u[i];
      }
      for (int i = 0; i < 6; i++) {
        v128_t u[6];
        g3(tmp + i * 3, u);
        for (int j = 0; j < 6; j++) wasm_v128_store(U + (i * 6 + j) * wslab(Cin, Cout) + ci * Cout + co, u[j]);
      }
    }
  }
}

// P[ky][kx][ci][co] = (G^T M G)[ky][kx] for every channel pair: a weight gradient (HWIO) from
// the transform-domain sums M ([36][Cin][Cout]).
static NOINLINE void wino_dw_back(const float* M, float* P, int Cin, int Cout) {
  for (int ci = 0; ci < Cin; ci++) {
    for (int co = 0; co < Cout; co += 4) {
      const float* m = M + ci * Cout + co;
      v128_t tmp[18];
      for (int j = 0; j < 6; j++) {
        v128_t c[6], r[3];
        for (int i = 0; i < 6; i++) c[i] = wasm_v128_load(m + (i * 6 + j) * wslab(Cin, Cout));
        gt6(c, r);
        for (int k = 0; k < 3; k++) tmp[k * 6 + j] = r[k];
      }
      for (int ky = 0; ky < 3; ky++) {
        v128_t r[3];
        gt6(tmp + ky * 6, r);
        for (int kx = 0; kx < 3; kx++) wasm_v128_store(P + ((ky * 3 + kx) * Cin + ci) * Cout + co, r[kx]);
      }
    }
  }
}

// ---- one block of tiles: output tile row ty, tile columns [tx0, tx1) ----

// in_tile with the interior case (and the usual 64 channels, whose pixel offsets then become
// constants instead of registers the engine runs short of) compiled apart.
static inline __attribute__((always_inline)) void in_tile_any(const float* p, int rs, int C, int vr, int vc, float* V, int t) {
  if (vr == 6 && vc == 6) {
    if (C == 64) in_tile(p, rs, 64, 6, 6, V, t);
    else in_tile(p, rs, C, 6, 6, V, t);
  } else {
    in_tile(p, rs, C, vr, vc, V, t);
  }
}

// The convolution of conv3x3 (same modes) for the block, through scratch VA and VB (TB tiles' records).
static NOINLINE void wino_conv(const float* in, float* out, const float* U, const float* bias, const float* mask, int H, int W, int Cin,
                               int Cout, int ty, int tx0, int tx1, int mode, float* VA, float* VB) {
  const int irs = (W + 2) * Cin, ors = (W + 2) * Cout, T = tx1 - tx0, y0 = 4 * ty;
  const int vr = H + 2 - y0 < 6 ? H + 2 - y0 : 6;
  for (int t = 0; t < T; t++) {
    const int x0 = 4 * (tx0 + t), vc = W + 2 - x0 < 6 ? W + 2 - x0 : 6;
    const float* p = in + y0 * irs + x0 * Cin;
    in_tile_any(p, irs, Cin, vr, vc, VA, t);
  }
  gemm_fwd(VA, U, VB, T, Cin, Cout);
  const int orr = H - y0 < 4 ? H - y0 : 4;
  for (int t = 0; t < T; t++) {
    const int x0 = 4 * (tx0 + t), oc = W - x0 < 4 ? W - x0 : 4;
    const int at = (y0 + 1) * ors + (x0 + 1) * Cout;
    if (orr == 4 && oc == 4) out_tile(VB, t, Cout, out + at, ors, bias, mask ? mask + at : 0, 4, 4, mode);
    else out_tile(VB, t, Cout, out + at, ors, bias, mask ? mask + at : 0, orr, oc, mode);
  }
}

// Weight-gradient sums M += the block's share (= for the first block; a: the layer's padded
// input, dz: the padded gradient of its output).
static NOINLINE void wino_dw(const float* a, const float* dz, float* M, int H, int W, int Cin, int Cout, int ty, int tx0, int tx1,
                             float* VA, float* VB, int first) {
  const int ars = (W + 2) * Cin, drs = (W + 2) * Cout, T = tx1 - tx0, y0 = 4 * ty;
  const int vr = H + 2 - y0 < 6 ? H + 2 - y0 : 6, dr = H - y0 < 4 ? H - y0 : 4;
  for (int t = 0; t < T; t++) {
    const int x0 = 4 * (tx0 + t), vc = W + 2 - x0 < 6 ? W + 2 - x0 : 6, dc = W - x0 < 4 ? W - x0 : 4;
    const float* p = a + y0 * ars + x0 * Cin;
    const float* q = dz + (y0 + 1) * drs + (x0 + 1) * Cout;
    in_tile_any(p, ars, Cin, vr, vc, VA, t);
    if (dr == 4 && dc == 4) dz_tile(q, drs, Cout, 4, 4, VB, t);
    else dz_tile(q, drs, Cout, dr, dc, VB, t);
  }
  gemm_dw(VA, VB, M, T, Cin, Cout, first);
}
