// The backend measurement is cached per device and workload (the run's model), so reloading
// the page does not re-time it; and per build: a later build's kernels may time otherwise.
import type { BackendReport } from '../engine/backend';
import type { Calibration } from '../engine/backendChoice';

// v3: timings carry `lighter` (a software WebGL timed on the two-conv workload); older ones are measured again.
export const CALIBRATION_KEY = 'sparsecl.backend-calibration.v3';

declare const __APP_BUILD__: string | undefined;
/** The build the page runs (vite.config.ts: the commit), or "dev" where nothing defined it. */
export const APP_BUILD: string = typeof __APP_BUILD__ === 'string' ? __APP_BUILD__ : 'dev';

/** A stored calibration, if it is one and was measured by this build; anything else: measure again. */
export function parseCalibration(raw: string | null, build = APP_BUILD): Calibration | undefined {
  try {
    const c = raw ? (JSON.parse(raw) as Calibration) : undefined;
    return c && typeof c.device === 'string' && Array.isArray(c.timings) && c.build === build ? c : undefined;
  } catch {
    return undefined; // a corrupt entry
  }
}

/** What is stored of a measured report (undefined when nothing was measured). */
export function calibrationEntry(report: BackendReport, build = APP_BUILD): string | undefined {
  const c = report.calibration;
  if (!c) return undefined;
  return JSON.stringify({ device: c.device, workload: c.workload, timings: c.timings, chosen: report.backend, at: c.at, build } satisfies Calibration);
}
