import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { HandlerError, ProgramLoadError, RunError } from '../src/cpu/errors.js';
import { defineProgram, ProgramDefinitionError, type Handler } from '../src/cpu/program.js';
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

describe('two runs started in the same tick', () => {
  it('the second is refused at once with "a run is already in progress" and changes nothing', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const prog = await rt.load(fixture('cpu-ids'));
      const [first, second] = await Promise.allSettled([
        rt.run({ probe: 'kprobe/test', events: 2_000_000 }),
        rt.run({ probe: 'kprobe/test', events: 20 }),
      ]);
      expect(second.status).toBe('rejected');
      const err = (second as PromiseRejectedResult).reason as Error;
      expect([err.name, err.message]).toEqual(['RunError', 'a run is already in progress; await it before starting another']);
      expect(first.status === 'fulfilled' && first.value.events).toBe(2_000_000);
      expect(prog.maps.seen!.lookupPerCpu(0).map((b) => Seen.decode(b).events)).toEqual([1_000_000, 1_000_000]);
      // And the runtime runs again once the first run is over.
      expect((await rt.run({ probe: 'kprobe/test', events: 20 })).events).toBe(20);
    } finally {
      await rt.close();
    }
  });
});

describe('async handlers', () => {
  it('defineProgram refuses an async handler: a BPF program cannot sleep or finish later', () => {
    // TypeScript refuses this already (a handler returns void or a number); JavaScript would not.
    const handlers = { async 'kprobe/x'() {} } as unknown as Record<string, Handler>;
    expect(() => defineProgram({ maps: {}, handlers })).toThrow(ProgramDefinitionError);
    expect(() => defineProgram({ maps: {}, handlers }))
      .toThrow("program: the handler for 'kprobe/x' is an async function; a BPF program runs to its end in one go and cannot wait: make it a plain function and do asynchronous work in user space, between runs");
  });

  it('defineProgram refuses a generator function as a handler', () => {
    expect(() => defineProgram({ maps: {}, handlers: { *'kprobe/x'() {} } as never }))
      .toThrow("program: the handler for 'kprobe/x' is a generator function; a handler is a plain function that does its work when it is called");
  });

  it('a handler that returns a promise stops the run with a HandlerError naming the CPU and event; the worker lives on', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const prog = await rt.load(fixture('faults/returns-promise'));
      const err = await rt.run({ probe: 'kprobe/test', perCpu: [10, 200] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HandlerError);
      const h = err as HandlerError;
      expect([h.cpu, h.event]).toEqual([1, 5]);
      expect(h.message).toContain('the handler returned a promise (a thenable): handlers run to their end synchronously, as BPF programs do; nothing it awaits would ever run. Make it a plain function that returns nothing or a number');
      expect(prog.maps.count!.lookupPerCpu(0)[1]![0]).toBe(5);
      await prog.unload();
      // The promise's own rejection ('thrown after the handler returned') must not kill CPU 1.
      await new Promise((r) => setTimeout(r, 100));
      const again = await rt.load(fixture('cpu-ids'));
      await rt.run({ probe: 'kprobe/test', perCpu: [3, 3] });
      expect(again.maps.seen!.lookupPerCpu(0).map((b) => Seen.decode(b).events)).toEqual([3, 3]);
    } finally {
      await rt.close();
    }
  });
});

describe('closing a runtime during a healthy run', () => {
  it('ends the run as stopped with its partial result, and close() waits for it', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    await rt.load(fixture('cpu-ids'));
    const run = rt.run({ probe: 'kprobe/test', perCpu: [0xffffffff, 0xffffffff] });
    let settled = false;
    run.then(() => { settled = true; }, () => { settled = true; });
    while (rt.progress().every((n) => n === 0)) await new Promise((r) => setTimeout(r, 5));
    await rt.close();
    expect(settled).toBe(true);
    const r = await run;
    expect(r.stopped).toBe(true);
    expect(r.events).toBeGreaterThan(0);
    expect(r.events).toBeLessThan(r.requested);
    expect(r.perCpu.reduce((a, c) => a + c.events, 0)).toBe(r.events);
    await expect(rt.run({ probe: 'kprobe/test', events: 1 })).rejects.toThrow('the runtime is closed; start a new one with Runtime.start()');
  });

  it('a run started in the same tick as close() does no events and resolves stopped', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    await rt.load(fixture('cpu-ids'));
    const run = rt.run({ probe: 'kprobe/test', perCpu: [0xffffffff, 0xffffffff] });
    await rt.close();
    const r = await run;
    expect([r.stopped, r.events]).toEqual([true, 0]);
  });
});

describe('starting a runtime', () => {
  it('refuses 0 CPUs', async () => {
    await expect(Runtime.start({ cpus: 0 })).rejects.toThrow('cpus must be an integer from 1 to 1024, got 0');
  });
  it('warns when simulated CPUs outnumber the cores', async () => {
    // One more CPU than cores is enough to oversubscribe (64 workers took over a minute to start on a busy machine).
    const cpus = availableParallelism() + 1;
    const warnings: string[] = [];
    const rt = await Runtime.start({ cpus, onWarning: (w) => warnings.push(w) });
    await rt.close();
    expect(warnings[0]).toMatch(new RegExp(`^${cpus} simulated CPUs on ${cpus - 1} cores`));
  });
});
