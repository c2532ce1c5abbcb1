import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { runRace, type Strategy } from '../src/workloads/race/index.js';

const EVENTS = 200_000;

describe.each([1, 2, 4])('the race lab on %i CPU(s)', (cpus) => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it.each<Strategy>(['atomic', 'spinlock', 'percpu'])('%s counts every event exactly', async (strategy) => {
    const [row] = await runRace({ cpus, events: EVENTS, strategies: [strategy], runtime: rt, warmup: 1000 });
    expect([row!.expected, row!.observed, row!.lost]).toEqual([EVENTS, EVENTS, 0]);
  });
});

describe('the race lab details', () => {
  it('racy is exact on one CPU', async () => {
    const [row] = await runRace({ cpus: 1, events: EVENTS, strategies: ['racy'], warmup: 1000 });
    expect(row!.observed).toBe(EVENTS);
  });
  it('percpu reports each CPU slot, summing to the total', async () => {
    const [row] = await runRace({ cpus: 2, events: 1001, strategies: ['percpu'], warmup: 0 });
    expect(row!.perCpuValues).toEqual([501, 500]);
  });
  it('traces the seed program lines in trace_pipe format', async () => {
    const [row] = await runRace({ cpus: 1, events: 3, strategies: ['spinlock'], trace: true });
    expect(row!.trace!.map((l) => l.replace(/ +\d+\.\d{6}:/, ' T:'))).toEqual([
      '             bash-4242   [000] d..31 T: bpf_trace_printk: sys_clone count: 1',
      '             bash-4242   [000] d..31 T: bpf_trace_printk: sys_clone count: 2',
      '             bash-4242   [000] d..31 T: bpf_trace_printk: sys_clone count: 3',
    ]);
  });
});

describe('the race lab with --object: the strategies\' C programs, translated to WebAssembly', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it.each<Strategy>(['atomic', 'spinlock', 'percpu'])('%s counts every event exactly, as its TypeScript twin does', async (strategy) => {
    const [ts] = await runRace({ cpus: 2, events: EVENTS, strategies: [strategy], runtime: rt, warmup: 1000 });
    const [c] = await runRace({ cpus: 2, events: EVENTS, strategies: [strategy], runtime: rt, warmup: 1000, object: true });
    expect([c!.program, c!.expected, c!.observed, c!.lost]).toEqual(['object', EVENTS, EVENTS, 0]);
    expect([ts!.program, ts!.observed]).toEqual(['typescript', EVENTS]);
    if (strategy === 'percpu') expect(c!.perCpuValues).toEqual(ts!.perCpuValues);
  });

  it('racy never counts more than the events', async () => {
    const [c] = await runRace({ cpus: 2, events: EVENTS, strategies: ['racy'], runtime: rt, warmup: 1000, object: true });
    expect(c!.observed).toBeLessThanOrEqual(EVENTS);
    expect(c!.observed).toBeGreaterThan(0);
  });

  it('traces the C spinlock program\'s lines like its twin\'s (its const volatile trace knob set before load)', async () => {
    const [row] = await runRace({ cpus: 2, events: 3, strategies: ['spinlock'], trace: true, runtime: rt, object: true });
    expect(row!.trace!.map((l) => l.replace(/.*bpf_trace_printk: /, '')).sort()).toEqual(['sys_clone count: 1', 'sys_clone count: 2', 'sys_clone count: 3']);
  });
});
