// How the report and the tables name and colour each series of rows: a side, or a side's variant
// (the plain-JS floor). One entry per series; a side added later gets a line here.

import type { Row } from './schema.js';

export interface SideStyle {
  /** Short name for tables and legends. */
  title: string;
  /** What it is, in a sentence, for the report. */
  what: string;
  color: string;
  /**
   * A reference side whose ratio ours / it holds across machine kinds (plain JS: the same work on
   * the same runtime), so the gate looks at it even against a baseline from another machine.
   */
  portable?: boolean;
}

/**
 * Series of the tables and charts: a side, or a side's variant (the plain-JS floor). Colours from
 * Tableau 10 (distinct in hue and lightness, readable by the colour-blind in pairs).
 */
export const SERIES_STYLES: Record<string, SideStyle> = {
  ours: { title: 'ours', what: 'the runtime: the program as a handler on simulated CPUs (worker threads)', color: '#4e79a7' },
  object: { title: 'C object', what: 'the same job as a clang-compiled eBPF program (the kernel column\'s own object) translated to WebAssembly and run by the runtime on simulated CPUs', color: '#f28e2b' },
  plain: { title: 'plain JS', what: 'the same per-event work written by hand in plain worker threads: the lookup by index and the value update (a u64 as two u32 halves), no runtime', color: '#59a14f', portable: true },
  'plain-floor': { title: 'JS floor', what: "plain JS adding to a constant slot, which the JIT folds into its loop: the fastest JS can count", color: '#8cd17d' },
  kernel: { title: 'kernel', what: 'the same job in the kernel: eBPF programs through BPF_PROG_TEST_RUN on each CPU at once, user-space calls through bpf(2)', color: '#e15759' },
  limit: { title: 'C threads', what: 'the same counter as plain C threads pinned to CPUs: the hardware limit', color: '#b07aa1' },
};

/** The series a row belongs to: its side, or side-variant. */
export function seriesOf(row: Row): string {
  return typeof row.params.variant === 'string' ? `${row.side}-${row.params.variant}` : row.side;
}

export function styleOf(series: string): SideStyle {
  return SERIES_STYLES[series] ?? { title: series, what: series, color: '#6e7781' };
}

