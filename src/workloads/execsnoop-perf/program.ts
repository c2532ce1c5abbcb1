// execsnoop through a BPF_MAP_TYPE_PERF_EVENT_ARRAY, as bcc's execsnoop.py (and libbpf-tools
// before ring buffers) does: every exec becomes one sample in its CPU's perf ring, written with
// bpf_perf_event_output. The record is execsnoop's (execsnoop/program.ts).

import { defineProgram } from '../../cpu/program.js';
import { bpf_perf_event_output } from '../../maps/bpf-trace.js';
import { SharedMemory } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { BPF_F_CURRENT_CPU } from '../../maps/uapi.js';
import { Event, fillEvent, type EventView } from '../execsnoop/program.js';

/** One slot per possible CPU (libbpf sets max_entries to the CPU count when it is 0). */
export const MAX_CPUS = 128;
const events = declareMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: MAX_CPUS, name: 'events' });

/** The record is built in a per-CPU scratch struct (the C program's stack) and copied out. */
const scratch = new Event.View(new SharedMemory(new SharedArrayBuffer(Event.size)), 0, Event.size, -1) as EventView;

export default defineProgram({
  name: 'execsnoop-perf',
  maps: { events },
  handlers: {
    'tracepoint/syscalls/sys_exit_execve'(ctx) {
      const e = scratch;
      fillEvent(e, ctx, ctx.pid);
      // -ENOSPC when this CPU's ring is full: the sample is lost, and counted by the ring.
      bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, e);
      return 0;
    },
  },
});
