export { createStudioService, type StudioService, type StudioServiceOptions, type ServiceDeps, type ServiceLimits } from './studio-service';
export { resolveDataDir, dataPaths, type DataPaths } from './data-dir';
export { EventBus } from './event-bus';
export { SettingsStore, defaultSettings } from './settings';
export { Library, safeFileName } from './library';
export { resolveRequest } from './jobs-api';
