import type { MediaKind } from './bridge';
import { StudioError } from './errors';

// The query of a media URL (`studio-media://<kind>/<id>?w=&i=` in Electron, `/media/<kind>/<id>?w=&i=`
// over HTTP), read the same way by both front doors; mediaUrlOf in bridge.ts writes it.

export const MEDIA_KINDS: readonly MediaKind[] = ['original', 'preview', 'thumb', 'output'];

/** Longest side when the URL names none; undefined = the file at its own size. */
export const MEDIA_DEFAULT_SIDE: Readonly<Record<MediaKind, number | undefined>> = { original: undefined, output: undefined, preview: 2048, thumb: 320 };
export const MEDIA_MAX_SIDE = 8192;

export interface MediaSize {
  /** Longest side asked for; absent = full size. */
  w?: number;
  /** The n-th output of a job. */
  i: number;
}

/** `w` and `i` of a media URL (null when absent), checked: E_INVALID_ARGUMENT when out of range. */
export function parseMediaSize(kind: MediaKind, wParam: string | null, iParam: string | null): MediaSize {
  const w = wParam === null ? MEDIA_DEFAULT_SIDE[kind] : Number(wParam);
  const i = iParam === null ? 0 : Number(iParam);
  if (w !== undefined && (!Number.isInteger(w) || w < 16 || w > MEDIA_MAX_SIDE)) {
    throw new StudioError('E_INVALID_ARGUMENT', `w must be an integer between 16 and ${MEDIA_MAX_SIDE}`);
  }
  if (!Number.isInteger(i) || i < 0 || i > 1000) throw new StudioError('E_INVALID_ARGUMENT', 'i must be a small integer');
  return w === undefined ? { i } : { w, i };
}
