import { z } from 'zod';
import { BackendInfo, ModelImport, ModelInfo } from '../contract/api';
import { BackendName, BackendPreference, type EnhanceRequest } from '../contract/enhance';
import { ErrorPayloadSchema, InfoEventBody, OutputEventBody, ProgressEventBody, TrainEventBody, type JobInfo } from '../contract/jobs';

// Messages between the host (main / CLI / server process) and the worker process. Both
// directions are plain structured-clone data; the host zod-checks what the worker sends.

export const ImageLimitsSchema = z
  .object({ maxInputMP: z.number(), maxOutputMP: z.number(), maxFileMB: z.number() })
  .partial();
export type ImageLimitsOverride = z.infer<typeof ImageLimitsSchema>;

/** What the worker needs besides the request: where things go, limits, the attempt number. */
export const WorkerRunOptions = z.object({
  /** Output folder when the request names none. */
  outputsDir: z.string(),
  /** Per-image model cache folder (learned methods); absent = no cache. */
  cacheDir: z.string().optional(),
  cacheMaxMB: z.number().optional(),
  /** The studio's data folder (export presets are read from it). */
  dataDir: z.string().optional(),
  /** <dataDir>/presets (older callers; its parent is taken as the data folder). */
  presetsDir: z.string().optional(),
  limits: ImageLimitsSchema.optional(),
  attempt: z.number().int().positive(),
  /**
   * The job, as it is on every attempt: its id names the job's output ledger (with dataDir), so
   * a redo removes what an interrupted attempt left; createdAt and seq fill {date} and {seq}.
   */
  job: z
    .object({
      id: z.string().min(1),
      createdAt: z.number(),
      seq: z.number().int().positive().optional(),
    })
    .optional(),
});
export type WorkerRunOptions = z.infer<typeof WorkerRunOptions>;

/** WorkerRunOptions.job for a queued job. */
export function stableJobOptions(job: Pick<JobInfo, 'id' | 'createdAt' | 'seq'>): NonNullable<WorkerRunOptions['job']> {
  return { id: job.id, createdAt: job.createdAt, ...(job.seq !== undefined ? { seq: job.seq } : {}) };
}

export interface WorkerJob {
  jobId: string;
  request: EnhanceRequest;
  options: WorkerRunOptions;
}

/** Job events as the worker sends them (the host adds the job id and owns `state`). */
export const WorkerJobEvent = z.discriminatedUnion('type', [ProgressEventBody, TrainEventBody, InfoEventBody, OutputEventBody]);
export type WorkerJobEvent = z.infer<typeof WorkerJobEvent>;

export const WorkerJobResult = z.object({
  outputs: z.array(z.string()),
  backend: BackendName.optional(),
  cacheHit: z.boolean().optional(),
});
export type WorkerJobResult = z.infer<typeof WorkerJobResult>;

/** Questions the host may ask a worker (answered from the engine that lives there). */
export const WORKER_QUERIES = {
  /** With the data folder: models trained there (user:<name>) are listed too. */
  models: { args: z.tuple([z.string().optional()]), result: z.array(ModelInfo) },
  backend: { args: z.tuple([BackendPreference]), result: BackendInfo },
  /** Import a model file into the data folder (read and checked in the engine process). */
  importModel: { args: z.tuple([z.string(), ModelImport]), result: ModelInfo },
  removeModel: { args: z.tuple([z.string(), z.string()]), result: z.boolean() },
};
export type WorkerQueryName = keyof typeof WORKER_QUERIES;
export type WorkerQueryArgs<Q extends WorkerQueryName> = z.infer<(typeof WORKER_QUERIES)[Q]['args']>;
export type WorkerQueryResult<Q extends WorkerQueryName> = z.infer<(typeof WORKER_QUERIES)[Q]['result']>;

export type HostMessage =
  | { type: 'run'; jobId: string; request: EnhanceRequest; options: WorkerRunOptions }
  | { type: 'cancel'; jobId: string }
  | { type: 'query'; id: number; query: WorkerQueryName; args: unknown[] }
  | { type: 'shutdown' };

const ResultOf = <T extends z.ZodType>(value: T) =>
  z.union([z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: ErrorPayloadSchema })]);

export const WorkerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number() }),
  z.object({ type: z.literal('event'), jobId: z.string(), event: WorkerJobEvent }),
  z.object({ type: z.literal('result'), jobId: z.string(), result: ResultOf(WorkerJobResult) }),
  z.object({ type: z.literal('reply'), id: z.number(), result: ResultOf(z.unknown()) }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;
