// Named weight tensors read from a checkpoint (.pth, .safetensors), before any architecture is
// known: what the architecture detection looks at.
import { StudioError } from '../../contract/errors';

export interface NamedTensor {
  shape: number[];
  /** Row-major values as float32 (fp16/bf16/fp64 converted); undefined for integer tensors. */
  data?: Float32Array;
  /** The dtype stored in the file. */
  dtype: string;
}

export type StateDict = Map<string, NamedTensor>;

/** Wrappers training code puts around the weights, most specific first (Real-ESRGAN prefers EMA). */
const WRAPPERS = ['params_ema', 'params', 'state_dict', 'model', 'net', 'generator', 'netG', 'model_state_dict'];

/** The state dict inside a checkpoint's top-level object, with DataParallel's 'module.' dropped. */
export function unwrapStateDict(top: unknown, isTensor: (v: unknown) => v is NamedTensor): StateDict {
  let obj = top;
  for (let depth = 0; depth < 3 && obj instanceof Map; depth++) {
    const hasTensors = [...obj.values()].some(isTensor);
    if (hasTensors) break;
    const key = WRAPPERS.find((k) => obj instanceof Map && obj.get(k) instanceof Map);
    if (!key) break;
    obj = obj.get(key);
  }
  if (!(obj instanceof Map)) throw new StudioError('E_MODEL_INVALID', 'the checkpoint holds no dictionary of weights');
  const out: StateDict = new Map();
  for (const [k, v] of obj) if (typeof k === 'string' && isTensor(v)) out.set(k.startsWith('module.') ? k.slice(7) : k, v);
  if (out.size === 0) throw new StudioError('E_MODEL_INVALID', `the checkpoint holds no weight tensors (top-level keys: ${[...obj.keys()].slice(0, 8).join(', ')})`);
  return out;
}
