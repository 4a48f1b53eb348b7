import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import { readBody, requireMediaType } from './body';
import type { ServerCore } from './core';
import { sendOk } from './respond';

// POST /api/upload?name=<file name>: raw image bytes, at most maxUploadMB (checked while the
// body streams in). The service stores the photo in the library folder and decodes it, so a
// file that is not an image comes back as a coded error (E_UNSUPPORTED_FORMAT, E_CORRUPT_IMAGE).

export function isImageUploadType(type: string): boolean {
  return type === 'application/octet-stream' || /^image\/[a-z0-9.+-]+$/.test(type);
}

/** A file name safe to keep: base name only, no control or path characters, bounded length. */
export function cleanUploadName(raw: string | null): string {
  const base = path.basename((raw ?? '').replace(/\\/g, '/'));
  const clean = base.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_').replace(/^\.+/, '').trim().slice(0, 180);
  return clean || 'upload';
}

export function createUploadRoute(core: ServerCore, limitBytes: () => Promise<number>) {
  return async function handleUpload(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    requireMediaType(req, isImageUploadType, 'an image (image/*) or application/octet-stream');
    const bytes = await readBody(req, await limitBytes());
    if (bytes.length === 0) throw new StudioError('E_EMPTY_FILE', 'the upload is empty');
    sendOk(res, await core.addUpload(cleanUploadName(query.get('name')), bytes));
  };
}
