// `studio doctor`: every compute backend in one line (available or why not, device, measured
// speed) and what `auto` chose, for nets and for training.
import { BackendPreference } from '../../contract/enhance';
import { computeInfo } from '../../engine/compute-info';
import { preferenceFromEnv } from '../../engine/backend';
import { parseCommandLine, usageError } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio doctor [--backend B] [--refresh] [--json]

Check the compute backends: for each, whether it runs here (and why not), the device it runs on,
and its speed measured on a small convolution net (GFLOP/s, checked against the CPU's output).
Then which one 'auto' picks for running nets and for training. The measurements are cached and
redone when the hardware or the installed packages change.

  --backend B   show where this preference runs (default: STUDIO_BACKEND or auto)
  --refresh     measure again now
  --json        the report as JSON`;

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
}

export const command: Command = {
  summary: 'check the compute backends (CPU, GPU) and measure them',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandLine(argv, { json: { type: 'boolean', default: false }, refresh: { type: 'boolean', default: false }, backend: { type: 'string' } }, HELP);
    const pref = values.backend === undefined ? preferenceFromEnv() : BackendPreference.safeParse(values.backend);
    if (typeof pref === 'object' && !pref.success) throw usageError(`--backend must be auto or one of the backends below, got '${values.backend}'`, HELP);
    const preference = typeof pref === 'object' ? pref.data : pref;
    const { info, report } = await computeInfo(preference, { full: true, refresh: values.refresh });
    if (values.json) {
      console.log(JSON.stringify({ ...info, ...(report ? { cpu: report.cpu, gpu: report.gpu ?? null, gpuError: report.gpuError ?? null, probedAt: report.probedAt } : {}) }, null, 2));
      return 0;
    }
    const rows = info.available.map((b) => [
      b.name,
      b.available ? 'yes' : 'no',
      b.device ?? '',
      b.gflops !== undefined ? `${b.gflops.toFixed(1)} GFLOP/s` : '',
      b.available ? (b.role ?? '') : (b.reason ?? 'not available'),
    ]);
    const head = ['BACKEND', 'RUNS', 'DEVICE', 'SPEED', 'USE / WHY NOT'];
    const widths = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
    console.log(row(head, widths));
    for (const r of rows) console.log(row(r, widths));
    if (report) {
      console.log('');
      console.log(`CPU: ${report.cpu.model}, ${report.cpu.cores} cores`);
      console.log(`GPU: ${report.gpu ? `${report.gpu.name}${report.gpu.software ? ' (software rendering on the CPU: slower than the CPU backends)' : ''}` : (report.gpuError ?? 'none found')}`);
    }
    console.log(`${preference === 'auto' ? 'auto' : preference}: nets run on ${info.active} (${info.device}), training on ${info.training}`);
    if (report) console.log(`measured ${report.probedAt.slice(0, 16).replace('T', ' ')} UTC${values.refresh ? '' : ' (cached; --refresh measures again)'}`);
    return 0;
  },
};
