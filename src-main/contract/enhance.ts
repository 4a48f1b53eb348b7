import { z } from 'zod';
import { FilePath, fsPath } from './paths';

/** Interpolation methods; everything else is a learned model id from the model registry. */
export const CLASSICAL_METHODS = ['nearest', 'bilinear', 'bicubic', 'lanczos'] as const;
export type ClassicalMethod = (typeof CLASSICAL_METHODS)[number];

/** Method ids: classical, 'zssr', 'esrgan-slim|medium|thick', 'adapt', or 'user:<name>' models. */
export const MethodId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9:._-]*$/i, 'method ids are letters, digits and : . _ -');
export type MethodId = z.infer<typeof MethodId>;

/** Scales Blind ZSSR estimates kernels for: KernelGAN's x2 kernel, and x4 composed from it. */
export const BLIND_SCALES = [2, 4] as const;

export const QualityPreset = z.enum(['draft', 'balanced', 'max']);
export type QualityPreset = z.infer<typeof QualityPreset>;

/**
 * Where learned methods run. onnx-*: ONNX Runtime (inference of every net) on the CPU (all
 * cores), WebGPU (any GPU through Dawn: Vulkan, Metal, D3D12), DirectML (Windows) or CoreML
 * (macOS). webgpu: tfjs on Dawn (training and inference on any GPU). tensorflow-gpu/tensorflow:
 * tfjs-node's libtensorflow (CUDA / CPU). wasm: the studio's WebAssembly kernels (ZSSR
 * training) and tfjs-wasm. cpu: tfjs in plain JavaScript.
 */
export const BackendName = z.enum(['onnx-cpu', 'onnx-webgpu', 'onnx-directml', 'onnx-coreml', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;
export const BackendPreference = z.union([BackendName, z.literal('auto')]);
export type BackendPreference = z.infer<typeof BackendPreference>;

/** A gradual-SR scale: one factor, or [vertical, horizontal] as the original ZSSR's pairs. */
export const ZssrScale = z.union([z.number().min(1).max(16), z.tuple([z.number().min(1).max(16), z.number().min(1).max(16)])]);
export type ZssrScale = z.infer<typeof ZssrScale>;

/**
 * ZSSR settings, named as in the source document's config.json (and the original ZSSR's
 * configs.py for the keys it adds) so a user's file works as is. All optional: the quality
 * preset and the "Real photo" setting fill what is missing.
 */
export const ZssrConfig = z
  .object({
    in_channels: z.number().int().min(1).max(4),
    model_width: z.number().int().min(1).max(256),
    model_depth: z.number().int().min(2).max(32),
    model_kernel_size: z.number().int().min(1).max(9),
    lr: z.number().positive().max(1),
    lr_stop: z.number().positive().max(1),
    lr_decay: z.number().positive().max(1),
    lr_decay_ratio: z.number().positive(),
    lr_decay_range: z.number().int().positive(),
    lr_decay_step: z.number().int().positive(),
    num_epochs: z.number().int().positive().max(100000),
    crop_size: z.number().int().min(8).max(1024),
    patch_size: z.number().int().min(16).max(4096),
    scale_factor: z.number().min(1).max(8),
    scale_times: z.number().int().min(1).max(8),
    noise_std: z.number().min(0).max(1),
    ensemble: z.boolean(),
    back_projection: z.boolean(),
    /** Back-projection iterations: one number, or one per gradual step. */
    back_projection_iters: z.union([z.number().int().min(0).max(100), z.array(z.number().int().min(0).max(100)).min(1).max(16)]),
    /** Gradual SR: the scales to pass through, the last being the requested one. */
    scale_factors: z.array(ZssrScale).min(1).max(16),
    /** Scales after which that step's output becomes the input of the next steps. */
    base_change_sfs: z.array(ZssrScale).max(16),
    /** Start each gradual step from a fresh network instead of the previous step's. */
    init_net_for_each_sf: z.boolean(),
    augment_leave_as_is_probability: z.number().min(0).max(1),
    augment_no_interpolate_probability: z.number().min(0).max(1),
    augment_min_scale: z.number().min(0.1).max(1),
    augment_scale_diff_sigma: z.number().min(0).max(1),
    augment_shear_sigma: z.number().min(0).max(1),
    augment_allow_rotation: z.boolean(),
    /**
     * "Real photo": noise in the training inputs, no back-projection, no jitter that assumes a
     * symmetric blur (the original ZSSR's configuration for real images). The default when a
     * blur kernel is given or estimated.
     */
    real_photo: z.boolean(),
    kernel_path: fsPath(z.string().max(4096)),
    /** Blind ZSSR: estimate the photo's blur kernel from the photo itself (KernelGAN) and train with it. */
    blind: z.boolean(),
  })
  .partial()
  .strict();
export type ZssrConfig = z.infer<typeof ZssrConfig>;

/** Detail kept from a GAN's result, in percent (see EnhanceRequest.detail). */
export const Detail = z.number().min(0).max(100);

export const OutputFormat = z.enum(['jpeg', 'png', 'webp', 'avif', 'tiff']);
export type OutputFormat = z.infer<typeof OutputFormat>;

export const OutputOptions = z
  .object({
    /** Folder for outputs; default: the studio's outputs folder (or the input's folder in the CLI). */
    dir: FilePath.optional(),
    /** Default: same family as the input (JPEG stays JPEG, 16-bit TIFF stays 16-bit TIFF). */
    format: OutputFormat.optional(),
    quality: z.number().int().min(1).max(100).optional(),
    bitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
    /** Replace an existing output file (never the input itself). */
    overwrite: z.boolean().optional(),
  })
  .strict();
export type OutputOptions = z.infer<typeof OutputOptions>;

export const EnhanceRequest = z
  .object({
    /** Absolute path of the original photo (library item paths included). */
    input: FilePath,
    method: MethodId,
    scale: z.number().min(1).max(16),
    preset: QualityPreset.optional(),
    zssr: ZssrConfig.optional(),
    backend: BackendPreference.optional(),
    output: OutputOptions.optional(),
    /** Export preset ids (several deliverables in one run); see presets. */
    exportPresets: z.array(z.string().min(1).max(200)).max(16).optional(),
    /** Skip the per-image model cache (learned methods only). */
    noCache: z.boolean().optional(),
    /**
     * Learned methods: percent of the net's own detail kept (100, the default: the net's result;
     * 0: bicubic); the rest is a bicubic enlargement of the photo.
     */
    detail: Detail.optional(),
    /** Also write the hallucination map (<output>.map.png) of a learned method's result. */
    map: z.boolean().optional(),
  })
  .strict();
export type EnhanceRequest = z.infer<typeof EnhanceRequest>;
