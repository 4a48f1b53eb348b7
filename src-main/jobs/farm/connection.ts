import { StudioError } from '../../contract/errors';
import type { RedisQueueSetting } from '../../contract/farm';

export interface RedisConnection {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  /** BullMQ's workers and event readers block: a command must wait for a reconnect, not fail. */
  maxRetriesPerRequest: null;
}

export const DEFAULT_PREFIX = 'studio';
export const QUEUE_NAME = 'enhance';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

/** The URL with its password replaced, for logs and messages (a secret is never printed). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * Connection options from the setting: the URL's credentials, else STUDIO_REDIS_PASSWORD (so the
 * password need not sit in a settings file or a command line). A Redis off this machine without
 * a password is refused unless `insecure`.
 */
export function redisConnection(s: RedisQueueSetting, env: NodeJS.ProcessEnv = process.env): RedisConnection {
  let u: URL;
  try {
    u = new URL(s.url);
  } catch {
    throw new StudioError('E_INVALID_ARGUMENT', `not a Redis URL: ${redactUrl(s.url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new StudioError('E_INVALID_ARGUMENT', `a farm queue URL starts with redis:// or rediss://, got ${u.protocol}//`);
  }
  const password = u.password ? decodeURIComponent(u.password) : env.STUDIO_REDIS_PASSWORD || undefined;
  const username = u.username ? decodeURIComponent(u.username) : env.STUDIO_REDIS_USER || undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!LOOPBACK.test(host) && !password && !s.insecure) {
    throw new StudioError(
      'E_FARM_INSECURE',
      `the Redis at ${host} is not on this machine and no password was given: put user:password in the URL or STUDIO_REDIS_PASSWORD, or pass --insecure`,
    );
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** `--path-map FROM=TO`: the coordinator's paths as this worker mounts them. */
export interface PathMap {
  from: string;
  to: string;
}

export function parsePathMap(spec: string): PathMap {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new StudioError('E_INVALID_ARGUMENT', `--path-map takes FROM=TO, got '${spec}'`);
  return { from: spec.slice(0, i).replace(/\/+$/, '') || '/', to: spec.slice(i + 1).replace(/\/+$/, '') || '/' };
}

function under(p: string, root: string): string | undefined {
  if (p === root) return '';
  const base = root.endsWith('/') ? root : `${root}/`;
  return p.startsWith(base) ? p.slice(base.length - 1) : undefined;
}

/** A path through the first map whose FROM holds it (longest first); unmapped paths stay. */
export function mapPath(p: string, maps: readonly PathMap[], reverse = false): string {
  const sorted = [...maps].sort((a, b) => (reverse ? b.to.length - a.to.length : b.from.length - a.from.length));
  for (const m of sorted) {
    const [from, to] = reverse ? [m.to, m.from] : [m.from, m.to];
    const rest = under(p, from);
    if (rest !== undefined) return to === '/' ? rest || '/' : `${to}${rest}`;
  }
  return p;
}
