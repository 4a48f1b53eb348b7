import { z } from 'zod';
import { BackendName, EnhanceRequest } from './enhance';
import { ERROR_CODES } from './errors';

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;
export const JobPhase = z.enum(['decode', 'train', 'infer', 'encode', 'export']);
export type JobPhase = z.infer<typeof JobPhase>;

export const ErrorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const JobProgress = z.object({
  phase: JobPhase,
  done: z.number(),
  total: z.number(),
  etaMs: z.number().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const LossPoint = z.object({ step: z.number(), loss: z.number(), lr: z.number().optional() });
export type LossPoint = z.infer<typeof LossPoint>;

export const JobInfo = z.object({
  id: z.string(),
  request: EnhanceRequest,
  state: JobState,
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  progress: JobProgress.optional(),
  backend: BackendName.optional(),
  cacheHit: z.boolean().optional(),
  outputs: z.array(z.string()),
  error: ErrorPayloadSchema.optional(),
  /** Training loss, thinned to at most a few hundred points for the live curve. */
  loss: z.array(LossPoint).optional(),
  /** Set when the job came from a watched folder. */
  watchId: z.string().optional(),
  attempts: z.number().int().optional(),
});
export type JobInfo = z.infer<typeof JobInfo>;

/** Structured job events, pushed to every front door (SSE, IPC, CLI progress bar). */
export const JobEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), jobId: z.string(), state: JobState, error: ErrorPayloadSchema.optional() }),
  z.object({ type: z.literal('progress'), jobId: z.string(), progress: JobProgress }),
  z.object({
    type: z.literal('train'),
    jobId: z.string(),
    step: z.number(),
    totalSteps: z.number(),
    loss: z.number(),
    lr: z.number(),
    etaMs: z.number().optional(),
  }),
  z.object({
    type: z.literal('info'),
    jobId: z.string(),
    message: z.string(),
    backend: BackendName.optional(),
    cacheHit: z.boolean().optional(),
  }),
  z.object({ type: z.literal('output'), jobId: z.string(), files: z.array(z.string()) }),
]);
export type JobEvent = z.infer<typeof JobEvent>;
