import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { tcptop, ROUTES, type ClassTraffic } from '../src/workloads/tcptop/index.js';
import { execsnoopPerf, pagesPerCpu, skewedSplit } from '../src/workloads/execsnoop-perf/index.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// Program helpers run on a CPU: this thread plays CPU 0.
setSmpProcessorId(0);

interface TcptopData { routes: string[]; before: ClassTraffic[]; after: ClassTraffic[] }
interface Tally { received: number[]; lost: number[]; outOfOrder: number; lostPerCpu: number[] }

describe('the tcptop and perf-buffer execsnoop workloads, two CPUs', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('tcptop: counts every packet under one route, the longest match, and moves a withdrawn route\'s traffic to the next shorter prefix', async () => {
    const r = await tcptop.run({ runtime: rt, events: 40_000 });
    const d = r.data as TcptopData;
    expect(d.routes).toEqual(['10.20.30.0/24', '10.20.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.100.0/24', '192.168.0.0/16', '0.0.0.0/0']);
    const packets = (rows: ClassTraffic[]): number => rows.reduce((n, x) => n + x.packets, 0);
    expect(packets(d.before)).toBe(40_000);
    expect(packets(d.after)).toBe(40_000);
    expect(d.before.some((x) => x.name === '(no route)')).toBe(false);
    const by = (rows: ClassTraffic[], name: string): ClassTraffic | undefined => rows.find((x) => x.name === name);
    expect(by(d.after, 'db-cluster')).toBeUndefined();
    expect(by(d.after, 'rack-20')!.packets).toBe(by(d.before, 'rack-20')!.packets + by(d.before, 'db-cluster')!.packets);
    expect(by(d.after, 'datacenter')!.sent).toBe(by(d.before, 'datacenter')!.sent);
    expect(ROUTES).toHaveLength(7);
  });

  it('execsnoop-perf: every exec is received or lost, per CPU, in each reader; each CPU\'s records in order', async () => {
    const r = await execsnoopPerf.run({ runtime: rt, events: 20_000 });
    const d = r.data as { perCpu: number[]; perf: Tally; ring: Tally & { lost: number[] } };
    expect(d.perCpu).toEqual(skewedSplit(20_000, 2));
    expect(d.perCpu).toEqual([16_000, 4000]);
    // The perf rings count exactly what they refused.
    expect(d.perf.lostPerCpu).toEqual(d.perf.lost);
    expect(d.perf.outOfOrder).toBe(0);
    expect(d.ring.outOfOrder).toBe(0);
    expect(d.ring.lostPerCpu.reduce((a, b) => a + b, 0)).toBe(d.ring.lost[0]);
    // Two CPUs' rings together hold the ring buffer's 4 MiB: 512 pages of 4 KiB each.
    expect(pagesPerCpu(2)).toBe(512);
  });
});
