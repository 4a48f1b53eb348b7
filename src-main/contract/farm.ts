import { z } from 'zod';
import { method } from './define';

/** Where jobs go: this machine's journal (default) or a farm's shared queue on Redis. */
export const QueueSetting = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }).strict(),
  z
    .object({
      kind: z.literal('redis'),
      /** redis://[user:password@]host:port[/db] or rediss:// (TLS). */
      url: z.string().min(1).max(2048),
      /** Key prefix: several studios can share one Redis. */
      prefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional(),
      /** Allow a Redis off this machine without credentials. */
      insecure: z.boolean().optional(),
    })
    .strict(),
]);
export type QueueSetting = z.infer<typeof QueueSetting>;
export type RedisQueueSetting = Extract<QueueSetting, { kind: 'redis' }>;

/** A farm worker as the queue knows it (one per `studio worker` process). */
export const FarmWorker = z.object({
  /** The machine's name (and process id) the worker reports. */
  name: z.string(),
  /** Its address as Redis sees the connection. */
  addr: z.string().optional(),
  /** Seconds since it connected. */
  ageS: z.number().optional(),
  /** Seconds since its last command (a busy worker renews its locks). */
  idleS: z.number().optional(),
});
export type FarmWorker = z.infer<typeof FarmWorker>;

export const farmApi = {
  /** The farm's workers (empty on the local queue). */
  'farm.workers': method(z.tuple([]), z.array(FarmWorker)),
};
