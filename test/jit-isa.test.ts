// The translator's instruction semantics: every opcode class with edge values. Each case's expected
// r0 is derived from the ISA's rules (test/jit/cases.ts); the same bytes were run in the live kernel
// once (Linux 6.18, bpftool prog load + prog run, by test/jit/kernel-record.ts) and what it returned
// is in kernel-results.json, so each case is checked against both.

import { describe, expect, it } from 'vitest';
import { JitError, translateProgram } from '../src/jit/index.js';
import { decode, opcodeProblem } from '../src/jit/isa.js';
import { Asm, R0, R1, R2, R10 } from './jit/asm.js';
import { ALU_CASES, type Case, JMP_CASES, KERNEL_CASES, MEM_CASES, program } from './jit/cases.js';
import { PAGES, instantiate, r0Of, translate } from './jit/harness.js';
import kernel from './jit/kernel-results.json' with { type: 'json' };

const recorded = kernel.results as Record<string, { lo: number; hi: number }>;

function checkCase(c: Case): void {
  const got = r0Of(program(c));
  expect(got).toBe(c.expect);
  const k = recorded[c.name];
  expect(k, `no kernel result recorded for '${c.name}': run test/jit/kernel-record.ts`).toBeDefined();
  expect(got).toBe((BigInt(k!.hi) << 32n) | BigInt(k!.lo));
}

describe('ALU and ALU64 (checked against Linux 6.18)', () => {
  for (const c of ALU_CASES) it(c.name, () => checkCase(c));
});

describe('loads, stores and atomics (checked against Linux 6.18)', () => {
  for (const c of MEM_CASES) it(c.name, () => checkCase(c));
});

describe('jumps: every condition, 32 and 64 bit, register and imm, signed/unsigned edge pairs (checked against Linux 6.18)', () => {
  for (const c of JMP_CASES) it(c.name, () => checkCase(c));
});

describe('the kernel results file', () => {
  it('holds exactly the current cases', () => {
    expect(Object.keys(recorded).sort()).toEqual(KERNEL_CASES.map((c) => c.name).sort());
    expect(kernel.kernel).toMatch(/^6\.18\./);
  });
});

describe('decoding', () => {
  it('takes ld_imm64 as one 16-byte instruction', () => {
    const slots = decode('p', new Asm().ld64(R0, 0x1122334455667788n).exit().build());
    expect(slots[0]).toMatchObject({ pc: 0, code: 0x18, wide: true, imm: 0x55667788, imm2: 0x11223344 });
    expect(slots[1]).toBeUndefined();
    expect(slots[2]).toMatchObject({ pc: 2, code: 0x95 });
  });

  it('knows every opcode clang and the v4 ISA emit', () => {
    const good = [0x07, 0x0f, 0x04, 0x0c, 0x87, 0x84, 0xd4, 0xdc, 0xd7, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
      0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0x05, 0x06, 0x15, 0x1d, 0x16, 0x1e, 0xd5, 0xde, 0x85, 0x95];
    for (const code of good) {
      const imm = (code & 0xf0) === 0xd0 && (code & 7) !== 5 && (code & 7) !== 6 ? 32 : 0;
      expect(opcodeProblem({ pc: 0, code, dst: 1, src: 2, off: 0, imm, imm2: 0, wide: false }), `0x${code.toString(16)}`).toBeNull();
    }
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ['an unknown ALU op (0xe7)', new Asm().raw(0xe7, 0).exit().build(), /instruction 0: opcode 0xe7: unknown opcode 0xe7/],
    ['an unknown class-JMP op (0xe5)', new Asm().mov64(R0, 0).raw(0xe5).exit().build(), /instruction 1: opcode 0xe5/],
    ['an indirect call (0x8d)', new Asm().raw(0x8d).exit().build(), /opcode 0x8d: .*indirect call/],
    ['a JMP32 call (0x86)', new Asm().raw(0x86).exit().build(), /opcode 0x86/],
    ['a MEMSX DW load (0x99)', new Asm().raw(0x99, 0, 10, -8).exit().build(), /opcode 0x99/],
    ['an 8-bit atomic (0xd3)', new Asm().raw(0xd3, 10, 1, -8, 0).exit().build(), /atomic operation of 1 bytes/],
    ['an atomic op imm 0x10 (sub)', new Asm().raw(0xdb, 10, 1, -8, 0x10).exit().build(), /atomic operation imm 0x10/],
    ['a byte swap of width 8', new Asm().raw(0xdc, 0, 0, 0, 8).exit().build(), /byte swap width 8/],
    ['ALU64 TO_BE (0xdf)', new Asm().raw(0xdf, 0, 0, 0, 16).exit().build(), /opcode 0xdf/],
    ['DIV with off 2', new Asm().raw(0x3f, 0, 1, 2).exit().build(), /DIV with off 2/],
    ['MOVSX 32 in ALU32', new Asm().raw(0xbc, 0, 1, 32).exit().build(), /MOV with off 32/],
    ['register r11', new Asm().raw(0xb7, 11, 0, 0, 1).exit().build(), /register r11 does not exist/],
    ['a write to r10', new Asm().mov64(R10, 0).exit().build(), /writes r10, the read-only frame pointer/],
    ['ld_imm64 cut short', new Asm().mov64(R0, 0).raw(0x18).build(), /ld_imm64 \(opcode 0x18\) is the last slot/],
    ['ld_imm64 of a BTF variable (ksym)', new Asm().raw(0x18, 1, 3, 0, 5).raw(0).exit().build(), /BPF_PSEUDO_BTF_ID/],
    ['a kfunc call', new Asm().raw(0x85, 0, 2, 0, 77).exit().build(), /kfunc/],
    ['a jump out of the function', new Asm().mov64(R0, 0).raw(0x05, 0, 0, 5).exit().build(), /instruction 1: jump to 7 leaves the function/],
    ['a jump into an ld_imm64', new Asm().raw(0x05, 0, 0, 1).ld64(R0, 1n).exit().build(), /the second half of an ld_imm64/],
    ['falling off the end', new Asm().mov64(R0, 0).build(), /falls off its end/],
    ['a map that does not exist', new Asm().ldMap(R1, 3).mov64(R0, 0).exit().build(), /ld_imm64 of map 3, but there are 0 maps/],
    ['a value of a map without valueAddr', new Asm().ldMapValue(R1, 0, 0).mov64(R0, 0).exit().build(), /no directly addressable value/],
  ];
  for (const [what, insns, message] of refusals) {
    it(`refuses ${what} with a JitError naming the program and instruction`, () => {
      const maps = what.includes('valueAddr') ? [{ desc: 0x30000, type: 2, keySize: 4, valueSize: 8, maxEntries: 1 }] : [];
      let err: unknown;
      try {
        translate(insns, { maps });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JitError);
      expect((err as JitError).program).toBe('test');
      expect((err as Error).message).toMatch(/^test: /);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('refuses a function larger than V8 compiles, naming it', () => {
    // bpf_loop with a callback unknown at the call is one of the largest translations (~100 bytes).
    const a = new Asm().mov64(R2, 0);
    for (let k = 0; k < 80_000; k++) a.call(181);
    expect(() => translate(a.exit().build(), { checked: true })).toThrow(/the main program 'main' needs \d+ bytes of WebAssembly code; V8 compiles at most 7654321/);
  });

  it('names the instruction index of an unknown opcode in the field insn', () => {
    try {
      translate(new Asm().mov64(R0, 0).mov64(R1, 0).raw(0xf7).exit().build());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JitError);
      expect((e as JitError).insn).toBe(2);
      expect((e as JitError).reason).toMatch(/opcode 0xf7/);
    }
  });

  it('refuses bad input shapes', () => {
    const base = { name: 'p', pages: PAGES, insns: new Asm().mov64(R0, 0).exit().build(), funcs: [], maps: [], checked: false };
    expect(() => translateProgram({ ...base, insns: new Uint8Array(12) })).toThrow(/not a multiple of 8/);
    expect(() => translateProgram({ ...base, insns: new Uint8Array(0) })).toThrow(/no instructions/);
    expect(() => translateProgram({ ...base, pages: 0 })).toThrow(/pages 0/);
    expect(() => translateProgram({ ...base, pages: 65537 })).toThrow(/1\.\.65536/);
    expect(() => translateProgram({ ...base, funcs: [{ name: 'x', start: 1 }] })).toThrow(/no function starts at instruction 0/);
    expect(() => translateProgram({ ...base, funcs: [{ name: 'm', start: 0 }, { name: 'x', start: 9 }] })).toThrow(/'x' starts at 9/);
    expect(() => translateProgram({ ...base, loopBudget: -1 })).toThrow(/loopBudget -1/);
  });
});

describe('run(from, to) and return values', () => {
  it('returns the number of events and reports runs of equal r0 with their counts', () => {
    // r0 = event index / 3 (events 0..9 -> 0,0,0,1,1,1,2,2,2,3): the event index comes from pid_tgid.
    const insns = new Asm().call(14).alu32('sub', R0, { imm: 1000 }).alu64('div', R0, { imm: 3 }).exit().build();
    const inst = instantiate(translate(insns), { pidBase: 1000, pids: 1000 });
    expect(inst.run(0, 10)).toBe(10);
    expect(inst.returns).toEqual([[0n, 3], [1n, 3], [2n, 3], [3n, 1]]);
    expect(inst.event()).toBe(9);
  });

  it('does nothing for an empty range', () => {
    const inst = instantiate(translate(new Asm().mov64(R0, 1).exit().build()));
    expect(inst.run(5, 5)).toBe(0);
    expect(inst.returns).toEqual([]);
  });

  it('reports a 64-bit r0 whole', () => {
    expect(r0Of(new Asm().ld64(R0, -2n).exit().build())).toBe(0xfffffffffffffffen);
  });

  it('gives r1 the context address and r10 the stack top on every event', () => {
    const insns = new Asm().movr(R0, R1).alu64('lsh', R0, { imm: 32 }).movr(R2, R10).alu64('or', R0, R2).exit().build();
    const inst = instantiate(translate(insns), { cpu: 1 });
    inst.run(0, 3);
    expect(inst.returns).toEqual([[(BigInt(0x15000) << 32n) | 0x15000n, 3]]);
  });
});
