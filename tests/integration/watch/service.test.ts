// The watch block as the UI reaches it: through the studio service, results checked against
// the contract's zod schemas, events on the bus, watches back after a restart of the service.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchApi } from '../../../src-main/contract/watch';
import type { StudioEvent } from '../../../src-main/contract/events';
import { createStudioService, type StudioService } from '../../../src-main/service/studio-service';
import { tempDir, tinyPng, until } from './harness';

let root: string;
let service: StudioService | undefined;

beforeAll(async () => {
  root = await tempDir('watch-service-');
});
afterAll(async () => {
  await service?.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

describe('watches through the studio service', () => {
  it('add, files, pause/resume and list survive a restart; events say what happened', async () => {
    const dataDir = path.join(root, 'data');
    const src = path.join(root, 'in');
    const out = path.join(root, 'out');
    await fs.mkdir(src);
    service = await createStudioService({ dataDir, concurrency: 1, onWarning: () => undefined });
    const events: StudioEvent[] = [];
    service.events.subscribe((e) => events.push(e));

    const added = watchApi['watches.add'].result.parse(
      await service['watches.add']({ source: src, recipe: { method: 'bicubic', scale: 2, outDir: out }, options: { stableMs: 300 } }),
    );
    expect(added).toMatchObject({ source: src, state: 'active', options: { recursive: false, skipDuplicates: true } });
    await fs.writeFile(path.join(src, 'a.png'), await tinyPng(5));
    const page = await until('a done', async () => {
      const p = watchApi['watches.files'].result.parse(await service?.['watches.files'](added.id, { state: 'done' }));
      return p.total === 1 ? p : undefined;
    });
    expect(page.files[0]).toMatchObject({ rel: 'a.png', state: 'done', outputs: [path.join(out, 'a_bicubic_x2.png')] });
    expect(page.counts.done).toBe(1);
    // The event bus delivers after the journal records the file, so wait for the event too.
    const doneEvent = await until('a done event', () =>
      events.find((e) => e.topic === 'watch' && e.watchId === added.id && e.message.startsWith('done')),
    );
    expect(doneEvent).toMatchObject({ topic: 'watch', watchId: added.id });
    // Its job is in the studio's queue too, tagged with the watch.
    const jobs = await service['jobs.list']();
    expect(jobs.filter((j) => j.watchId === added.id)).toHaveLength(1);

    expect((await service['watches.pause'](added.id)).state).toBe('paused');
    await service.dispose();
    service = await createStudioService({ dataDir, concurrency: 1, onWarning: () => undefined });
    const list = watchApi['watches.list'].result.parse(await service['watches.list']());
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: added.id, state: 'paused', counts: { done: 1 } });
    expect((await service['watches.resume'](added.id)).state).toBe('active');
    await expect(service['watches.pause']('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(await service['watches.remove'](added.id)).toBe(true);
    expect(await service['watches.list']()).toEqual([]);
    expect(JSON.parse(await fs.readFile(path.join(dataDir, 'watches.json'), 'utf8'))).toEqual({ version: 1, watches: [] });
  });
});
