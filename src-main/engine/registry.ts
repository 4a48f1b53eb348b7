import { StudioError } from '../contract/errors';
import type { ModelInfo } from '../contract/api';
import type { Upscaler } from './upscaler';
import { classicalUpscalers } from './classical';
import { zssrUpscalers } from './zssr';
import { withBlindOption } from './kernelgan';
import { pretrainedUpscalers } from './pretrained';
import { adaptUpscalers } from './adapt';
import { realesrganUpscalers } from './models/builtin';

// Every method the studio offers, in menu order. Each family adds its list here (one line).
const families: (() => Upscaler[])[] = [() => classicalUpscalers, () => zssrUpscalers.map(withBlindOption), () => pretrainedUpscalers, () => realesrganUpscalers, () => adaptUpscalers];

/** User-trained models register at run time (see train/). */
const extra = new Map<string, Upscaler>();
export function registerUpscaler(u: Upscaler): void {
  extra.set(u.info.id, u);
}

export function unregisterUpscaler(id: string): void {
  extra.delete(id);
}

export function listUpscalers(): Upscaler[] {
  return [...families.flatMap((f) => f()), ...extra.values()];
}

export function listModels(): ModelInfo[] {
  return listUpscalers().map((u) => u.info);
}

export function getUpscaler(id: string): Upscaler {
  const u = listUpscalers().find((x) => x.info.id === id);
  if (!u) {
    throw new StudioError('E_MODEL_NOT_FOUND', `unknown method '${id}'; available: ${listUpscalers().map((x) => x.info.id).join(', ')}`);
  }
  return u;
}
