// An execsnoop-like event stream: every exec on every CPU becomes one record in a single
// BPF_MAP_TYPE_RINGBUF, reserved, filled in place and submitted, as bcc's libbpf-tools/execsnoop
// does. A record the ring has no room for is dropped (bpf_ringbuf_reserve returns NULL); the ring
// counts the drops.

import { defineProgram, type ProbeContext } from '../../cpu/program.js';
import { bpf_get_current_pid_tgid, tgidOf } from '../../maps/helpers.js';
import { bpf_ringbuf_reserve, bpf_ringbuf_submit } from '../../maps/ringbuf-helpers.js';
import { array, struct, u32, u64, u8 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';

export const TASK_COMM_LEN = 16;
export const FILE_LEN = 32;
/** One exec: who, when, what (struct event of execsnoop.h, cut down). */
export const Event = struct({
  cpu: u32, seq: u32, pid: u32, ppid: u32, ts: u64, ret: u32, pad: u32,
  comm: array(u8, TASK_COMM_LEN), file: array(u8, FILE_LEN),
});
/**
 * Ring size: 4 MiB (a power-of-two number of pages). libbpf-tools' execsnoop takes 256 KiB for the
 * few hundred execs a second of a real machine; the simulated CPUs exec millions a second, and
 * 256 KiB (3,276 records) filled between two wakeups of the consumer, dropping most records.
 */
export const RING_BYTES = 4 * 1024 * 1024;

const events = declareMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: RING_BYTES, name: 'events' });

/** The programs the simulated tasks exec, in turn. */
export const FILES = ['/usr/bin/ls', '/usr/bin/cat', '/usr/bin/grep', '/usr/bin/git', '/usr/bin/make', '/usr/bin/cc', '/bin/sh', '/usr/bin/node'];

/** A string's bytes as little-endian u32 words (NUL-padded to `len`), written with setU32: no allocation per record. */
function words(s: string, len: number): Uint32Array {
  const b = new Uint8Array(len);
  b.set(new TextEncoder().encode(s).subarray(0, len - 1));
  return new Uint32Array(b.buffer);
}
const FILE_WORDS = FILES.map((f) => words(f, FILE_LEN));
const COMM_WORDS = FILES.map((f) => words(f.slice(f.lastIndexOf('/') + 1), TASK_COMM_LEN));
const COMM_OFF = Event.fields.comm.offset;
const FILE_OFF = Event.fields.file.offset;

/** An Event view (a reserved record, or a scratch struct to copy out). */
export type EventView = InstanceType<typeof Event.View> & { cpu: number; seq: number; pid: number; ppid: number; ts: number; ret: number };

/** One exec's record: this event's CPU, number, time, and the program it ran (the FILES in turn). */
export function fillEvent(e: EventView, ctx: ProbeContext, pid: number): void {
  const which = ctx.index % FILES.length;
  e.cpu = ctx.cpu;
  e.seq = ctx.index;
  e.pid = pid;
  e.ppid = 1;
  e.ts = ctx.timestamp;
  e.ret = 0;
  const comm = COMM_WORDS[which]!;
  for (let i = 0; i < comm.length; i++) e.setU32(COMM_OFF + 4 * i, comm[i]!);
  const file = FILE_WORDS[which]!;
  for (let i = 0; i < file.length; i++) e.setU32(FILE_OFF + 4 * i, file[i]!);
}

export default defineProgram({
  name: 'execsnoop',
  maps: { events },
  handlers: {
    'tracepoint/syscalls/sys_exit_execve'(ctx) {
      const e = bpf_ringbuf_reserve(events, Event.size, 0, Event);
      if (e === null) return 0;
      // bcc's execsnoop: pid = bpf_get_current_pid_tgid() >> 32, the process id.
      fillEvent(e, ctx, tgidOf(bpf_get_current_pid_tgid()));
      bpf_ringbuf_submit(e, 0);
      return 0;
    },
  },
});
