export * from './record';
export * from './store';
export * from './journal';
export * from './queue';
export * from './worker-protocol';
export * from './worker-host';
export * from './worker-pool';
export * from './child-process';
