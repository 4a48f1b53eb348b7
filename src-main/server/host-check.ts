import type { IncomingMessage } from 'node:http';

// DNS rebinding: a hostile page whose domain re-resolves to 127.0.0.1 would otherwise be "same
// origin" with us. Requests must name us by a loopback name or the host we were bound to; and a
// browser's Origin, when sent, must be one of those too (cross-site POSTs are refused).

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

export class HostCheck {
  private readonly names: Set<string>;
  private readonly any: boolean;
  constructor(boundHost: string, extra: readonly string[] = []) {
    this.any = WILDCARD.has(boundHost);
    this.names = new Set([...LOOPBACK, boundHost.toLowerCase(), ...extra.map((x) => x.toLowerCase())]);
  }

  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (!host) return false;
    return this.any || this.names.has(hostnameOf(host));
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
