// The SyncCP panel's data (pure, structured-cloneable): per-layer densities and update
// statistics, the planned schedule as a step function (from scheduleOf, the plan the
// plugin runs), and the selected layer's masks as heatmaps.
import type { SyncCPConfig } from '../config';
import { previewSteps, type BranchPair, type SyncCPPlan } from '../sparsity/scheduleOf';
import type { UpdateWindow } from '../sparsity/schedule';
import { heatmapPair, type MaskHeatmap, type SyncCPHistoryEntry } from './maskPanel';
import { ones, type MaskUpdateStats } from './maskStats';

type Shape4 = [number, number, number, number];

/** One prunable conv in a snapshot. Densities are fractions of the kernel's weights kept. */
export interface SyncCPLayerSnapshot extends MaskUpdateStats {
  name: string;
  /** tfjs kernel shape [kh, kw, C_in, C_out]. */
  shape: Shape4;
  /** Density the schedule and layer budget ask for at the last update. */
  planned: BranchPair;
  /** Density of the masks in use (ones / size). */
  actual: BranchPair;
}

export interface SyncCPSchedulePreview {
  /** 'density': whole-network online/target density before layer budgets; 'nmFraction': fraction of N:M groups p and p − g. */
  quantity: 'density' | 'nmFraction';
  totalSteps: number;
  window: UpdateWindow;
  /** Value from steps[i] until steps[i+1]. */
  steps: number[];
  online: number[];
  target: number[];
}

export interface SyncCPSnapshot {
  kind: 'syncp';
  /** Steps completed by the trainer when the snapshot was taken. */
  step: number;
  /** Step of the last mask update, null before the first. */
  lastUpdateStep: number | null;
  granularity: SyncCPConfig['granularity'];
  scores: SyncCPConfig['scores'];
  layerBudget: SyncCPConfig['layerBudget'];
  gap: number;
  n: number;
  m: number;
  layers: SyncCPLayerSnapshot[];
  schedule: SyncCPSchedulePreview;
  /** The layer shown in detail (chosen by the page: PanelView.selectedLayer), its masks; history filled by the worker. */
  selected: {
    name: string;
    masks: MaskHeatmap;
    /** The last HISTORY_LENGTH updates of this layer, oldest first (for a slider). */
    history: SyncCPHistoryEntry[];
  };
}

/** What the panel needs of one layer. */
export interface LayerView extends MaskUpdateStats {
  name: string;
  shape: Shape4;
  online: Uint8Array;
  target: Uint8Array;
  planned: BranchPair;
}

export function schedulePreview(plan: SyncCPPlan, totalSteps: number): SyncCPSchedulePreview {
  const steps = previewSteps(plan.window, totalSteps);
  const vals = steps.map((s) => plan.at(s));
  return { quantity: plan.kind, totalSteps, window: { ...plan.window }, steps, online: vals.map((x) => x.online), target: vals.map((x) => x.target) };
}

export function syncpSnapshot(x: {
  cfg: SyncCPConfig;
  plan: SyncCPPlan;
  totalSteps: number;
  step: number;
  lastUpdateStep: number | null;
  layers: readonly LayerView[];
  selected: LayerView;
}): SyncCPSnapshot {
  const { cfg } = x;
  return {
    kind: 'syncp',
    step: x.step,
    lastUpdateStep: x.lastUpdateStep,
    granularity: cfg.granularity,
    scores: cfg.scores,
    layerBudget: cfg.layerBudget,
    gap: cfg.gap,
    n: cfg.n,
    m: cfg.m,
    layers: x.layers.map((l) => ({
      name: l.name,
      shape: [...l.shape] as Shape4,
      planned: { ...l.planned },
      actual: { online: ones(l.online) / l.online.length, target: ones(l.target) / l.target.length },
      nested: l.nested,
      iou: l.iou,
      flips: { ...l.flips },
      nmFraction: l.nmFraction ? { ...l.nmFraction } : null,
    })),
    schedule: schedulePreview(x.plan, x.totalSteps),
    // The worker adds the history of the layer it shows (UI state stays out of the engine).
    selected: { name: x.selected.name, masks: heatmapPair(x.selected.online, x.selected.target, x.selected.shape), history: [] },
  };
}
