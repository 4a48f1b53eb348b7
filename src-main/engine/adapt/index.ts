export { adaptUpscaler, adaptUpscalers, fineTune, ADAPT_PRESETS, type AdaptSettings, type AdaptReport } from './adapt';
export { loadGraphNet, type GraphNet } from './graph';
