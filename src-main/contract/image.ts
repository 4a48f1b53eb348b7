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

/** Progress reported by long engine work; structured, never text. */
export interface EngineProgress {
  phase: 'decode' | 'train' | 'infer' | 'encode' | 'export';
  done: number;
  total: number;
  step?: number;
  loss?: number;
  lr?: number;
  message?: string;
}

export interface EngineRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
}
