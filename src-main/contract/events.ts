import { z } from 'zod';
import { ImageItem } from './api';
import { JobEvent } from './jobs';
import { SpeedBook } from './speed';

/** Everything pushed from the core to a front door (SSE stream, IPC event channel). */
export const StudioEvent = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('job'), event: JobEvent }),
  z.object({ topic: z.literal('library'), items: z.array(ImageItem) }),
  z.object({ topic: z.literal('watch'), watchId: z.string(), message: z.string() }),
  /** A finished job measured this machine's speed again (all records, as speeds.list answers). */
  z.object({ topic: z.literal('speeds'), records: SpeedBook.shape.records }),
]);
export type StudioEvent = z.infer<typeof StudioEvent>;
