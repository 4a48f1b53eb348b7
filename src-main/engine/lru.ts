// A small cache of things made asynchronously (loaded models, graphs, runtime sessions): the most
// recently used last, the oldest dropped (and released) past `max`; a failed make is forgotten.
export class PromiseLru<T> {
  private readonly map = new Map<string, Promise<T>>();
  constructor(
    private readonly max: number,
    private readonly release: (v: T) => unknown = () => undefined,
  ) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const p = make();
    this.map.set(key, p);
    p.catch(() => {
      if (this.map.get(key) === p) this.map.delete(key);
    });
    while (this.map.size > this.max) this.drop(this.map.keys().next().value as string);
    return p;
  }

  /** Drop and release the entries whose key passes `which` (all by default). */
  async clear(which: (key: string) => boolean = () => true): Promise<void> {
    const keys = [...this.map.keys()].filter(which);
    await Promise.all(keys.map((k) => this.drop(k)));
  }

  private drop(key: string): Promise<void> {
    const p = this.map.get(key);
    this.map.delete(key);
    return (p ?? Promise.resolve(undefined))
      .then((v) => (v === undefined ? undefined : this.release(v as T)))
      .then(() => undefined)
      .catch(() => undefined);
  }
}
