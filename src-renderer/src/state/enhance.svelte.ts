import type { ModelInfo } from '../../../src-main/contract/api';
import { BLIND_SCALES, type EnhanceRequest, type QualityPreset, type ZssrConfig } from '../../../src-main/contract/enhance';

const STORAGE_KEY = 'loupe.enhance.v1';

export const SCALES = [2, 3, 4, 8] as const;

/** Methods whose result carries a net's own (possibly invented) detail: the detail slider and map apply. */
export function hasNetDetail(m: ModelInfo | undefined): boolean {
  return !!m && (m.family === 'pretrained' || m.family === 'imported' || m.family === 'user' || m.family === 'adapt');
}

/** The source document's config keys shown under "Advanced" for zero-shot methods, in its order. */
export const ZSSR_FIELDS: { key: keyof ZssrConfig; label: string; kind: 'int' | 'float' | 'bool'; hint: string }[] = [
  { key: 'num_epochs', label: 'num_epochs', kind: 'int', hint: 'Training steps at most' },
  { key: 'crop_size', label: 'crop_size', kind: 'int', hint: 'Training crop side, px' },
  { key: 'lr', label: 'lr', kind: 'float', hint: 'Initial learning rate' },
  { key: 'lr_stop', label: 'lr_stop', kind: 'float', hint: 'Stop when the rate falls below' },
  { key: 'lr_decay', label: 'lr_decay', kind: 'float', hint: 'Factor applied at each decay' },
  { key: 'lr_decay_ratio', label: 'lr_decay_ratio', kind: 'float', hint: 'Slope test ratio' },
  { key: 'lr_decay_range', label: 'lr_decay_range', kind: 'int', hint: 'Steps fitted by the slope test' },
  { key: 'lr_decay_step', label: 'lr_decay_step', kind: 'int', hint: 'Steps between slope tests' },
  { key: 'model_width', label: 'model_width', kind: 'int', hint: 'Channels per layer' },
  { key: 'model_depth', label: 'model_depth', kind: 'int', hint: 'Convolution layers' },
  { key: 'model_kernel_size', label: 'model_kernel_size', kind: 'int', hint: 'Kernel side' },
  { key: 'scale_factor', label: 'scale_factor', kind: 'float', hint: 'Factor of one gradual step' },
  { key: 'scale_times', label: 'scale_times', kind: 'int', hint: 'Gradual steps' },
  { key: 'patch_size', label: 'patch_size', kind: 'int', hint: 'Inference patch side, px' },
  { key: 'real_photo', label: 'real_photo', kind: 'bool', hint: 'Real photo: noise in training, no back-projection (default with a blur kernel)' },
  { key: 'noise_std', label: 'noise_std', kind: 'float', hint: 'Noise added to training inputs' },
  { key: 'in_channels', label: 'in_channels', kind: 'int', hint: 'Input channels' },
  { key: 'ensemble', label: 'ensemble', kind: 'bool', hint: '8-way geometric self-ensemble' },
  { key: 'back_projection', label: 'back_projection', kind: 'bool', hint: 'Back-projection after inference' },
  { key: 'back_projection_iters', label: 'back_projection_iters', kind: 'int', hint: 'Back-projection iterations (stops early if the error grows)' },
  { key: 'augment_min_scale', label: 'augment_min_scale', kind: 'float', hint: 'Smallest random scale of a training crop' },
  { key: 'augment_scale_diff_sigma', label: 'augment_scale_diff_sigma', kind: 'float', hint: 'Random stretch between the axes' },
  { key: 'augment_shear_sigma', label: 'augment_shear_sigma', kind: 'float', hint: 'Random shear of training crops' },
];

interface Saved {
  method: string;
  scale: number;
  preset: QualityPreset;
  zssr: ZssrConfig;
  detail: number;
  map: boolean;
  blind?: boolean;
}

/** Whether the Blind option (estimate the photo's blur first) applies to a method and scale. */
export function blindApplies(method: string, scale: number): boolean {
  return method === 'zssr' && (BLIND_SCALES as readonly number[]).includes(scale);
}

function load(): Partial<Saved> {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Partial<Saved>) : {};
  } catch {
    return {};
  }
}

/** The enhance panel's choices, remembered between sessions and reused by the export dialog. */
class EnhanceChoice {
  method = $state('bicubic');
  scale = $state(4);
  preset = $state<QualityPreset>('balanced');
  /** Advanced ZSSR values the user typed; empty means "the preset decides". */
  zssr = $state<ZssrConfig>({});
  /** Percent of a learned method's own detail kept (100: as the net made it; 0: bicubic). */
  detail = $state(100);
  /** Also make the hallucination map. */
  map = $state(false);
  /** ZSSR's Blind option: estimate the photo's blur kernel before training (x2 and x4). */
  blind = $state(false);

  constructor() {
    const s = load();
    if (typeof s.method === 'string') this.method = s.method;
    if (typeof s.scale === 'number') this.scale = s.scale;
    if (s.preset === 'draft' || s.preset === 'balanced' || s.preset === 'max') this.preset = s.preset;
    if (s.zssr && typeof s.zssr === 'object') this.zssr = s.zssr;
    if (typeof s.detail === 'number' && s.detail >= 0 && s.detail <= 100) this.detail = s.detail;
    if (typeof s.map === 'boolean') this.map = s.map;
    if (typeof s.blind === 'boolean') this.blind = s.blind;
  }

  save(): void {
    try {
      const s: Saved = { method: this.method, scale: this.scale, preset: this.preset, zssr: $state.snapshot(this.zssr), detail: this.detail, map: this.map, blind: this.blind };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    } catch {
      // storage full or disabled: choices simply are not remembered
    }
  }

  /**
   * The request fields these choices make (zssr settings only for zero-shot methods; detail and
   * map only for methods with a net's own detail).
   */
  request(zeroShot: boolean, gan = false): Omit<EnhanceRequest, 'input'> {
    const zssr: ZssrConfig = { ...$state.snapshot(this.zssr), ...(this.blind && blindApplies(this.method, this.scale) ? { blind: true } : {}) };
    const hasZssr = zeroShot && Object.keys(zssr).length > 0;
    return {
      method: this.method,
      scale: this.scale,
      preset: this.preset,
      ...(hasZssr ? { zssr } : {}),
      ...(gan && this.detail < 100 ? { detail: this.detail } : {}),
      ...(gan && this.map ? { map: true } : {}),
    };
  }
}

export const enhanceChoice = new EnhanceChoice();
