import { StudioError, type ErrorCode, type ErrorPayload } from '../../../src-main/contract/errors';

// Error codes in plain words for people; the code itself is shown beside them for support.
const PLAIN: Partial<Record<ErrorCode, string>> = {
  E_INVALID_ARGUMENT: 'Some settings are not valid',
  E_NOT_FOUND: 'That item no longer exists',
  E_FILE_NOT_FOUND: 'The file is missing from disk',
  E_EMPTY_FILE: 'The file is empty',
  E_UNSUPPORTED_FORMAT: 'This file is not an image the studio can read',
  E_CORRUPT_IMAGE: 'The image is damaged or incomplete',
  E_INPUT_TOO_LARGE: 'The photo has too many pixels to process safely',
  E_FILE_TOO_LARGE: 'The file is too large',
  E_OUTPUT_TOO_LARGE: 'The enlarged photo would be too large',
  E_WOULD_OVERWRITE: 'Exporting would replace an existing file',
  E_PATH_NOT_ALLOWED: 'That folder is not allowed yet',
  E_CANCELLED: 'Cancelled',
  E_WORKER_CRASHED: 'The processing engine stopped unexpectedly',
  E_BACKEND_UNAVAILABLE: 'The chosen compute backend cannot run here',
  E_MODEL_NOT_FOUND: 'That method is not installed',
  E_MODEL_INVALID: 'This file is not a model the studio can read',
  E_MODEL_UNSAFE: 'This model file asks to run code, so it was refused',
  E_MODEL_UNSUPPORTED: 'The studio does not know this kind of model',
  E_TRAINING_FAILED: 'Training on this photo failed',
  E_CONFIG_INVALID: 'The settings are not valid',
  E_KERNEL_INVALID: 'The blur kernel file cannot be read',
  E_FARM_FILE_MISSING: 'The farm machine cannot see this photo (shared folder not mounted?)',
  E_FARM_INSECURE: 'The farm queue needs a password',
  E_FARM_UNAVAILABLE: 'The farm queue cannot be reached',
  E_FARM_AUTH: 'The farm queue refused the login',
  E_PRESET_INVALID: 'The export preset is not valid',
  E_PAYLOAD_TOO_LARGE: 'The file is larger than the upload limit',
  E_UNSUPPORTED_MEDIA_TYPE: 'That kind of file cannot be uploaded',
  E_FORBIDDEN_SENDER: 'The request was refused for security reasons',
  E_UNAUTHORIZED: 'This studio is on the network: open the pairing link it printed at start',
  E_CACHE_CORRUPT: 'A cached model was damaged and has been discarded',
  E_INTERNAL: 'Something went wrong inside the studio',
};

export function plainTitle(code: ErrorCode): string {
  return PLAIN[code] ?? 'The studio could not do that';
}

export function toPayload(err: unknown): ErrorPayload {
  if (err instanceof StudioError) return err.toPayload();
  return { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
