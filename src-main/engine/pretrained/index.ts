export { pretrainedUpscalers, esrganUpscaler, loadPretrained, pretrainedGraph, unloadPretrained } from './esrgan';
export { PRETRAINED, pretrainedSpec, modelDir, type PretrainedSpec, type PretrainedId } from './catalog';
export { planScales } from './scale-plan';
export { upscaleWithNet, runTile, type NetSpec } from './net-runner';
export { loadArtifacts, saveArtifacts, dirLoader } from './model-files';
