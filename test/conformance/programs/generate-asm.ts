// Scenarios of hand-assembled programs: cpu v4 instructions (clang 14 cannot emit them; 6.18 runs
// them), every opcode of a class in one program, and programs the verifier refuses. The programs
// are syscall programs: inputs a (ctx+0) and b (ctx+8), results written back into the context from
// ctx+16 on, so each step's outcome carries the results as ctxOut.

import { EDGES, pairs } from './generate-isa.js';
import { note, open, u64, type Json, type ScenarioDef } from './generate.js';

const M64 = (1n << 64n) - 1n;

/** Load a into r6 and b into r7, run `body`, return 0. */
function program(name: string, body: string[]): Json {
  return { name, type: 'syscall', insns: ['ldxdw r6, [r1+0]', 'ldxdw r7, [r1+8]', ...body, 'mov64 r0, 0', 'exit'] };
}

/** Store r2 into result slot i. */
const store = (i: number, reg = 'r2'): string => `stxdw [r1+${16 + 8 * i}], ${reg}`;

function asmSweep(name: string, description: string, programs: Json[], prog: string, results: number, inputs: [bigint, bigint][], maps?: Json[], text?: (a: bigint, b: bigint) => string | undefined): ScenarioDef {
  const steps: Json[] = [open()];
  inputs.forEach(([a, b], i) => steps.push(note({ op: 'run', prog, cpu: i % 2, ctx: [u64(a), u64(b), `zero ${8 * results}`] }, text?.(a, b))));
  return { name, description, object: { asm: { ...(maps ? { maps } : {}), programs } }, steps };
}

// ---- ALU, every op ---------------------------------------------------------------------------------

const X_OPS = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'mod', 'xor', 'arsh'] as const;

function aluX(width: 64 | 32): Json {
  const body: string[] = [];
  X_OPS.forEach((op, i) => body.push(`mov${width} r2, r6`, `${op}${width} r2, r7`, store(i)));
  body.push(`mov${width} r2, r6`, `neg${width} r2`, store(X_OPS.length));
  body.push(`mov${width} r2, r7`, store(X_OPS.length + 1));
  return program(`alu${width}x`, body);
}

/** (op, immediate, width) for the K forms: the immediate is an s32, sign-extended for ALU64. */
const K_CASES: [string, number, 64 | 32][] = [
  ['add', -1, 64], ['sub', 0x7fffffff, 64], ['mul', -3, 64], ['div', 7, 64], ['div', -1, 64], ['mod', 10, 64], ['mod', -1, 64],
  ['or', -0x80000000, 64], ['and', -16, 64], ['lsh', 63, 64], ['rsh', 1, 64], ['arsh', 63, 64], ['xor', -1, 64], ['mov', -2, 64],
  ['add', -1, 32], ['sub', 0x7fffffff, 32], ['mul', -3, 32], ['div', 7, 32], ['div', -1, 32], ['mod', -1, 32], ['or', -0x80000000, 32],
  ['and', -16, 32], ['lsh', 31, 32], ['rsh', 31, 32], ['arsh', 31, 32], ['xor', -1, 32], ['mov', -2, 32],
];

function aluK(): Json {
  const body: string[] = [];
  K_CASES.forEach(([op, imm, w], i) => body.push(op === 'mov' ? `mov${w} r2, ${imm}` : `mov64 r2, r6`, ...(op === 'mov' ? [] : [`${op}${w} r2, ${imm}`]), store(i)));
  return program('aluk', body);
}

function shifts(): Json {
  const ops = ['lsh64', 'rsh64', 'arsh64', 'lsh32', 'rsh32', 'arsh32'];
  const body: string[] = [];
  ops.forEach((op, i) => body.push('mov64 r2, r6', `${op} r2, r7`, store(i)));
  return program('shifts', body);
}

// ---- cpu v4 ------------------------------------------------------------------------------------------

function sdivSmod(): Json {
  const body = [
    'mov64 r2, r6', 'sdiv64 r2, r7', store(0),
    'mov64 r2, r6', 'smod64 r2, r7', store(1),
    'mov64 r2, r6', 'sdiv32 r2, r7', store(2),
    'mov64 r2, r6', 'smod32 r2, r7', store(3),
    'mov64 r2, r6', 'sdiv64 r2, -3', store(4),
    'mov64 r2, r6', 'smod64 r2, -3', store(5),
    'mov64 r2, r6', 'sdiv32 r2, 7', store(6),
    'mov64 r2, r6', 'smod32 r2, -7', store(7),
    'mov64 r2, r6', 'sdiv64 r2, -1', store(8),
    'mov64 r2, r6', 'smod32 r2, -1', store(9),
  ];
  return program('sdivsmod', body);
}

function movsx(): Json {
  return program('movsx', [
    'movsx64 r2, r6, 8', store(0), 'movsx64 r2, r6, 16', store(1), 'movsx64 r2, r6, 32', store(2),
    'movsx32 r2, r6, 8', store(3), 'movsx32 r2, r6, 16', store(4),
    'mov64 r2, r6', 'movsx64 r2, r2, 8', store(5, 'r2'),
  ]);
}

function memsx(): Json {
  // a and b on the stack, then sign-extending loads of each size at several offsets
  return program('memsx', [
    'stxdw [r10-16], r6', 'stxdw [r10-8], r7',
    'ldxsb r2, [r10-16]', store(0), 'ldxsb r2, [r10-9]', store(1), 'ldxsh r2, [r10-16]', store(2), 'ldxsh r2, [r10-10]', store(3),
    'ldxsw r2, [r10-16]', store(4), 'ldxsw r2, [r10-12]', store(5), 'ldxsw r2, [r10-8]', store(6), 'ldxsb r2, [r10-1]', store(7),
  ]);
}

function bswap(): Json {
  const ops = ['bswap16', 'bswap32', 'bswap64', 'le16', 'le32', 'le64', 'be16', 'be32', 'be64'];
  const body: string[] = [];
  ops.forEach((op, i) => body.push('mov64 r2, r6', `${op} r2`, store(i)));
  return program('bswap', body);
}

function gotol(): Json {
  return {
    name: 'gotol', type: 'syscall', insns: [
      'ldxdw r6, [r1+0]',
      'mov64 r0, 1',
      'jeq r6, 0, zero',
      'jeq r6, 2, two',
      'gotol far',
      'two:',
      'mov64 r0, 2',
      'exit',
      'zero:',
      'mov64 r7, 0',
      'again:',
      'add64 r7, 1',
      'jge r7, 5, done',
      'gotol again',
      'done:',
      'mov64 r0, r7',
      'exit',
      'far:',
      'mov64 r0, 3',
      'jeq r6, 1, +1',
      'gotol +1',
      'mov64 r0, 4',
      'exit',
    ],
  };
}

// ---- jumps, atomics, constants, calls -------------------------------------------------------------------

const CONDS = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const;

function jumps(): Json {
  // r8: bits of the 64-bit conditions, r9: the 32-bit ones; bit i for the register form of
  // condition i, bit 16 + i for the immediate form (the immediate is -2)
  const body = ['mov64 r8, 0', 'mov64 r9, 0'];
  let k = 0;
  for (const [w, mask] of [['', 'r8'], ['32', 'r9']] as const) {
    CONDS.forEach((c, i) => {
      for (const [form, bit] of [['r7', i], ['-2', i + 16]] as const) {
        const skip = `s${k++}`;
        // taken: fall onto the or that sets the bit; not taken: jump over it
        body.push(`${c}${w} r6, ${form}, +1`, `ja ${skip}`, `or64 ${mask}, ${1 << bit}`, `${skip}:`);
      }
    });
  }
  return program('jumps', [...body, store(0, 'r8'), store(1, 'r9')]);
}

function atomics(): Json {
  const body: string[] = ['stxdw [r10-8], r6', 'stxw [r10-16], r6'];
  let i = 0;
  const d = (op: string, fetch: boolean): void => {
    body.push('mov64 r2, r7', `atomic64 ${op} [r10-8], r2`);
    if (fetch) body.push(store(i++));
    body.push('ldxdw r3, [r10-8]', store(i++, 'r3'));
  };
  const w = (op: string, fetch: boolean): void => {
    body.push('mov64 r2, r7', `atomic32 ${op} [r10-16], r2`);
    if (fetch) body.push(store(i++));
    body.push('ldxw r3, [r10-16]', store(i++, 'r3'));
  };
  d('add', false); d('fetch_add', true); d('or', false); d('fetch_or', true); d('and', false); d('fetch_and', true);
  d('xor', false); d('fetch_xor', true); d('xchg', true);
  body.push('mov64 r0, r6', 'mov64 r2, r7', 'atomic64 cmpxchg [r10-8], r2', store(i++, 'r0'), 'ldxdw r3, [r10-8]', store(i++, 'r3'));
  body.push('mov64 r0, r7', 'mov64 r2, r6', 'atomic64 cmpxchg [r10-8], r2', store(i++, 'r0'), 'ldxdw r3, [r10-8]', store(i++, 'r3'));
  w('add', false); w('fetch_add', true); w('or', false); w('fetch_or', true); w('and', false); w('fetch_and', true);
  w('xor', false); w('fetch_xor', true); w('xchg', true);
  body.push('mov64 r0, r6', 'mov64 r2, r7', 'atomic32 cmpxchg [r10-16], r2', store(i++, 'r0'), 'ldxw r3, [r10-16]', store(i++, 'r3'));
  atomicResults = i;
  return program('atomics', body);
}
let atomicResults = 0;

function ldimm64(): Json {
  const values = [0n, 1n, M64, 0x8000000000000000n, 0x7fffffffffffffffn, 0x00000000ffffffffn, 0xffffffff00000000n, 0x123456789abcdef0n, 0x80000000n, 0xffffffff80000000n];
  const body: string[] = [];
  values.forEach((v, i) => body.push(`lddw r2, 0x${v.toString(16)}`, 'add64 r2, r6', store(i)));
  return program('ldimm64', body);
}
const LDIMM_RESULTS = 10;

function calls(): Json[] {
  return [
    {
      name: 'subcalls', type: 'syscall', insns: [
        'mov64 r9, r1',
        'ldxdw r1, [r9+0]',
        'ldxdw r2, [r9+8]',
        'calll f1',
        'stxdw [r9+16], r0',
        'ldxdw r1, [r9+8]',
        'mov64 r2, 3',
        'calll f2',
        'stxdw [r9+24], r0',
        'mov64 r0, 0',
        'exit',
        'f1:', // a * 2 + f2(b, a): its own frame keeps a at r10-8
        'stxdw [r10-8], r1',
        'mov64 r1, r2',
        'ldxdw r2, [r10-8]',
        'calll f2',
        'ldxdw r1, [r10-8]',
        'lsh64 r1, 1',
        'add64 r0, r1',
        'exit',
        'f2:', // x * 10 + y, with its own stack slot
        'stxdw [r10-8], r2',
        'mov64 r0, r1',
        'mul64 r0, 10',
        'ldxdw r2, [r10-8]',
        'add64 r0, r2',
        'exit',
      ],
    },
    {
      name: 'loopcb', type: 'syscall', insns: [
        'mov64 r9, r1',
        'ldxdw r1, [r9+0]',
        'and64 r1, 15',
        'stdw [r10-8], 0',
        'ldfunc r2, cb',
        'mov64 r3, r10',
        'add64 r3, -8',
        'mov64 r4, 0',
        'call loop',
        'stxdw [r9+16], r0',
        'ldxdw r1, [r10-8]',
        'stxdw [r9+24], r1',
        'mov64 r0, 0',
        'exit',
        'cb:', // r1 = index, r2 = the context pointer: *ctx += index * index
        'mov64 r3, r1',
        'mul64 r3, r1',
        'ldxdw r4, [r2+0]',
        'add64 r4, r3',
        'stxdw [r2+0], r4',
        'mov64 r0, 0',
        'exit',
      ],
    },
  ];
}

function mapHelpers(): ScenarioDef {
  const maps = [
    { name: 'arr', type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 },
    { name: 'h', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 },
    { name: 'g', type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 },
  ];
  const programs = [{
    // key = a & 7: arr[key] += b (when in range); h[key] = b (its return value to ctx+16); g.second += 1 through a direct value address
    name: 'mapops', type: 'syscall', insns: [
      'mov64 r9, r1',
      'ldxdw r6, [r9+0]',
      'ldxdw r7, [r9+8]',
      'and64 r6, 7',
      'stxw [r10-4], r6',
      'stxdw [r10-16], r7',
      'ldmap r1, arr',
      'mov64 r2, r10',
      'add64 r2, -4',
      'call map_lookup_elem',
      'jeq r0, 0, nokey',
      'ldxdw r3, [r0+0]',
      'add64 r3, r7',
      'stxdw [r0+0], r3',
      'nokey:',
      'ldmap r1, h',
      'mov64 r2, r10',
      'add64 r2, -4',
      'mov64 r3, r10',
      'add64 r3, -16',
      'mov64 r4, 0',
      'call map_update_elem',
      'stxdw [r9+16], r0',
      'ldmapvalue r1, g, 8',
      'ldxdw r2, [r1+0]',
      'add64 r2, 1',
      'stxdw [r1+0], r2',
      'mov64 r0, r6',
      'exit',
    ],
  }];
  const steps: Json[] = [open()];
  const inputs: [bigint, bigint][] = [[0n, 5n], [1n, 6n], [1n, 7n], [2n, 8n], [3n, 9n], [4n, 10n], [9n, 11n], [0n, M64], [2n, 1n], [3n, 3n]];
  inputs.forEach(([a, b], i) => steps.push({ op: 'run', prog: 'mapops', cpu: i % 2, ctx: [u64(a), u64(b), 'zero 8'] }));
  steps.push(note({ op: 'delete', map: 'h', key: 1 }, 'room for one more key in h'));
  steps.push({ op: 'run', prog: 'mapops', cpu: 0, ctx: [u64(5), u64(12), 'zero 8'] });
  steps.push(note({ op: 'update', map: 'g', key: 0, value: [u64(1), u64(100)] }, 'user space writes the value the program addresses directly'));
  steps.push({ op: 'run', prog: 'mapops', cpu: 1, ctx: [u64(6), u64(13), 'zero 8'] });
  return {
    name: 'asm-map-helpers',
    description: 'Hand-assembled map access: ld_imm64 map references (BPF_PSEUDO_MAP_FD, by map index in the scenario, fds in the kernel), lookup and update helpers, and a direct value address into a one-element array (BPF_PSEUDO_MAP_VALUE with an offset)',
    object: { asm: { maps, programs } },
    steps,
  };
}

function verifier(): ScenarioDef {
  const bad: [string, string[], string][] = [
    ['uninit', ['mov64 r0, r2', 'exit'], 'reads a register never written'],
    ['noret', ['exit'], 'exits without setting r0'],
    ['shiftk', ['mov64 r0, 1', 'lsh64 r0, 64', 'exit'], 'a constant shift by the width'],
    ['shiftk32', ['mov32 r0, 1', 'arsh32 r0, 32', 'exit'], 'a constant 32-bit shift by 32'],
    ['divk0', ['mov64 r0, 1', 'div64 r0, 0', 'exit'], 'division by a constant zero'],
    ['modk0', ['mov32 r0, 1', 'mod32 r0, 0', 'exit'], 'modulo by a constant zero'],
    ['sdivk0', ['mov64 r0, 1', 'sdiv64 r0, 0', 'exit'], 'signed division by a constant zero'],
    ['forever', ['mov64 r0, 0', 'top:', 'ja top'], 'a loop that never ends'],
    ['fallthru', ['mov64 r0, 0'], 'runs off the end'],
    ['jumpout', ['ja +5', 'mov64 r0, 0', 'exit'], 'a jump past the end'],
    ['badop', ['.insn 0xff 0 0 0 0', 'mov64 r0, 0', 'exit'], 'an opcode that does not exist'],
    ['writefp', ['mov64 r10, 0', 'mov64 r0, 0', 'exit'], 'writes the frame pointer'],
    ['stackoob', ['stdw [r10-520], 0', 'mov64 r0, 0', 'exit'], 'writes below the 512-byte stack'],
    ['stackread', ['ldxdw r0, [r10-8]', 'exit'], 'reads a stack slot never written'],
    ['badhelper', ['call 99999', 'exit'], 'a helper id that does not exist'],
    ['unreach', ['mov64 r0, 0', 'exit', 'mov64 r0, 1', 'exit'], 'dead code'],
    ['ctxoob', ['ldxb r0, [r1-1]', 'exit'], 'a context read before its start'],
    ['badmovsx', ['.insn 0xbf 0 1 24 0', 'exit'], 'movsx from 24 bits'],
    ['halfldimm', ['.insn 0x18 0 0 0 0', 'exit'], 'ld_imm64 without its second half'],
    ['ldabs', ['.insn 0x30 0 0 0 0', 'mov64 r0, 0', 'exit'], 'a legacy packet load in a syscall program'],
    ['ptrleak', ['mov64 r0, r10', 'exit'], 'returns a stack pointer'],
    ['ok', ['mov64 r0, 42', 'exit'], 'accepted'],
  ];
  const programs = bad.map(([name, insns]) => ({ name, type: 'syscall', insns }));
  const steps: Json[] = [open()];
  for (const [name, , why] of bad) steps.push(note({ op: 'verify', prog: name }, why));
  steps.push({ op: 'run', prog: 'ok', cpu: 0, ctx: ['zero 8'] });
  return {
    name: 'asm-verifier-refusals',
    description: 'Programs the verifier refuses, with its verdict and the line that says why: uninitialised registers and stack, constant shifts by the width, division by a constant zero, endless loops, running off the end, jumps out of range, unknown opcodes and helpers, the read-only frame pointer, the stack bound, dead code, bad context access, malformed instructions, a leaked pointer',
    object: { asm: { programs } },
    steps,
  };
}

export function asmScenarios(): ScenarioDef[] {
  const p = pairs();
  const atomicProgram = atomics();
  const shiftCounts = [0n, 1n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, 127n, 128n, 255n, 0xffffffffn, 0x100000001n, 0x8000000000000000n, M64];
  const shiftInputs: [bigint, bigint][] = [];
  for (const a of [0x8000000000000001n, 0x80000001n]) for (const c of shiftCounts) shiftInputs.push([a, c]);
  const jumpInputs: [bigint, bigint][] = [...p, [M64 - 1n, M64 - 1n], [M64 - 1n, 0n], [0xfffffffen, 5n], [0x1fffffffen, 1n]];
  return [
    asmSweep('asm-alu64-x', 'Every 64-bit ALU operation with a register source (add sub mul div or and lsh rsh mod xor arsh, then neg and mov): unsigned division and modulo by zero, shift counts past 63 taken modulo 64', [aluX(64)], 'alu64x', 13, p),
    asmSweep('asm-alu32-x', 'Every 32-bit ALU operation with a register source: the low halves, results zero-extended, division by a zero low half, shift counts modulo 32', [aluX(32)], 'alu32x', 13, p),
    asmSweep('asm-alu-k', 'ALU operations with immediates: 64-bit forms sign-extend the s32 immediate (div by -1 divides by 2^64-1), 32-bit forms use it as is', [aluK()], 'aluk', K_CASES.length, EDGES.map((a) => [a, 0n])),
    asmSweep('asm-shifts', 'Shifts by a register count: 64-bit counts taken modulo 64 and 32-bit ones modulo 32, for counts 0 to 2^64-1 (the verifier refuses such constants, not registers)', [shifts()], 'shifts', 6, shiftInputs),
    asmSweep('v4-sdiv-smod', 'cpu v4 signed division and modulo (off = 1), 64- and 32-bit, register and immediate: rounding toward zero, remainders with the dividend\'s sign, INT_MIN / -1 = INT_MIN, x s% -1 = 0, x s/ 0 = 0, x s% 0 = x', [sdivSmod()], 'sdivsmod', 10, p),
    asmSweep('v4-movsx', 'cpu v4 sign-extending moves: MOVSX from 8, 16 and 32 bits into 64, and from 8 and 16 bits into 32 (then zero-extended)', [movsx()], 'movsx', 6, EDGES.map((a) => [a, 0n])),
    asmSweep('v4-memsx', 'cpu v4 sign-extending loads (LDX MEMSX, byte, half, word) from the stack at several offsets', [memsx()], 'memsx', 8, EDGES.map((a, i) => [a, EDGES[(i + 7) % EDGES.length]!])),
    asmSweep('v4-bswap', 'cpu v4 unconditional byte swaps (ALU64 END: bswap16/32/64) beside the ALU END forms to_le (truncation on little-endian) and to_be (swap)', [bswap()], 'bswap', 9, EDGES.map((a) => [a, 0n])),
    asmSweep('v4-gotol', 'cpu v4 gotol (JMP32 JA with a 32-bit offset in imm): forward, and backward as a bounded loop', [gotol()], 'gotol', 0, [[0n, 0n], [1n, 0n], [2n, 0n], [M64, 0n], [0n, 1n], [1n, 1n]]),
    asmSweep('asm-jumps', 'Every conditional jump (jeq jgt jge jset jne jsgt jsge jlt jle jslt jsle), 64- and 32-bit, register and immediate (-2, sign-extended) forms: one bit per condition taken', [jumps()], 'jumps', 2, jumpInputs),
    asmSweep('asm-atomics', 'Every atomic instruction on a stack slot: add/or/and/xor with and without fetch, xchg, cmpxchg equal and not equal, 64- and 32-bit (the 32-bit fetches zero-extended)', [atomicProgram], 'atomics', atomicResults, p.slice(0, 20)),
    asmSweep('asm-ldimm64', 'ld_imm64 of 64-bit constants (both halves), added to the input', [ldimm64()], 'ldimm64', LDIMM_RESULTS, [[0n, 0n], [1n, 0n], [M64, 0n], [0x8000000000000000n, 0n]]),
    asmSweep('asm-calls', 'bpf-to-bpf calls with their own frames (each callee\'s r10 is its own stack) and bpf_loop with a callback given by ld_imm64 BPF_PSEUDO_FUNC', calls(), 'subcalls', 2, [[0n, 0n], [1n, 2n], [M64, 1n], [12345n, 678n], [0x8000000000000000n, 5n]]),
    asmSweep('asm-loop-callback', 'bpf_loop with a hand-assembled callback: n = a & 15 iterations, each adding index squared to a stack slot', calls(), 'loopcb', 2, [[0n, 0n], [1n, 0n], [2n, 0n], [5n, 0n], [15n, 0n], [16n, 0n], [M64, 0n]]),
    mapHelpers(),
    verifier(),
  ];
}
