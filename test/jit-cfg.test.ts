// Control flow: BPF's arbitrary jumps become Wasm's structured blocks (dominator-tree structuring
// for reducible graphs, a br_table dispatch loop for irreducible ones), loops spend a budget per
// event, and clang's real output (loops, switch chains, calls) gives the kernel's results.

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCfg } from '../src/jit/cfg.js';
import { decode } from '../src/jit/isa.js';
import { Asm, R0, R1, R2, R6 } from './jit/asm.js';
import { faultOf, instantiate, r0Of, translate } from './jit/harness.js';

/** Two entries into one cycle (A and B): not reducible, whatever the order. */
function irreducible(start: number): Asm {
  return new Asm()
    .mov64(R0, 0).mov64(R1, start)
    .jmp('jgt', R1, { imm: 5 }, 'B')
    .label('A').alu64('add', R0, { imm: 1 }).alu64('sub', R1, { imm: 1 }).jmp('jeq', R1, { imm: 0 }, 'out').ja('B')
    .label('B').alu64('add', R0, { imm: 100 }).alu64('sub', R1, { imm: 1 }).jmp('jeq', R1, { imm: 0 }, 'out').ja('A')
    .label('out').exit();
}

describe('structured control flow', () => {
  it('finds a two-entry loop irreducible and runs it through the dispatch loop, entered at either block', () => {
    const insns = irreducible(10).build();
    expect(buildCfg('t', decode('t', insns), 0, insns.length / 8).reducible).toBe(false);
    expect(r0Of(insns)).toBe(505n); // B A B A ... 10 steps starting at B
    expect(r0Of(irreducible(3).build())).toBe(102n); // A B A
  });

  it('bounds an irreducible cycle with the loop budget too', () => {
    const insns = new Asm().mov64(R0, 0).jmp('jeq', R1, { imm: 0 }, 'B').label('A').alu64('add', R0, { imm: 1 }).ja('B').label('B').ja('A').build();
    const f = faultOf(insns, { loopBudget: 1000 });
    expect(f).toMatchObject({ kind: 3, addr: 0 });
    expect([3, 4]).toContain(f!.pc);
  });

  it('finds clang output reducible (no dispatch loop) in every fixture function', () => {
    for (const fx of fixtures()) {
      const slots = decode(fx.file, fx.insns);
      const starts = fx.funcs.map((f) => f.start);
      starts.forEach((s, k) => {
        const cfg = buildCfg(fx.file, slots, s, starts[k + 1] ?? slots.length);
        expect(cfg.reducible, `${fx.file} function ${fx.funcs[k]!.name}`).toBe(true);
      });
    }
  });

  it('allows exactly loopBudget back edges per event, and faults on the next one at the jump', () => {
    // A loop of n iterations takes n - 1 back edges (the last test falls through).
    const loop = (n: number): Uint8Array =>
      new Asm().mov64(R0, 0).mov64(R1, n).label('l').alu64('add', R0, { imm: 1 }).alu64('sub', R1, { imm: 1 }).jmp('jne', R1, { imm: 0 }, 'l').exit().build();
    expect(r0Of(loop(6), { loopBudget: 5 })).toBe(6n);
    expect(faultOf(loop(7), { loopBudget: 5 })).toMatchObject({ kind: 3, pc: 4, addr: 0 });
  });

  it('gives every event a fresh budget', () => {
    const insns = new Asm().mov64(R0, 0).mov64(R1, 5).label('l').alu64('add', R0, { imm: 1 }).alu64('sub', R1, { imm: 1 }).jmp('jne', R1, { imm: 0 }, 'l').exit().build();
    const inst = instantiate(translate(insns, { loopBudget: 4 }));
    expect(inst.run(0, 100)).toBe(100);
    expect(inst.returns).toEqual([[5n, 100]]);
  });

  it('structures 10,000 ifs in a row and a 10,000-compare chain without running out of JS stack', () => {
    const n = 10_000;
    const a = new Asm().mov64(R0, 0).ld64(R1, 0x55555555n);
    for (let k = 0; k < n; k++) a.movr(R2, R1).alu64('and', R2, { imm: 1 << (k % 31) }).jmp('jeq', R2, { imm: 0 }, `s${k}`).alu64('add', R0, { imm: k }).label(`s${k}`);
    for (let k = 0; k < n; k++) a.jmp('jeq', R0, { imm: -k - 1 }, 'end');
    a.label('end').exit();
    let expected = 0n;
    for (let k = 0; k < n; k++) if ((0x55555555 >> (k % 31)) & 1) expected += BigInt(k);
    expect(r0Of(a.build())).toBe(expected);
  });

  it('charges back edges inside sub-programs against the same per-event budget', () => {
    const a = new Asm().mov64(R1, 3).callLocal('f').movr(R6, R0).mov64(R1, 3).callLocal('f').alu64('add', R0, R6).exit();
    a.func('f').mov64(R0, 0).label('l').alu64('add', R0, { imm: 1 }).alu64('sub', R1, { imm: 1 }).jmp('jne', R1, { imm: 0 }, 'l').exit();
    const insns = a.build();
    expect(r0Of(insns, { funcs: a.funcs, loopBudget: 4 })).toBe(6n); // 2 + 2 back edges
    expect(faultOf(insns, { funcs: a.funcs, loopBudget: 3 })).toMatchObject({ kind: 3, pc: 10 });
  });
});

// ---- Random programs (forward jumps, nested counted loops) against a reference interpreter ----

interface Op {
  kind: 'alu' | 'jcc' | 'ja' | 'init' | 'latch';
  op: number;
  dst: number;
  src: number;
  imm: number;
  target: number;
}

const SEEDS = [0n, 1n, 2n, 3n].map((v) => v * 0x9e3779b9n);

/** The reference: BPF's meaning of the few instructions the generator uses. */
function interpret(ops: Op[]): bigint {
  const r = [...SEEDS, 0n, 0n, 0n, 0n, 0n];
  for (let pc = 0; pc < ops.length; ) {
    const o = ops[pc]!;
    if (o.kind === 'alu') {
      const s = o.src >= 0 ? r[o.src]! : BigInt(o.imm);
      r[o.dst] = BigInt.asUintN(64, o.op === 0 ? r[o.dst]! + s : o.op === 1 ? r[o.dst]! ^ s : r[o.dst]! * s + 1n);
      pc++;
    } else if (o.kind === 'ja') pc = o.target;
    else if (o.kind === 'init') {
      r[o.dst] = BigInt(o.imm);
      pc++;
    } else if (o.kind === 'latch') {
      r[o.dst]! -= 1n;
      pc = r[o.dst] !== 0n ? o.target : pc + 1;
    } else {
      const a = r[o.dst]!;
      const b = o.src >= 0 ? r[o.src]! : BigInt.asUintN(64, BigInt(o.imm));
      const take = o.op === 0 ? (a & 7n) > (b & 7n) : o.op === 1 ? a === b : ((a ^ b) & 1n) === 0n;
      pc = take ? o.target : pc + 1;
    }
  }
  return r[0]!;
}

function assemble(ops: Op[]): Uint8Array {
  const a = new Asm();
  SEEDS.forEach((v, i) => a.ld64(i, v));
  const label = (t: number): string => `L${t}`;
  ops.forEach((o, pc) => {
    a.label(label(pc));
    if (o.kind === 'alu') {
      const name = o.op === 0 ? 'add' : o.op === 1 ? 'xor' : 'mul';
      if (o.src >= 0) a.alu64(name, o.dst, o.src);
      else a.alu64(name, o.dst, { imm: o.imm });
      if (o.op === 2) a.alu64('add', o.dst, { imm: 1 }); // r = r * s + 1
    } else if (o.kind === 'ja') a.ja(label(o.target));
    else if (o.kind === 'init') a.mov64(o.dst, o.imm);
    else if (o.kind === 'latch') a.alu64('sub', o.dst, { imm: 1 }).jmp('jne', o.dst, { imm: 0 }, label(o.target));
    else if (o.op === 0) {
      // Conditions computed into r4/r5 so the jump itself is one BPF compare.
      a.movr(4, o.dst).alu64('and', 4, { imm: 7 });
      if (o.src >= 0) a.movr(5, o.src);
      else a.ld64(5, BigInt(o.imm));
      a.alu64('and', 5, { imm: 7 }).jmp('jgt', 4, 5, label(o.target));
    } else if (o.op === 1) {
      if (o.src >= 0) a.jmp('jeq', o.dst, o.src, label(o.target));
      else a.jmp('jeq', o.dst, { imm: o.imm }, label(o.target));
    } else {
      a.movr(4, o.dst);
      if (o.src >= 0) a.alu64('xor', 4, o.src);
      else a.alu64('xor', 4, { imm: o.imm });
      a.jmp('jset', 4, { imm: 1 }, `skip${pc}`).ja(label(o.target)).label(`skip${pc}`);
    }
  });
  a.label(label(ops.length)).exit();
  return a.build();
}

/**
 * A random program: straight code, forward jumps, and properly nested counted loops (init, body,
 * latch jumping back to the body's start; counters r6..r8). A jump may go forward anywhere except
 * into a loop it is not in (that would make a second loop entry), so every graph is reducible.
 */
function randomProgram(seed: number, n: number): Op[] {
  let s = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % k;
  };
  const ops: Op[] = [];
  const loops: { init: number; latch: number }[] = [];
  const open: number[] = [];
  for (let i = 0; i < n || open.length > 0; i++) {
    if (open.length > 0 && (i >= n || rnd(8) === 0)) {
      const init = open.pop()!;
      loops.push({ init, latch: ops.length });
      ops.push({ kind: 'latch', op: 0, dst: 6 + open.length, src: 0, imm: 0, target: init + 1 });
    } else if (open.length < 3 && rnd(10) === 0) {
      open.push(ops.length);
      ops.push({ kind: 'init', op: 0, dst: 6 + open.length - 1, src: 0, imm: 1 + rnd(4), target: 0 });
    } else {
      const k = rnd(10);
      const src = rnd(3) === 0 ? -1 : rnd(4);
      const kind = k < 5 ? 'alu' : k < 9 ? 'jcc' : 'ja';
      ops.push({ kind, op: rnd(3), dst: rnd(4), src, imm: rnd(2000) - 1000, target: -1 });
    }
  }
  // Body and latch of a loop: (init, latch]. A target must not be in a loop the jump is not in.
  const inside = (pc: number, l: { init: number; latch: number }): boolean => pc > l.init && pc <= l.latch;
  ops.forEach((o, pc) => {
    if (o.kind !== 'jcc' && o.kind !== 'ja') return;
    const allowed: number[] = [];
    for (let t = pc + 1; t <= Math.min(ops.length, pc + 14); t++) {
      if (loops.every((l) => !inside(t, l) || inside(pc, l))) allowed.push(t);
    }
    o.target = allowed[rnd(allowed.length)]!;
  });
  return ops;
}

describe('random programs with forward jumps and nested loops', () => {
  it('agree with a reference interpreter (400 programs of 10..80 instructions)', () => {
    let loops = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const ops = randomProgram(seed * 7919, 10 + (seed % 71));
      loops += ops.filter((o) => o.kind === 'latch').length;
      const insns = assemble(ops);
      expect(buildCfg('t', decode('t', insns), 0, insns.length / 8).reducible).toBe(true);
      expect(r0Of(insns), `seed ${seed}`).toBe(interpret(ops));
    }
    expect(loops).toBeGreaterThan(200);
  });
});

// ---- clang's output ----

interface Fixture {
  file: string;
  insns: Uint8Array;
  funcs: { name: string; start: number }[];
  kernelRetval: number;
  mcpu: string;
  kernel: string;
}

function fixtures(): Fixture[] {
  const dir = new URL('./jit/c/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const j = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Omit<Fixture, 'file' | 'insns'> & { insns: string };
      return { ...j, file, insns: new Uint8Array(Buffer.from(j.insns, 'base64')) };
    });
}

describe('clang -O2 output (return values checked on Linux 6.18 with bpftool prog run)', () => {
  const all = fixtures();
  it('has the four programs at -mcpu=v1 and v3', () => {
    expect(all.map((f) => f.file).sort()).toEqual([
      'bpf_loop.v1.json', 'bpf_loop.v3.json', 'calls.v1.json', 'calls.v3.json', 'loops.v1.json', 'loops.v3.json', 'switch.v1.json', 'switch.v3.json',
    ]);
  });
  for (const fx of all) {
    it(`${fx.file}: r0 is the kernel's ${fx.kernelRetval}`, () => {
      expect(fx.kernel).toMatch(/^6\.18\./);
      const inst = instantiate(translate(fx.insns, { funcs: fx.funcs }));
      inst.run(0, 3);
      expect(inst.returns).toHaveLength(1);
      expect(Number(inst.returns[0]![0] & 0xffffffffn)).toBe(fx.kernelRetval);
      expect(inst.returns[0]![1]).toBe(3);
    });
    it(`${fx.file}: the same in checked mode`, () => {
      const inst = instantiate(translate(fx.insns, { funcs: fx.funcs, checked: true }), { regions: [] });
      inst.run(0, 1);
      expect(Number(inst.returns[0]![0] & 0xffffffffn)).toBe(fx.kernelRetval);
    });
  }
});
