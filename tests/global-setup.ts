import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Tests run the studio as users do: engine processes and the `studio` command are the built
// JavaScript (out/main), so it is brought up to date with the sources once per run.
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build-main.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`building out/main failed (exit ${r.status ?? r.signal})`);
}
