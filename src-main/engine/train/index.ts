// Training your own upscaler (source documents 000 and 001): see trainer.ts.
export { trainModel, defaultConfig, evaluate, type TrainConfig, type TrainDeps, type TrainResult, type EpochRecord, type TrainRunOptions } from './trainer';
export { loadUserModels, loadUserModel, userModelDir, modelsRoot, UserModelMeta, MODEL_NAME } from './user-models';
export { ARCHS, type ArchName, type ArchConfig } from './archs';
export { findDataset, IMAGE_EXTENSIONS, type DecodeFn, type DatasetSplit } from './dataset';
export { curveSvg } from './curve';
