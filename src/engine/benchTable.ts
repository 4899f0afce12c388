// What `npm run bench` prints and writes: its rows' types and the text and markdown tables
// (with the machine and the command). No tfjs: the CLI imports it before choosing what to
// load, and the bench page and the tests with it.
import type { BranchPair } from './sparsity/scheduleOf';

export type BenchState = 'end' | 'ramp';
export type BenchSize = 'tiny' | 'default';
export const BENCH_STATES: readonly BenchState[] = ['end', 'ramp'];

export interface BenchMemory {
  tensorsStart: number;
  tensorsEnd: number;
  bytesStart: number;
  bytesEnd: number;
  /** WebGPU/WebGL only: bytes the backend holds on the GPU. */
  gpuBytesStart?: number;
  gpuBytesEnd?: number;
  /** Σ over this preset's measured steps of numTensors after − before the step (0 = no leak). */
  tensorGrowth: number;
}

export interface BenchRow {
  preset: string;
  backend: string;
  size: BenchSize;
  state: BenchState;
  /** Median ms per step over the measured steps. */
  msPerStep: number;
  p25Ms: number;
  p75Ms: number;
  meanMs: number;
  minMs: number;
  /** Measured steps and the trainer step of the first one. */
  steps: number;
  firstStep: number;
  /** The dense run this one is compared with: a dense preset, or `NAME@dense` (denseCounterpart). */
  dense: string;
  /** Median over rounds of ms / dense ms of the same round (exactly 1 for a dense preset). */
  ratioToDense: number;
  ratioP25: number;
  ratioP75: number;
  /** Effective over dense training FLOPs of one step at this state. */
  flopsRatio: number;
  flops: { dense: number; effective: number };
  /** Images (each seen as two views) per second at the median step time. */
  imagesPerSec: number;
  /** Effective training FLOPs per second at the median step time, in GFLOP/s. */
  gflopsPerSec: number;
  /** SyncCP weight density per prunable conv, read back with each measured step and averaged over them (in the ramp the steps pass updates). */
  density?: Record<string, BranchPair>;
  /** CDG gate density per gated conv, averaged over the measured steps as `density` is. */
  gateDensity?: Record<string, BranchPair>;
  memory: BenchMemory;
}

function meanPair(d: Record<string, BranchPair> | undefined): BranchPair | undefined {
  if (!d) return undefined;
  const vs = Object.values(d);
  if (vs.length === 0) return undefined;
  return { online: vs.reduce((a, v) => a + v.online, 0) / vs.length, target: vs.reduce((a, v) => a + v.target, 0) / vs.length };
}

/** Mean over layers of the read-back densities of a row (for tables). */
export function rowMeanDensity(row: BenchRow): { weight?: BranchPair; gate?: BranchPair } {
  return { weight: meanPair(row.density), gate: meanPair(row.gateDensity) };
}

export interface MemoryReading {
  step: number;
  numTensors: number;
  numBytes: number;
  numBytesInGPU?: number;
}

export interface LongResult {
  preset: string;
  backend: string;
  steps: number;
  readings: MemoryReading[];
  /** Largest rise of a later reading over the first (0 when flat). */
  tensorGrowth: number;
  byteGrowth: number;
  gpuByteGrowth?: number;
  flat: boolean;
  /** numTensors after the trainer was disposed minus before it was made (0 = all freed). */
  leftAfterDispose: number;
  seconds: number;
  /** The settings a variant of the bench changes, as the run had them. */
  sparseKernels: 'auto' | 'off';
  gateGradient?: 'ste' | 'detached';
}

function fmtMs(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function fmtPair(p: BranchPair | undefined): string {
  return p ? `${p.online.toFixed(3)}/${p.target.toFixed(3)}` : '-';
}

function fmtMB(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(2);
}

export const TABLE_HEADER = [
  'preset',
  'backend',
  'size',
  'state',
  'ms/step (median)',
  'p25–p75',
  '× dense',
  'FLOPs ratio',
  'img/s',
  'GFLOP/s',
  'weight density on/tg',
  'gate density on/tg',
  'tensors start→end',
  'MB start→end',
];

export function tableCells(r: BenchRow): string[] {
  const d = rowMeanDensity(r);
  const ratio = r.preset === r.dense ? '1' : `${r.ratioToDense.toFixed(3)} (${r.ratioP25.toFixed(2)}–${r.ratioP75.toFixed(2)})`;
  return [
    r.preset,
    r.backend,
    r.size,
    r.state,
    fmtMs(r.msPerStep),
    `${fmtMs(r.p25Ms)}–${fmtMs(r.p75Ms)}`,
    ratio,
    r.flopsRatio.toFixed(3),
    r.imagesPerSec.toFixed(1),
    r.gflopsPerSec.toFixed(3),
    fmtPair(d.weight),
    fmtPair(d.gate),
    `${r.memory.tensorsStart}→${r.memory.tensorsEnd}`,
    `${fmtMB(r.memory.gpuBytesStart ?? r.memory.bytesStart)}→${fmtMB(r.memory.gpuBytesEnd ?? r.memory.bytesEnd)}`,
  ];
}

/** Fixed-width text table for a terminal. */
export function textTable(rows: readonly BenchRow[]): string {
  const cells = [TABLE_HEADER, ...rows.map(tableCells)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** A markdown table (GitHub flavour). */
export function markdownTable(rows: readonly BenchRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const line = (c: string[]) => `| ${c.map(esc).join(' | ')} |`;
  return [line(TABLE_HEADER), line(TABLE_HEADER.map(() => '---')), ...rows.map((r) => line(tableCells(r)))].join('\n');
}

export interface MachineInfo {
  os?: string;
  cpu?: string;
  cores?: number;
  node?: string;
  browser?: string;
  adapter?: string;
}

/** The markdown section of one bench command: machine, command, table and long-run figures. */
export function markdownSection(title: string, rows: readonly BenchRow[], machine: MachineInfo, command: string, long?: readonly LongResult[]): string {
  const m = [
    machine.os && `OS ${machine.os}`,
    machine.cpu && `CPU ${machine.cpu}${machine.cores ? ` (${machine.cores} cores)` : ''}`,
    machine.node && `Node ${machine.node}`,
    machine.browser && `browser ${machine.browser}`,
    machine.adapter && `adapter ${machine.adapter}`,
  ].filter(Boolean);
  const parts = [`### ${title}`, '', m.join(' · '), '', '```', command, '```', ''];
  if (rows.length) parts.push(markdownTable(rows), '');
  if (long?.length) parts.push(longMarkdown(long), '');
  return parts.join('\n');
}

export function longMarkdown(long: readonly LongResult[]): string {
  const head = ['preset', 'backend', 'steps', 'numTensors (every 100 steps)', 'numBytes first→max', 'flat', 'left after dispose', 's'];
  const line = (c: (string | number)[]) => `| ${c.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...long.map((l) =>
      line([
        l.preset,
        l.backend,
        l.steps,
        [...new Set(l.readings.map((r) => r.numTensors))].join(', '),
        `${l.readings[0]?.numBytes ?? '-'}→${Math.max(...l.readings.map((r) => r.numBytes))}`,
        l.flat ? 'yes' : `**no** (+${l.tensorGrowth} tensors, +${l.byteGrowth} B)`,
        l.leftAfterDispose,
        l.seconds.toFixed(0),
      ]),
    ),
  ].join('\n');
}

/**
 * Put `section` into a markdown document between `<!-- bench:KEY -->` and
 * `<!-- /bench:KEY -->`, replacing what was there, or append it (other text is kept).
 */
export function upsertSection(doc: string, key: string, section: string): string {
  const open = `<!-- bench:${key} -->`;
  const close = `<!-- /bench:${key} -->`;
  const block = `${open}\n${section.trimEnd()}\n${close}`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + close.length);
  return `${doc.trimEnd()}${doc.trim() ? '\n\n' : ''}${block}\n`;
}
