// The backend measurement is cached per device and workload (the run's model), so reloading
// the page does not re-time it; and per build: a later build's kernels may time otherwise.
import { z } from 'zod';
import type { BackendReport } from '../engine/backend';
import type { Calibration } from '../engine/backendChoice';
import { BACKEND_ORDER } from '../engine/backendOrder';

// v3: timings carry `lighter` (a software WebGL timed on the two-conv workload); older ones are measured again.
export const CALIBRATION_KEY = 'sparsecl.backend-calibration.v3';

declare const __APP_BUILD__: string | undefined;
/** The build the page runs (vite.config.ts: the commit), or "dev" where nothing defined it. */
export const APP_BUILD: string = typeof __APP_BUILD__ === 'string' ? __APP_BUILD__ : 'dev';

const backendName = z.enum(BACKEND_ORDER as unknown as [string, ...string[]]);
/** What the choice reads of each timing (the other fields are optional flags, checked where read). */
const TimingSchema = z.looseObject({ backend: backendName, adapter: z.string(), software: z.boolean(), ms: z.number().nullable(), warmupMs: z.number().nullable() });
const CalibrationSchema = z.looseObject({ device: z.string(), workload: z.string().optional(), timings: z.array(TimingSchema), chosen: backendName, at: z.string(), build: z.string().optional() });

/**
 * A stored calibration, if it is one and was measured by this build; anything else (a
 * damaged entry: a timing that is not one crashed the worker on every start, and the page
 * offers "Measure again" only once a backend runs): measure again.
 */
export function parseCalibration(raw: string | null, build = APP_BUILD): Calibration | undefined {
  try {
    const c = CalibrationSchema.safeParse(raw ? JSON.parse(raw) : undefined);
    return c.success && c.data.build === build ? (c.data as unknown as Calibration) : undefined;
  } catch {
    return undefined; // not JSON
  }
}

/** What is stored of a measured report (undefined when nothing was measured). */
export function calibrationEntry(report: BackendReport, build = APP_BUILD): string | undefined {
  const c = report.calibration;
  if (!c) return undefined;
  return JSON.stringify({ device: c.device, workload: c.workload, timings: c.timings, chosen: report.backend, at: c.at, build } satisfies Calibration);
}
