// Syscall counts by pid, as bcc's syscount -P keeps them, in an LRU hash with room for fewer pids
// than there are tasks: a pid seen for the first time takes an element, and when none is free the
// LRU evicts the pid that was looked at least recently, losing its count.
//
// Tasks: every other syscall comes from one of HOT_TASKS busy tasks (pids HOT_PID_BASE...), the
// rest from the many tasks the run's event source generates (cycling through them); counted by process id.

import { defineProgram } from '../../cpu/program.js';
import { bpf_get_current_pid_tgid, bpf_map_lookup_elem, bpf_map_update_elem, tgidOf } from '../../maps/helpers.js';
import { struct, u32 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { BPF_NOEXIST } from '../../maps/uapi.js';
import { __sync_fetch_and_add } from '../../sync/atomics.js';

export const MAX_PIDS = 512;
export const HOT_TASKS = 16;
export const HOT_PID_BASE = 100;
export const Count = struct({ count: u32 });
const countField = Count.fields.count;

const counts = declareMap({ type: 'lru_hash', keySize: 4, valueSize: Count.size, maxEntries: MAX_PIDS, name: 'counts', value: Count });

/** The value of a pid's first syscall (the program's stack). */
const one = new Uint8Array([1, 0, 0, 0]);

/** The busy task of even event `index`. */
function hotPid(index: number): number {
  return HOT_PID_BASE + ((index >>> 1) % HOT_TASKS);
}

/**
 * The process id of event `index` on a CPU: a busy task on even events, the generated task on odd
 * ones (what the handler counts; for tests).
 */
export function processOfEvent(index: number, task: { readonly tgid: number }): number {
  return (index & 1) === 0 ? hotPid(index) : task.tgid;
}

export default defineProgram({
  name: 'pidcount',
  maps: { counts },
  handlers: {
    'tracepoint/raw_syscalls/sys_enter'(ctx) {
      // syscount -P counts by process: bpf_get_current_pid_tgid() >> 32 in C, tgidOf() here.
      // Only odd events ask for the task (its pid is computed on read).
      const pid = (ctx.index & 1) === 0 ? hotPid(ctx.index) : tgidOf(bpf_get_current_pid_tgid());
      let v = bpf_map_lookup_elem(counts, pid);
      if (v === null) {
        // First syscall of this pid (or its element was evicted): insert; another CPU may win.
        if (bpf_map_update_elem(counts, pid, one, BPF_NOEXIST) === 0) return 0;
        v = bpf_map_lookup_elem(counts, pid);
        if (v === null) return 0;
      }
      __sync_fetch_and_add(v, countField, 1);
      return 0;
    },
  },
});
