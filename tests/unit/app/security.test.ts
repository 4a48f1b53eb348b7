// The window's security policy, checked on the values main hands to Electron. hardenContents is
// given an EventEmitter standing in for WebContents (the Electron binary is not available here).
import { EventEmitter } from 'node:events';
import type { WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  hardenContents,
  isPermissionAllowed,
  secureWebPreferences,
} from '../../../src-main/app/security';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
}

describe('content security policy', () => {
  const d = directives(CONTENT_SECURITY_POLICY);
  it("starts from default-src 'none' and allows scripts only from the app itself", () => {
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none'")).toBe(true);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
  });
  it('never allows eval, inline scripts, file:// or remote hosts', () => {
    for (const [k, v] of d) {
      expect(v, k).not.toContain("'unsafe-eval'");
      expect(v.some((s) => s.startsWith('http') || s === '*' || s.startsWith('file:')), k).toBe(false);
      if (k === 'script-src') expect(v).not.toContain("'unsafe-inline'");
    }
  });
  it('lets images come from the media protocol', () => {
    expect(d.get('img-src')).toContain('studio-media:');
  });
});

describe('web preferences', () => {
  it('isolate the page: context isolation, sandbox, no Node, web security on', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('permissions', () => {
  const origins = [APP_ORIGIN];
  it.each(['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'midi', 'display-capture', 'unknown'])(
    'denies %s even to the app',
    (perm) => {
      expect(isPermissionAllowed(perm, `${APP_ORIGIN}/index.html`, origins)).toBe(false);
    },
  );
  it('allows fullscreen to the app and to nobody else', () => {
    expect(isPermissionAllowed('fullscreen', `${APP_ORIGIN}/index.html`, origins)).toBe(true);
    expect(isPermissionAllowed('fullscreen', 'https://evil.example/', origins)).toBe(false);
    expect(isPermissionAllowed('fullscreen', undefined, origins)).toBe(false);
  });
});

describe('hardenContents', () => {
  class FakeContents extends EventEmitter {
    openHandler: ((d: { url: string }) => { action: string }) | undefined;
    setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
      this.openHandler = h;
    }
  }
  function emitPrevented(wc: EventEmitter, name: string): boolean {
    let prevented = false;
    wc.emit(name, { preventDefault: () => (prevented = true), url: 'https://evil.example/' });
    return prevented;
  }

  it('denies window.open, navigation, redirects and <webview>', () => {
    const wc = new FakeContents();
    hardenContents(wc as unknown as WebContents);
    expect(wc.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(wc.openHandler?.({ url: `${APP_ORIGIN}/index.html` })).toEqual({ action: 'deny' });
    for (const e of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      expect(emitPrevented(wc, e), e).toBe(true);
    }
  });
});
