// presets/: export presets (process recipes), naming templates, provenance sidecars.
export { exportWithPreset, isAiMethod, processingSettings, sha256File, type ExportMeta, type ExportOptions, type ExportSource } from './export';
export { createPresetStore, presetsInText, PRESETS_FILE, type PresetEntry, type PresetStore, type PresetStoreOptions } from './store';
export { createPresetsApi, describeOutput, summarize, type PresetsApi, type PresetsApiDeps } from './api';
export { parsePreset, migratePreset, slugify } from './validate';
export { renderFileBase, renderSubfolder, type NamingContext } from './naming';
export { targetSize, printPixels } from '../imaging/render/sizing';
export { outputFileName, sameFamilyFormat, scaleLabel } from './output-name';
export { sameAsSourcePreset, SAME_AS_SOURCE_ID } from './same-as-source';
