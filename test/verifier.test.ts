// The load-time verifier: what the kernel's verifier (Linux 6.18) refuses in a program, refused
// before the run with the kernel's own lines. Each fixture mirrors a C program whose verdict was
// read from the live kernel (see test/fixtures/verifier/programs.ts).
import { describe, expect, it } from 'vitest';
import { verifyProgram, VerifierError } from '../src/cpu/verifier.js';
import { Runtime } from '../src/cpu/runtime.js';
import { ProgramLoadError } from '../src/cpu/errors.js';
import * as P from './fixtures/verifier/programs.js';
import seedKprobe from './fixtures/verifier/seed-kprobe.js';

const lines = (p: Parameters<typeof verifyProgram>[0]) => verifyProgram(p).map((f) => `${f.probe}: ${f.message}`);

describe('the load-time verifier', () => {
  it('refuses the seed in a kprobe: "tracing progs cannot use bpf_spin_lock yet"', () => {
    expect(lines(P.seedInKprobe())).toEqual(['kprobe/sys_clone: tracing progs cannot use bpf_spin_lock yet']);
  });

  it('refuses a map with a lock in a tracepoint even when the lock is never taken', () => {
    expect(lines(P.lockMapInTracepoint())).toEqual(['tracepoint/syscalls/sys_enter_clone: tracing progs cannot use bpf_spin_lock yet']);
  });

  it('refuses the lock in a socket filter with the socket filter message', () => {
    expect(lines(P.seedInSocketFilter())).toEqual(['socket/filter: socket filter progs cannot use bpf_spin_lock yet']);
  });

  it('accepts the seed in tc and xdp programs', () => {
    expect(lines(P.seedInTcAndXdp())).toEqual([]);
  });

  it('refuses a hash lookup used without a NULL check, naming the use', () => {
    const [f, ...rest] = verifyProgram(P.hashNoNullCheck());
    expect(rest).toEqual([]);
    expect([f!.probe, f!.message]).toEqual(['tc/ingress', "R0 invalid mem access 'map_value_or_null'"]);
    expect(f!.detail).toContain("is used at 'v.cnt' without a NULL check");
  });

  it('refuses a lookup dereferenced in the same expression', () => {
    expect(lines(P.directDeref())).toEqual(["tc/ingress: R0 invalid mem access 'map_value_or_null'"]);
  });

  it('accepts NULL checks written as === null, !v, if (v), a ternary and ?.', () => {
    expect(lines(P.nullChecked())).toEqual([]);
  });

  it('accepts an unchecked ARRAY lookup with a constant key below max_entries (Linux 6.13+), refuses one past it', () => {
    expect(lines(P.arrayConstantKey())).toEqual(["tc/out-of-range: R0 invalid mem access 'map_value_or_null'"]);
  });

  it('refuses a ring buffer reservation written without a NULL check', () => {
    expect(lines(P.ringbufNoNullCheck())).toEqual(["tc/ingress: R0 invalid mem access 'ringbuf_mem_or_null'"]);
  });

  it('refuses a helper call inside the locked region', () => {
    const f = verifyProgram(P.callUnderLock());
    expect(f.map((x) => x.message)).toEqual(['function calls are not allowed while holding a lock']);
    expect(f[0]!.detail).toContain('bpf_get_smp_processor_id is called between bpf_spin_lock and bpf_spin_unlock');
  });

  it('refuses a handler that takes the lock and never releases it', () => {
    expect(lines(P.neverUnlocked())).toEqual(['tc/ingress: BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region']);
  });
});

describe('the verifier option of the runtime', () => {
  const url = (name: string) => new URL(`./fixtures/verifier/${name}.ts`, import.meta.url);

  it('makes load refuse the seed in a kprobe with VerifierError before any map is created', async () => {
    const rt = await Runtime.start({ cpus: 1, verifier: true, onWarning: () => {} });
    try {
      const err = await rt.load(url('seed-kprobe')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerifierError);
      expect(err).toBeInstanceOf(ProgramLoadError);
      expect((err as Error).message.split('\n').slice(0, 2)).toEqual([
        "the verifier rejects program 'seed-kprobe':",
        '  kprobe/sys_clone: tracing progs cannot use bpf_spin_lock yet',
      ]);
      expect(seedKprobe.maps.counter!.handle).toBeNull();
      expect(rt.probes()).toEqual([]);
      // The same module object: without the verifier it loads and its map is created.
      const loaded = await rt.load(url('seed-kprobe'), { verifier: false });
      expect(seedKprobe.maps.counter!.handle).not.toBeNull();
      await loaded.unload();
    } finally {
      await rt.close();
    }
  });

  it('is a per-load option too, and lets an accepted program load', async () => {
    const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
    try {
      await expect(rt.load(url('seed-kprobe'), { verifier: true })).rejects.toBeInstanceOf(VerifierError);
      const ok = await rt.load(url('seed-tc'), { verifier: true });
      expect(ok.probes).toEqual(['tc/ingress', 'xdp/eth0']);
      await ok.unload();
    } finally {
      await rt.close();
    }
  });
});
