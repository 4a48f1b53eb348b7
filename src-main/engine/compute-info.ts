// What the UI and `studio doctor` show about compute: every backend with its device, measured
// speed and why-not, and where nets and training run for a preference.
import type { BackendInfo } from '../contract/api';
import type { BackendName, BackendPreference } from '../contract/enhance';
import { probeBackends, tfjsPreference } from './backend';
import { deviceLabel, inferenceChain, probeCompute, type ComputeReport } from './compute-probe';

/** Training side of a preference: auto's choice, or the tfjs backend a forced one maps to. */
function trainingFor(pref: BackendPreference, report: ComputeReport | undefined): BackendName {
  const t = tfjsPreference(pref);
  return t === 'auto' ? (report?.auto.training ?? 'wasm') : t;
}

export async function computeInfo(preference: BackendPreference, opts: { full?: boolean; refresh?: boolean } = {}): Promise<{ info: BackendInfo; report?: ComputeReport }> {
  const report = await probeCompute(opts).catch(() => undefined);
  const [active] = await inferenceChain(preference);
  const available = report
    ? report.backends.map((b) => ({ name: b.name, available: b.available, role: b.role, ...(b.reason ? { reason: b.reason } : {}), ...(b.device ? { device: b.device } : {}), ...(b.gflops !== undefined ? { gflops: b.gflops } : {}) }))
    : probeBackends();
  const info: BackendInfo = { active, preference, available, device: deviceLabel(active, report?.gpu), training: trainingFor(preference, report) };
  return report ? { info, report } : { info };
}
