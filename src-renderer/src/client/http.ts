import type { StudioApi, StudioMethod, ImageItem } from '../../../src-main/contract/api';
import type { StudioEvent } from '../../../src-main/contract/events';
import { StudioError, isErrorCode, type ErrorPayload, type Result } from '../../../src-main/contract/errors';
import type { MediaKind, MediaOptions, StudioClient } from './types';

// The browser's door to `studio serve`: contract calls as JSON POSTs, events over SSE,
// photos as raw-byte uploads. Same origin only; the server's CSP allows nothing else.

function toError(payload: unknown, status: number): StudioError {
  const p = payload as Partial<ErrorPayload> | undefined;
  if (p && isErrorCode(p.code)) return new StudioError(p.code, String(p.message ?? p.code), p.details);
  return new StudioError('E_INTERNAL', `the studio server answered ${status}`);
}

async function readResult<T>(res: Response): Promise<T> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new StudioError('E_INTERNAL', `the studio server answered ${res.status} without a result`);
  }
  const r = body as Result<T>;
  if (r && r.ok === true) return r.value;
  throw toError(r && r.ok === false ? r.error : undefined, res.status);
}

async function post<T>(url: string, body: BodyInit, contentType: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': contentType } });
  } catch (err) {
    throw new StudioError('E_INTERNAL', `cannot reach the studio server (${err instanceof Error ? err.message : String(err)})`);
  }
  return readResult<T>(res);
}

export function createHttpClient(base = ''): StudioClient {
  const listeners = new Set<(e: StudioEvent) => void>();
  const connListeners = new Set<(c: boolean) => void>();
  let source: EventSource | undefined;
  let connected = false;

  function setConnected(c: boolean): void {
    if (c === connected) return;
    connected = c;
    for (const l of connListeners) l(c);
  }

  // One EventSource for all listeners, opened on first subscribe; EventSource reconnects itself.
  function ensureStream(): void {
    if (source) return;
    source = new EventSource(`${base}/api/events`);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.onmessage = (m: MessageEvent<string>) => {
      let event: StudioEvent;
      try {
        event = JSON.parse(m.data) as StudioEvent;
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    };
  }

  return {
    kind: 'http',
    call<M extends StudioMethod>(method: M, ...args: Parameters<StudioApi[M]>): ReturnType<StudioApi[M]> {
      return post(`${base}/api/call/${encodeURIComponent(method)}`, JSON.stringify(args), 'application/json') as ReturnType<
        StudioApi[M]
      >;
    },
    subscribe(listener) {
      listeners.add(listener);
      ensureStream();
      return () => listeners.delete(listener);
    },
    onConnectionChange(listener) {
      connListeners.add(listener);
      ensureStream();
      listener(connected);
      return () => connListeners.delete(listener);
    },
    async importFiles(files) {
      const results: Result<ImageItem>[] = [];
      // One at a time: uploads are large and the server decodes each one to check it.
      for (const file of files) {
        try {
          const type = file.type.startsWith('image/') ? file.type : 'application/octet-stream';
          const value = await post<ImageItem>(`${base}/api/upload?name=${encodeURIComponent(file.name || 'pasted image')}`, file, type);
          results.push({ ok: true, value });
        } catch (err) {
          const e = err instanceof StudioError ? err : new StudioError('E_INTERNAL', String(err));
          results.push({ ok: false, error: e.toPayload() });
        }
      }
      return results;
    },
    async saveOutput(jobId, index) {
      const a = document.createElement('a');
      a.href = `${base}/media/output/${encodeURIComponent(jobId)}?i=${index}&download=1`;
      a.download = '';
      document.body.append(a);
      a.click();
      a.remove();
      return null;
    },
    mediaUrl(kind: MediaKind, id: string, options: MediaOptions = {}) {
      const q = new URLSearchParams();
      if (options.w) q.set('w', String(Math.round(options.w)));
      if (options.i) q.set('i', String(options.i));
      const qs = q.toString();
      return `${base}/media/${kind}/${encodeURIComponent(id)}${qs ? `?${qs}` : ''}`;
    },
  };
}
