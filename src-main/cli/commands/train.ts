// `studio train`: train your own upscaler (document 000's CNN, a ZSSR-kind residual CNN or
// document 001's GAN) on a folder of high-resolution photos; the result joins the method list.
import { BackendName, BackendPreference } from '../../contract/enhance';
import { ARCHS, defaultConfig, trainModel, type TrainConfig } from '../../engine/train';
import { decodeImage, svgToPng } from '../../imaging';
import { resolveDataDir } from '../../service';
import { parseChoice, parseCommandLine, parseNumber, usageError } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio train --data DIR [--arch cnn|residual|gan] [--scale 2|3|4] [options]

Train an upscaler on a folder of high-resolution photos. Low-resolution inputs are made by
MATLAB-style bicubic downscaling; random crops are flipped and rotated. Every epoch is checked
on held-out validation images (PSNR/SSIM); training stops when the validation loss has not
improved for --patience epochs, and the best epoch's weights are kept. The model is stored in
the data folder (models/NAME) and is offered as method user:NAME everywhere (enhance, batch,
watch folders, the app).

  --data DIR          the photos: a DIV2K-style folder (*_HR folders; a *valid*_HR one is the
                      validation set) or any folder of images (searched 4 levels deep). Images
                      may differ in size; each must be at least patch x scale pixels.
  --arch A            cnn       document 000: 8 conv layers (64 ch, 3x3, ReLU) + up-sampling +
                                sigmoid, MSE loss (default)
                      residual  ZSSR-kind: conv layers on the bicubic-enlarged image learn the
                                residual, L1 loss; trains on the fast multi-threaded kernels
                      gan       document 001: generator (LeakyReLU 0.2, sub-pixel transposed
                                convolutions, tanh) + strided-conv discriminator, least-squares
                                GAN loss + L1 content loss, Adam 1e-4
  --scale N           2, 3 or 4 (default 4)
  --name NAME         model name (default <arch>-x<scale>); the method id is user:NAME
  --epochs N          at most N epochs (default 100)
  --patience N        early stopping: epochs without a better validation loss (default 5)
  --steps N           optimizer steps per epoch (default 50)
  --batch N           crops per step (default cnn 16, residual 4, gan 8)
  --patch N           low-resolution crop side in pixels (default 24)
  --width N           channels per layer (default cnn/residual 64, gan 32)
  --depth N           hidden conv layers (default cnn/residual 8, gan 6)
  --lr X              Adam learning rate (default cnn/gan 1e-4 as in the source documents,
                      residual 1e-3); 1e-3 learns much faster in short CPU runs
  --val-fraction X    share of images held out when there is no validation folder (default 0.1)
  --adv-weight X      gan: weight of the adversarial loss (default 1e-3)
  --warmup N          gan: epochs of content-loss-only training first (default 1)
  --seed N            random seed (default 1)
  --resume            continue NAME from its last checkpoint (after Ctrl-C or a crash)
  --overwrite         replace an existing model NAME
  --backend B         auto | webgpu (any GPU) | wasm | cpu | tensorflow | tensorflow-gpu (default: auto;
                      an onnx-* choice trains on the tfjs backend of the same device)
  --json              print the result as JSON
  --data-dir DIR      studio data folder (default: STUDIO_DATA_DIR or the user-data folder)

Writes models/NAME/{model.json, weights.bin, curve.png (loss + PSNR per epoch), history.json,
checkpoint/}. On a CPU expect minutes per epoch with the defaults; --width 32 --depth 4
--steps 20 gives a quick first model.`;

export const command: Command = {
  summary: 'train your own upscaler (CNN, residual CNN or GAN) on a folder of photos',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        data: { type: 'string' },
        arch: { type: 'string', default: 'cnn' },
        scale: { type: 'string', default: '4' },
        name: { type: 'string' },
        epochs: { type: 'string' },
        patience: { type: 'string' },
        steps: { type: 'string' },
        batch: { type: 'string' },
        patch: { type: 'string' },
        width: { type: 'string' },
        depth: { type: 'string' },
        lr: { type: 'string' },
        'val-fraction': { type: 'string' },
        'adv-weight': { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        resume: { type: 'boolean', default: false },
        overwrite: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'auto' },
        json: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
      },
      HELP,
    );
    if (positionals.length) throw usageError(`unexpected argument '${positionals[0]}'`, HELP);
    const data = values.data;
    if (!data) throw usageError('--data DIR is required', HELP);
    const arch = parseChoice('arch', values.arch, ARCHS, HELP) ?? 'cnn';
    const scale = parseNumber('scale', values.scale, { integer: true, min: 2, max: 4 }, HELP) ?? 4;
    const backendPick = BackendPreference.safeParse(values.backend);
    if (!backendPick.success) throw usageError(`--backend must be auto or one of ${BackendName.options.join(', ')}, got '${values.backend}'`, HELP);
    const name = values.name ?? `${arch}-x${scale}`;
    const d = defaultConfig(arch, name, scale);
    const int = (k: string, v: string | undefined, min: number, max: number) => parseNumber(k, v, { integer: true, min, max }, HELP);
    const cfg: TrainConfig = {
      ...d,
      maxEpochs: int('epochs', values.epochs, 1, 100000) ?? d.maxEpochs,
      patience: int('patience', values.patience, 1, 1000) ?? d.patience,
      stepsPerEpoch: int('steps', values.steps, 1, 1e6) ?? d.stepsPerEpoch,
      batch: int('batch', values.batch, 1, 64) ?? d.batch,
      patch: int('patch', values.patch, 8, 128) ?? d.patch,
      width: int('width', values.width, 4, 256) ?? d.width,
      depth: int('depth', values.depth, 2, 32) ?? d.depth,
      lr: parseNumber('lr', values.lr, { min: 1e-8, max: 0.5 }, HELP) ?? d.lr,
      valFraction: parseNumber('val-fraction', values['val-fraction'], { min: 0.01, max: 0.5 }, HELP) ?? d.valFraction,
      advWeight: parseNumber('adv-weight', values['adv-weight'], { min: 0, max: 10 }, HELP) ?? d.advWeight,
      warmupEpochs: int('warmup', values.warmup, 0, 1000) ?? d.warmupEpochs,
      seed: int('seed', values.seed, 0, 2 ** 31) ?? d.seed,
    };
    const dataDir = values['data-dir'] ?? resolveDataDir();
    const ac = new AbortController();
    const onSigint = () => {
      console.error('\nstopping after this step; the last finished epoch is kept (resume with --resume)');
      ac.abort();
    };
    process.once('SIGINT', onSigint);
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    try {
      const r = await trainModel(
        data,
        cfg,
        {
          dataDir,
          decode: async (file) => (await decodeImage(file)).rgb,
          rasterise: svgToPng,
          backend: backendPick.data,
          signal: ac.signal,
          log: (m) => {
            if (tty && lastLine) process.stderr.write('\r\x1b[K');
            lastLine = 0;
            console.error(m);
          },
          onProgress: (p) => {
            if (!tty) return;
            const now = Date.now();
            if (now - lastLine < 200 && p.done !== p.total) return;
            lastLine = now;
            const what = p.phase === 'decode' ? `checking images ${p.done}/${p.total}` : `${p.message ?? ''} step ${p.step ?? p.done} loss ${p.loss?.toExponential(3) ?? ''}`;
            process.stderr.write(`\r\x1b[K${what}`);
          },
        },
        { resume: values.resume, overwrite: values.overwrite },
      );
      if (tty && lastLine) process.stderr.write('\r\x1b[K');
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(
          [
            `model ${r.id} saved in ${r.dir}`,
            `best epoch ${r.bestEpoch} of ${r.history.length}${r.stoppedEarly ? ' (stopped early: no better validation loss for ' + cfg.patience + ' epochs)' : ''}`,
            `validation: ${r.best.psnr.toFixed(2)} dB PSNR, SSIM ${r.best.ssim.toFixed(4)} (bicubic ${r.bicubicPsnr.toFixed(2)} dB)`,
            `curve: ${r.curve}`,
            `use it: studio enhance PHOTO --method ${r.id} --scale ${cfg.scale}`,
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
