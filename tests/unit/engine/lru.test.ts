import { describe, expect, it } from 'vitest';
import { PromiseLru } from '../../../src-main/engine/lru';

describe('PromiseLru', () => {
  it('keeps the most recently used, releases what it drops, forgets failures', async () => {
    const released: string[] = [];
    const lru = new PromiseLru<string>(2, (v) => released.push(v));
    let made = 0;
    const make = (v: string) => () => {
      made++;
      return Promise.resolve(v);
    };
    expect(await lru.get('a', make('A'))).toBe('A');
    await lru.get('b', make('B'));
    await lru.get('a', make('A2')); // a is now the most recent
    await lru.get('c', make('C')); // drops b
    await new Promise((r) => setImmediate(r));
    expect(released).toEqual(['B']);
    expect(await lru.get('a', make('A3'))).toBe('A');
    expect(made).toBe(3);
    await expect(lru.get('x', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await new Promise((r) => setImmediate(r));
    expect(await lru.get('x', make('X'))).toBe('X');
    await lru.clear((k) => k === 'a');
    expect(released).toContain('A');
  });
});
