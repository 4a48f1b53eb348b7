import type { IncomingMessage } from 'node:http';

// DNS rebinding: a hostile page whose domain re-resolves to our address would otherwise be "same
// origin" with us. Requests must name us by a loopback name, the address we were bound to or a
// name we were told to answer to (`--public-host`); never "any name". A browser's Origin, when
// sent, must be one of those too (cross-site POSTs are refused).

export const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** The host name of a Host header or URL host ("[::1]:80" -> "[::1]", "a.lan:80" -> "a.lan"). */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** An address bound to, as a Host header names it ("::1" -> "[::1]"). */
function asHostName(addr: string): string {
  const a = addr.trim().toLowerCase();
  return a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(asHostName(host));
}

export class HostCheck {
  private readonly names: Set<string>;
  constructor(boundHost: string, publicHosts: readonly string[] = []) {
    this.names = new Set([...LOOPBACK_NAMES, ...publicHosts.map(asHostName)]);
    if (!WILDCARD.has(boundHost)) this.names.add(asHostName(boundHost));
  }

  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (!host) return false;
    return this.names.has(hostnameOf(host));
  }

  /** No Origin (same-origin GETs, curl) is fine; a foreign Origin is not. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (origin === 'null') return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    // Same host:port as the request targets: that is our own page.
    return url.host.toLowerCase() === (req.headers.host ?? '').toLowerCase() && this.hostAllowed(req);
  }
}
