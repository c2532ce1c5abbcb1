// Faults: each kind reported through the fault import with its kind, instruction index and address;
// checked mode bounds every access to this CPU's stack and the region table; in unchecked mode a
// real out-of-bounds trap is mapped back to its instruction by insnAt; bpf_spin_lock's verifier
// rules are checked at run time and a faulting program never keeps a lock.

import { describe, expect, it } from 'vitest';
import { Asm, R0, R1, R2, R6, R10 } from './jit/asm.js';
import { Fault, MAPS_AT, cpuArea, faultOf, instantiate, newMemory, translate, type RunOptions } from './jit/harness.js';

const TOP = cpuArea(0).stackTop;
const REGION = MAPS_AT + 0x1000;
const checked = (extra: RunOptions = {}): RunOptions => ({ checked: true, regions: [[REGION, REGION + 64]], ...extra });

/** The module byte offset V8 prints for the innermost Wasm frame of a trap. */
function trapOffset(e: unknown): number {
  const m = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec((e as Error).stack ?? '');
  if (m === null) throw new Error(`no wasm frame in ${(e as Error).stack}`);
  return parseInt(m[1]!, 16);
}

describe('checked mode (fault kind 1)', () => {
  it('accepts this CPU stack, all 8 frames of it', () => {
    const insns = new Asm().st('dw', R10, -8, 5).st('dw', R10, -4096, 6).ldx('dw', R0, R10, -8).ldx('dw', R1, R10, -4096).alu64('add', R0, R1).exit().build();
    expect(faultOf(insns, checked())).toBeNull();
  });

  it('accepts an access inside a region of the table', () => {
    const insns = new Asm().ld64(R1, BigInt(REGION)).st('dw', R1, 56, 1).ldx('dw', R0, R1, 56).exit().build();
    expect(faultOf(insns, checked())).toBeNull();
  });

  const bad: [string, Asm, number, number][] = [
    ['a load outside every region', new Asm().ld64(R1, BigInt(REGION + 64)).ldx('b', R0, R1, 0).exit(), 2, REGION + 64],
    ['a load that crosses the end of its region', new Asm().ld64(R1, BigInt(REGION)).ldx('dw', R0, R1, 60).exit(), 2, REGION + 60],
    ['a store below the stack', new Asm().st('b', R10, -4097, 1).mov64(R0, 0).exit(), 0, TOP - 4097],
    ['a store at the stack top (one past the end)', new Asm().st('w', R10, 0, 1).mov64(R0, 0).exit(), 0, TOP],
    ['a store to another CPU stack', new Asm().movr(R1, R10).alu64('add', R1, { imm: 0x4000 - 8 }).st('dw', R1, 0, 1).mov64(R0, 0).exit(), 2, TOP + 0x4000 - 8],
    ['a NULL dereference', new Asm().mov64(R1, 0).ldx('w', R0, R1, 4).exit(), 1, 4],
    ['an atomic add outside', new Asm().mov64(R1, 0x1000).mov64(R2, 1).atomic('dw', 'add', R1, 8, R2).mov64(R0, 0).exit(), 2, 0x1008],
    ['a lookup key read outside', new Asm().mov64(R2, 0x2000).ldMap(R1, 0).call(1).exit(), 3, 0x2000],
  ];
  for (const [what, asm, pc, addr] of bad) {
    it(`faults on ${what}, naming the instruction and the address`, () => {
      const maps = [{ desc: MAPS_AT, type: 2, keySize: 4, valueSize: 8, maxEntries: 1, array: { values: REGION, elemSize: 8, slabStride: 0 } }];
      const f = faultOf(asm.build(), checked({ maps }));
      expect(f).toBeInstanceOf(Fault);
      expect({ kind: f!.kind, pc: f!.pc, addr: f!.addr >>> 0 }).toEqual({ kind: 1, pc, addr });
    });
  }

  it('switches between regions and still faults just past the one it used last', () => {
    const other = MAPS_AT + 0x3000;
    const insns = new Asm().ld64(R1, BigInt(REGION)).ldx('dw', R0, R1, 0).ld64(R2, BigInt(other)).ldx('dw', R0, R2, 8)
      .ldx('dw', R0, R1, 56).ldx('dw', R0, R1, 64).exit().build();
    expect(faultOf(insns, checked({ regions: [[REGION, REGION + 64], [other, other + 16]] }))).toMatchObject({ kind: 1, pc: 7, addr: REGION + 64 });
  });

  it('re-reads the region table on each run and after each imported helper (it may change)', () => {
    const memory = newMemory();
    // Event: load from REGION, call a helper (which drops REGION from the table), load from REGION again.
    const insns = new Asm().ld64(R6, BigInt(REGION)).ldx('dw', R0, R6, 0).call(5).ldx('dw', R0, R6, 0).exit().build();
    const area = cpuArea(0);
    const dv = new DataView(memory.buffer);
    const helpers = { 5: () => (dv.setInt32(area.regions, 0, true), 0) };
    const inst = instantiate(translate(insns, { checked: true }), { memory, regions: [[REGION, REGION + 64]], helpers });
    expect(() => inst.run(0, 1)).toThrow(expect.objectContaining({ kind: 1, pc: 4, addr: REGION }));
    // A run with the region gone faults at the first load.
    expect(() => inst.run(0, 1)).toThrow(expect.objectContaining({ kind: 1, pc: 2, addr: REGION }));
  });

  it('checks inside sub-programs too', () => {
    const a = new Asm().callLocal('f').exit();
    a.func('f').mov64(R1, 0x3000).ldx('dw', R0, R1, 0).exit();
    expect(faultOf(a.build(), checked({ funcs: a.funcs }))).toMatchObject({ kind: 1, pc: 3, addr: 0x3000 });
  });
});

describe('unchecked mode traps', () => {
  it('maps a real out-of-bounds trap back to its instruction with insnAt, and event names the event', () => {
    const insns = new Asm().mov64(R0, 0).ld64(R1, 0x7ff00000n).ldx('dw', R0, R1, 8).exit().build();
    const prog = translate(insns);
    const inst = instantiate(prog);
    let err: unknown;
    try {
      inst.run(5, 10);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebAssembly.RuntimeError);
    expect((err as Error).message).toMatch(/memory access out of bounds/);
    expect(prog.insnAt(trapOffset(err))).toBe(3);
    expect(inst.event()).toBe(5);
  });

  it('maps a misaligned atomic trap to the atomic instruction', () => {
    const insns = new Asm().ld64(R1, BigInt(REGION + 4)).mov64(R2, 1).atomic('dw', 'add', R1, 0, R2).mov64(R0, 0).exit().build();
    const prog = translate(insns);
    try {
      instantiate(prog).run(0, 1);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/unaligned/);
      expect(prog.insnAt(trapOffset(e))).toBe(3);
    }
  });

  it('maps a trap inside a sub-program to the sub-program instruction', () => {
    const a = new Asm().mov64(R1, 0).callLocal('f').exit();
    a.func('f').mov64(R0, 1).ld64(R2, 0x40000000n).stx('dw', R2, 0, R0).exit();
    const prog = translate(a.build(), { funcs: a.funcs });
    try {
      instantiate(prog).run(0, 1);
      expect.unreachable();
    } catch (e) {
      expect(prog.insnAt(trapOffset(e))).toBe(6);
    }
  });

  it('insnAt is -1 before the first instruction code', () => {
    expect(translate(new Asm().mov64(R0, 0).exit().build()).insnAt(0)).toBe(-1);
  });
});

describe('faults carry the event index', () => {
  it('event is the event that faulted', () => {
    // Faults (unknown helper) on the event whose pid is pidBase + 13.
    const insns = new Asm().call(14).alu32('mov', R0, R0).jmp('jne', R0, { imm: 1013 }, 'ok').call(9999).label('ok').mov64(R0, 0).exit().build();
    const inst = instantiate(translate(insns), { pidBase: 1000, pids: 100 });
    expect(() => inst.run(10, 20)).toThrow(Fault);
    expect(inst.event()).toBe(13);
  });
});

describe('bpf_spin_lock rules at run time', () => {
  const A = MAPS_AT + 0x800;
  const B = MAPS_AT + 0x804;
  const lock = (a: Asm, at: number): Asm => a.ld64(R1, BigInt(at)).call(93);
  const unlock = (a: Asm, at: number): Asm => a.ld64(R1, BigInt(at)).call(94);
  function run(a: Asm, opts: RunOptions = {}): { fault: Fault | null; words: number[]; held: number } {
    const memory = newMemory();
    const inst = instantiate(translate(a.build(), opts), { ...opts, memory });
    let fault: Fault | null = null;
    try {
      inst.run(0, 1);
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      fault = e;
    }
    const i32 = new Int32Array(memory.buffer);
    return { fault, words: [Atomics.load(i32, A >> 2), Atomics.load(i32, B >> 2)], held: Number((inst.exports.held as WebAssembly.Global).value) };
  }

  it('lock then unlock is fine', () => {
    expect(run(unlock(lock(new Asm(), A), A).mov64(R0, 0).exit())).toEqual({ fault: null, words: [0, 0], held: 0 });
  });

  it('exit while holding a lock: fault 5 at the exit, and the lock is released', () => {
    expect(run(lock(new Asm(), A).mov64(R0, 0).exit())).toMatchObject({ fault: { kind: 5, pc: 4, addr: A }, words: [0, 0], held: 0 });
  });

  it('a helper call while holding a lock: fault 4 at the call, lock released', () => {
    expect(run(lock(new Asm(), A).call(8).exit())).toMatchObject({ fault: { kind: 4, pc: 3, addr: A }, words: [0, 0], held: 0 });
  });

  // The kernel's rules for sub-programs, checked on Linux 6.18 with bpftool (tc programs over an
  // ARRAY of { int cnt; struct bpf_spin_lock lock; }): a static sub-program called inside the lock
  // section, one that takes the lock and returns holding it, and one that releases the caller's
  // lock all load and run (retval 101 each); a global function called with the lock held is
  // refused at load ("global function calls are not allowed while holding a lock").
  it('a sub-program may run inside the lock section', () => {
    const a = lock(new Asm(), A).callLocal('f');
    unlock(a, A).exit();
    a.func('f').mov64(R0, 7).exit();
    expect(run(a, { funcs: a.funcs })).toEqual({ fault: null, words: [0, 0], held: 0 });
  });

  it('a sub-program may take the lock for its caller to release, or release the caller lock', () => {
    const take = new Asm().callLocal('f');
    unlock(take, A).mov64(R0, 0).exit();
    lock(take.func('f'), A).mov64(R0, 0).exit();
    expect(run(take, { funcs: take.funcs })).toEqual({ fault: null, words: [0, 0], held: 0 });
    const give = lock(new Asm(), A).callLocal('f').mov64(R0, 0).exit();
    unlock(give.func('f'), A).mov64(R0, 0).exit();
    expect(run(give, { funcs: give.funcs })).toEqual({ fault: null, words: [0, 0], held: 0 });
  });

  it('the main program exiting with a lock a sub-program took: fault 5 at the main exit', () => {
    const a = new Asm().callLocal('f').mov64(R0, 0).exit();
    lock(a.func('f'), A).mov64(R0, 0).exit();
    expect(run(a, { funcs: a.funcs })).toMatchObject({ fault: { kind: 5, pc: 2, addr: A }, words: [0, 0], held: 0 });
  });

  it('bpf_loop (a helper) inside the lock section: fault 4', () => {
    const a = lock(new Asm(), A).mov64(R1, 1).ldFunc(R2, 'cb').mov64(3, 0).mov64(4, 0).call(181).exit();
    a.func('cb').mov64(R0, 0).exit();
    expect(run(a, { funcs: a.funcs })).toMatchObject({ fault: { kind: 4, pc: 8, addr: A }, words: [0, 0] });
  });

  it('a second lock while holding one: fault 7 naming the second, first released', () => {
    expect(run(lock(lock(new Asm(), A), B).mov64(R0, 0).exit())).toMatchObject({ fault: { kind: 7, pc: 5, addr: B }, words: [0, 0], held: 0 });
  });

  it('unlock without a lock: fault 6', () => {
    expect(run(unlock(new Asm(), A).mov64(R0, 0).exit())).toMatchObject({ fault: { kind: 6, pc: 2, addr: A }, words: [0, 0] });
  });

  it('unlock of another lock than the one held: fault 6, the held one released', () => {
    expect(run(unlock(lock(new Asm(), A), B).mov64(R0, 0).exit())).toMatchObject({ fault: { kind: 6, pc: 5, addr: B }, words: [0, 0], held: 0 });
  });

  it('the lock word holds this CPU tag inside the critical section', () => {
    const a = lock(new Asm(), A).ld64(R2, BigInt(A)).ldx('w', R6, R2, 0);
    unlock(a, A).movr(R0, R6).exit();
    const inst = instantiate(translate(a.build()), { cpu: 2 });
    inst.run(0, 1);
    expect(inst.returns[0]![0]).toBe(BigInt(inst.lockTag));
  });
});

describe('unsupported instructions fault when reached (kind 8)', () => {
  it('LD_ABS', () => {
    expect(faultOf(new Asm().mov64(R6, 0).raw(0x30, 0, 0, 0, 12).mov64(R0, 0).exit().build())).toMatchObject({ kind: 8, pc: 1 });
  });
  it('LD_IND', () => {
    expect(faultOf(new Asm().mov64(R6, 0).mov64(R1, 0).raw(0x48, 0, 1, 0, 2).mov64(R0, 0).exit().build())).toMatchObject({ kind: 8, pc: 2 });
  });
  it('but not when never reached', () => {
    expect(faultOf(new Asm().mov64(R0, 0).jmp('jne', R1, { imm: 0 }, 'x').raw(0x30, 0, 0, 0, 12).label('x').exit().build())).toBeNull();
  });
});
