// Calls: bpf-to-bpf calls with their own frames (at most 8), bpf_loop, helpers inlined (array
// lookups, CPU id, pid/tgid, prandom, spin lock) and imported (r1..r5 through scratch, r0 by the
// helper's return kind), unknown helpers.

import { describe, expect, it } from 'vitest';
import { JitError } from '../src/jit/index.js';
import { Asm, R0, R1, R2, R3, R4, R5, R6, R10 } from './jit/asm.js';
import { MAPS_AT, cpuArea, faultOf, instantiate, newMemory, r0Of, translate, u64 } from './jit/harness.js';

const STACK_TOP = BigInt(cpuArea(0).stackTop);

describe('bpf-to-bpf calls', () => {
  it('pass r1..r5, return r0 and give the callee r10 = caller r10 - 512', () => {
    const a = new Asm().mov64(R1, 1).mov64(R2, 2).mov64(R3, 3).mov64(R4, 4).mov64(R5, 5).callLocal('f').exit();
    a.func('f')
      .movr(R0, R1).alu64('mul', R0, { imm: 10 }).alu64('add', R0, R2).alu64('mul', R0, { imm: 10 }).alu64('add', R0, R3)
      .alu64('mul', R0, { imm: 10 }).alu64('add', R0, R4).alu64('mul', R0, { imm: 10 }).alu64('add', R0, R5)
      .alu64('lsh', R0, { imm: 32 }).alu64('or', R0, R10).exit();
    expect(r0Of(a.build(), { funcs: a.funcs })).toBe((12345n << 32n) | (STACK_TOP - 512n));
  });

  it('keep each frame its own stack', () => {
    const a = new Asm().st('dw', R10, -8, 111).callLocal('f').movr(R6, R0).ldx('dw', R0, R10, -8).alu64('mul', R0, { imm: 1000 }).alu64('add', R0, R6).exit();
    a.func('f').st('dw', R10, -8, 222).ldx('dw', R0, R10, -8).exit();
    expect(r0Of(a.build(), { funcs: a.funcs })).toBe(111222n);
  });

  it('keep the callee-saved r6..r9 of the caller', () => {
    const a = new Asm().mov64(R6, 6).mov64(7, 7).mov64(8, 8).mov64(9, 9).callLocal('f')
      .alu64('add', R0, R6).alu64('add', R0, 7).alu64('add', R0, 8).alu64('add', R0, 9).exit();
    a.func('f').mov64(R6, 100).mov64(7, 100).mov64(8, 100).mov64(9, 100).mov64(R0, 0).exit();
    expect(r0Of(a.build(), { funcs: a.funcs })).toBe(30n);
  });

  /** f(n) = n == 0 ? r10 : f(n - 1): recursion the verifier would refuse, bounded here by the frame limit. */
  function recursive(n: number): { insns: Uint8Array; funcs: { name: string; start: number }[] } {
    const a = new Asm().mov64(R1, n).callLocal('f').exit();
    a.func('f').jmp('jeq', R1, { imm: 0 }, 'base').alu64('sub', R1, { imm: 1 }).callLocal('f').exit().label('base').movr(R0, R10).exit();
    return { insns: a.build(), funcs: a.funcs };
  }

  it('allow 8 frames (main and 7 calls deep)', () => {
    const p = recursive(6);
    expect(r0Of(p.insns, p.funcs ? { funcs: p.funcs } : {})).toBe(STACK_TOP - 7n * 512n);
  });

  it('fault (kind 9) at the call that would make a ninth frame, naming its r10', () => {
    const p = recursive(7);
    expect(faultOf(p.insns, { funcs: p.funcs })).toMatchObject({ kind: 9, pc: 5, addr: Number(STACK_TOP) - 8 * 512 });
  });

  it('may call the main program itself (then also translated as a function)', () => {
    const a = new Asm().label('main').jmp('jlt', R1, { imm: 100 }, 'rec').mov64(R1, 3)
      .label('rec').jmp('jeq', R1, { imm: 0 }, 'zero').alu64('sub', R1, { imm: 1 }).callLocal('main').alu64('add', R0, { imm: 10 }).exit()
      .label('zero').mov64(R0, 0).exit();
    const inst = instantiate(translate(a.build()));
    expect(inst.run(0, 2)).toBe(2);
    expect(inst.returns).toEqual([[30n, 2]]);
  });

  it('refuse a call to an instruction that starts no function', () => {
    const a = new Asm().callLocal('x').exit().label('x').mov64(R0, 0).exit();
    expect(() => translate(a.build())).toThrow(/instruction 0: call to 2, which is not the start of one of funcs/);
  });
});

describe('bpf_loop (helper 181)', () => {
  /** main: r0 = bpf_loop(nr, cb, &stack counter, flags) + 1000 * counter; cb adds (i + 1) and stops after `stop`. */
  function loopProgram(nr: bigint, flags: number, stop: number, indirect: boolean): { insns: Uint8Array; funcs: { name: string; start: number }[] } {
    const a = new Asm().st('dw', R10, -8, 0).ld64(R1, nr).movr(R3, R10).alu64('add', R3, { imm: -8 }).mov64(R4, flags);
    if (indirect) a.ldFunc(R2, 'cb').stx('dw', R10, -16, R2).ldx('dw', R2, R10, -16); // through memory: not known at the call
    else a.ldFunc(R2, 'cb');
    a.call(181).ldx('dw', R1, R10, -8).alu64('mul', R1, { imm: 1000 }).alu64('add', R0, R1).exit();
    a.func('cb')
      .ldx('dw', R3, R2, 0).alu64('add', R3, R1).alu64('add', R3, { imm: 1 }).stx('dw', R2, 0, R3)
      .mov64(R0, 0).jmp('jne', R1, { imm: stop }, 'go').mov64(R0, 1).label('go').exit();
    return { insns: a.build(), funcs: a.funcs };
  }

  it('calls a known callback nr times with the index and ctx, and returns nr', () => {
    const p = loopProgram(10n, 0, -1, false);
    expect(r0Of(p.insns, { funcs: p.funcs })).toBe(10n + 55n * 1000n);
  });

  it('stops when the callback returns 1, returning the calls made', () => {
    const p = loopProgram(10n, 0, 3, false);
    expect(r0Of(p.insns, { funcs: p.funcs })).toBe(4n + 10n * 1000n);
  });

  it('calls a callback it cannot see at the call through the table of sub-programs', () => {
    const p = loopProgram(10n, 0, 3, true);
    expect(r0Of(p.insns, { funcs: p.funcs })).toBe(4n + 10n * 1000n);
  });

  it('takes nr as a u32 (high half ignored)', () => {
    const p = loopProgram(0x1_00000003n, 0, -1, false);
    expect(r0Of(p.insns, { funcs: p.funcs })).toBe(3n + 6n * 1000n);
  });

  it('returns -EINVAL for flags != 0 and -E2BIG for nr > 1 << 23, without calling', () => {
    const f = loopProgram(10n, 1, -1, false);
    expect(r0Of(f.insns, { funcs: f.funcs })).toBe(u64(-22n));
    const big = loopProgram(BigInt((1 << 23) + 1), 0, -1, false);
    expect(r0Of(big.insns, { funcs: big.funcs })).toBe(u64(-7n));
  });

  it('gives the callback its own frame below the caller', () => {
    const a = new Asm().mov64(R1, 1).ldFunc(R2, 'cb').mov64(R3, 0).mov64(R4, 0).call(181).ldx('dw', R0, R10, -8).exit();
    a.func('cb').movr(R0, R10).stx('dw', R10, 504, R0).mov64(R0, 0).exit(); // caller's r10 - 8 = callee r10 + 504
    expect(r0Of(a.build(), { funcs: a.funcs })).toBe(STACK_TOP - 512n);
  });
});

describe('inlined helpers', () => {
  const ARRAY_DESC = MAPS_AT;
  const ARRAY_VALUES = MAPS_AT + 0x1000;
  const PCPU_DESC = MAPS_AT + 0x100;
  const PCPU_VALUES = MAPS_AT + 0x2000;
  const maps = [
    { desc: ARRAY_DESC, type: 2, keySize: 4, valueSize: 12, maxEntries: 4, array: { values: ARRAY_VALUES, elemSize: 16, slabStride: 0 } },
    { desc: PCPU_DESC, type: 6, keySize: 4, valueSize: 8, maxEntries: 3, array: { values: PCPU_VALUES, elemSize: 8, slabStride: 0x100 } },
    { desc: MAPS_AT + 0x200, type: 1, keySize: 4, valueSize: 8, maxEntries: 8 },
    { desc: MAPS_AT + 0x300, type: 2, keySize: 4, valueSize: 8, maxEntries: 1, valueAddr: MAPS_AT + 0x3000 },
  ];
  const lookup = (map: number, key: number): Uint8Array =>
    new Asm().st('w', R10, -4, key).movr(R2, R10).alu64('add', R2, { imm: -4 }).ldMap(R1, map).call(1).exit().build();

  it('array lookup: the element address for key < max_entries (the kernel map_gen_lookup)', () => {
    const p = translate(lookup(0, 3), { maps });
    expect(p.helpersUsed).toEqual([1]);
    const inst = instantiate(p);
    inst.run(0, 1);
    expect(inst.returns[0]![0]).toBe(BigInt(ARRAY_VALUES + 3 * 16));
  });

  it('array lookup: NULL for key >= max_entries', () => {
    expect(r0Of(lookup(0, 4), { maps })).toBe(0n);
    expect(r0Of(lookup(0, -1), { maps })).toBe(0n);
  });

  it('percpu array lookup: this CPU slot', () => {
    for (const cpu of [0, 1, 3]) expect(r0Of(lookup(1, 2), { maps, cpu })).toBe(BigInt(PCPU_VALUES + cpu * 0x100 + 2 * 8));
  });

  it('percpu array lookup from a sub-program: this CPU slot too', () => {
    const a = new Asm().callLocal('f').exit();
    a.func('f').st('w', R10, -4, 1).movr(R2, R10).alu64('add', R2, { imm: -4 }).ldMap(R1, 1).call(1).exit();
    expect(r0Of(a.build(), { maps, funcs: a.funcs, cpu: 2 })).toBe(BigInt(PCPU_VALUES + 2 * 0x100 + 8));
  });

  it('calls h1 for a map that is not an array, and for a map pointer it cannot see', () => {
    const seen: bigint[][] = [];
    const helpers = { 1: (_pc: number, s: { arg(i: number): bigint }) => (seen.push([s.arg(1), s.arg(2)]), 0x4242) };
    expect(r0Of(lookup(2, 1), { maps, helpers })).toBe(0x4242n);
    expect(seen[0]).toEqual([BigInt(MAPS_AT + 0x200), BigInt(cpuArea(0).stackTop - 4)]);
    const hidden = new Asm().st('w', R10, -4, 0).ldMap(R1, 0).stx('dw', R10, -16, R1).ldx('dw', R1, R10, -16)
      .movr(R2, R10).alu64('add', R2, { imm: -4 }).call(1).exit().build();
    expect(r0Of(hidden, { maps, helpers })).toBe(0x4242n);
    expect(seen[1]![0]).toBe(BigInt(ARRAY_DESC));
  });

  it('writes through a looked-up element reach the shared memory', () => {
    const insns = new Asm().st('w', R10, -4, 1).movr(R2, R10).alu64('add', R2, { imm: -4 }).ldMap(R1, 1).call(1)
      .jmp('jeq', R0, { imm: 0 }, 'out').ldx('dw', R1, R0, 0).alu64('add', R1, { imm: 1 }).stx('dw', R0, 0, R1).label('out').mov64(R0, 0).exit().build();
    const memory = newMemory();
    const p = translate(insns, { maps });
    instantiate(p, { memory, cpu: 0 }).run(0, 7);
    instantiate(p, { memory, cpu: 1 }).run(0, 5);
    const dv = new DataView(memory.buffer);
    expect(dv.getBigUint64(PCPU_VALUES + 8, true)).toBe(7n);
    expect(dv.getBigUint64(PCPU_VALUES + 0x100 + 8, true)).toBe(5n);
  });

  it('ld_imm64 of a map value (global data) is its address plus the offset', () => {
    expect(r0Of(new Asm().ldMapValue(R0, 3, 24).exit().build(), { maps })).toBe(BigInt(MAPS_AT + 0x3000 + 24));
  });

  it('get_smp_processor_id is the CPU', () => {
    expect(r0Of(new Asm().call(8).exit().build(), { cpu: 3 })).toBe(3n);
  });

  it('get_current_pid_tgid is tgid << 32 | pid with pid = pidBase + event % pids', () => {
    const inst = instantiate(translate(new Asm().call(14).exit().build()), { pidBase: 500, pids: 2 });
    inst.run(4, 7);
    expect(inst.returns).toEqual([[(500n << 32n) | 500n, 1], [(501n << 32n) | 501n, 1], [(500n << 32n) | 500n, 1]]);
    const none = instantiate(translate(new Asm().call(14).exit().build()), { pidBase: 9, pids: 0 });
    none.run(0, 1);
    expect(none.returns[0]![0]).toBe((9n << 32n) | 9n);
  });

  it('get_prandom_u32: u32 values that change per call and differ between CPUs', () => {
    const prog = new Asm().call(7).movr(R6, R0).call(7).alu64('lsh', R0, { imm: 32 }).alu64('or', R0, R6).exit().build();
    const a = r0Of(prog, { cpu: 0 });
    const b = r0Of(prog, { cpu: 1 });
    expect(a >> 32n).not.toBe(a & 0xffffffffn);
    expect(a).not.toBe(b);
    expect(a & 0xffffffffn).not.toBe(0n);
  });
});

describe('imported helpers', () => {
  it('store r1..r5 to scratch, pass the pc, and set r0 by return kind', () => {
    const calls: [number, bigint[]][] = [];
    const helpers = {
      // map_update_elem: s32 -> sign-extended
      2: (pc: number, s: { arg(i: number): bigint }) => (calls.push([pc, [1, 2, 3, 4].map((i) => s.arg(i))]), -2),
      // ringbuf_reserve: u32 pointer -> zero-extended
      131: () => 0x80001000 | 0,
      // ktime_get_ns: u64 written to scratch + 40
      5: (_pc: number, s: { setR0(v: bigint): void }) => (s.setR0(0x123456789abcdefn), 0),
      // ringbuf_submit: void -> r0 = 0
      132: () => 77,
    };
    const run = (a: Asm): bigint => r0Of(a.build(), { helpers, maps: [{ desc: MAPS_AT, type: 1, keySize: 4, valueSize: 8, maxEntries: 1 }] });
    expect(run(new Asm().ldMap(R1, 0).mov64(R2, 22).mov64(R3, -33).mov64(R4, 44).call(2).exit())).toBe(u64(-2n));
    expect(calls).toEqual([[5, [BigInt(MAPS_AT), 22n, u64(-33n), 44n]]]);
    expect(run(new Asm().call(131).exit())).toBe(0x80001000n);
    expect(run(new Asm().call(5).exit())).toBe(0x123456789abcdefn);
    expect(run(new Asm().mov64(R0, 5).call(132).exit())).toBe(0n);
  });

  it('list the helpers used, inlined and imported', () => {
    const p = translate(new Asm().call(8).call(5).call(14).mov64(R0, 0).exit().build());
    expect(p.helpersUsed).toEqual([5, 8, 14]);
    expect(p.unknownHelpers).toEqual([]);
    expect(WebAssembly.Module.imports(p.module).filter((i) => i.kind === 'function').map((i) => i.name)).toEqual(['fault', 'onReturn', 'h5']);
  });

  it('an unknown helper is listed and faults (kind 2, addr = id) only when reached', () => {
    const insns = new Asm().jmp('jne', R1, { imm: 0 }, 'skip').call(9999).label('skip').mov64(R0, 1).exit().build();
    const p = translate(insns);
    expect(p.unknownHelpers).toEqual([9999]);
    expect(p.helpersUsed).toEqual([]);
    expect(r0Of(insns)).toBe(1n); // r1 = ctx != 0: the call is jumped over
  });

  it('an unknown helper reached faults with kind 2 and its id', () => {
    expect(faultOf(new Asm().mov64(R0, 0).call(9999).exit().build())).toMatchObject({ kind: 2, pc: 1, addr: 9999 });
  });

  it('refuses an unknown helper at translation with unknownHelpers: refuse', () => {
    expect(() => translate(new Asm().call(9999).exit().build(), { unknownHelpers: 'refuse' })).toThrow(JitError);
    expect(() => translate(new Asm().call(9999).exit().build(), { unknownHelpers: 'refuse' })).toThrow(/instruction 0: call of unknown helper 9999/);
  });

});

describe('bpf_tail_call (h12 decides; a jump returns from run() before the event, or runs in a sub-program\'s frame)', () => {
  /** Runs events 0..n-1 with h12 answering `jumps(event)`; what run() returned, the returns, r1..r3 h12 saw, tailSub's calls. */
  function tail(insns: Uint8Array, jumps: (event: number) => number, n = 1, funcs?: { name: string; start: number }[]) {
    const seen: bigint[][] = [];
    const subs: number[] = [];
    let inst: ReturnType<typeof instantiate>;
    const helpers = {
      12: (_pc: number, s: { arg(i: number): bigint }) => {
        seen.push([s.arg(1), s.arg(2), s.arg(3)]);
        return jumps(inst.event());
      },
    };
    // The runtime would run the target in the frame; here the "target" returns 555.
    const tailSub = (_pc: number, fp: number, s: { setR0(v: bigint): void }) => {
      subs.push(fp);
      s.setR0(555n);
    };
    inst = instantiate(translate(insns, { funcs }), { helpers, tailSub });
    const done = inst.run(0, n);
    return { done, returns: inst.returns, seen, subs };
  }
  // r6 = 7; tail call (r2 = 0x1234, r3 = 5); r0 = r0 + 100 + r6 (only when it falls through).
  const main = new Asm().mov64(R6, 7).mov64(R0, 1).mov64(R2, 0x1234).mov64(R3, 5).call(12)
    .alu64('add', R0, { imm: 100 }).alu64('add', R0, R6).exit().build();

  it('falls through when h12 says 0: the program goes on and r0 keeps its value', () => {
    const r = tail(main, () => 0, 3);
    expect(r.done).toBe(3);
    expect(r.returns).toEqual([[108n, 3]]);
    expect(r.seen[0]!.slice(1)).toEqual([0x1234n, 5n]);
  });

  it('jumps when h12 says 1: run() returns before that event, reporting only the events before it', () => {
    const r = tail(main, (e) => (e === 2 ? 1 : 0), 5);
    expect(r.done).toBe(2);
    expect(r.returns).toEqual([[108n, 2]]);
  });

  it('from a sub-program: the target runs in its frame (tailSub) and its r0 returns to the caller, which goes on', () => {
    const a = new Asm().mov64(R0, 1).callLocal('f').alu64('add', R0, { imm: 1000 }).exit();
    a.func('f').mov64(R0, 3).call(12).alu64('add', R0, { imm: 10 }).exit();
    const r = tail(a.build(), (e) => (e === 1 ? 1 : 0), 3, a.funcs);
    expect(r.done).toBe(3);
    expect(r.returns).toEqual([[1013n, 1], [1555n, 1], [1013n, 1]]);
    expect(r.subs).toEqual([Number(STACK_TOP) - 512]);
  });
});

describe('bpf_spin_lock / bpf_spin_unlock', () => {
  const LOCK = MAPS_AT + 0x800;
  const lockUnlock = new Asm().ld64(R1, BigInt(LOCK)).call(93).ld64(R1, BigInt(LOCK)).ldx('w', R6, R1, 0).call(94)
    .ld64(R1, BigInt(LOCK)).ldx('w', R0, R1, 0).alu64('lsh', R0, { imm: 32 }).alu64('or', R0, R6).exit().build();

  it('lock writes this CPU tag into the free word, unlock frees it', () => {
    const memory = newMemory();
    const inst = instantiate(translate(lockUnlock), { memory, cpu: 1 });
    inst.run(0, 1);
    expect(inst.returns[0]![0]).toBe(BigInt(inst.lockTag)); // held: the tag; after unlock: 0 in the high half
  });

  it('lock on a held word takes the slow path with (addr, pc), which returns holding it', () => {
    const memory = newMemory();
    const i32 = new Int32Array(memory.buffer);
    Atomics.store(i32, LOCK >> 2, 99 << 1);
    const slow: number[][] = [];
    const inst = instantiate(translate(lockUnlock), {
      memory,
      spinLockSlow: (addr, pc) => {
        slow.push([addr, pc]);
        Atomics.store(i32, addr >> 2, inst.lockTag);
      },
    });
    inst.run(0, 1);
    expect(slow).toEqual([[LOCK, 2]]);
    expect(Atomics.load(i32, LOCK >> 2)).toBe(0);
  });

  it('unlock of a word with waiters (bit 0) clears it', () => {
    const memory = newMemory();
    const i32 = new Int32Array(memory.buffer);
    const prog = new Asm().ld64(R1, BigInt(LOCK)).call(93).ld64(R2, BigInt(LOCK)).mov64(R3, 1).atomic('w', 'or', R2, 0, R3)
      .ld64(R1, BigInt(LOCK)).call(94).mov64(R0, 0).exit().build();
    instantiate(translate(prog), { memory }).run(0, 1);
    expect(Atomics.load(i32, LOCK >> 2)).toBe(0);
  });
});
