import { StudioError } from '../contract/errors';

// Who may call IPC: only the app's own page, and only its main frame (an iframe, a devtools
// extension or a navigated-away page never reaches the core). The same check as VS Code's
// validateEvent, over the structural subset of Electron's IpcMainInvokeEvent that it needs, so
// tests can pass a plain object.

export interface SenderFrameLike {
  readonly url: string;
  /** null for the main frame. */
  readonly parent: unknown;
}

export interface SenderLike {
  readonly senderFrame: SenderFrameLike | null;
}

export interface SenderPolicy {
  /** Allowed origins as `<protocol>//<host>`, e.g. `studio-app://app`. */
  readonly origins: readonly string[];
}

/** `studio-app://app/index.html` -> `studio-app://app` (URL.origin is 'null' for custom schemes). */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** Throws E_FORBIDDEN_SENDER unless the call comes from an allowed origin's main frame. */
export function assertSender(sender: SenderLike | null | undefined, policy: SenderPolicy, channel: string): void {
  const frame = sender?.senderFrame;
  if (!frame) throw new StudioError('E_FORBIDDEN_SENDER', `refused ${channel}: the calling frame is gone`);
  if (frame.parent !== null && frame.parent !== undefined) {
    throw new StudioError('E_FORBIDDEN_SENDER', `refused ${channel}: only the main frame may call the studio`);
  }
  const origin = originOf(frame.url);
  if (!origin || !policy.origins.includes(origin)) {
    throw new StudioError('E_FORBIDDEN_SENDER', `refused ${channel} from ${origin ?? 'an unknown origin'}`);
  }
}
