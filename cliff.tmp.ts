import { esrganUpscaler } from './src-main/engine/pretrained/esrgan';
import { pretrainedSpec } from './src-main/engine/pretrained/catalog';
const up = esrganUpscaler(pretrainedSpec('esrgan-thick'));
function img(w:number,h:number){ const d=new Float32Array(w*h*3); for(let i=0;i<d.length;i++) d[i]=((i*7919)%1000)/1000*0.5+0.25; return {width:w,height:h,channels:3 as const,data:d}; }
const backend = (process.argv[2] ?? 'onnx-cpu') as any;
for (const h of [680, 768, 680, 768]) {
  const t=performance.now(); let tiles=0;
  await up.upscale(img(1024,h), { scale: 2, backend, onProgress: (p)=>{ if(p.total) tiles=p.total; } });
  console.log(backend, '1024x'+h, ((performance.now()-t)/1000).toFixed(1),'s tiles', tiles);
}
