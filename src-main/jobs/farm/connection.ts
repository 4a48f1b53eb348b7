import { Redis } from 'ioredis';
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

/** The queue as a log line names it: the URL without its password, and where the password comes from. */
export function describeQueue(s: RedisQueueSetting, env: NodeJS.ProcessEnv = process.env): string {
  const url = redactUrl(s.url);
  let fromEnv = false;
  try {
    fromEnv = !new URL(s.url).password && !!env.STUDIO_REDIS_PASSWORD;
  } catch {
    // redactUrl said so
  }
  return fromEnv ? `${url} (password from STUDIO_REDIS_PASSWORD)` : url;
}

const AUTH_REFUSED = /WRONGPASS|invalid (username-)?password|user is disabled/i;
const AUTH_MISSING = /NOAUTH|Authentication required/i;

/**
 * Connects once to the farm's Redis and tries what the studio needs (its keys under the prefix,
 * INFO), so that a wrong password or a too narrow ACL is one clear error at start
 * (E_FARM_AUTH) rather than a client that reconnects for ever; an unreachable Redis is
 * E_FARM_UNAVAILABLE. Messages name the URL with its password masked.
 */
export async function checkRedis(s: RedisQueueSetting, timeoutMs = 10_000, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const connection = redisConnection(s, env);
  const where = `the farm's Redis at ${redactUrl(s.url)}`;
  const user = connection.username ?? 'default';
  let firstError: Error | undefined;
  const redis = new Redis({ ...connection, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  redis.on('error', (err: Error) => void (firstError ??= err));
  try {
    try {
      await redis.connect();
    } catch (err) {
      const e = firstError ?? (err as Error);
      if (AUTH_REFUSED.test(e.message)) throw new StudioError('E_FARM_AUTH', `${where} refused user '${user}': wrong password, or the user is disabled`);
      if (AUTH_MISSING.test(e.message)) throw new StudioError('E_FARM_AUTH', `${where} wants a password: put it in STUDIO_REDIS_PASSWORD (and the user in the URL)`);
      const tls = /certificate|self[- ]signed|SSL|TLS/i.test(e.message) ? ' (for a private certificate authority, name its file in NODE_EXTRA_CA_CERTS)' : '';
      throw new StudioError('E_FARM_UNAVAILABLE', `cannot reach ${where}: ${e.message}${tls}`);
    }
    const prefix = s.prefix ?? DEFAULT_PREFIX;
    try {
      await redis.exists(`${prefix}:${QUEUE_NAME}:meta`);
      await redis.info('server');
    } catch (err) {
      const m = (err as Error).message;
      if (/NOPERM/.test(m)) {
        throw new StudioError('E_FARM_AUTH', `${where}: user '${user}' may not use what the studio needs (${m}); grant it ~${prefix}:* &${prefix}:* as docs/farm.md shows`);
      }
      throw new StudioError('E_FARM_UNAVAILABLE', `${where} did not answer: ${m}`);
    }
  } finally {
    redis.disconnect();
  }
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
