import { probeCompute } from './src-main/engine/compute-probe';
process.env.STUDIO_PROBE_CACHE='/tmp/probe-test.json';
let t=performance.now();
const r = await probeCompute({refresh:true});
console.log(JSON.stringify(r.auto), (performance.now()-t).toFixed(0));
t=performance.now();
const f = await probeCompute({full:true});
for (const b of f.backends) console.log(JSON.stringify(b));
console.log(JSON.stringify(f.auto), (performance.now()-t).toFixed(0));
