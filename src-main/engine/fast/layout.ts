// Word offsets of the C `Net` header (native/convnet.c): every field is 4 bytes, in this order.
// The wasm module reports its own size and one offset so a mismatch fails loudly at start.
export const MAXL = 32;
/** Phases per run: one per layer forward and backward, plus a few. */
export const MAXPH = 2 * MAXL + 8;

const FIELDS: [string, number][] = [
  ['depth', 1],
  ['H', 1],
  ['W', 1],
  ['nthreads', 1],
  ['cin', MAXL],
  ['cout', MAXL],
  ['w', MAXL],
  ['b', MAXL],
  ['gw', MAXL],
  ['gb', MAXL],
  ['wt', MAXL],
  ['act', MAXL + 1],
  ['dz', 2],
  ['hr', 1],
  ['params', 1],
  ['grads', 1],
  ['m', 1],
  ['v', 1],
  ['nparams', 1],
  ['lr', 1],
  ['beta1', 1],
  ['beta2', 1],
  ['eps', 1],
  ['t', 1],
  ['loss_rows', 1],
  ['loss', 1],
  ['out', 1],
  ['train_bias', 1],
  ['uf', MAXL],
  ['ub', MAXL],
  ['scratch', 1],
  ['sstride', 1],
  ['svb', 1],
  ['sm', 1],
  ['part', 1],
  ['part_stride', 1],
  ['prep', 1],
  ['stacks', 1],
  ['stack_bytes', 1],
  ['fault', 1],
  ['claim', MAXPH],
  ['done', MAXPH],
];

export type HeaderField =
  | 'depth' | 'H' | 'W' | 'nthreads' | 'cin' | 'cout' | 'w' | 'b' | 'gw' | 'gb' | 'wt' | 'act' | 'dz' | 'hr'
  | 'params' | 'grads' | 'm' | 'v' | 'nparams' | 'lr' | 'beta1' | 'beta2' | 'eps' | 't' | 'loss_rows' | 'loss'
  | 'out' | 'train_bias' | 'uf' | 'ub' | 'scratch' | 'sstride' | 'svb' | 'sm' | 'part' | 'part_stride' | 'prep' | 'stacks' | 'stack_bytes' | 'fault' | 'claim' | 'done';

export const OFFSET: Record<HeaderField, number> = (() => {
  const o: Record<string, number> = {};
  let at = 0;
  for (const [name, n] of FIELDS) {
    o[name] = at;
    at += n;
  }
  return o as Record<HeaderField, number>;
})();

export const HEADER_WORDS = FIELDS.reduce((s, [, n]) => s + n, 0);

/** Words the host zeroes before each run: the work counters (the header's tail). */
export const RUN_STATE_WORDS = HEADER_WORDS - OFFSET.claim;

/** Tiles per Winograd block (TB in native/winograd.h): sizes the per-thread scratch. */
export const WINO_TILES = 16;
/** Weight-gradient parts per Winograd layer (NPART in native/convnet.c). */
export const WINO_PARTS = 4;

/** Most threads a network runs on. */
export const MAX_THREADS = 16;

/** Entry points of `run(header, fn, tid)`. */
export const FN_TRAIN = 0;
export const FN_GRAD = 1;
export const FN_INFER = 2;
