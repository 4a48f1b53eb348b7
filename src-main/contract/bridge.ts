import type { z } from 'zod';
import type { StudioApiMap } from './api';
import type { ApiMap, MethodSpec } from './define';
import type { DesktopApiMap, DesktopEvent } from './desktop';
import type { Result } from './errors';
import type { StudioEvent } from './events';

// The Electron preload bridge (`window.studio`): its type and the few values the preload needs.
// Kept free of zod at run time so the sandboxed preload bundle stays a few kilobytes.

export type MediaKind = 'original' | 'preview' | 'thumb' | 'output';
export interface MediaOptions {
  /** Longest side in pixels. */
  w?: number;
  /** The n-th output of a job. */
  i?: number;
}

/** Both StudioEvents and DesktopEvents travel main -> renderer on this one channel. */
export const EVENT_CHANNEL = 'studio:event';
export const MEDIA_SCHEME = 'studio-media';

/** A map's methods as the preload exposes them: same arguments, a Result instead of a throw. */
export type ResultApiOf<M extends ApiMap> = {
  [K in keyof M]: M[K] extends MethodSpec<infer A, infer R> ? (...args: z.infer<A>) => Promise<Result<z.infer<R>>> : never;
};

/**
 * `window.studio` in the Electron renderer. Results, not exceptions, cross the bridge:
 * contextBridge keeps only the message of a thrown error, never its code.
 */
export interface StudioBridge {
  readonly api: ResultApiOf<StudioApiMap>;
  readonly desktop: ResultApiOf<DesktopApiMap>;
  /** Every StudioEvent / DesktopEvent pushed by main; returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent | DesktopEvent) => void): () => void;
  /** `studio-media://<kind>/<id>?w=&i=` for <img> elements. */
  mediaUrl(kind: MediaKind, id: string, options?: MediaOptions): string;
  /** The path of a file dropped from the OS ('' for pasted / generated files). */
  pathForFile(file: File): string;
}

/** The one URL builder for studio-media:// (the preload and main's protocol parser agree on it). */
export function mediaUrlOf(kind: MediaKind, id: string, options: MediaOptions = {}): string {
  const q: string[] = [];
  if (options.w !== undefined) q.push(`w=${Math.round(options.w)}`);
  if (options.i !== undefined) q.push(`i=${Math.round(options.i)}`);
  return `${MEDIA_SCHEME}://${kind}/${encodeURIComponent(id)}${q.length ? `?${q.join('&')}` : ''}`;
}
