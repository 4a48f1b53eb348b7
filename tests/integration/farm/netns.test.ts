import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FarmQueue } from '../../../src-main/jobs/farm/farm-queue';
import { noisyPng, tempDir } from '../worker/helpers';
import { documentedRedisConf, freePort, RedisServer, startWorker, stopProcess, workerReady } from './helpers';

// The farm across "hosts" for real: the worker runs in its own network namespace, joined to this
// one by a veth pair, and reaches the coordinator's Redis (bound to the link's address, with the
// documented ACL user) over that link only. Needs root and `ip netns`; otherwise it says why it
// skips.

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

const tag = `${process.pid % 100000}`;
const NS = `studio-farm-${tag}`;
const HOST_IF = `sfh${tag}`;
const NS_IF = `sfw${tag}`;
const SECRET = `pw-${randomBytes(12).toString('hex')}`;
let NET = '';
let HOST_ADDR = '';
let WORKER_ADDR = '';

let skipReason: string | undefined;
let nsMade = false;
let root = '';
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    skipReason = 'network namespaces need root';
    return;
  }
  try {
    await ip('netns', 'add', NS);
    nsMade = true;
  } catch (err) {
    skipReason = `ip netns is not available here: ${(err as Error).message.trim()}`;
    return;
  }
  // A /30 no interface here uses yet (other test runs may hold one).
  const { stdout: used } = await ip('-4', '-o', 'addr');
  for (let i = 0; i < 250 && !NET; i++) {
    const n = `10.231.${(process.pid + i) % 250}`;
    if (!used.includes(`${n}.`)) NET = n;
  }
  HOST_ADDR = `${NET}.1`;
  WORKER_ADDR = `${NET}.2`;
  try {
    await ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  } catch (err) {
    skipReason = `no veth pairs here: ${(err as Error).message.trim()}`;
    return;
  }
  await ip('link', 'set', NS_IF, 'netns', NS);
  await ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF);
  await ip('link', 'set', HOST_IF, 'up');
  await ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${WORKER_ADDR}/30`, 'dev', NS_IF);
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
});

afterAll(async () => {
  for (const s of stops.reverse()) await s().catch(() => undefined);
  if (nsMade) {
    await ip('netns', 'del', NS).catch(() => undefined); // takes its end of the veth pair with it
    await ip('link', 'del', HOST_IF).catch(() => undefined);
  }
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('a worker on another network (ip netns + veth)', () => {
  it('reaches the coordinator’s Redis over the veth link, with a password, and the job completes', async (ctx) => {
    if (skipReason) {
      console.warn(`skipped: ${skipReason}`);
      ctx.skip(skipReason);
    }
    // The worker's own network has no route to this one's loopback: its only way out is the link.
    const { stdout: routes } = await ip('netns', 'exec', NS, 'ip', '-4', 'route');
    expect(routes.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${NET.replaceAll('.', '\\.')}\\.0/30 dev ${NS_IF} `))]);

    root = await tempDir('studio-farm-ns-');
    const share = path.join(root, 'share');
    for (const d of ['share/in', 'share/out', 'share/farm', 'redis', 'etc']) await fs.mkdir(path.join(root, d), { recursive: true });
    // The worker mounts the share elsewhere (here a link), as a NAS mounted at another path.
    const mount = path.join(root, 'mnt');
    await fs.symlink(share, mount);
    const photo = await noisyPng(path.join(share, 'in', 'shot.png'), 40);
    const confFile = path.join(root, 'etc', 'redis.conf');
    await fs.writeFile(confFile, await documentedRedisConf(SECRET));
    const redis = new RedisServer(path.join(root, 'redis'), await freePort(), { confFile, bind: HOST_ADDR });
    await redis.start();
    stops.push(() => redis.stop());
    const url = redis.urlFor('studio', SECRET);

    const w = startWorker(['--queue', url, '--shared-dir', path.join(mount, 'farm'), '--path-map', `${share}=${mount}`, '--name', 'ns-worker'], { STUDIO_DATA_DIR: path.join(root, 'data-worker') }, ['ip', 'netns', 'exec', NS]);
    stops.push(() => stopProcess(w, 'SIGKILL'));
    await workerReady(w);

    const q = await FarmQueue.open({ setting: { kind: 'redis', url } });
    stops.push(() => q.close());
    // Redis sees the worker's connections coming from the namespace's address.
    const workers = await q.workers();
    expect(workers.map((x) => [x.name, x.addr?.split(':')[0]])).toEqual([['ns-worker', WORKER_ADDR]]);

    const job = await q.enqueue({ input: photo, method: 'bicubic', scale: 2, output: { dir: path.join(share, 'out'), format: 'png' } });
    const done = await q.wait(job.id);
    expect(done).toMatchObject({ state: 'done', worker: 'ns-worker', outputs: [path.join(share, 'out', 'shot_bicubic_x2.png')] });
    const meta = await sharp(done.outputs[0]).metadata();
    expect([meta.width, meta.height]).toEqual([80, 80]);
    expect(w.log.join('')).toContain(`job ${job.id}: ${path.join(mount, 'in', 'shot.png')}`);
    expect(w.log.join('')).not.toContain(SECRET);
  }, 90_000);
});
