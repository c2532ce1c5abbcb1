// The end of a program's furthest context access (the verifier's max_ctx_offset), which
// BPF_PROG_TEST_RUN compares with the ctx it is given: static, through copies, constant offsets,
// stack spills and bpf-to-bpf calls, on every path whether a run would take it or not.

import { describe, expect, it } from 'vitest';
import { ctxAccessEnd } from '../src/jit/index.js';
import { Asm, R0, R1, R2, R6, R10 } from './jit/asm.js';

const end = (a: Asm): number => ctxAccessEnd('p', a.build(), a.funcs);

describe('ctxAccessEnd: how far into its context a program reaches', () => {
  it('is 0 for a program that never touches its context', () => {
    expect(end(new Asm().mov64(R0, 7).exit())).toBe(0);
  });

  it('is the offset plus the size of the furthest load through r1', () => {
    expect(end(new Asm().ldx('dw', R0, R1, 16).ldx('w', R2, R1, 0).exit())).toBe(24);
  });

  it('counts stores to the context too', () => {
    expect(end(new Asm().mov64(R0, 0).stx('w', R1, 4, R0).exit())).toBe(8);
  });

  it('follows a copy and a constant added to the pointer', () => {
    expect(end(new Asm().movr(R6, R1).alu64('add', R6, { imm: 8 }).ldx('w', R0, R6, 4).exit())).toBe(16);
  });

  it('follows the pointer through an 8-byte stack spill', () => {
    expect(end(new Asm().stx('dw', R10, -8, R1).mov64(R1, 0).ldx('dw', R6, R10, -8).ldx('h', R0, R6, 30).exit())).toBe(32);
  });

  it('forgets it when a smaller store overwrites the spill slot', () => {
    expect(end(new Asm().stx('dw', R10, -8, R1).st('w', R10, -8, 0).ldx('dw', R6, R10, -8).ldx('h', R0, R6, 30).exit())).toBe(0);
  });

  it('counts an access on a branch a run may never take', () => {
    const a = new Asm().ldx('w', R0, R1, 0).jmp('jeq', R0, { imm: 12345 }, 'far').exit().label('far').ldx('dw', R0, R1, 88).exit();
    expect(end(a)).toBe(96);
  });

  it('counts what a sub-program reads through the context it is passed', () => {
    const a = new Asm().callLocal('f').exit();
    a.func('f').ldx('dw', R0, R1, 40).exit();
    expect(end(a)).toBe(48);
  });

  it('ends on a pointer moving in a loop, counting the offsets it saw before giving up', () => {
    const a = new Asm().movr(R6, R1).mov64(R2, 0).label('top').ldx('b', R0, R6, 0).alu64('add', R6, { imm: 8 }).alu64('add', R2, { imm: 1 })
      .jmp('jlt', R2, { imm: 100 }, 'top').exit();
    expect(end(a)).toBe(57);
  });

  it('loses the pointer across a helper call (r1..r5 are clobbered)', () => {
    expect(end(new Asm().call(7).ldx('dw', R0, R1, 40).exit())).toBe(0);
  });

  it('counts an access for each offset the pointer may have where paths meet', () => {
    const a = new Asm().mov64(R0, 0).movr(R6, R1).jmp('jeq', R0, { imm: 0 }, 'skip').alu64('add', R6, { imm: 8 }).label('skip').ldx('w', R0, R6, 0).exit();
    expect(end(a)).toBe(12);
  });
});
