import type { ModelInfo } from '../contract/api';
import type { BackendName, BackendPreference, QualityPreset, ZssrConfig } from '../contract/enhance';
import type { EngineRunOptions, FloatImage } from '../contract/image';

/**
 * Where learned methods keep per-image weights. The engine defines the shape; cache/ implements
 * it on disk (the engine never knows where or how).
 */
export interface ModelStore {
  /** Serialized weights + meta for a key, or undefined (a corrupt entry is dropped and reads as undefined). */
  get(key: string): Promise<StoredModel | undefined>;
  put(key: string, model: StoredModel): Promise<void>;
  /** Most similar earlier entry for warm starts (same camera/lens/ISO band), if any. */
  findSimilar?(hint: Record<string, string>): Promise<StoredModel | undefined>;
}

export interface StoredModel {
  /** tfjs weight specs and their concatenated data (tf.io.ModelArtifacts-like). */
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  weightData: ArrayBuffer;
  meta: Record<string, unknown>;
}

export interface EngineEvent {
  backend?: BackendName;
  cacheHit?: boolean;
  message: string;
  /** Show it to people, not only in logs (a fallback to another backend, smaller tiles). */
  notice?: boolean;
}

export interface UpscaleContext extends EngineRunOptions {
  scale: number;
  preset?: QualityPreset;
  zssr?: ZssrConfig;
  backend?: BackendPreference;
  /** Per-image model cache for learned methods; absent = always train. */
  store?: ModelStore;
  /** Camera/lens/ISO hints from EXIF for warm starts. */
  hints?: Record<string, string>;
  /**
   * The photo's blur kernel (rows, summing to 1): read from `zssr.kernel_path` by the caller
   * (imaging reads the file formats), or estimated. ZSSR uses it instead of bicubic.
   */
  kernel?: number[][];
  onEvent?: (e: EngineEvent) => void;
}

/** Interleaved 8/16-bit samples, ready for an encoder. */
export interface SampleImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array | Uint16Array;
}

/** One enhancement method. `upscale` returns an image exactly `round(w*scale) x round(h*scale)`. */
export interface Upscaler {
  info: ModelInfo;
  upscale(img: FloatImage, ctx: UpscaleContext): Promise<FloatImage>;
  /**
   * The same result written straight into 8/16-bit samples (rounded half up, clamped) as it is
   * made, without a float copy of the output; undefined (before any work) when this method
   * cannot for this request. Optional: for big photos.
   */
  upscaleToSamples?(img: FloatImage, ctx: UpscaleContext, depth: 8 | 16): Promise<SampleImage | undefined>;
}

/** Output size of an upscale, the same rule for every method. */
export function outputSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
