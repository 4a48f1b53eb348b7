import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FarmQueue } from '../../../src-main/jobs/farm/farm-queue';
import { studio } from '../run-studio';
import { noisyPng, tempDir } from '../worker/helpers';
import { cleanupHooks, documentedRedisConf, freePort, RedisServer, startWorker, stopProcess, workerReady } from './helpers';

// The farm as docs/farm.md sets it up: Redis with the documented ACL user and a password (and
// over TLS), real `studio worker` and `studio enhance` processes. A wrong password is one clear
// coded error; the password is never printed, logged or stored.

const SECRET = `pw-${randomBytes(12).toString('hex')}`;
const WRONG = `wrong-${randomBytes(6).toString('hex')}`;

const { cleanups, roots } = cleanupHooks();

async function setup(tls = false) {
  const root = await tempDir('studio-farm-acl-');
  roots.push(root);
  const d = (n: string) => path.join(root, n);
  for (const n of ['in', 'out', 'shared', 'redis', 'etc']) await fs.mkdir(d(n), { recursive: true });
  const confFile = path.join(d('etc'), 'redis.conf');
  await fs.writeFile(confFile, await documentedRedisConf(SECRET));
  const certs = tls ? await makeCerts(d('etc')) : undefined;
  const redis = new RedisServer(d('redis'), await freePort(), { confFile, ...(certs ? { tls: certs } : {}) });
  await redis.start();
  cleanups.push(() => redis.stop());
  const photo = await noisyPng(path.join(d('in'), 'shot.png'), 48);
  return { root, d, redis, photo, certs };
}

/** A private CA and a certificate for 127.0.0.1 signed by it (openssl, as a studio's IT would). */
async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = promisify(execFile);
  const f = (n: string) => path.join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Studio test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('redis.key'), '-out', f('redis.csr'), '-subj', '/CN=127.0.0.1']);
  await fs.writeFile(f('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', f('redis.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('redis.pem'), '-days', '2', '-extfile', f('ext')]);
  return { ca: f('ca.pem'), cert: f('redis.pem'), key: f('redis.key') };
}

/** Every file under these folders (Redis's AOF, the data folders, the ledgers) as text. */
async function everythingWritten(dirs: string[]): Promise<string> {
  let all = '';
  for (const dir of dirs) {
    for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
      const p = path.join(e.parentPath, e.name);
      if (e.isFile()) all += `${p}\n${(await fs.readFile(p)).toString('latin1')}\n`;
    }
  }
  return all;
}

describe('the farm on a Redis with a password (the ACL user of docs/farm.md)', () => {
  it('coordinator and worker log in as the ACL user, a job completes, and the password is nowhere', async () => {
    const { d, redis, photo } = await setup();
    // The worker with the password in the URL; the coordinator as the docs recommend, from the env.
    const w = startWorker(['--queue', redis.urlFor('studio', SECRET), '--shared-dir', d('shared'), '--name', 'acl-worker', '--path-map', `${d('in')}=${d('in')}`], { STUDIO_DATA_DIR: d('data-worker') });
    cleanups.push(() => stopProcess(w, 'SIGKILL'));
    await workerReady(w);
    const started = w.log.join('');
    expect(started).toContain(`acl-worker takes jobs from redis://studio:***@127.0.0.1:${redis.port}`);
    expect(started).toContain(`path map: ${d('in')} (coordinator) = ${d('in')} (here)`);

    const coordEnv = { STUDIO_DATA_DIR: d('data-coord'), STUDIO_REDIS_PASSWORD: SECRET };
    const run = await studio(['enhance', '--queue', redis.urlFor('studio'), photo, '--out', d('out'), '--method', 'bicubic', '--scale', '2', '--format', 'png'], coordEnv);
    expect(run.stderr).toMatch(/^1 done in [\d.]+ s\n$/);
    expect(run.code).toBe(0);
    const meta = await sharp(path.join(d('out'), 'shot_bicubic_x2.png')).metadata();
    expect([meta.width, meta.height]).toEqual([96, 96]);

    // The studio's other calls under the same ACL: the Workers list (CLIENT LIST), a cancel (PUBLISH).
    process.env.STUDIO_REDIS_PASSWORD = SECRET;
    const q = await FarmQueue.open({ setting: { kind: 'redis', url: redis.urlFor('studio') } }).finally(() => delete process.env.STUDIO_REDIS_PASSWORD);
    cleanups.push(() => q.close());
    expect((await q.workers()).map((x) => x.name)).toContain('acl-worker');
    expect(q.list()).toMatchObject([{ state: 'done', worker: 'acl-worker' }]);
    await stopProcess(w); // SIGTERM: an idle worker stops at once, and cleanly
    expect(w.exitCode).toBe(0);
    const queued = await q.enqueue({ input: photo, method: 'bicubic', scale: 3, output: { dir: d('out'), format: 'png' } });
    expect(await q.cancel(queued.id)).toMatchObject({ state: 'cancelled' });
    const records = JSON.stringify(q.list());

    const help = await studio(['worker', '--help'], { STUDIO_REDIS_PASSWORD: SECRET });
    expect(help.code).toBe(0);
    await q.close();
    await redis.stop(); // its AOF now holds every job record and event stream entry

    const printed = [w.log.join(''), run.stdout, run.stderr, help.stdout, help.stderr, records].join('\n');
    expect(printed).not.toContain(SECRET);
    const written = await everythingWritten([d('redis'), d('data-worker'), d('data-coord'), d('shared')]);
    expect(written).toContain('shot.png'); // the job really is in there
    expect(written).not.toContain(SECRET);
  }, 90_000);

  it('a wrong password, no password, or an ACL without the prefix: E_FARM_AUTH at once, the password not shown', async () => {
    const { d, redis, photo } = await setup();
    const env = { STUDIO_DATA_DIR: d('data') };
    const wrongWorker = await studio(['worker', '--queue', redis.urlFor('studio', WRONG), '--shared-dir', d('shared')], env);
    expect(wrongWorker.code).toBe(1);
    expect(wrongWorker.stderr).toMatch(/E_FARM_AUTH: .*refused user 'studio': wrong password/);
    expect(wrongWorker.stderr).toContain(`redis://studio:***@127.0.0.1:${redis.port}`);

    const wrongCoord = await studio(['enhance', '--queue', redis.urlFor('studio'), photo, '--out', d('out'), '--method', 'bicubic', '--scale', '2'], { ...env, STUDIO_REDIS_PASSWORD: WRONG });
    expect(wrongCoord.code).toBe(1);
    expect(wrongCoord.stderr).toMatch(/E_FARM_AUTH: .*refused user 'studio'/);

    const none = await studio(['worker', '--queue', redis.url], env);
    expect(none.stderr).toMatch(/E_FARM_AUTH: .*wants a password/);

    // The documented user may use only the keys of the prefix 'studio'.
    const otherPrefix = await studio(['worker', '--queue', redis.urlFor('studio', SECRET), '--queue-prefix', 'other'], env);
    expect(otherPrefix.code).toBe(1);
    expect(otherPrefix.stderr).toMatch(/E_FARM_AUTH: .*~other:\* &other:\*/);

    const all = [wrongWorker, wrongCoord, none, otherPrefix].map((r) => r.stdout + r.stderr).join('\n');
    expect(all).not.toContain(WRONG);
    expect(all).not.toContain(SECRET);
    expect(await fs.readdir(d('out'))).toEqual([]);
  }, 60_000);

  it('rediss:// (TLS) with a private CA: trusted through NODE_EXTRA_CA_CERTS, refused with a clear error without it', async () => {
    const { d, redis, photo, certs } = await setup(true);
    expect(redis.url).toMatch(/^rediss:\/\//);
    const untrusted = await studio(['worker', '--queue', redis.urlFor('studio', SECRET)], { STUDIO_DATA_DIR: d('data-worker') });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/E_FARM_UNAVAILABLE: .*certificate.*NODE_EXTRA_CA_CERTS/);

    const tlsEnv = { NODE_EXTRA_CA_CERTS: certs?.ca };
    const w = startWorker(['--queue', redis.urlFor('studio', SECRET), '--shared-dir', d('shared'), '--name', 'tls-worker'], { ...tlsEnv, STUDIO_DATA_DIR: d('data-worker') });
    cleanups.push(() => stopProcess(w, 'SIGKILL'));
    await workerReady(w);
    const run = await studio(['enhance', '--queue', redis.urlFor('studio'), photo, '--out', d('out'), '--method', 'bicubic', '--scale', '2', '--format', 'png'], { ...tlsEnv, STUDIO_DATA_DIR: d('data-coord'), STUDIO_REDIS_PASSWORD: SECRET });
    expect(run.stderr).toMatch(/^1 done in [\d.]+ s\n$/);
    expect(run.code).toBe(0);
    expect(await fs.readdir(d('out'))).toEqual(['shot_bicubic_x2.png']);
    expect(w.log.join('')).toMatch(/job [\w-]+: done in/);
    expect([w.log.join(''), run.stdout, untrusted.stderr].join('\n')).not.toContain(SECRET);
  }, 90_000);
});
