import { describe, expect, it } from 'vitest';
import { StudioError, toResult, unwrapResult, toErrorPayload } from '../../../src-main/contract/errors';
import { EnhanceRequest } from '../../../src-main/contract/enhance';
import { channelOf } from '../../../src-main/contract/define';
import { studioApi } from '../../../src-main/contract/api';

describe('contract', () => {
  it('round-trips a coded error through a Result', async () => {
    const r = await toResult(() => {
      throw new StudioError('E_CORRUPT_IMAGE', 'truncated JPEG', { path: '/x.jpg' });
    });
    expect(r.ok).toBe(false);
    expect(() => unwrapResult(r)).toThrowError(StudioError);
    try {
      unwrapResult(r);
    } catch (e) {
      expect((e as StudioError).code).toBe('E_CORRUPT_IMAGE');
      expect((e as StudioError).details).toEqual({ path: '/x.jpg' });
    }
  });

  it('turns unknown errors into E_INTERNAL', () => {
    expect(toErrorPayload(new TypeError('boom'))).toEqual({ code: 'E_INTERNAL', message: 'boom' });
  });

  it('rejects unknown keys and bad values in an enhance request', () => {
    expect(EnhanceRequest.safeParse({ input: '/a.png', method: 'bicubic', scale: 2 }).success).toBe(true);
    expect(EnhanceRequest.safeParse({ input: '/a.png', method: 'bicubic', scale: 2, evil: 1 }).success).toBe(false);
    expect(EnhanceRequest.safeParse({ input: '/a.png', method: 'bi cubic', scale: 2 }).success).toBe(false);
    expect(EnhanceRequest.safeParse({ input: '/a.png', method: 'bicubic', scale: 0 }).success).toBe(false);
  });

  it('derives channel names from the method map', () => {
    expect(channelOf('jobs.enqueue')).toBe('jobs:enqueue');
    for (const name of Object.keys(studioApi)) expect(channelOf(name)).toMatch(/^[a-z]+:[a-zA-Z]+$/);
  });
});
