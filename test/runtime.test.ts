import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { HandlerError, ProgramLoadError, RunError } from '../src/cpu/errors.js';
import { Seen } from './fixtures/cpu-ids.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url);

describe('a runtime with 3 simulated CPUs', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 3, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('spreads events evenly, the first CPUs taking the remainder', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      const r = await rt.run({ probe: 'kprobe/test', events: 1000 });
      expect(r.perCpu.map((c) => c.events)).toEqual([334, 333, 333]);
      expect(prog.maps.seen!.lookupPerCpu(0).map((b) => Seen.decode(b).events)).toEqual([334, 333, 333]);
    } finally {
      await prog.unload();
    }
  });

  it('gives each worker a fixed CPU id 0..N-1 that its programs see', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      await rt.run({ probe: 'kprobe/test', perCpu: [5, 5, 5] });
      expect(prog.maps.seen!.lookupPerCpu(0).map((b) => Seen.decode(b).cpuPlusOne)).toEqual([1, 2, 3]);
    } finally {
      await prog.unload();
    }
  });

  it('generates pids from the event source in turn', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      await rt.run({ probe: 'kprobe/test', perCpu: [7, 0, 0], source: { pidBase: 100, pids: 3 } });
      // pids 100, 101, 102, 100, 101, 102, 100
      expect(Seen.decode(prog.maps.seen!.lookupPerCpu(0)[0]!).lastPid).toBe(100);
    } finally {
      await prog.unload();
    }
  });

  it('refuses a probe no loaded program attaches to, naming the attached ones', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      await expect(rt.run({ probe: 'kprobe/nope', events: 1 })).rejects.toThrow("no loaded program attaches to probe 'kprobe/nope'; attached probes: kprobe/test");
    } finally {
      await prog.unload();
    }
  });

  it('refuses a negative event count', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      await expect(rt.run({ probe: 'kprobe/test', events: -1 })).rejects.toBeInstanceOf(RunError);
    } finally {
      await prog.unload();
    }
  });

  it('stops every CPU when a handler throws, names CPU, probe and event, and keeps the maps', async () => {
    const prog = await rt.load(fixture('throws'));
    try {
      // CPU 2 gets as many events as a run allows, so it cannot finish them before CPU 1 throws
      // however the threads are scheduled.
      const err = await rt.run({ probe: 'kprobe/test', perCpu: [0, 100_000, 0xffffffff] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HandlerError);
      const h = err as HandlerError;
      expect([h.cpu, h.probe, h.event]).toEqual([1, 'kprobe/test', 500]);
      expect(h.message).toContain('boom at 500');
      expect(h.handlerStack).toContain('throws.ts');
      // CPU 1 counted events 0..499 before it threw; CPU 2 stopped at a batch boundary long before
      // the end of its share (it looks at the stop word every 65,536 events).
      const [c0, c1, c2] = prog.maps.count!.lookupPerCpu(0).map((b) => new DataView(b.buffer, b.byteOffset).getUint32(0, true));
      expect([c0, c1]).toEqual([0, 500]);
      expect(c2! % 65_536).toBe(0);
      expect(c2).toBeLessThan(0xffffffff);
    } finally {
      await prog.unload();
    }
  });

  it('runs again after a handler threw', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      const r = await rt.run({ probe: 'kprobe/test', events: 30 });
      expect(r.events).toBe(30);
    } finally {
      await prog.unload();
    }
  });

  it('fails load with the reason when the module has no program', async () => {
    await expect(rt.load(fixture('no-default'))).rejects.toThrow("the module's default export is not a program");
  });

  it('fails load with the import error when the module does not exist', async () => {
    await expect(rt.load(fixture('missing'))).rejects.toBeInstanceOf(ProgramLoadError);
  });

  it('runs program-side calls on a chosen CPU with runOn', async () => {
    const prog = await rt.load(fixture('cpu-ids'));
    try {
      const { bpf_map_lookup_elem } = await import('../src/maps/helpers.js');
      rt.runOn(2, () => { const v = bpf_map_lookup_elem(prog.maps.seen!, 0)!; v.setU64(0, v.getU64(0) + 9); });
      expect(prog.maps.seen!.lookupPerCpu(0).map((b) => b[0])).toEqual([0, 0, 9]);
    } finally {
      await prog.unload();
    }
  });
});

describe('starting a runtime', () => {
  it('refuses 0 CPUs', async () => {
    await expect(Runtime.start({ cpus: 0 })).rejects.toThrow('cpus must be an integer from 1 to 1024, got 0');
  });
  it('warns when simulated CPUs outnumber the cores', async () => {
    const warnings: string[] = [];
    const rt = await Runtime.start({ cpus: 64, onWarning: (w) => warnings.push(w) });
    await rt.close();
    expect(warnings[0]).toMatch(/^64 simulated CPUs on \d+ cores/);
  });
});
