import { z } from 'zod';
import { method } from './define';

// How long a job takes on this machine, learned from the jobs it has run: per method, quality
// preset and scale, the time before enlarging (reading, loading or training the net) and the
// time per output megapixel of enlarging and saving. Nothing is guessed before a first run.

/** What one kind of job measured, averaged over its recent runs. */
export const SpeedRecord = z.object({
  /** Reading the photo, loading the net or training it: about the same for any photo size. */
  setupMs: z.number().nonnegative(),
  /** Enlarging and saving, per output megapixel. */
  msPerOutputMP: z.number().nonnegative(),
  /** Runs averaged (the average weighs at most the last SPEED_WINDOW). */
  runs: z.number().int().positive(),
  at: z.number(),
});
export type SpeedRecord = z.infer<typeof SpeedRecord>;

/** speeds.json in the data folder. */
export const SpeedBook = z.object({ version: z.literal(1), records: z.record(z.string().max(300), SpeedRecord) });
export type SpeedBook = z.infer<typeof SpeedBook>;

/** A new run counts as one of this many: the estimate follows a machine that got faster or busier. */
export const SPEED_WINDOW = 5;

/** What makes two jobs comparable in time (a request's fields). */
export interface SpeedKeyParts {
  method: string;
  scale: number;
  preset?: string;
  zssr?: { blind?: boolean } & Record<string, unknown>;
}

/** method|preset|x<scale>, then |blind, and |custom when ZSSR's own settings change the preset's. */
export function speedKey(k: SpeedKeyParts): string {
  const custom = Object.keys(k.zssr ?? {}).some((key) => key !== 'blind');
  return `${k.method}|${k.preset ?? 'balanced'}|x${k.scale}${k.zssr?.blind ? '|blind' : ''}${custom ? '|custom' : ''}`;
}

/** One finished job's times. */
export interface SpeedSample {
  setupMs: number;
  /** From the first enlarging progress to the end. */
  enlargeMs: number;
  outputMP: number;
  at: number;
}

/** Megapixels a job makes from a photo of this size: what the book records per job and estimates from. */
export function outputMegapixels(width: number, height: number, scale: number): number {
  return (width * scale * height * scale) / 1e6;
}

/** The record after one more run (a running mean over the last SPEED_WINDOW runs). */
export function addSpeedSample(prev: SpeedRecord | undefined, s: SpeedSample): SpeedRecord {
  const perMP = s.enlargeMs / Math.max(s.outputMP, 1e-3);
  if (!prev) return { setupMs: s.setupMs, msPerOutputMP: perMP, runs: 1, at: s.at };
  const n = Math.min(prev.runs, SPEED_WINDOW - 1);
  const mix = (a: number, b: number): number => (a * n + b) / (n + 1);
  return { setupMs: mix(prev.setupMs, s.setupMs), msPerOutputMP: mix(prev.msPerOutputMP, perMP), runs: prev.runs + 1, at: s.at };
}

/** The expected time of a job making `outputMP` megapixels, or undefined before a first run. */
export function estimateJobMs(rec: SpeedRecord | undefined, outputMP: number): number | undefined {
  if (!rec) return undefined;
  return rec.setupMs + rec.msPerOutputMP * outputMP;
}

/**
 * Time left for a running job from what such jobs took here, when the job itself has no pace yet
 * (reading the net, or a photo enlarged in one tile). Undefined before a first run, and once the
 * job has outrun its estimate (no made-up number).
 */
export function bookedTimeLeftMs(rec: SpeedRecord | undefined, outputMP: number, elapsedMs: number): number | undefined {
  const total = estimateJobMs(rec, outputMP);
  return total === undefined || total <= elapsedMs ? undefined : Math.round(total - elapsedMs);
}

const none = z.tuple([]);

export const speedsApi = {
  /** What this machine measured, by speedKey: the Enhance panel's time estimates. */
  'speeds.list': method(none, SpeedBook.shape.records),
};
