// What the benchmark measures, independent of who does it: the cells of its tables. A cell is one
// job (the percpu counter at 2 CPUs, a hash lookup from handlers at 1 CPU, a user-space per-CPU
// lookup + sum) that every side (sides/) does its own way; a side's row for a cell carries the
// cell's id, so ratios pair rows by id. The suite runs a cell's rows together, sample by sample.

import { siblingModule } from '../cpu/module-url.js';
import { strategyModule } from '../workloads/race/index.js';
import type { SpinLockMode } from '../sync/spinlock.js';
import type { KernelProgram } from './kernel.js';
import type { PlainStrategy } from './plain-worker.js';
import { MAP_OPS, type MapOp, type MapOpsType } from './programs/map-ops.js';
import type { RowGroup } from './schema.js';

export const COUNTER_STRATEGIES = ['racy', 'atomic', 'spinlock', 'spin', 'percpu-8', 'percpu-64', 'percpu-128', 'percpu-atomic-8', 'percpu-atomic-128'] as const;
export type CounterStrategy = (typeof COUNTER_STRATEGIES)[number];

interface CellBase {
  /** The row id every side's row for this cell carries. */
  id: string;
  group: RowGroup;
  /** What is measured, for people. */
  label: string;
  /** Simulated CPUs (0 for user-space calls that involve none). */
  cpus: number;
  unit: 'event' | 'op' | 'entry';
  params: Record<string, string | number>;
}

export interface CounterCell extends CellBase {
  kind: 'counter';
  strategy: CounterStrategy;
  /** Our program module and the spin lock mode it runs with. */
  module: URL;
  spinLock: SpinLockMode;
  /** The plain-JS worker's and the C threads' strategy, and the stride between CPUs' slots. */
  plain: PlainStrategy;
  stride: number;
  /** The kernel program doing the same job. */
  kernel: KernelProgram;
}

export interface MapCell extends CellBase {
  kind: 'map';
  map: MapOpsType;
  op: MapOp;
}

export const USER_OPS = ['lookup', 'update', 'delete', 'get_next_key', 'lookup-sum', 'lookup-batch', 'dump'] as const;
export type UserOp = (typeof USER_OPS)[number];

export interface UserCell extends CellBase {
  kind: 'user';
  op: UserOp;
  map: 'array' | 'hash' | 'percpu_array' | 'percpu_hash';
  /** Elements in the map (filled before timing). */
  entries: number;
}

export type Cell = CounterCell | MapCell | UserCell;

/** A program module of programs/. */
const program = (name: string) => siblingModule(import.meta.url, `programs/${name}`);

type CounterShape = Omit<CounterCell, 'kind' | 'id' | 'group' | 'cpus' | 'unit' | 'params' | 'strategy'>;

function counterShape(s: CounterStrategy): CounterShape {
  switch (s) {
    case 'racy': return { label: 'racy', module: strategyModule('racy'), spinLock: 'adaptive', plain: 'racy', stride: 0, kernel: 'racy' };
    case 'atomic': return { label: 'atomic', module: strategyModule('atomic'), spinLock: 'adaptive', plain: 'atomic', stride: 0, kernel: 'atomic' };
    case 'spinlock': return { label: 'spinlock (adaptive)', module: strategyModule('spinlock'), spinLock: 'adaptive', plain: 'spinlock', stride: 0, kernel: 'spinlock' };
    case 'spin': return { label: 'spinlock (pure spin)', module: strategyModule('spinlock'), spinLock: 'spin', plain: 'spin', stride: 0, kernel: 'spinlock' };
    case 'percpu-8': return { label: 'percpu (stride 8)', module: program('percpu-8'), spinLock: 'adaptive', plain: 'percpu', stride: 8, kernel: 'percpu' };
    case 'percpu-64': return { label: 'percpu (stride 64)', module: program('percpu-64'), spinLock: 'adaptive', plain: 'percpu', stride: 64, kernel: 'percpu' };
    case 'percpu-128': return { label: 'percpu (stride 128)', module: program('percpu-128'), spinLock: 'adaptive', plain: 'percpu', stride: 128, kernel: 'percpu' };
    case 'percpu-atomic-8': return { label: 'percpu atomic (stride 8)', module: program('percpu-atomic-8'), spinLock: 'adaptive', plain: 'percpu-atomic', stride: 8, kernel: 'percpu_atomic' };
    case 'percpu-atomic-128': return { label: 'percpu atomic (stride 128)', module: program('percpu-atomic-128'), spinLock: 'adaptive', plain: 'percpu-atomic', stride: 128, kernel: 'percpu_atomic' };
  }
}

export function counterCell(strategy: CounterStrategy, cpus: number): CounterCell {
  const shape = counterShape(strategy);
  return {
    kind: 'counter', id: `counter/${strategy}/cpus=${cpus}`, group: 'counter', cpus, unit: 'event', strategy, ...shape,
    params: { strategy, ...(shape.stride ? { stride: shape.stride } : {}) },
  };
}

function mapLabel(map: MapOpsType, op: MapOp): string {
  switch (op) {
    case 'delete': return `${map} delete+update`;
    case 'pushpop': return `${map} push+pop`;
    case 'reserve': return `${map} reserve+submit`;
    case 'output': return `${map} output`;
    case 'evict': return `${map} update with eviction`;
    case 'push': return `${map} push (add)`;
    case 'peek': return `${map} peek (test)`;
    case 'tailcall': return `${map} tail call`;
    default: return map === 'array_of_maps' || map === 'hash_of_maps' ? `${map} lookup + inner lookup` : `${map} ${op}`;
  }
}

export function mapCells(cpus: number): MapCell[] {
  const out: MapCell[] = [];
  for (const [map, ops] of Object.entries(MAP_OPS) as [MapOpsType, readonly MapOp[]][]) {
    for (const op of ops) {
      out.push({ kind: 'map', id: `map/${map}/${op}/cpus=${cpus}`, group: 'map', label: mapLabel(map, op), cpus, unit: 'event', map, op, params: { map, op } });
    }
  }
  return out;
}

/** The user-space calls: single-element calls on a filled 1,024-entry map, per-CPU sums at each CPU count, batch and dump. */
export function userCells(perCpuCounts: readonly number[], bulkEntries: number): UserCell[] {
  const out: UserCell[] = [];
  const one = (op: UserOp, map: UserCell['map'], label: string, extra: Partial<UserCell> = {}): UserCell => ({
    kind: 'user', id: `user/${map}/${op}`, group: 'user', label, cpus: 0, unit: 'op', op, map, entries: 1024, params: { map, op }, ...extra,
  });
  out.push(one('lookup', 'array', 'array lookup'));
  out.push(one('update', 'array', 'array update'));
  out.push(one('lookup', 'hash', 'hash lookup'));
  out.push(one('update', 'hash', 'hash update (existing key)'));
  out.push(one('delete', 'hash', 'hash delete+update'));
  out.push(one('get_next_key', 'hash', 'hash get_next_key'));
  for (const map of ['percpu_array', 'percpu_hash'] as const) {
    for (const cpus of perCpuCounts) {
      out.push(one('lookup-sum', map, `${map} lookup + sum over CPUs`, { id: `user/${map}/lookup-sum/cpus=${cpus}`, cpus, entries: 1, params: { map, op: 'lookup-sum' } }));
    }
  }
  const n = bulkEntries.toLocaleString('en-US');
  out.push(one('lookup-batch', 'hash', `hash batch lookup (${n} entries)`, { id: `user/hash/lookup-batch/entries=${bulkEntries}`, unit: 'entry', entries: bulkEntries, params: { map: 'hash', op: 'lookup-batch', entries: bulkEntries } }));
  out.push(one('dump', 'hash', `hash dump (${n} entries, get_next_key + lookup)`, { id: `user/hash/dump/entries=${bulkEntries}`, unit: 'entry', entries: bulkEntries, params: { map: 'hash', op: 'dump', entries: bulkEntries } }));
  return out;
}
