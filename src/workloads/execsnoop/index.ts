// The execsnoop workload: the CPUs submit exec records to one ring buffer while the coordinator
// consumes them, at the same time, and prints them as execsnoop does; drops are reported.

import { siblingModule } from '../../cpu/module-url.js';
import type { RunResult } from '../../cpu/runtime.js';
import { ringBuffer, type RingBuffer } from '../../maps/ringbuf.js';
import { withProgram, type Workload, type WorkloadOptions, type WorkloadResult } from '../workload.js';
import { Event, RING_BYTES } from './program.js';

/** Lines printed in full before the stream is only counted. */
export const PRINT_LINES = 20;

/** One exec record as user space decodes it (what --json prints). */
export interface ExecRecord {
  cpu: number;
  seq: number;
  pid: number;
  ppid: number;
  ts: number;
  ret: number;
  comm: string;
  file: string;
}

export interface ExecTally {
  received: number;
  perCpu: number[];
  /** Records that arrived out of their CPU's order (must stay 0). */
  outOfOrder: number;
  /** The first PRINT_LINES records, as execsnoop prints them. */
  lines: string[];
  /** Every record, when asked for (keepRecords). */
  records?: ExecRecord[];
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

export function header(): string {
  return `${'PCOMM'.padEnd(16)} ${'PID'.padEnd(7)} ${'PPID'.padEnd(7)} ${'RET'.padStart(3)} ARGS`;
}

/** Consume from `ring` until `run` settles, sleeping on the ring's wakeups; then drain what is left. */
export async function consumeWhile(ring: RingBuffer, cpus: number, run: Promise<RunResult>, keepRecords = false): Promise<ExecTally> {
  const t: ExecTally = { received: 0, perCpu: new Array<number>(cpus).fill(0), outOfOrder: 0, lines: [], ...(keepRecords ? { records: [] } : {}) };
  const last = new Array<number>(cpus).fill(-1);
  const cb = (s: { getU32(o: number): number; getU64(o: number): number; bytes: Uint8Array }): void => {
    const cpu = s.getU32(Event.fields.cpu.offset);
    const seq = s.getU32(Event.fields.seq.offset);
    t.received++;
    t.perCpu[cpu] = (t.perCpu[cpu] ?? 0) + 1;
    if (seq <= last[cpu]!) t.outOfOrder++;
    last[cpu] = seq;
    if (t.lines.length < PRINT_LINES || t.records) {
      const b = s.bytes;
      const comm = cString(b.subarray(Event.fields.comm.offset, Event.fields.comm.offset + 16));
      const file = cString(b.subarray(Event.fields.file.offset, Event.fields.file.offset + 32));
      const pid = s.getU32(Event.fields.pid.offset);
      const ppid = s.getU32(Event.fields.ppid.offset);
      const ret = s.getU32(Event.fields.ret.offset);
      if (t.lines.length < PRINT_LINES) t.lines.push(`${comm.padEnd(16)} ${String(pid).padEnd(7)} ${String(ppid).padEnd(7)} ${String(ret).padStart(3)} ${file}`);
      t.records?.push({ cpu, seq, pid, ppid, ts: s.getU64(Event.fields.ts.offset), ret, comm, file });
    }
  };
  // waitForData keeps the process alive while it sleeps (a pending Atomics.waitAsync would not).
  await ring.consumeUntil(run, cb, 20);
  return t;
}

/** The tasks that exec: each CPU takes them in turn from the first (so each CPU has the same pids). */
const TASKS = { pidBase: 4000, pids: 500, comm: 'bash' };

export const execsnoop: Workload = {
  name: 'execsnoop',
  title: 'execsnoop-like event stream: every CPU submits to one ring buffer, the coordinator consumes',
  explain: `Every CPU reserves one record of ${Event.size} bytes in a ${RING_BYTES / 1024} KiB RINGBUF, fills it in place and submits it; ` +
    'the coordinator consumes at the same time, in reservation order, sleeping on the producers\' wakeups between batches. ' +
    'A producer that finds no room drops its record (bpf_ringbuf_reserve returns NULL) and the ring counts it: received plus ' +
    'dropped is every exec, each CPU\'s records arrive in the order it made them, and nothing is delivered twice.',
  defaultEvents: 1_000_000,
  probe: 'tracepoint/syscalls/sys_exit_execve',
  async run(options: WorkloadOptions): Promise<WorkloadResult> {
    const rt = options.runtime;
    return withProgram(rt, siblingModule(import.meta.url, 'program'), async (prog) => {
      const ring = ringBuffer(prog.maps.events!, Event);
      const runP = rt.run({ probe: this.probe, events: options.events, source: TASKS });
      const t = await consumeWhile(ring, rt.cpus, runP, options.records === true);
      const run = await runP;
      const dropped = ring.dropped;
      const summary = [
        `${t.received} records received, ${dropped} dropped (ring full), ${run.events} execs` +
          (dropped > 0 ? ` (a record is dropped when the ${RING_BYTES / 1024} KiB ring is full: the CPUs produced faster than the coordinator consumed)` : ''),
        `per CPU: ${t.perCpu.map((n, cpu) => `CPU ${cpu} ${n}`).join(', ')}; out of order: ${t.outOfOrder}`,
      ];
      return {
        run,
        text: [header(), ...t.lines, t.received > t.lines.length ? `... ${t.received - t.lines.length} more` : '',
          `(every CPU runs the same ${TASKS.pids} simulated tasks (pids ${TASKS.pidBase} to ${TASKS.pidBase + TASKS.pids - 1}, in turn), so each pid appears once per CPU)`,
          '', ...summary].join('\n'),
        data: {
          received: t.received, dropped, execs: run.events, perCpu: t.perCpu, outOfOrder: t.outOfOrder, ringBytes: RING_BYTES,
          ...(t.records ? { records: t.records } : {}),
        },
      };
    });
  },
};
