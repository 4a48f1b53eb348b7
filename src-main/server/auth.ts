import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost, hostnameOf } from './host-check';

// LAN mode: a studio bound beyond loopback asks every request for its secret. The token is
// printed at start (with a pairing URL); a browser brings it once in the URL or a header and
// then carries it as an HttpOnly, SameSite=Strict cookie. Loopback stays token-free only when
// both the connection and the Host name are loopback (a page elsewhere cannot make either so).

export const TOKEN_COOKIE = 'studio_token';
export const TOKEN_HEADER = 'x-studio-token';
export const TOKEN_QUERY = 'token';

/** A fresh secret: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function isLoopbackAddress(addr: string | undefined): boolean {
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

export type AuthVerdict = { ok: true; setCookie?: string } | { ok: false };

export class ServerAuth {
  private readonly secret: Buffer | undefined;
  /** `token` undefined: loopback-only server, nothing to ask. */
  constructor(private readonly token: string | undefined) {
    this.secret = token === undefined ? undefined : digest(token);
  }

  get required(): boolean {
    return this.secret !== undefined;
  }

  /** Constant time whatever the length of the guess (both sides hashed first). */
  private matches(guess: string | undefined): boolean {
    if (this.secret === undefined || guess === undefined) return false;
    return timingSafeEqual(digest(guess), this.secret);
  }

  check(req: IncomingMessage, query: URLSearchParams): AuthVerdict {
    if (!this.required) return { ok: true };
    if (isLoopbackAddress(req.socket.remoteAddress) && isLoopbackHost(hostnameOf(req.headers.host ?? ''))) return { ok: true };
    if (this.matches(cookieValue(req, TOKEN_COOKIE))) return { ok: true };
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const header = req.headers[TOKEN_HEADER];
    const given = bearer ?? (typeof header === 'string' ? header : undefined) ?? query.get(TOKEN_QUERY) ?? undefined;
    if (!this.matches(given)) return { ok: false };
    return { ok: true, setCookie: `${TOKEN_COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/` };
  }
}
