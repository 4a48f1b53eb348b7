import { describe, expect, it } from 'vitest';
import { describeQueue, mapPath, parsePathMap, redactUrl, redisConnection } from '../../../src-main/jobs/farm/connection';
import { decodeError, encodeError } from '../../../src-main/jobs/farm/protocol';
import { takeQueue } from '../../../src-main/cli/args';

describe('farm connection settings', () => {
  it('refuses a Redis off this machine without credentials unless insecure, and reads the password from the env', () => {
    expect(() => redisConnection({ kind: 'redis', url: 'redis://nas.studio.lan:6379' }, {})).toThrow(expect.objectContaining({ code: 'E_FARM_INSECURE' }));
    expect(redisConnection({ kind: 'redis', url: 'redis://nas.studio.lan:6379', insecure: true }, {})).toMatchObject({ host: 'nas.studio.lan', port: 6379 });
    expect(redisConnection({ kind: 'redis', url: 'redis://farm:s3cr%40t@nas.studio.lan:6380/2' }, {})).toMatchObject({ username: 'farm', password: 's3cr@t', port: 6380, db: 2 });
    expect(redisConnection({ kind: 'redis', url: 'rediss://nas.studio.lan' }, { STUDIO_REDIS_PASSWORD: 'pw', STUDIO_REDIS_USER: 'farm' })).toMatchObject({ password: 'pw', username: 'farm', tls: {} });
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) expect(redisConnection({ kind: 'redis', url: `redis://${host}:7000` }, {})).toMatchObject({ port: 7000 });
    expect(() => redisConnection({ kind: 'redis', url: 'http://127.0.0.1' }, {})).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('never shows a password', () => {
    expect(redactUrl('redis://farm:hunter2@nas:6379/0')).toBe('redis://farm:***@nas:6379/0');
    expect(() => takeQueue(['--queue', 'redis://nas.lan:6379'])).toThrow(expect.objectContaining({ code: 'E_FARM_INSECURE' }));
    let message = '';
    try {
      takeQueue(['--queue', 'ftp://u:hunter2@nas.lan']);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/redis:\/\//);
    expect(message).not.toContain('hunter2');
  });

  it('names the queue in logs with the password masked, and says where a password from the env came from', () => {
    expect(describeQueue({ kind: 'redis', url: 'rediss://studio:hunter2@nas:6379' }, { STUDIO_REDIS_PASSWORD: 'other' })).toBe('rediss://studio:***@nas:6379');
    expect(describeQueue({ kind: 'redis', url: 'redis://studio@nas:6379' }, { STUDIO_REDIS_PASSWORD: 'hunter2' })).toBe('redis://studio@nas:6379 (password from STUDIO_REDIS_PASSWORD)');
    expect(describeQueue({ kind: 'redis', url: 'redis://127.0.0.1:6379' }, {})).toBe('redis://127.0.0.1:6379');
  });

  it('takes --queue, --queue-prefix and --insecure out of a command line', () => {
    expect(takeQueue(['a.png', '--queue', 'redis://nas.lan', '--insecure', '--queue-prefix=shop', '--scale', '2'])).toEqual({
      argv: ['a.png', '--scale', '2'],
      queue: { kind: 'redis', url: 'redis://nas.lan', prefix: 'shop', insecure: true },
    });
    expect(takeQueue(['a.png'])).toEqual({ argv: ['a.png'] });
    expect(() => takeQueue(['--insecure'])).toThrow(/go with --queue/);
  });

  it('maps the coordinator paths to the worker mount points and back, longest prefix first', () => {
    const maps = [parsePathMap('/mnt/studio=/Volumes/studio'), parsePathMap('/mnt/studio/raw/=/data/raw')];
    expect(mapPath('/mnt/studio/jobs/a.png', maps)).toBe('/Volumes/studio/jobs/a.png');
    expect(mapPath('/mnt/studio/raw/b.tif', maps)).toBe('/data/raw/b.tif');
    expect(mapPath('/mnt/studiox/c.png', maps)).toBe('/mnt/studiox/c.png');
    expect(mapPath('/Volumes/studio/out/a.png', maps, true)).toBe('/mnt/studio/out/a.png');
    expect(() => parsePathMap('/only-one-side')).toThrow(/FROM=TO/);
  });

  it('keeps coded errors through BullMQ text', () => {
    expect(decodeError(encodeError({ code: 'E_FARM_FILE_MISSING', message: 'a: b' }))).toEqual({ code: 'E_FARM_FILE_MISSING', message: 'a: b' });
    expect(decodeError('job stalled more than allowable limit').code).toBe('E_WORKER_CRASHED');
    expect(decodeError('boom')).toEqual({ code: 'E_INTERNAL', message: 'boom' });
  });
});
