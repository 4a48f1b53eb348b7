import { describe, expect, it } from 'vitest';
import { assertSender, originOf, type SenderLike } from '../../../src-main/ipc/sender';
import { StudioError } from '../../../src-main/contract/errors';

const policy = { origins: ['studio-app://app'] };
const frame = (url: string, parent: unknown = null): SenderLike => ({ senderFrame: { url, parent } });

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof StudioError ? err.code : 'not a StudioError';
  }
}

describe('originOf', () => {
  it('keeps scheme and host of custom schemes (URL.origin is "null" for them)', () => {
    expect(new URL('studio-app://app/index.html').origin).toBe('null');
    expect(originOf('studio-app://app/index.html#/library')).toBe('studio-app://app');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('not a url')).toBeUndefined();
  });
});

describe('assertSender', () => {
  it("accepts the app's main frame", () => {
    expect(codeOf(() => assertSender(frame('studio-app://app/index.html'), policy, 'jobs:list'))).toBeUndefined();
  });

  it.each([
    ['another origin', frame('https://evil.example/index.html')],
    ['file://', frame('file:///home/user/index.html')],
    ['a look-alike host', frame('studio-app://app.evil/index.html')],
    ['a sub-frame of the app', frame('studio-app://app/index.html', { url: 'studio-app://app/index.html' })],
    ['a destroyed frame', { senderFrame: null }],
    ['no event at all', undefined],
    ['a malformed URL', frame('::::')],
  ])('refuses %s with E_FORBIDDEN_SENDER', (_name, sender) => {
    expect(codeOf(() => assertSender(sender, policy, 'jobs:list'))).toBe('E_FORBIDDEN_SENDER');
  });

  it('accepts a dev server origin only when the policy lists it', () => {
    const dev = frame('http://localhost:5173/');
    expect(codeOf(() => assertSender(dev, policy, 'x'))).toBe('E_FORBIDDEN_SENDER');
    expect(codeOf(() => assertSender(dev, { origins: [...policy.origins, 'http://localhost:5173'] }, 'x'))).toBeUndefined();
  });
});
