import { ensureBackend, tf } from './src-main/engine/backend';
import { TfTrainer, initWeights } from './src-main/engine/zssr/trainer';
import { PairedNormalRng } from './src-main/engine/train/rng';
const shape = { depth: 4, width: 16, kernel: 3 };
const w = initWeights(shape, new PairedNormalRng(0));
function img(n:number, s:number){ const d=new Float32Array(n*n*3); for(let i=0;i<d.length;i++) d[i]=(Math.sin(i*0.1*s)+1)/2; return {width:n,height:n,channels:3 as const,data:d}; }
const res: Record<string, number[]> = {};
for (const b of ['cpu','webgpu'] as const) {
  await ensureBackend(b);
  const t = new TfTrainer(b, shape, w);
  const losses=[]; const t0=performance.now();
  for (let i=0;i<3;i++) losses.push(t.step(img(24,1), img(24,1.1), 1e-3));
  const f = t.forward(img(20,1.3));
  res[b]=[...losses, f.data[100], f.data[500]];
  console.log(b, tf.getBackend(), res[b], (performance.now()-t0).toFixed(0));
  await t.dispose();
}
