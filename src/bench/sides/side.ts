// What a side of the benchmark is (see index.ts): a provider of rows for the cells, each row with
// a way to make the subject that measures it.

import type { Cell } from '../cells.js';
import type { Row, Side } from '../schema.js';
import type { Subject } from '../subjects.js';

/** One row a side will measure, and how to make its subject (or say why it cannot here). */
export interface RowPlan {
  row: Row;
  /** Counter rows count lost updates. */
  counter: boolean;
  make: () => Promise<Subject | string>;
}

/** What the suite lends the sides: the host's CPUs, options, and resources shared by their rows. */
export interface SideEnv {
  /** The kernel's CPUs this process may run on (empty when unknown). */
  hostCpus: number[];
  kernelHook: 'tc' | 'xdp';
  /**
   * A resource the side's rows share (a helper process), started on first use and closed when the
   * suite ends; a failure to start is kept as its message ('not measured: ...') for every row.
   */
  shared<T>(key: string, start: () => Promise<T>, close: (t: T) => Promise<void>): Promise<T | string>;
  /** Say what a side's tools are (e.g. 'tc programs, clang 14, libbpf 1.1.2'), for the environment. */
  tools(side: Side, text: string): void;
}

export interface SideProvider {
  readonly side: Side;
  /** This side's rows for the cell ([] when it has no such job). */
  rows(cell: Cell, env: SideEnv): RowPlan[];
}

/** A row of `side` for `cell`, measured unless its subject says otherwise. */
export function rowFor(side: Side, cell: Cell, cores: number, extra: { id?: string; label?: string; params?: Row['params'] } = {}): Row {
  return {
    id: extra.id ?? cell.id, side, group: cell.group, label: extra.label ?? cell.label, cpus: cell.cpus, oversubscribed: cell.cpus > cores,
    unit: cell.unit, status: 'measured', params: { ...cell.params, ...extra.params }, samples: [],
  };
}
