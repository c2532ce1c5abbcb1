import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { execsnoop, header } from '../src/workloads/execsnoop/index.js';
import { Event } from '../src/workloads/execsnoop/program.js';

interface Data {
  received: number;
  dropped: number;
  execs: number;
  perCpu: number[];
  outOfOrder: number;
}

it('lays the record out as C would: 80 bytes, comm at 32, file at 48', () => {
  expect([Event.size, Event.fields.comm.offset, Event.fields.file.offset]).toEqual([80, 32, 48]);
});

describe('the execsnoop workload, two CPUs producing while the coordinator consumes', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('accounts for every exec: received plus dropped, each CPU\'s records in its own order', async () => {
    const r = await execsnoop.run({ runtime: rt, events: 300_000 });
    const d = r.data as Data;
    expect(d.execs).toBe(300_000);
    expect(d.received + d.dropped).toBe(300_000);
    expect(d.perCpu.reduce((a, b) => a + b, 0)).toBe(d.received);
    expect(d.outOfOrder).toBe(0);
  });

  it('prints the first records as execsnoop does', async () => {
    const r = await execsnoop.run({ runtime: rt, events: 1000 });
    const lines = r.text.split('\n');
    expect(lines[0]).toBe(header());
    expect(lines[0]).toBe('PCOMM            PID     PPID    RET ARGS');
    expect(lines.some((l) => /^ls {15}\d+ +1 +0 \/usr\/bin\/ls$/.test(l))).toBe(true);
  });
});
