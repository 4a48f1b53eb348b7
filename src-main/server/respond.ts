import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusOf, StudioError, toErrorPayload, type ErrorCode, type ErrorPayload } from '../contract/errors';

/** A coded error whose HTTP status is not the code's usual one (405 for a wrong verb). */
export class RouteError extends StudioError {
  constructor(readonly status: number, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** The HTTP status of a code: the contract's one table (contract/errors). */
export const statusOf = httpStatusOf;

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
