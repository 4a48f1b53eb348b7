import type { IncomingMessage } from 'node:http';
import { StudioError } from '../contract/errors';

/** The media type of a request without parameters, lower-cased ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function requireMediaType(req: IncomingMessage, accept: (type: string) => boolean, expected: string): void {
  const type = mediaType(req);
  if (!accept(type)) {
    throw new StudioError('E_UNSUPPORTED_MEDIA_TYPE', `expected ${expected}, got '${type || 'no Content-Type'}'`, { contentType: type });
  }
}

function tooLarge(limit: number): StudioError {
  return new StudioError('E_PAYLOAD_TOO_LARGE', `the upload is larger than the ${fmtMB(limit)} limit (max_MB)`, { limitBytes: limit });
}

function fmtMB(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/**
 * Reads a request body of at most `limit` bytes. Refuses from the Content-Length header before
 * reading anything, and while streaming as soon as the count passes the limit, so a huge body
 * is never held in memory. On refusal the stream is left paused for the caller to answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      if (done) return;
      total += chunk.length;
      if (total > limit) {
        done = true;
        chunks.length = 0;
        req.pause();
        req.off('data', onData);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, total));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** Parses a JSON body; a syntax error is the caller's fault, not ours. */
export function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (err) {
    throw new StudioError('E_INVALID_ARGUMENT', `the request body is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
