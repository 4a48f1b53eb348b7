/**
 * The engine's pixel format: interleaved (HWC) float32 in [0,1], 1 or 3 channels.
 * Alpha never reaches the engine; imaging/ splits it off and upscales it separately.
 */
export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

/**
 * `v * gain` as an integer sample in [0, max]: rounded half up and clamped, NaN -> 0. The one
 * rounding rule of every 8/16-bit output (MATLAB's im2uint8/16 for gain = max, [0,1] input).
 */
export function toSample(v: number, max: number, gain = max): number {
  const x = Math.floor(v * gain + 0.5);
  return x > 0 ? (x < max ? x : max) : 0;
}

/** Progress reported by long engine work; structured, never text. 'estimate': estimating the photo's blur (Blind ZSSR). */
export interface EngineProgress {
  phase: 'decode' | 'estimate' | 'train' | 'infer' | 'encode' | 'export';
  done: number;
  total: number;
  step?: number;
  loss?: number;
  lr?: number;
  message?: string;
  /** What done/total count, when they are tiles of a tiled net run (shown as "tile n of m"). */
  unit?: 'tiles';
  /** The engine's estimate of its work after this phase (ZSSR: enlarging, from its net's measured speed). */
  restMs?: number;
}

export interface EngineRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
}
