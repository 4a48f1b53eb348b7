import { z } from 'zod';
import { BackendName, EnhanceRequest } from './enhance';
import { ERROR_CODES } from './errors';

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;
/** 'estimate': estimating the photo's blur kernel before a Blind ZSSR run. */
export const JobPhase = z.enum(['decode', 'estimate', 'train', 'infer', 'encode', 'export']);
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
  /** 'tiles' when done/total count the tiles of a tiled net run (pretrained, imported, ZSSR enlarging). */
  unit: z.enum(['tiles']).optional(),
  /** Time left for the whole job: this phase at its pace so far, plus what the method expects after it. */
  etaMs: z.number().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const LossPoint = z.object({ step: z.number(), loss: z.number(), lr: z.number().optional() });
export type LossPoint = z.infer<typeof LossPoint>;

/** The loss curve of a job is kept at most this long (the core's JobInfo and the live view alike). */
export const MAX_LOSS_POINTS = 400;

/** Where a growing loss curve is in its thinning: every `stride`-th point of `n` seen is kept. */
export interface LossThinning {
  n: number;
  stride: number;
}

/**
 * The one thinning of a loss curve: keeps every stride-th point and halves the density when the
 * curve is full, so it stays at most MAX_LOSS_POINTS long and covers the whole run evenly.
 */
export function addLossPoint(points: LossPoint[], p: LossPoint, t: LossThinning): LossPoint[] {
  if (t.n++ % t.stride !== 0) return points;
  const next = [...points, p];
  if (next.length <= MAX_LOSS_POINTS) return next;
  t.stride *= 2;
  return next.filter((_, i) => i % 2 === 0);
}

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
  /** The library photo the job was made from, when its input is one (the interface groups jobs by it). */
  imageId: z.string().optional(),
  attempts: z.number().int().optional(),
  /** The job's number in its queue (1, 2, 3... in the order accepted): {seq} in export names. */
  seq: z.number().int().positive().optional(),
  /** The machine that runs (or ran) the job, when it runs on a farm worker. */
  worker: z.string().max(200).optional(),
});
export type JobInfo = z.infer<typeof JobInfo>;

/** What a job reports while it runs, without the job id (the worker's view; the host adds it). */
export const ProgressEventBody = z.object({ type: z.literal('progress'), progress: JobProgress });
export const TrainEventBody = z.object({
  type: z.literal('train'),
  step: z.number(),
  totalSteps: z.number(),
  loss: z.number(),
  lr: z.number(),
  /** Time left for the whole job, enlarging after the training included (when the engine measured it). */
  etaMs: z.number().optional(),
});
export const InfoEventBody = z.object({
  type: z.literal('info'),
  message: z.string(),
  backend: BackendName.optional(),
  cacheHit: z.boolean().optional(),
  /** Something people should see (e.g. a backend failed and the job continues on another). */
  notice: z.boolean().optional(),
});
export const OutputEventBody = z.object({ type: z.literal('output'), files: z.array(z.string()) });

const withJob = { jobId: z.string() };

/**
 * Structured job events, pushed to every front door (SSE, IPC, CLI progress bar). A state change
 * carries the job as it is then (the queue always sets it), so no listener has to ask for it.
 */
export const JobEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), jobId: z.string(), state: JobState, error: ErrorPayloadSchema.optional(), job: JobInfo.optional() }),
  ProgressEventBody.extend(withJob),
  TrainEventBody.extend(withJob),
  InfoEventBody.extend(withJob),
  OutputEventBody.extend(withJob),
]);
export type JobEvent = z.infer<typeof JobEvent>;
