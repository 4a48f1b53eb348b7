import { getContext, setContext } from 'svelte';
import type { Studio } from './studio.svelte';

const KEY = Symbol('studio');

export function provideStudio(studio: Studio): void {
  setContext(KEY, studio);
}

export function useStudio(): Studio {
  const s = getContext<Studio | undefined>(KEY);
  if (!s) throw new Error('useStudio() outside <App>');
  return s;
}
