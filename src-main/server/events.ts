import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StudioEvent } from '../contract/events';
import type { ServerCore } from './core';
import { BASE_HEADERS } from './respond';

// GET /api/events: server-sent events, one `data: <StudioEvent JSON>` per event. A comment
// every 15 s keeps proxies and idle timers from closing the stream.

export function createEventsRoute(core: ServerCore) {
  const open = new Set<ServerResponse>();

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    const send = (event: StudioEvent): void => {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = core.events.subscribe(send);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    beat.unref();
    open.add(res);
    const close = (): void => {
      clearInterval(beat);
      unsubscribe();
      open.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  /** Ends every stream (server shutdown). */
  function closeAll(): void {
    for (const res of open) res.end();
    open.clear();
  }

  return { handleEvents, closeAll };
}
