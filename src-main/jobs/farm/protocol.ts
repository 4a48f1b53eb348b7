import { z } from 'zod';
import { EnhanceRequest, BackendName } from '../../contract/enhance';
import { isErrorCode, type ErrorPayload } from '../../contract/errors';

// What a farm job carries in Redis: the coordinator writes the data, a worker the result and
// its events (through BullMQ's progress). Both sides zod-check what they read.

export const FarmJobData = z.object({
  request: EnhanceRequest,
  createdAt: z.number(),
  seq: z.number().int().positive().optional(),
  watchId: z.string().optional(),
  imageId: z.string().optional(),
});
export type FarmJobData = z.infer<typeof FarmJobData>;

export const FarmJobResult = z.object({
  outputs: z.array(z.string()),
  backend: BackendName.optional(),
  cacheHit: z.boolean().optional(),
  worker: z.string().optional(),
});
export type FarmJobResult = z.infer<typeof FarmJobResult>;

/** BullMQ keeps an error as text: `E_CODE: message`. */
export function encodeError(p: ErrorPayload): string {
  return `${p.code}: ${p.message}`;
}

export function decodeError(reason: string | undefined): ErrorPayload {
  const m = /^(E_[A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  if (m && isErrorCode(m[1])) return { code: m[1], message: m[2] };
  if (/stalled/i.test(reason ?? '')) return { code: 'E_WORKER_CRASHED', message: `the job's worker stopped too often (${reason})` };
  return { code: 'E_INTERNAL', message: reason || 'the job failed' };
}

/** Redis keys of the studio's own beside BullMQ's. */
export function farmKeys(prefix: string, queue: string) {
  return { seq: `${prefix}:${queue}:studio:seq`, cancelled: `${prefix}:${queue}:studio:cancel`, channel: `${prefix}:${queue}:studio:cancel` };
}
