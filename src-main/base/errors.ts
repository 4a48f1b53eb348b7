/**
 * An error with a contract error code (E_LOCKED, E_CONFIG_INVALID...), thrown by base/ without
 * importing the contract: contract/errors' toErrorPayload reads `code` and `details` from any
 * thrown object, so these cross every front door like a StudioError.
 */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}
