// Faults a program under development can cause, and how the runtime survives each: the failure is
// named (CPU, event, reason, in the verifier's words where the kernel has them), the run ends
// instead of hanging, and the runtime works again afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { CpuDiedError, HandlerError, LockError, ProgramLoadError } from '../src/cpu/errors.js';
import type { LoadedProgram } from '../src/cpu/runtime.js';
import { bpf_map_lookup_elem } from '../src/maps/helpers.js';
import { BPF_F_LOCK } from '../src/maps/uapi.js';
import { bpf_spin_lock, bpf_spin_unlock, SpinLockError } from '../src/sync/spinlock.js';
import { Cfg, Elem } from './fixtures/faults/locks.js';
import { Seen } from './fixtures/cpu-ids.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const fault = (name: string) => fixture(`faults/${name}.ts`);

/** Load cpu-ids, run `events` on every CPU, and return each CPU's (id + 1) and event count as its programs saw them. */
async function healthy(rt: Runtime): Promise<{ ids: number[]; events: number[] }> {
  const prog = await rt.load(fixture('cpu-ids.ts'));
  try {
    await rt.run({ probe: 'kprobe/test', perCpu: new Array(rt.cpus).fill(10) });
    const seen = prog.maps.seen!.lookupPerCpu(0).map((b) => Seen.decode(b));
    return { ids: seen.map((s) => s.cpuPlusOne as number), events: seen.map((s) => s.events as number) };
  } finally {
    await prog.unload();
  }
}

describe('a CPU worker that dies', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('by process.exit in a handler: CpuDiedError names CPU 1 and the exit code, and the next run works on the same CPU ids', async () => {
    const prog = await rt.load(fault('exits'));
    const err = await rt.run({ probe: 'kprobe/test', perCpu: [1000, 1000] }).catch((e: unknown) => e);
    await prog.unload();
    expect(err).toBeInstanceOf(CpuDiedError);
    expect([(err as CpuDiedError).cpu, (err as CpuDiedError).reason]).toEqual([1, 'worker exited with code: 7']);
    expect(await healthy(rt)).toEqual({ ids: [1, 2], events: [10, 10] });
  });

  it('at import on CPU 1 (process.exit): load fails naming the CPU and the exit code, and the next load works', async () => {
    const err = await rt.load(fault('import-exits-on-cpu1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramLoadError);
    expect((err as Error).message).toContain('CPU 1 died while importing it (worker exited with code: 9)');
    expect(await healthy(rt)).toEqual({ ids: [1, 2], events: [10, 10] });
  });

  it('at import on CPU 1 (a rejected promise nobody handles): load fails with that error, not the next task', async () => {
    const err = await rt.load(fault('import-uncaught-on-cpu1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramLoadError);
    expect((err as Error).message).toMatch(/CPU 1.*late failure in a setup promise/);
    expect(await healthy(rt)).toEqual({ ids: [1, 2], events: [10, 10] });
  });
});

describe('a CPU worker that runs out of memory', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {}, resourceLimits: { maxOldGenerationSizeMb: 32 } }); });
  afterAll(async () => { await rt.close(); });

  it('is reported as CPU 1 dying of a heap out of memory, replaced, and the next run works', async () => {
    const prog = await rt.load(fault('oom'));
    const err = await rt.run({ probe: 'kprobe/test', perCpu: [10, 10] }).catch((e: unknown) => e);
    await prog.unload();
    expect(err).toBeInstanceOf(CpuDiedError);
    expect((err as CpuDiedError).cpu).toBe(1);
    expect((err as CpuDiedError).reason).toMatch(/memory limit.*out of memory/);
    expect(await healthy(rt)).toEqual({ ids: [1, 2], events: [10, 10] });
  });
});

describe('a module that fails to import', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('fails load with the error it threw', async () => {
    await expect(rt.load(fault('import-throws'))).rejects.toThrow(/^cannot load file:.*import-throws\.ts: broken at import: the config file is missing$/);
  });

  it('fails load with the parser error when it does not parse', async () => {
    const err = await rt.load(fixture('faults/syntax-error.mjs')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramLoadError);
    expect((err as Error).message).toMatch(/syntax-error\.mjs: .*(syntax|Unexpected)/i);
  });

  it('fails load naming the CPU when only that CPU cannot import it, and no CPU keeps the program', async () => {
    await expect(rt.load(fault('import-throws-on-cpu1'))).rejects.toThrow(/import-throws-on-cpu1\.ts on CPU 1: no such device on CPU 1$/);
    // CPU 0 imported it; if it had kept it, its throwing handler would fail this run.
    expect(await healthy(rt)).toEqual({ ids: [1, 2], events: [10, 10] });
  });
});

describe('bpf_spin_lock mistakes', () => {
  let rt: Runtime;
  let prog: LoadedProgram;
  const cnt = () => Elem.decode(prog.maps.vals!.lookup(0, BPF_F_LOCK)).cnt as number;
  const failure = (probe: string, perCpu: number[]) => rt.run({ probe, perCpu }).catch((e: unknown) => e);

  beforeAll(async () => {
    rt = await Runtime.start({ cpus: 2, onWarning: () => {}, lockTimeoutMs: 300, stopTimeoutMs: 1500 });
    prog = await rt.load(fault('locks'));
  });
  afterAll(async () => { await rt.close(); });

  /** The lock is free and every CPU counts exactly again. */
  async function countsExactly(): Promise<void> {
    const before = cnt();
    const r = await rt.run({ probe: 'tc/count', perCpu: [20_000, 20_000] });
    expect([r.events, cnt() - before]).toEqual([40_000, 40_000]);
  }

  it('a handler returning with the lock held: the verifier\'s BPF_EXIT message, CPU 1, the event that took the lock', async () => {
    const err = await failure('tc/exit-with-lock', [1000, 1000]);
    expect(err).toBeInstanceOf(LockError);
    const e = err as LockError;
    expect([e.cpu, e.event, e.fault, e.verifierMessage]).toEqual([1, 10, 'exit-with-lock', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region']);
    expect(e.message).toMatch(/^the handler of 'tc\/exit-with-lock' on CPU 1, event 10: BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region \(the handler returned at event 10 with its bpf_spin_lock still held/);
    await countsExactly();
  });

  it('a handler returning with the lock held at its last event is caught at the end of the run', async () => {
    const e = (await failure('tc/exit-with-lock', [0, 11])) as LockError;
    expect([e.name, e.cpu, e.event, e.fault]).toEqual(['LockError', 1, 10, 'exit-with-lock']);
    await countsExactly();
  });

  it('taking the lock twice on one CPU: "function calls are not allowed while holding a lock", not a deadlock', async () => {
    const e = (await failure('tc/lock-twice', [100, 100])) as LockError;
    expect([e.name, e.cpu, e.event, e.fault, e.verifierMessage]).toEqual(['LockError', 0, 5, 'call-with-lock', 'function calls are not allowed while holding a lock']);
    expect(e.message).toContain('bpf_spin_lock was called while this CPU already holds a bpf_spin_lock');
    await countsExactly();
  });

  it('a map helper called under the lock: "function calls are not allowed while holding a lock", naming the helper', async () => {
    const e = (await failure('tc/call-under-lock', [100, 100])) as LockError;
    expect([e.cpu, e.event, e.verifierMessage]).toEqual([0, 7, 'function calls are not allowed while holding a lock']);
    expect(e.message).toContain('bpf_map_lookup_elem was called between bpf_spin_lock and bpf_spin_unlock');
    await countsExactly();
  });

  it('unlocking without a lock: "bpf_spin_unlock without taking a lock"', async () => {
    const e = (await failure('tc/unlock-without-lock', [100, 100])) as LockError;
    expect([e.cpu, e.event, e.fault, e.verifierMessage]).toEqual([0, 2, 'unlock-without-lock', 'bpf_spin_unlock without taking a lock']);
    await countsExactly();
  });

  it('unlocking another value\'s lock: "bpf_spin_unlock of different lock", and the held one is released', async () => {
    const e = (await failure('tc/unlock-different', [100, 100])) as LockError;
    expect([e.cpu, e.event, e.fault, e.verifierMessage]).toEqual([0, 3, 'unlock-different', 'bpf_spin_unlock of different lock']);
    await countsExactly();
  });

  it('a handler throwing under the lock: HandlerError with its message, and the lock is released', async () => {
    const e = (await failure('tc/throw-under-lock', [1000, 1000])) as HandlerError;
    expect([e.name, e.cpu, e.event]).toEqual(['HandlerError', 1, 4]);
    expect(e.message).toContain('bad packet');
    await countsExactly();
  });

  it('a lock held too long: the waiter gives up after lockTimeoutMs and names the holder, CPU 1', async () => {
    prog.maps.cfg!.update(0, Cfg.encode({ holdMs: 1500 }));
    prog.maps.vals!.update(0, Elem.encode({ cnt: cnt(), held: 0 }));
    const e = (await failure('tc/hold-long', [1000, 1])) as LockError;
    expect([e.name, e.cpu, e.fault, e.holderCpu]).toEqual(['LockError', 0, 'timeout', 1]);
    expect(e.message).toMatch(/waited \d+ ms for a bpf_spin_lock held by CPU 1, which never released it/);
    await countsExactly();
  });

  it('user space\'s BPF_F_LOCK lookup does not spin forever on a lock CPU 1 keeps', async () => {
    prog.maps.cfg!.update(0, Cfg.encode({ holdMs: 1500 }));
    prog.maps.vals!.update(0, Elem.encode({ cnt: cnt(), held: 0 }));
    const run = rt.run({ probe: 'tc/hold-long', perCpu: [0, 1] });
    while (Elem.decode(prog.maps.vals!.lookup(0)).held !== 1) await new Promise((r) => setTimeout(r, 5));
    const err = (() => { try { prog.maps.vals!.lookup(0, BPF_F_LOCK); return null; } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(SpinLockError);
    expect([(err as SpinLockError).fault, (err as SpinLockError).holderCpu]).toEqual(['timeout', 1]);
    expect((await run).events).toBe(1);
    await countsExactly();
  });

  it('a handler that never returns: the other CPU times out, the stuck CPU is terminated and replaced, and its lock is taken over', async () => {
    prog.maps.vals!.update(0, Elem.encode({ cnt: cnt(), held: 0 }));
    const err = await failure('tc/hold-forever', [1000, 1000]);
    expect(err).toBeInstanceOf(CpuDiedError);
    expect((err as CpuDiedError).cpu).toBe(1);
    expect((err as CpuDiedError).reason).toContain('did not stop within 1500 ms after the run was stopped');
    await countsExactly();
  });

  it('a CPU dying with the lock held: its lock is taken over by the next CPU or user space that needs it', async () => {
    const err = await failure('tc/die-holding', [1000, 1000]);
    expect(err).toBeInstanceOf(CpuDiedError);
    expect([(err as CpuDiedError).cpu, (err as CpuDiedError).reason]).toEqual([1, 'worker exited with code: 5']);
    expect(Elem.decode(prog.maps.vals!.lookup(0, BPF_F_LOCK)).held).toBe(1);
    await countsExactly();
  });

  it('runOn returning with the lock held throws the BPF_EXIT message and releases the lock', () => {
    const vals = prog.maps.vals!;
    let err: unknown = null;
    try {
      rt.runOn(1, () => { bpf_spin_lock(bpf_map_lookup_elem(vals, 0)!._lock!); });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SpinLockError);
    expect((err as SpinLockError).fault).toBe('exit-with-lock');
    expect(() => vals.lookup(0, BPF_F_LOCK)).not.toThrow();
  });

  it('runOn calling a helper under the lock throws "function calls are not allowed while holding a lock"', () => {
    const vals = prog.maps.vals!;
    expect(() => rt.runOn(0, () => {
      const v = bpf_map_lookup_elem(vals, 0)!;
      bpf_spin_lock(v._lock!);
      bpf_map_lookup_elem(vals, 1);
      bpf_spin_unlock(v._lock!);
    })).toThrow(/^function calls are not allowed while holding a lock \(bpf_map_lookup_elem was called between/);
    expect(() => vals.lookup(0, BPF_F_LOCK)).not.toThrow();
  });
});

describe('several CPUs failing in one run', () => {
  it('reports the first cause (CPU 0 threw), with the consequence (CPU 1 terminated for not stopping) attached', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {}, stopTimeoutMs: 500 });
    try {
      await rt.load(fault('stuck-and-throws'));
      const err = await rt.run({ probe: 'kprobe/test', perCpu: [2000, 2000] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HandlerError);
      const h = err as HandlerError;
      expect([h.cpu, h.event]).toEqual([0, 1000]);
      expect(h.message).toContain('CPU 0 failed first');
      expect(h.others.map((e) => [e.name, (e as CpuDiedError).cpu])).toEqual([['CpuDiedError', 1]]);
      expect((h.others[0] as CpuDiedError).reason).toContain('did not stop within 500 ms after the run was stopped');
      expect(h.message).toMatch(/Also: CPU 1 died: it did not stop within 500 ms/);
    } finally {
      await rt.close();
    }
  });
});

describe('closing a runtime', () => {
  it('ends a CPU stuck in a handler that never returns, and the run fails instead of hanging', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {}, lockTimeoutMs: 300, stopTimeoutMs: 1000 });
    const prog = await rt.load(fault('locks'));
    prog.maps.vals!.update(0, Elem.encode({ cnt: 0, held: 0 }));
    const run = rt.run({ probe: 'tc/hold-forever', perCpu: [0, 1] }).catch((e: unknown) => e);
    while (Elem.decode(prog.maps.vals!.lookup(0)).held !== 1) await new Promise((r) => setTimeout(r, 5));
    await rt.close();
    const err = await run;
    expect(err).toBeInstanceOf(CpuDiedError);
    expect((err as CpuDiedError).cpu).toBe(1);
  });
});

