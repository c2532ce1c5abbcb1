// The pidcount workload: count syscalls by pid in an LRU hash smaller than the number of tasks,
// read the map with batch lookups, and show what eviction cost.

import { siblingModule } from '../../cpu/module-url.js';
import type { BpfMap } from '../../maps/syscall.js';
import { withProgram, type Workload, type WorkloadOptions, type WorkloadResult } from '../workload.js';
import { HOT_PID_BASE, HOT_TASKS, MAX_PIDS } from './program.js';

/** Tasks the event source cycles through (besides the busy ones): four times the map's room. */
export const GENERATED_TASKS = 4 * MAX_PIDS;
export const GENERATED_PID_BASE = 1000;

export interface PidCount {
  pid: number;
  count: number;
}

/** Every element of a u32 -> u32 map, read with BPF_MAP_LOOKUP_BATCH (whole buckets at a time). */
export function readCounts(map: BpfMap): PidCount[] {
  const out: PidCount[] = [];
  let cursor: Uint8Array | null = null;
  for (;;) {
    const r: ReturnType<BpfMap['lookupBatch']> = map.lookupBatch(cursor, 128);
    const k = new DataView(r.keys.buffer, r.keys.byteOffset, r.keys.byteLength);
    const v = new DataView(r.values.buffer, r.values.byteOffset, r.values.byteLength);
    for (let i = 0; i < r.count; i++) out.push({ pid: k.getUint32(4 * i, true), count: v.getUint32(4 * i, true) });
    if (r.end) return out;
    cursor = r.outBatch;
  }
}

export function formatCounts(rows: readonly PidCount[], top: number): string {
  const lines = ['PID        COUNT'];
  for (const r of rows.slice(0, top)) lines.push(`${String(r.pid).padEnd(10)} ${r.count}`);
  return lines.join('\n');
}

export const pidcount: Workload = {
  name: 'pidcount',
  title: 'syscall counts by pid in an LRU hash smaller than the number of pids (eviction)',
  explain: `Each syscall looks its pid up in a ${MAX_PIDS}-entry LRU_HASH and adds 1; a new pid inserts itself, and when ` +
    `no element is free the LRU evicts the least recently looked-at pid, losing its count. Half the syscalls come from ` +
    `${HOT_TASKS} busy tasks (pids ${HOT_PID_BASE}-${HOT_PID_BASE + HOT_TASKS - 1}), half from ${GENERATED_TASKS} tasks taken in turn. ` +
    'Program lookups set the busy pids\' ref bits, so rotation moves them to the active list and they mostly survive ' +
    '(the LRU is approximate: a busy pid caught without its ref bit can still go), while the one-off pids churn through ' +
    'the inactive list and their syscalls are lost with them. Fewer pids than max_entries are tracked: with the common ' +
    'LRU each CPU keeps up to clamp(max_entries / cpus / 2, 1, 128) free elements in its own cache. User space reads the ' +
    'map with batch lookups, which set no ref bits.',
  defaultEvents: 1_000_000,
  probe: 'tracepoint/raw_syscalls/sys_enter',
  async run(options: WorkloadOptions): Promise<WorkloadResult> {
    const rt = options.runtime;
    return withProgram(rt, siblingModule(import.meta.url, 'program'), async (prog) => {
      const run = await rt.run({ probe: this.probe, events: options.events, source: { pidBase: GENERATED_PID_BASE, pids: GENERATED_TASKS, comm: 'worker' } });
      const map = prog.maps.counts!;
      const rows = readCounts(map).sort((a, b) => b.count - a.count || a.pid - b.pid);
      const counted = rows.reduce((n, r) => n + r.count, 0);
      const busy = rows.filter((r) => r.pid >= HOT_PID_BASE && r.pid < HOT_PID_BASE + HOT_TASKS);
      const summary = [
        `${rows.length} pids tracked (the map holds at most ${map.info().maxEntries}; ${HOT_TASKS + GENERATED_TASKS} tasks made syscalls)`,
        `${counted} of ${run.events} syscalls counted; ${run.events - counted} lost with evicted pids`,
        `${busy.length} of ${HOT_TASKS} busy pids kept, counting ${busy.reduce((n, r) => n + r.count, 0)} syscalls`,
      ];
      return {
        run,
        text: `${formatCounts(rows, 20)}\n\n${summary.join('\n')}`,
        data: { maxEntries: map.info().maxEntries, tracked: rows.length, counted, lost: run.events - counted, busyKept: busy.length, top: rows.slice(0, 20) },
        ...(options.dump ? { maps: { counts: map.dump() } } : {}),
      };
    });
  },
};
