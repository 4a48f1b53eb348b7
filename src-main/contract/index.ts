export * from './errors';
export * from './image';
export * from './define';
export * from './enhance';
export * from './jobs';
export * from './api';
export * from './events';
