import type { IncomingMessage, ServerResponse } from 'node:http';
import { StudioError, toErrorPayload, type ErrorCode, type ErrorPayload } from '../contract/errors';

/** A coded error whose HTTP status is not the code's usual one (405 for a wrong verb). */
export class RouteError extends StudioError {
  constructor(readonly status: number, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

// HTTP status for each error code; codes added later fall back by their name (…_INVALID -> 400)
// or to 500, so a new code never breaks this table.
const STATUS: Partial<Record<ErrorCode, number>> = {
  E_INVALID_ARGUMENT: 400,
  E_CONFIG_INVALID: 400,
  E_PRESET_INVALID: 400,
  E_DATASET_INVALID: 400,
  E_EMPTY_FILE: 422,
  E_UNSUPPORTED_FORMAT: 422,
  E_CORRUPT_IMAGE: 422,
  E_INPUT_TOO_LARGE: 422,
  E_OUTPUT_TOO_LARGE: 422,
  E_FILE_TOO_LARGE: 413,
  E_PAYLOAD_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_NOT_FOUND: 404,
  E_FILE_NOT_FOUND: 404,
  E_MODEL_NOT_FOUND: 404,
  E_WATCH_SOURCE_MISSING: 404,
  E_PATH_NOT_ALLOWED: 403,
  E_FORBIDDEN_SENDER: 403,
  E_WOULD_OVERWRITE: 409,
  E_CANCELLED: 409,
  E_BACKEND_UNAVAILABLE: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? (code.endsWith('_INVALID') ? 400 : 500);
}

/** Headers every response carries: nothing may frame us, sniff types or leak referrers. */
export const BASE_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendOk(res: ServerResponse, value: unknown): void {
  sendJson(res, 200, { ok: true, value });
}

export function sendError(res: ServerResponse, err: unknown, status?: number, headers?: Record<string, string>): void {
  const error: ErrorPayload = toErrorPayload(err);
  const fallback = err instanceof RouteError ? err.status : statusOf(error.code);
  sendJson(res, status ?? fallback, { ok: false, error }, headers);
}

/**
 * Refuse a request whose body we will not read (too large): answer, stop buffering, and drop
 * the connection once the answer is out, after discarding at most `drainBytes` more (so the
 * client can read the answer instead of seeing a reset).
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse, err: unknown, drainBytes = 8 * 1024 * 1024): void {
  sendError(res, err, undefined, { Connection: 'close' });
  let drained = 0;
  const timer = setTimeout(() => req.socket.destroy(), 2000);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > drainBytes) req.socket.destroy();
  });
  req.on('end', () => clearTimeout(timer));
  req.resume();
}
