import type { Session, WebContents, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../contract/csp';
import { originOf } from '../ipc/sender';

// The window's security defaults in one place (ARCHITECTURE.md "Security defaults"). Everything
// here takes Electron objects by parameter, so the policy can be checked without the binary.

/** The renderer's own origin: a privileged custom scheme, not file:// (file:// is every file). */
export const APP_SCHEME = 'studio-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The studio's one Content-Security-Policy (contract/csp), sent as a header by studio-app://. */
export { CONTENT_SECURITY_POLICY };

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  };
}

/** Permissions the studio's own page may use; everything else (camera, geolocation...) is denied. */
const GRANTED = new Set<string>(['fullscreen', 'clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string | undefined, appOrigins: readonly string[]): boolean {
  if (!GRANTED.has(permission)) return false;
  const origin = requestingUrl ? originOf(requestingUrl) : undefined;
  return origin !== undefined && appOrigins.includes(origin);
}

export function hardenSession(session: Session, appOrigins: readonly string[]): void {
  session.setPermissionRequestHandler((_wc, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl, appOrigins));
  });
  session.setPermissionCheckHandler((_wc, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin, appOrigins));
  session.setDevicePermissionHandler(() => false);
}

/** No navigation, no new windows, no <webview>: the studio is one page that never leaves. */
export function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => {
    // The initial load of the main frame is done by main (loadURL) and does not pass here.
    event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
