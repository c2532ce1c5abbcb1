// execsnoop through a BPF_MAP_TYPE_PERF_EVENT_ARRAY, as bcc's execsnoop.py (and libbpf-tools
// before ring buffers) does: every exec becomes one sample in its CPU's perf ring, written with
// bpf_perf_event_output. The record is execsnoop's (execsnoop/program.ts).

import { defineProgram } from '../../cpu/program.js';
import { bpf_perf_event_output } from '../../maps/bpf-trace.js';
import { SharedMemory } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { BPF_F_CURRENT_CPU } from '../../maps/uapi.js';
import { Event, FILES, FILE_LEN, TASK_COMM_LEN } from '../execsnoop/program.js';

/** One slot per possible CPU (libbpf sets max_entries to the CPU count when it is 0). */
export const MAX_CPUS = 128;
const events = declareMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: MAX_CPUS, name: 'events' });

/** The record is built in a per-CPU scratch struct (the C program's stack) and copied out. */
const scratch = new Event.View(new SharedMemory(new SharedArrayBuffer(Event.size)), 0, Event.size, -1) as InstanceType<typeof Event.View> & {
  cpu: number; seq: number; pid: number; ppid: number; ts: number; ret: number; pad: number;
};

function words(s: string, len: number): Uint32Array {
  const b = new Uint8Array(len);
  b.set(new TextEncoder().encode(s).subarray(0, len - 1));
  return new Uint32Array(b.buffer);
}
const FILE_WORDS = FILES.map((f) => words(f, FILE_LEN));
const COMM_WORDS = FILES.map((f) => words(f.slice(f.lastIndexOf('/') + 1), TASK_COMM_LEN));
const COMM_OFF = Event.fields.comm.offset;
const FILE_OFF = Event.fields.file.offset;

export default defineProgram({
  name: 'execsnoop-perf',
  maps: { events },
  handlers: {
    'tracepoint/syscalls/sys_exit_execve'(ctx) {
      const e = scratch;
      const which = ctx.index % FILES.length;
      e.cpu = ctx.cpu;
      e.seq = ctx.index;
      e.pid = ctx.pid;
      e.ppid = 1;
      e.ts = ctx.timestamp;
      e.ret = 0;
      const comm = COMM_WORDS[which]!;
      for (let i = 0; i < comm.length; i++) e.setU32(COMM_OFF + 4 * i, comm[i]!);
      const file = FILE_WORDS[which]!;
      for (let i = 0; i < file.length; i++) e.setU32(FILE_OFF + 4 * i, file[i]!);
      // -ENOSPC when this CPU's ring is full: the sample is lost, and counted by the ring.
      bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, e);
      return 0;
    },
  },
});
