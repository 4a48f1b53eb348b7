import type { ModelInfo } from '../../../src-main/contract/api';
import type { JobInfo } from '../../../src-main/contract/jobs';

/** "ZSSR ×4 · Balanced" ("Blind ZSSR ×2 · Balanced"): how a job's result is named everywhere in the UI. */
export function resultLabel(job: JobInfo, models: readonly ModelInfo[]): string {
  const m = models.find((x) => x.id === job.request.method);
  const name = shortName(m?.label ?? job.request.method);
  const learned = m ? m.family !== 'interpolation' : false;
  const preset = learned && job.request.preset ? ` · ${job.request.preset[0].toUpperCase()}${job.request.preset.slice(1)}` : '';
  const blind = job.request.zssr?.blind ? 'Blind ' : '';
  return `${blind}${name} ×${job.request.scale}${preset}`;
}

export const PHASE_LABEL: Record<string, string> = {
  decode: 'Reading photo',
  estimate: 'Estimating blur',
  train: 'Learning from the photo',
  infer: 'Enlarging',
  encode: 'Saving',
  export: 'Exporting',
};

export const STATE_LABEL: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** A model's label without its explanation: 'ZSSR (learns from the photo itself)' -> 'ZSSR'. */
export function shortName(label: string): string {
  return label.replace(/\s*\(.*\)\s*$/, '') || label;
}

/** Compute backends as people read them (one map for every view). */
/** Where a job ran, in a few plain words (job cards, the viewer's footer): "on the CPU", "on the GPU". */
export function ranOn(backend: string): string {
  return /gpu|directml|coreml|cuda/i.test(backend) ? 'on the GPU' : 'on the CPU';
}

export const BACKEND_LABEL: Record<string, string> = {
  auto: 'Automatic (fastest that works here)',
  'onnx-cpu': 'CPU, all cores (ONNX Runtime)',
  'onnx-webgpu': 'GPU (ONNX Runtime, WebGPU)',
  'onnx-directml': 'GPU (ONNX Runtime, DirectML)',
  'onnx-coreml': 'Apple Neural Engine / GPU (CoreML)',
  webgpu: 'GPU (WebGPU, trains too)',
  'tensorflow-gpu': 'GPU (CUDA)',
  tensorflow: 'Native CPU (TensorFlow)',
  wasm: 'WebAssembly CPU',
  cpu: 'JavaScript CPU',
};
