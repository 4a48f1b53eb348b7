// Error codes are part of the contract: every front door (CLI, HTTP, IPC) reports them verbatim,
// and the UI maps them to plain words. Add codes here, never ad-hoc strings elsewhere.
export const ERROR_CODES = [
  'E_INVALID_ARGUMENT', // a payload failed validation
  'E_NOT_FOUND', // unknown job / image / preset / watch id
  'E_FILE_NOT_FOUND',
  'E_EMPTY_FILE',
  'E_UNSUPPORTED_FORMAT', // not an image, or a format this build cannot decode/encode
  'E_CORRUPT_IMAGE', // truncated or damaged image data
  'E_INPUT_TOO_LARGE', // input pixel count above the limit (decompression bombs)
  'E_FILE_TOO_LARGE', // input bytes above the limit
  'E_OUTPUT_TOO_LARGE', // output megapixels above the limit, refused before any work
  'E_WOULD_OVERWRITE', // the output would replace an original
  'E_PATH_NOT_ALLOWED', // a path outside the studio's own folders
  'E_CANCELLED',
  'E_WORKER_CRASHED',
  'E_BACKEND_UNAVAILABLE',
  'E_MODEL_NOT_FOUND',
  'E_MODEL_INVALID', // a model file that is truncated, damaged or not a model at all
  'E_MODEL_UNSAFE', // a pickle that asks for code (anything but tensors and plain containers)
  'E_MODEL_UNSUPPORTED', // a valid file of an architecture or layer the studio cannot run
  'E_TRAINING_FAILED',
  'E_DATASET_INVALID',
  'E_PRESET_INVALID',
  'E_CONFIG_INVALID',
  'E_KERNEL_INVALID', // a blur-kernel file that cannot be read as a kernel (format, shape, values)
  'E_PAYLOAD_TOO_LARGE',
  'E_UNSUPPORTED_MEDIA_TYPE',
  'E_FORBIDDEN_SENDER',
  'E_UNAUTHORIZED', // a studio on the network asked for its token and did not get it
  'E_CACHE_CORRUPT',
  'E_WATCH_SOURCE_MISSING',
  'E_LOCKED', // the data dir's journal is held by another running studio process
  'E_FARM_FILE_MISSING', // a farm worker cannot see the job's file (shared storage not mounted, wrong --path-map)
  'E_FARM_INSECURE', // a Redis URL off this machine without credentials (and no --insecure)
  'E_FARM_UNAVAILABLE', // the farm's Redis cannot be reached
  'E_FARM_AUTH', // the farm's Redis refused the login (wrong password, disabled user) or the user's ACL lacks the studio's keys
  'E_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The one error type that crosses every boundary. `message` is for people; `code` for programs. */
export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StudioError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

/** Any thrown value as a payload; unknown errors become E_INTERNAL with their message kept. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof StudioError) return err.toPayload();
  if (err && typeof err === 'object' && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    const e = err as { code: ErrorCode; message?: unknown; details?: Record<string, unknown> };
    return { code: e.code, message: String(e.message ?? e.code), ...(e.details ? { details: e.details } : {}) };
  }
  return { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function fromErrorPayload(p: ErrorPayload): StudioError {
  return new StudioError(p.code, p.message, p.details);
}

/** Results cross process boundaries in this shape; the receiver rebuilds a StudioError. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export async function toResult<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) };
  }
}

export function unwrapResult<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw fromErrorPayload(r.error);
}

// The HTTP status of each code, for every front door that answers over HTTP-like protocols
// (the HTTP server and the desktop's studio-media://). Codes added later fall back by their
// name (…_INVALID -> 400) or to 500, so a new code never breaks this table.
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
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
  E_UNAUTHORIZED: 401,
  E_WOULD_OVERWRITE: 409,
  E_CANCELLED: 409,
  E_LOCKED: 409,
  E_BACKEND_UNAVAILABLE: 503,
  E_FARM_FILE_MISSING: 404,
  E_FARM_INSECURE: 400,
  E_FARM_UNAVAILABLE: 503,
  E_FARM_AUTH: 503,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? (code.endsWith('_INVALID') ? 400 : 500);
}
