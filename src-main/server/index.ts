export { startStudioServer, type StudioServer, type StudioServerOptions } from './http-server';
export type { ServerCore } from './core';
export { PathGuard } from './path-guard';
export { CSP } from './static';
export { isLoopbackHost } from './host-check';
