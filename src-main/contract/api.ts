import { z } from 'zod';
import { method, type ApiOf } from './define';
import { BackendName, BackendPreference, EnhanceRequest, MethodId, OutputFormat, OutputOptions } from './enhance';
import { JobInfo } from './jobs';
import { FilePath, fsPath } from './paths';
import { watchApi } from './watch';
import { presetsApi } from './presets';
import { cacheApi } from './cache';
import { farmApi, QueueSetting } from './farm';
import { speedsApi } from './speed';

// Each domain owns one block of the map below. Front doors (HTTP, IPC, CLI) are generic over
// the map: adding a method here is all it takes to expose it everywhere, validated by zod.

export const ModelInfo = z.object({
  id: MethodId,
  family: z.enum(['interpolation', 'pretrained', 'zero-shot', 'adapt', 'user', 'imported']),
  label: z.string(),
  scales: z.array(z.number()),
  description: z.string(),
  sizeBytes: z.number().optional(),
  license: z.string().optional(),
  source: z.string().optional(),
  speed: z.string().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const BackendStatus = z.object({
  name: BackendName,
  available: z.boolean(),
  reason: z.string().optional(),
  /** 'inference' (ONNX Runtime) or 'training and inference' (tfjs, the wasm kernels). */
  role: z.string().optional(),
  /** "CPU · 8 cores", "GPU · Apple M2". */
  device: z.string().optional(),
  /** Measured by the compute probe on a small conv net. */
  gflops: z.number().optional(),
});
export type BackendStatus = z.infer<typeof BackendStatus>;

/** A model file people bring: .pth/.pt/.ckpt, .safetensors, .onnx, or an ncnn .param (its .bin beside it). */
export const ModelImport = z
  .object({
    path: z.string().min(1).max(4096),
    /** Method name (becomes 'user:<name>'); default: from the file name. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, '1-63 letters, digits, . _ -, starting with a letter or digit')
      .optional(),
    /** Licence text to keep with the model. */
    license: z.string().max(100_000).optional(),
  })
  .strict();
export type ModelImport = z.infer<typeof ModelImport>;

/**
 * A piece of a model file sent by the app (browser or desktop window), written to a staging
 * folder in the data folder; 'models.add' then imports the staged file and removes the folder.
 */
export const ModelChunk = z
  .object({
    /** Names the staging folder: one per import (ncnn: the .param and the .bin together). */
    batch: z.string().regex(/^[a-z0-9]{8,40}$/),
    fileName: z
      .string()
      .min(1)
      .max(180)
      .regex(/^[^/\\\0]+$/, 'a file name, not a path')
      .refine((n) => n !== '.' && n !== '..', 'a file name, not a path'),
    /** Byte offset of this piece: 0 starts the file, then the size staged so far. */
    offset: z.number().int().min(0).max(2 ** 31),
    /** The bytes, base64 (at most 512 KiB of data per piece). */
    data: z.string().max(700_000),
  })
  .strict();
export type ModelChunk = z.infer<typeof ModelChunk>;

export const BackendInfo = z.object({
  /** Where learned methods' nets run (auto's choice, or the one forced). */
  active: BackendName,
  preference: BackendPreference,
  available: z.array(BackendStatus),
  /** The active backend's device, for the top-bar badge: "CPU · 2 cores", "GPU · <name>". */
  device: z.string().optional(),
  /** Where training (ZSSR, train, Adapt) runs for this preference. */
  training: BackendName.optional(),
});
export type BackendInfo = z.infer<typeof BackendInfo>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  engineVersion: z.string(),
  dataDir: z.string(),
  outputsDir: z.string(),
  limits: z.object({ maxInputMP: z.number(), maxOutputMP: z.number(), maxFileMB: z.number(), maxUploadMB: z.number() }),
  desktop: z.boolean(),
  /**
   * What the studio recovered since it started (damaged state files, a damaged job journal,
   * interrupted jobs): shown to the user once. `at` tells notices apart.
   */
  notices: z.array(z.object({ at: z.number(), message: z.string() })).optional(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const ImageItem = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  width: z.number(),
  height: z.number(),
  format: z.string(),
  bytes: z.number(),
  addedAt: z.number(),
  hasAlpha: z.boolean(),
  bitDepth: z.union([z.literal(8), z.literal(16)]),
});
export type ImageItem = z.infer<typeof ImageItem>;

export const Settings = z
  .object({
    backend: BackendPreference,
    cacheMaxMB: z.number().int().min(16).max(1_000_000),
    outputsDir: fsPath(z.string().max(4096)),
    defaultFormat: z.union([OutputFormat, z.literal('same')]),
    defaultQuality: z.number().int().min(1).max(100),
    concurrency: z.number().int().min(1).max(8),
    /** The job queue: local (default) or a farm's Redis (read when the studio starts). */
    queue: QueueSetting.optional(),
    /**
     * Folders the browser studio may read from and export to besides its data folder (the desktop
     * app is not confined). Not path-marked: adding a folder is how a folder becomes allowed;
     * settings.update checks that each is an absolute, existing folder and not a whole disk.
     */
    allowedFolders: z.array(z.string().min(1).max(4096)).max(100),
    /** The last destination of each export preset (by preset id), offered again next time. */
    lastExportDirs: z.record(z.string().min(1).max(200), fsPath(z.string().max(4096))),
  })
  .strict();
export type Settings = z.infer<typeof Settings>;

/** One level of folders, for choosing a folder in the browser (no files, no hidden folders). */
export const FolderListing = z.object({
  path: z.string(),
  /** The folder above, when browsing may go there. */
  parent: z.string().nullable(),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  /** Starting points: the home folder, Pictures, the allowed folders. */
  places: z.array(z.object({ name: z.string(), path: z.string() })),
});
export type FolderListing = z.infer<typeof FolderListing>;

const none = z.tuple([]);
const id = z.string().min(1).max(200);

export const appApi = {
  'app.info': method(none, AppInfo),
  'app.backend': method(none, BackendInfo),
  'settings.get': method(none, Settings),
  'settings.update': method(z.tuple([Settings.partial()]), Settings),
  /**
   * The folders inside one folder (default: the home folder), to pick an allowed folder in the
   * browser. Only the home folder, the data folder and the allowed folders can be browsed.
   */
  'folders.list': method(z.tuple([z.string().min(1).max(4096).optional()]), FolderListing),
};

export const libraryApi = {
  'library.list': method(none, z.array(ImageItem)),
  /** Desktop and CLI: add photos by path (copied into nothing: originals stay where they are). */
  'library.addPaths': method(z.tuple([z.array(FilePath).min(1).max(10_000)]), z.array(ImageItem)),
  'library.remove': method(z.tuple([id]), z.boolean()),
};

/**
 * Deliver a finished job's result: rendered from its output file (its pixels, its bit depth),
 * without running the method again and without a new job. With export presets each writes its
 * deliverables under `output.dir`; without, one file in `output`'s format (default: the result's).
 */
export const ResultExport = z
  .object({
    jobId: z.string().min(1).max(200),
    presets: z.array(z.string().min(1).max(200)).max(16).optional(),
    output: OutputOptions.optional(),
  })
  .strict();
export type ResultExport = z.infer<typeof ResultExport>;

export const jobsApi = {
  'jobs.enqueue': method(z.tuple([EnhanceRequest]), JobInfo),
  'jobs.export': method(z.tuple([ResultExport]), z.object({ files: z.array(z.string()) })),
  'jobs.list': method(none, z.array(JobInfo)),
  'jobs.get': method(z.tuple([id]), JobInfo),
  'jobs.cancel': method(z.tuple([id]), JobInfo),
  'jobs.retry': method(z.tuple([id]), JobInfo),
  'models.list': method(none, z.array(ModelInfo)),
  /** Import a model file into the data folder; it becomes a method everywhere. */
  'models.add': method(z.tuple([ModelImport]), ModelInfo),
  /** Stage a piece of a model file picked in the app (see ModelChunk); returns the staged file. */
  'models.stage': method(z.tuple([ModelChunk]), z.object({ path: z.string(), bytes: z.number() })),
  /** Remove an imported model ('user:<name>' or its name); false when there is none. */
  'models.remove': method(z.tuple([z.string().min(1).max(80)]), z.boolean()),
};

export const studioApi = {
  ...appApi,
  ...libraryApi,
  ...jobsApi,
  ...watchApi,
  ...presetsApi,
  ...cacheApi,
  ...farmApi,
  ...speedsApi,
};

export type StudioApiMap = typeof studioApi;
export type StudioApi = ApiOf<StudioApiMap>;
export type StudioMethod = keyof StudioApiMap;
