import { z } from 'zod';
import { imageGlob } from '../base/image-types';
import { method } from './define';
import { FilePath } from './paths';
import { MethodId, OutputFormat, QualityPreset, Detail } from './enhance';
import { ErrorPayloadSchema } from './jobs';

// Watched folders: a source folder + a recipe + options. Every file that lands in the folder
// becomes one entry of the watch's journal (queued -> running -> done | failed, or skipped).

const absPath = FilePath;
const glob = z.string().min(1).max(500);

/** What to make of each photo. Outputs go under `outDir`, mirroring the source's sub-folders. */
export const WatchRecipe = z
  .object({
    method: MethodId,
    scale: z.number().min(1).max(16),
    preset: QualityPreset.optional(),
    /** Learned methods: percent of the net's detail kept (EnhanceRequest.detail). */
    detail: Detail.optional(),
    /** Export preset ids: several deliverables per photo (see presets). */
    exportPresets: z.array(z.string().min(1).max(200)).max(16).optional(),
    format: OutputFormat.optional(),
    quality: z.number().int().min(1).max(100).optional(),
    outDir: absPath,
  })
  .strict();
export type WatchRecipe = z.infer<typeof WatchRecipe>;

/** Image extensions a watch takes when no include globs are given. */
export const DEFAULT_WATCH_INCLUDE = [imageGlob()];

export const WatchOptions = z
  .object({
    recursive: z.boolean(),
    /** Globs relative to the source folder, matched case-insensitively. Default: image extensions. */
    include: z.array(glob).max(64),
    exclude: z.array(glob).max(64),
    /** Also process files already in the folder when the watch is created (else only new ones). */
    existing: z.boolean(),
    /** Photos of this watch processed at the same time. */
    concurrency: z.number().int().min(1).max(8),
    /** Skip a file whose content (hash) was already processed with this recipe, whatever its name. */
    skipDuplicates: z.boolean(),
    /** A file counts as completely written once its size has not changed for this long. */
    stableMs: z.number().int().min(50).max(600_000),
  })
  .strict();
export type WatchOptions = z.infer<typeof WatchOptions>;

export const DEFAULT_WATCH_OPTIONS: WatchOptions = {
  recursive: false,
  include: DEFAULT_WATCH_INCLUDE,
  exclude: [],
  existing: false,
  concurrency: 1,
  skipDuplicates: true,
  stableMs: 1000,
};

/** Argument of watches.add; options not given take DEFAULT_WATCH_OPTIONS. */
export const WatchSpec = z
  .object({
    source: absPath,
    name: z.string().min(1).max(200).optional(),
    recipe: WatchRecipe,
    options: WatchOptions.partial().optional(),
    /** Make the source folder when it does not exist yet (else the watch waits for it). */
    create: z.boolean().optional(),
  })
  .strict();
export type WatchSpec = z.infer<typeof WatchSpec>;

/** A watch as persisted in <dataDir>/watches.json. */
export const WatchConfig = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    source: absPath,
    recipe: WatchRecipe,
    options: WatchOptions,
    createdAt: z.number(),
    /** Paused by the user (survives restarts). */
    paused: z.boolean(),
  })
  .strict();
export type WatchConfig = z.infer<typeof WatchConfig>;

export const WatchFileState = z.enum(['queued', 'running', 'done', 'failed', 'skipped']);
export type WatchFileState = z.infer<typeof WatchFileState>;

export const WatchCounts = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
});
export type WatchCounts = z.infer<typeof WatchCounts>;

/**
 * active: watching and processing; paused: by the user; waiting: the source folder is missing or
 * unreadable (see `reason`), resumes by itself when it comes back; starting: initial scan;
 * stopped: not running (see `reason`, e.g. E_LOCKED when another studio process runs it).
 */
export const WatchRunState = z.enum(['starting', 'active', 'paused', 'waiting', 'stopped']);
export type WatchRunState = z.infer<typeof WatchRunState>;

export const WatchInfo = WatchConfig.extend({
  state: WatchRunState,
  reason: ErrorPayloadSchema.optional(),
  counts: WatchCounts,
});
export type WatchInfo = z.infer<typeof WatchInfo>;

export const WatchFile = z.object({
  /** Path relative to the source folder ('/' separated). */
  rel: z.string(),
  path: z.string(),
  size: z.number(),
  hash: z.string().optional(),
  state: WatchFileState,
  jobId: z.string().optional(),
  outputs: z.array(z.string()),
  error: ErrorPayloadSchema.optional(),
  /** Why a skipped file was skipped, e.g. 'duplicate of a.jpg'. */
  note: z.string().optional(),
  attempts: z.number().int(),
  detectedAt: z.number(),
  updatedAt: z.number(),
});
export type WatchFile = z.infer<typeof WatchFile>;

export const WatchFilesQuery = z
  .object({
    state: WatchFileState.optional(),
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(5000).optional(),
  })
  .strict();
export type WatchFilesQuery = z.infer<typeof WatchFilesQuery>;

/** A page of a watch's files (default 500 per page), most recently updated first, with the counts of all files. */
export const WatchFilesPage = z.object({
  counts: WatchCounts,
  total: z.number().int(),
  files: z.array(WatchFile),
});
export type WatchFilesPage = z.infer<typeof WatchFilesPage>;

const id = z.string().min(1).max(200);

export const watchApi = {
  'watches.list': method(z.tuple([]), z.array(WatchInfo)),
  /** Refuses (E_CONFIG_INVALID) configs whose outputs would land in a watched tree. */
  'watches.add': method(z.tuple([WatchSpec]), WatchInfo),
  'watches.remove': method(z.tuple([id]), z.boolean()),
  'watches.pause': method(z.tuple([id]), WatchInfo),
  'watches.resume': method(z.tuple([id]), WatchInfo),
  'watches.files': method(z.tuple([id, WatchFilesQuery.optional()]), WatchFilesPage),
};
