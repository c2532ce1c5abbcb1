// Scenarios of the instruction set as clang emits it (the isa-*.bpf.c objects): each step runs one
// program on an input pair, the results land in .bss (or a map) and the dump records them.

import { elf, note, open, u64, type Json, type ScenarioDef } from './generate.js';

const M64 = (1n << 64n) - 1n;

/** Values at the edges: zero, small, sign boundaries of 8/16/32/64 bits, all ones, shift widths. */
export const EDGES: bigint[] = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
  M64, M64 - 1n, 0x123456789abcdef0n, 0xdeadbeefcafebaben, 0xffffffff80000000n, 0x00000000fffffff9n,
];

/** Input pairs that matter for binary operations: divide by zero, INT_MIN / -1, shifts past the width, ... */
export function pairs(): [bigint, bigint][] {
  const p: [bigint, bigint][] = [
    [0n, 0n], [1n, 0n], [M64, 0n], [0x8000000000000000n, 0n], [0xdeadbeefn, 0n],
    [0x8000000000000000n, M64], [0x80000000n, 0xffffffffn], [0xffffffff80000000n, M64],
    [7n, 2n], [M64 - 6n, 2n], [7n, M64 - 1n], [M64 - 6n, M64 - 1n], [100n, 7n], [0xffffffff9n, 0x10n],
    [1n, 63n], [1n, 64n], [1n, 65n], [1n, 31n], [1n, 32n], [1n, 33n], [0x8000000000000000n, 63n], [0x8000000000000000n, 127n],
    [M64, 1n], [0x7fffffffffffffffn, 1n], [0x7fffffffn, 1n], [0xffffffffn, 1n], [0x123456789abcdef0n, 0x0fedcba987654321n],
    [0xdeadbeefcafebaben, 0xdeadbeefcafebaben], [0x80n, 0x7fn], [0x8000n, 0xffffn], [0x100000000n, 0xffffffffn],
    [3n, 5n], [5n, 3n], [0xfffffffffffffff9n, 3n], [0xfffffff9n, 3n], [0x7fffffffffffffffn, 0x8000000000000000n],
  ];
  return p;
}

function sweep(name: string, object: string, prog: string, description: string, inputs: [bigint, bigint][], text?: (a: bigint, b: bigint) => string | undefined): ScenarioDef {
  const steps: Json[] = [open()];
  inputs.forEach(([a, b], i) => steps.push(note({ op: 'run', prog, cpu: i % 2, ctx: [u64(a), u64(b)] }, text?.(a, b))));
  return { name, description, object: elf(object), steps };
}

function divNote(a: bigint, b: bigint): string | undefined {
  if (b === 0n) return 'divisor 0: x / 0 = 0, x % 0 = x';
  if (a === 0x8000000000000000n && b === M64) return 'INT64_MIN and -1';
  if (b >= 64n && b < 128n) return 'shift count past the width: C masks it';
  return undefined;
}

function atomics(): ScenarioDef {
  const r = (op: number, v: bigint | number, expect: bigint | number = 0, text?: string, cpu = 0): Json =>
    note({ op: 'run', prog: 'atomics', cpu, ctx: [u64(op), u64(v), u64(expect)] }, text);
  return {
    name: 'isa-atomics',
    description: 'Atomic instructions as clang -mcpu=v3 emits them on a map value: add/or/and/xor without and with fetch, xchg and cmpxchg (equal and not), 64- and 32-bit; the fetched old values in .bss',
    object: elf('isa-atomics'),
    steps: [
      open(),
      r(1, 5, 0, 'add, no fetch'),
      r(1, -1, 0, 'add -1'),
      r(2, 0x100, 0, 'fetch_add: the old value'),
      r(2, 0xffffffffffffff00n, 0, 'wraps around', 1),
      r(3, 0xf0f0, 0, 'fetch_or'),
      r(4, 0xff00, 0, 'fetch_and'),
      r(5, 0xaaaaaaaaaaaaaaaan, 0, 'fetch_xor'),
      r(5, 0xaaaaaaaaaaaaaaaan, 0, 'xor again: back'),
      r(6, 0x1234, 0, 'xchg'),
      r(6, 0x5678, 0, 'xchg', 1),
      r(7, 0x9999, 0x5678, 'cmpxchg with the right expected value: swapped'),
      r(7, 0x1111, 0x5678, 'wrong expected value: unchanged, the old value back'),
      r(8, 3, 0, '32-bit add'),
      r(8, 0xffffffff, 0, '32-bit add -1'),
      r(9, 0x80000000, 0, '32-bit fetch_add'),
      r(9, 0x80000000, 0, 'wraps in 32 bits', 1),
      r(10, 0x0f0f0f0f, 0, '32-bit fetch_or'),
      r(11, 0x00ff00ff, 0, '32-bit fetch_and'),
      r(12, 0xffffffff, 0, '32-bit fetch_xor'),
      r(13, 0xcafe, 0, '32-bit xchg'),
      r(14, 0xbeef, 0xcafe, '32-bit cmpxchg, equal'),
      r(14, 0x1, 0xcafe, '32-bit cmpxchg, not equal'),
      r(15, 0x8000000000000000n, 0, 'or, no fetch'),
      r(16, 0xffff0000, 0, '32-bit and, no fetch'),
      r(17, 0xff, 0, 'xor, no fetch'),
      r(99, 0, 0, 'no such operation: -2'),
    ],
  };
}

function mem(): ScenarioDef {
  const steps: Json[] = [open()];
  const inputs: [bigint, bigint][] = [[0x0102030405060708n, 0n], [0x8877665544332211n, M64], [0n, 0n], [M64, 0x5555555555555555n], [0xdeadbeefcafebaben, 0x0123456789abcdefn], [0x80n, 0x8000n]];
  inputs.forEach(([a, b], i) => steps.push({ op: 'run', prog: 'memops', cpu: i % 2, ctx: [u64(a), u64(b)] }));
  steps.push(note({ op: 'lookup', map: 'mem', key: 0 }, 'the map value as the last run left it'));
  return {
    name: 'isa-mem',
    description: 'Loads and stores of every size into a map value and the stack, stores of immediates, unaligned stack offsets: little-endian byte order as the program writes it',
    object: elf('isa-mem'),
    steps,
  };
}

function loops(): ScenarioDef {
  const steps: Json[] = [open()];
  const inputs: [bigint, bigint][] = [[0n, 0n], [1n, 1n], [5n, 3n], [63n, 0x8000000000000000n], [64n, 0x10n], [100n, 0x7n], [7n, M64], [32n, 0x100000000n], [13n, 0xdeadbeefn], [40n, 2n], [3n, 0n], [63n, M64]];
  inputs.forEach(([n, seed], i) => steps.push(note({ op: 'run', prog: 'loops', cpu: i % 2, ctx: [u64(n), u64(seed)] }, n === 64n ? 'n is masked to 63: 64 runs 0 times' : undefined)));
  return {
    name: 'isa-loops',
    description: 'Bounded loops: a loop bounded by a masked input, nested loops, a loop leaving early with break, a loop over a map\'s elements (each run adds to them)',
    object: elf('isa-loops'),
    steps,
  };
}

function calls(): ScenarioDef {
  const inputs: [bigint, bigint][] = [[0n, 0n], [1n, 2n], [M64, 1n], [0x8000000000000000n, 0x8000000000000000n], [12345n, 67890n], [0xdeadbeefn, 0xcafebaben], [0x7fffffffn, 0x7fffffffn], [3n, M64], [0x100000000n, 0xffffffffn], [99n, 1n]];
  return sweep('isa-calls', 'isa-calls', 'calls', 'bpf-to-bpf calls: four frames deep, five arguments, a callee writing into its caller\'s stack, a global function verified on its own, each frame\'s own stack', inputs);
}

export function isaScenarios(): ScenarioDef[] {
  const p = pairs();
  return [
    sweep('isa-alu64', 'isa-alu64', 'alu64', '64-bit ALU as clang emits it: add, sub, mul, unsigned div and mod (by zero too), or, and, xor, shifts, arithmetic shift, neg, not, and immediate forms', p, divNote),
    sweep('isa-alu32', 'isa-alu32', 'alu32', '32-bit ALU (cpu v3, w registers) on the low halves: every operation, results zero-extended, division and modulo by zero', p, (a, b) => ((b & 0xffffffffn) === 0n ? 'low half of the divisor is 0' : undefined)),
    sweep('isa-signed', 'isa-signed', 'sext', 'Sign extension of 8, 16 and 32-bit values as cpu v1 builds it (shift pairs), arithmetic shifts, signed comparisons, min and max, abs, signed division done on magnitudes', p),
    sweep('isa-bswap', 'isa-bswap', 'bswap', 'Byte swaps: __builtin_bswap16/32/64 and bpf_htons/ntohl/cpu_to_be64 (END to_be), truncation to 16 and 32 bits', EDGES.map((a, i) => [a, EDGES[(i + 5) % EDGES.length]!] as [bigint, bigint])),
    sweep('isa-jumps64', 'isa-jumps', 'jumps64', '64-bit conditional jumps: each comparison\'s outcome (==, !=, unsigned and signed <, <=, >, >=, &) as one bit of the returned mask', p),
    sweep('isa-jumps32', 'isa-jumps', 'jumps32', '32-bit conditional jumps (jmp32, cpu v3) on the low halves: each comparison\'s outcome as one bit of the mask', p),
    sweep('isa-jumps-imm', 'isa-jumps', 'jumpsk', 'Conditional jumps against immediates around the sign boundaries (the immediate is sign-extended to 64 bits)', EDGES.map((a) => [a, 0n] as [bigint, bigint])),
    atomics(), mem(), loops(), calls(),
  ];
}
