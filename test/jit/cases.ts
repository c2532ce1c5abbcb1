// Straight-line programs with edge values, one behaviour each, their expected r0 derived from the
// ISA's rules (Documentation/bpf/standardization/instruction-set.rst, kernel/bpf/core.c), and the
// same bytes run once in the live kernel by test/jit/kernel-record.ts (results in
// kernel-results.json). Each case's body leaves its result in r0 and falls through; `program()`
// appends exit (the recorder also appends `r0 >>= 32` for the high half: test_run reports 32 bits).

import { Asm, type AluOp, type JmpOp, JMP, R0, R1, R2, R10 } from './asm.js';

export interface Case {
  name: string;
  body: (a: Asm) => void;
  expect: bigint;
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const X = 0x1122334455667788n;

export function program(c: Case, tail?: (a: Asm) => void): Uint8Array {
  const a = new Asm();
  c.body(a);
  tail?.(a);
  a.exit();
  return a.build();
}

/** r0 = a op b with r1 = a, r2 = b (register form) or imm b (K form). */
function bin(name: string, is64: boolean, op: AluOp, a: bigint, b: bigint | { imm: number }, expect: bigint): Case {
  return {
    name,
    body: (asm) => {
      asm.ld64(R0, a);
      if (typeof b === 'bigint') {
        asm.ld64(R2, b);
        if (is64) asm.alu64(op, R0, R2);
        else asm.alu32(op, R0, R2);
      } else if (is64) asm.alu64(op, R0, b);
      else asm.alu32(op, R0, b);
    },
    expect: u64(expect),
  };
}

function sdm(name: string, is64: boolean, op: 'div' | 'mod', a: bigint, b: bigint | { imm: number }, expect: bigint): Case {
  return {
    name,
    body: (asm) => {
      asm.ld64(R0, a);
      if (typeof b === 'bigint') {
        asm.ld64(R2, b);
        asm.signed(op, is64, R0, R2);
      } else asm.signed(op, is64, R0, b);
    },
    expect: u64(expect),
  };
}

export const ALU_CASES: Case[] = [
  // ALU64
  bin('add64 wraps at 2^63', true, 'add', I64_MAX, 1n, I64_MIN),
  bin('add64 imm is sign-extended', true, 'add', 0n, { imm: -1 }, -1n),
  bin('sub64 below zero', true, 'sub', 0n, 1n, -1n),
  bin('mul64 keeps the low 64 bits', true, 'mul', 0x100000001n, 0xffffffffn, (1n << 64n) - 1n),
  bin('mul64 by a negative imm', true, 'mul', 3n, { imm: -2 }, -6n),
  bin('div64 unsigned', true, 'div', -1n, 2n, I64_MAX),
  bin('div64 by a zero register is 0', true, 'div', 12345n, 0n, 0n),
  bin('div64 imm -1 is 2^64-1 unsigned', true, 'div', 100n, { imm: -1 }, 0n),
  bin('mod64 unsigned', true, 'mod', 100n, 7n, 2n),
  bin('mod64 by a zero register leaves dst', true, 'mod', 0xabcd00000007n, 0n, 0xabcd00000007n),
  bin('or64 imm sign-extended', true, 'or', 0n, { imm: -2 }, -2n),
  bin('and64 imm positive', true, 'and', -1n, { imm: 0x7fffffff }, 0x7fffffffn),
  bin('xor64', true, 'xor', X, -1n, ~X),
  bin('lsh64 count masked to 63 (65 -> 1)', true, 'lsh', 1n, 65n, 2n),
  bin('rsh64 is logical, count masked (65 -> 1)', true, 'rsh', I64_MIN, 65n, 1n << 62n),
  bin('arsh64 by 63 spreads the sign', true, 'arsh', I64_MIN, { imm: 63 }, -1n),
  bin('arsh64 count masked (68 -> 4)', true, 'arsh', -256n, 68n, -16n),
  { name: 'neg64', body: (a) => a.mov64(R0, 5).alu64('neg', R0, { imm: 0 }), expect: u64(-5n) },
  { name: 'neg64 of INT64_MIN is INT64_MIN', body: (a) => a.ld64(R0, I64_MIN).alu64('neg', R0, { imm: 0 }), expect: u64(I64_MIN) },
  { name: 'mov64 imm sign-extends', body: (a) => a.mov64(R0, -1), expect: u64(-1n) },
  { name: 'ld_imm64 full 64 bits', body: (a) => a.ld64(R0, X), expect: X },
  sdm('sdiv64 truncates toward zero', true, 'div', -7n, 2n, -3n),
  sdm('sdiv64 INT64_MIN / -1 register is INT64_MIN', true, 'div', I64_MIN, -1n, I64_MIN),
  sdm('sdiv64 INT64_MIN / imm -1 is INT64_MIN', true, 'div', I64_MIN, { imm: -1 }, I64_MIN),
  sdm('sdiv64 by a zero register is 0', true, 'div', -7n, 0n, 0n),
  sdm('smod64 takes the dividend sign', true, 'mod', -7n, 2n, -1n),
  sdm('smod64 positive dividend, negative divisor', true, 'mod', 7n, -2n, 1n),
  sdm('smod64 INT64_MIN % -1 is 0', true, 'mod', I64_MIN, -1n, 0n),
  sdm('smod64 by a zero register leaves dst', true, 'mod', -7n, 0n, -7n),
  { name: 'movsx64 from 8 bits', body: (a) => a.mov64(R1, 0x180).movsx(true, 8, R0, R1), expect: u64(-128n) },
  { name: 'movsx64 from 8 bits, positive', body: (a) => a.mov64(R1, 0x17f).movsx(true, 8, R0, R1), expect: 0x7fn },
  { name: 'movsx64 from 16 bits', body: (a) => a.mov64(R1, 0x8000).movsx(true, 16, R0, R1), expect: u64(-0x8000n) },
  { name: 'movsx64 from 32 bits', body: (a) => a.ld64(R1, 0x1_80000000n).movsx(true, 32, R0, R1), expect: u64(-0x80000000n) },
  { name: 'bswap16 (ALU64 END)', body: (a) => a.ld64(R0, X).end('bswap', R0, 16), expect: 0x8877n },
  { name: 'bswap32 (ALU64 END)', body: (a) => a.ld64(R0, X).end('bswap', R0, 32), expect: 0x88776655n },
  { name: 'bswap64 (ALU64 END)', body: (a) => a.ld64(R0, X).end('bswap', R0, 64), expect: 0x8877665544332211n },
  // ALU (32-bit): low halves, result zero-extended.
  bin('add32 wraps and clears the high half', false, 'add', -1n, { imm: 1 }, 0n),
  bin('add32 ignores the source high half', false, 'add', 0x5_00000001n, 0x7_00000002n, 3n),
  { name: 'mov32 imm -1 zero-extends', body: (a) => a.mov32(R0, -1), expect: 0xffffffffn },
  { name: 'mov32 register zero-extends', body: (a) => a.ld64(R1, X).alu32('mov', R0, R1), expect: 0x55667788n },
  bin('sub32 below zero', false, 'sub', 0n, 1n, 0xffffffffn),
  bin('mul32 keeps 32 bits', false, 'mul', 0x10000n, 0x10000n, 0n),
  bin('div32 on the low halves', false, 'div', 0x1_00000064n, { imm: 7 }, 14n),
  bin('div32 by a zero register is 0', false, 'div', 0x1_00000064n, 0x1_00000000n, 0n),
  bin('mod32 by zero keeps the low half, zero-extended', false, 'mod', 0xabcd00000007n, 0n, 7n),
  bin('mod32 by a register whose low half is zero', false, 'mod', 0xabcd00000007n, 0x1_00000000n, 7n),
  bin('mod32 unsigned', false, 'mod', 0xfffffff9n, { imm: 10 }, u32(0xfffffff9n) % 10n),
  bin('lsh32 count masked to 31 (33 -> 1)', false, 'lsh', 1n, 33n, 2n),
  bin('rsh32 logical on the low half', false, 'rsh', 0x1_80000000n, { imm: 31 }, 1n),
  bin('arsh32 sign of bit 31, zero-extended', false, 'arsh', -8n, { imm: 1 }, 0xfffffffcn),
  bin('or32 clears the high half', false, 'or', 0xffffffff_00000000n, { imm: 1 }, 1n),
  bin('and32 imm', false, 'and', -1n, { imm: 0xff0 }, 0xff0n),
  bin('xor32 imm -1 flips the low half only', false, 'xor', X, { imm: -1 }, u32(~X)),
  { name: 'neg32', body: (a) => a.mov64(R0, 5).alu32('neg', R0, { imm: 0 }), expect: 0xfffffffbn },
  sdm('sdiv32 truncates toward zero', false, 'div', -7n, 2n, u32(-3n)),
  sdm('sdiv32 INT32_MIN / -1 is INT32_MIN', false, 'div', 0x80000000n, -1n, 0x80000000n),
  sdm('sdiv32 INT32_MIN / imm -1 is INT32_MIN', false, 'div', 0x80000000n, { imm: -1 }, 0x80000000n),
  sdm('sdiv32 by a zero register is 0', false, 'div', -7n, 0n, 0n),
  sdm('smod32 takes the dividend sign', false, 'mod', -7n, 2n, 0xffffffffn),
  sdm('smod32 INT32_MIN % -1 is 0', false, 'mod', 0x80000000n, -1n, 0n),
  sdm('smod32 by a zero register keeps the low half', false, 'mod', 0xabcd_fffffff9n, 0n, 0xfffffff9n),
  { name: 'movsx32 from 8 bits, zero-extended', body: (a) => a.mov64(R1, 0x80).movsx(false, 8, R0, R1), expect: 0xffffff80n },
  { name: 'movsx32 from 16 bits, zero-extended', body: (a) => a.ld64(R1, 0x7_00008000n).movsx(false, 16, R0, R1), expect: 0xffff8000n },
  { name: 'to_le16 truncates', body: (a) => a.ld64(R0, X).end('le', R0, 16), expect: 0x7788n },
  { name: 'to_le32 truncates', body: (a) => a.ld64(R0, X).end('le', R0, 32), expect: 0x55667788n },
  { name: 'to_le64 is nothing', body: (a) => a.ld64(R0, X).end('le', R0, 64), expect: X },
  { name: 'to_be16 swaps and zero-extends', body: (a) => a.ld64(R0, X).end('be', R0, 16), expect: 0x8877n },
  { name: 'to_be32 swaps and zero-extends', body: (a) => a.ld64(R0, X).end('be', R0, 32), expect: 0x88776655n },
  { name: 'to_be64 swaps', body: (a) => a.ld64(R0, X).end('be', R0, 64), expect: 0x8877665544332211n },
];

// ---- Memory and atomics on the stack ----

export const MEM_CASES: Case[] = [
  { name: 'st dw imm is sign-extended', body: (a) => a.st('dw', R10, -8, -2).ldx('dw', R0, R10, -8), expect: u64(-2n) },
  { name: 'st w writes 4 bytes (little-endian)', body: (a) => a.st('dw', R10, -8, 0).st('w', R10, -8, -1).ldx('dw', R0, R10, -8), expect: 0xffffffffn },
  { name: 'stx b / ldx b zero-extends', body: (a) => a.mov64(R1, 0x1ff).stx('b', R10, -1, R1).ldx('b', R0, R10, -1), expect: 0xffn },
  { name: 'ldxsx b sign-extends', body: (a) => a.mov64(R1, 0x1ff).stx('b', R10, -1, R1).ldxsx('b', R0, R10, -1), expect: u64(-1n) },
  { name: 'stx h / ldx h', body: (a) => a.mov64(R1, 0x8001).stx('h', R10, -2, R1).ldx('h', R0, R10, -2), expect: 0x8001n },
  { name: 'ldxsx h sign-extends', body: (a) => a.mov64(R1, 0x8001).stx('h', R10, -2, R1).ldxsx('h', R0, R10, -2), expect: u64(-0x7fffn) },
  { name: 'stx w / ldx w zero-extends', body: (a) => a.ld64(R1, 0x80000001n).stx('w', R10, -4, R1).ldx('w', R0, R10, -4), expect: 0x80000001n },
  { name: 'ldxsx w sign-extends', body: (a) => a.ld64(R1, 0x80000001n).stx('w', R10, -4, R1).ldxsx('w', R0, R10, -4), expect: 0xffffffff80000001n },
  { name: 'stx dw / ldx dw', body: (a) => a.ld64(R1, X).stx('dw', R10, -16, R1).ldx('dw', R0, R10, -16), expect: X },
  { name: 'ldx through a copied pointer with a positive offset', body: (a) => a.ld64(R1, X).stx('dw', R10, -16, R1).movr(R2, R10).alu64('add', R2, { imm: -24 }).ldx('dw', R0, R2, 8), expect: X },
  // Atomics: dw add without fetch, then read memory.
  { name: 'atomic add dw', body: (a) => a.st('dw', R10, -8, 10).mov64(R1, 5).atomic('dw', 'add', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 15n },
  { name: 'atomic add dw leaves src alone', body: (a) => a.st('dw', R10, -8, 10).mov64(R1, 5).atomic('dw', 'add', R10, -8, R1).movr(R0, R1), expect: 5n },
  { name: 'atomic fetch_add dw returns the old value', body: (a) => a.st('dw', R10, -8, 10).mov64(R1, 5).atomic('dw', 'fetch_add', R10, -8, R1).movr(R0, R1), expect: 10n },
  { name: 'atomic or dw', body: (a) => a.st('dw', R10, -8, 0x0f).mov64(R1, 0xf0).atomic('dw', 'or', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 0xffn },
  { name: 'atomic fetch_or dw', body: (a) => a.st('dw', R10, -8, 0x0f).mov64(R1, 0xf0).atomic('dw', 'fetch_or', R10, -8, R1).movr(R0, R1), expect: 0x0fn },
  { name: 'atomic and dw', body: (a) => a.st('dw', R10, -8, 0x3c).mov64(R1, 0x0f).atomic('dw', 'and', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 0x0cn },
  { name: 'atomic fetch_and dw', body: (a) => a.st('dw', R10, -8, 0x3c).mov64(R1, 0x0f).atomic('dw', 'fetch_and', R10, -8, R1).movr(R0, R1), expect: 0x3cn },
  { name: 'atomic xor dw', body: (a) => a.st('dw', R10, -8, -1).mov64(R1, 1).atomic('dw', 'xor', R10, -8, R1).ldx('dw', R0, R10, -8), expect: u64(-2n) },
  { name: 'atomic fetch_xor dw', body: (a) => a.st('dw', R10, -8, 3).mov64(R1, 1).atomic('dw', 'fetch_xor', R10, -8, R1).movr(R0, R1), expect: 3n },
  { name: 'atomic add w carries nothing into the next word', body: (a) => a.ld64(R1, 0x1_ffffffffn).stx('dw', R10, -8, R1).mov64(R1, 1).atomic('w', 'add', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 0x1_00000000n },
  { name: 'atomic fetch_add w zero-extends the old value', body: (a) => a.st('w', R10, -4, -1).mov64(R1, 1).atomic('w', 'fetch_add', R10, -4, R1).movr(R0, R1), expect: 0xffffffffn },
  { name: 'atomic fetch_or w', body: (a) => a.st('w', R10, -4, 0x10).mov64(R1, 1).atomic('w', 'fetch_or', R10, -4, R1).ldx('w', R0, R10, -4), expect: 0x11n },
  { name: 'atomic fetch_and w', body: (a) => a.st('w', R10, -4, 0x11).mov64(R1, 1).atomic('w', 'fetch_and', R10, -4, R1).movr(R0, R1), expect: 0x11n },
  { name: 'atomic fetch_xor w uses the low half of src', body: (a) => a.st('w', R10, -4, 0).ld64(R1, 0x5_00000001n).atomic('w', 'fetch_xor', R10, -4, R1).ldx('w', R0, R10, -4), expect: 1n },
  { name: 'xchg dw returns the old value', body: (a) => a.st('dw', R10, -8, 7).mov64(R1, 9).atomic('dw', 'xchg', R10, -8, R1).movr(R0, R1), expect: 7n },
  { name: 'xchg dw stores the new value', body: (a) => a.st('dw', R10, -8, 7).mov64(R1, 9).atomic('dw', 'xchg', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 9n },
  { name: 'xchg w zero-extends the old value', body: (a) => a.st('w', R10, -4, -5).mov64(R1, 9).atomic('w', 'xchg', R10, -4, R1).movr(R0, R1), expect: 0xfffffffbn },
  { name: 'cmpxchg dw success stores src', body: (a) => a.st('dw', R10, -8, 10).mov64(R0, 10).mov64(R1, 20).atomic('dw', 'cmpxchg', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 20n },
  { name: 'cmpxchg dw success returns the old value in r0', body: (a) => a.st('dw', R10, -8, 10).mov64(R0, 10).mov64(R1, 20).atomic('dw', 'cmpxchg', R10, -8, R1), expect: 10n },
  { name: 'cmpxchg dw failure leaves memory', body: (a) => a.st('dw', R10, -8, 10).mov64(R0, 11).mov64(R1, 20).atomic('dw', 'cmpxchg', R10, -8, R1).ldx('dw', R0, R10, -8), expect: 10n },
  { name: 'cmpxchg dw failure returns the old value in r0', body: (a) => a.st('dw', R10, -8, 10).mov64(R0, 11).mov64(R1, 20).atomic('dw', 'cmpxchg', R10, -8, R1), expect: 10n },
  { name: 'cmpxchg w compares the low half of r0', body: (a) => a.st('w', R10, -4, 7).ld64(R0, 0x1_00000007n).mov64(R1, 20).atomic('w', 'cmpxchg', R10, -4, R1).ldx('w', R0, R10, -4), expect: 20n },
  { name: 'cmpxchg w returns the old value zero-extended', body: (a) => a.st('w', R10, -4, -1).ld64(R0, 0x1_00000007n).mov64(R1, 20).atomic('w', 'cmpxchg', R10, -4, R1), expect: 0xffffffffn },
];

// ---- Conditional jumps: one program per operand pair, r0 = bit k set when jump k is taken ----

export const JMP_OPS = Object.keys(JMP) as JmpOp[];

/** The reference meaning of each condition (an independent model, with BigInt). */
export function taken(op: JmpOp, a: bigint, b: bigint, bits: 32 | 64): boolean {
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (op) {
    case 'jeq': return ua === ub;
    case 'jne': return ua !== ub;
    case 'jgt': return ua > ub;
    case 'jge': return ua >= ub;
    case 'jlt': return ua < ub;
    case 'jle': return ua <= ub;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
    case 'jset': return (ua & ub) !== 0n;
  }
}

const X_PAIRS: [bigint, bigint][] = [
  [1n, 2n], [2n, 2n], [-1n, 1n], [1n, -1n], [I64_MIN, I64_MAX], [0x1_00000001n, 1n], [0x80000000n, 0x7fffffffn],
  [0xffffffff_00000000n, 0n], [0x7fffffff_ffffffffn, 0x80000000_00000000n],
];
const K_PAIRS: [bigint, number][] = [
  [1n, 2], [2n, 2], [-1n, 1], [1n, -1], [0x1_00000001n, 1], [0x80000000n, 0x7fffffff], [-0x80000000n, -0x80000000], [0xffffffff_00000000n, 0],
];

function jumpCase(bits: 32 | 64, a: bigint, b: bigint | number): Case {
  const isK = typeof b === 'number';
  const bv = isK ? BigInt(b) : b;
  let expect = 0n;
  JMP_OPS.forEach((op, k) => {
    if (taken(op, a, bv, bits)) expect |= 1n << BigInt(k);
  });
  return {
    name: `jmp${bits === 32 ? '32' : ''} ${isK ? 'K' : 'X'} a=0x${u64(a).toString(16)} b=${isK ? b : `0x${u64(bv).toString(16)}`}`,
    body: (asm) => {
      asm.ld64(R1, a);
      if (!isK) asm.ld64(R2, bv);
      asm.mov64(R0, 0);
      JMP_OPS.forEach((op, k) => {
        const src = isK ? { imm: b as number } : R2;
        if (bits === 32) asm.jmp32(op, R1, src, `t${k}`);
        else asm.jmp(op, R1, src, `t${k}`);
        asm.ja(`n${k}`);
        asm.label(`t${k}`).alu64('or', R0, { imm: 1 << k });
        asm.label(`n${k}`);
      });
    },
    expect,
  };
}

export const JMP_CASES: Case[] = [
  ...X_PAIRS.flatMap(([a, b]) => [jumpCase(64, a, b), jumpCase(32, a, b)]),
  ...K_PAIRS.flatMap(([a, b]) => [jumpCase(64, a, b), jumpCase(32, a, b)]),
  {
    name: 'ja and gotol skip forward',
    // The skipped instructions stay reachable (through a jump never taken): the verifier refuses dead code.
    body: (a) =>
      a.mov64(R0, 1).jmp('jeq', R0, { imm: 5 }, 's1').ja('x').label('s1').mov64(R0, 2)
        .label('x').jmp('jeq', R0, { imm: 6 }, 's2').gotol('y').label('s2').mov64(R0, 3)
        .label('y').alu64('add', R0, { imm: 10 }),
    expect: 11n,
  },
  {
    name: 'bounded loop: sum 1..100',
    body: (a) => a.mov64(R0, 0).mov64(R1, 100).label('l').alu64('add', R0, R1).alu64('sub', R1, { imm: 1 }).jmp('jne', R1, { imm: 0 }, 'l'),
    expect: 5050n,
  },
  {
    name: 'nested loops: 10 x 20 iterations',
    body: (a) =>
      a.mov64(R0, 0).mov64(R1, 0)
        .label('outer').mov64(R2, 0)
        .label('inner').alu64('add', R0, { imm: 1 }).alu64('add', R2, { imm: 1 }).jmp('jlt', R2, { imm: 20 }, 'inner')
        .alu64('add', R1, { imm: 1 }).jmp('jlt', R1, { imm: 10 }, 'outer'),
    expect: 200n,
  },
];

export const KERNEL_CASES: Case[] = [...ALU_CASES, ...MEM_CASES, ...JMP_CASES];
