// The eBPF instruction set as the translator reads it (Documentation/bpf/standardization/
// instruction-set.rst), the helpers it knows, its error class and the run-time fault kinds.
// Numbers are copied from the uapi here on purpose: src/jit imports nothing from src/maps or
// src/object (see plan/objects.md); the integrator may dedupe them.
//
// Encoding: 8 bytes little-endian: code u8, regs u8 (dst low nibble, src high nibble), off s16,
// imm s32. ld_imm64 (0x18) takes two slots, the second holding the high 32 bits in its imm.

// Instruction classes (code & 7).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// ALU operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (code & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

/** Source bit: register operand (X) rather than imm (K). For END: to big endian. */
export const BPF_X = 0x08;

// Load/store size (code & 0x18) and mode (code & 0xe0).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

/** Bytes per access for each size field value. */
export function sizeBytes(code: number): 1 | 2 | 4 | 8 {
  switch (code & 0x18) {
    case BPF_W:
      return 4;
    case BPF_H:
      return 2;
    case BPF_B:
      return 1;
    default:
      return 8;
  }
}

// Atomic operations (imm of STX|ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// ld_imm64 src_reg values ("pseudo" loads) as the loader leaves them (plan/objects.md).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// call src_reg values.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** The frame size of one BPF stack frame, and the kernel's frame limit (MAX_CALL_FRAMES). */
export const STACK_FRAME = 512;
export const MAX_FRAMES = 8;
/** bpf_loop's iteration limit (BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 1 << 23;

// Map types the translator inlines lookups for (uapi enum bpf_map_type).
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;

export const EINVAL = 22;
export const E2BIG = 7;

/** One decoded instruction; ld_imm64 is one instruction covering two slots (`wide`). */
export interface Insn {
  /** Index of the (first) slot in the linked array. */
  pc: number;
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** ld_imm64 only: the second slot's imm (high half, or the value offset for PSEUDO_MAP_VALUE). */
  imm2: number;
  wide: boolean;
}

/** A translation refused: names the program, the instruction index and why. */
export class JitError extends Error {
  readonly program: string;
  /** Instruction index in the linked array (-1 when not about one instruction). */
  readonly insn: number;
  readonly reason: string;
  constructor(program: string, insn: number, reason: string) {
    super(insn >= 0 ? `${program}: instruction ${insn}: ${reason}` : `${program}: ${reason}`);
    this.name = 'JitError';
    this.program = program;
    this.insn = insn;
    this.reason = reason;
  }
}

/** An opcode as printed in messages: 0x7b. */
export const hexByte = (n: number): string => `0x${(n & 0xff).toString(16).padStart(2, '0')}`;
const hex = hexByte;

/**
 * Decodes the slots [0, n) into instructions: `starts[pc]` is the instruction starting at slot pc,
 * undefined for the second slot of an ld_imm64. Encodings the kernel's verifier refuses for their
 * fields (an unknown opcode, a register above r10, a truncated ld_imm64) are JitErrors here.
 */
export function decode(program: string, bytes: Uint8Array): (Insn | undefined)[] {
  if (bytes.length % 8 !== 0) {
    throw new JitError(program, -1, `instructions are ${bytes.length} bytes, not a multiple of 8; pass the program's linked instructions (8 bytes each)`);
  }
  const n = bytes.length / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (Insn | undefined)[] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    const o = pc * 8;
    const code = bytes[o]!;
    const regs = bytes[o + 1]!;
    const insn: Insn = {
      pc, code, dst: regs & 0x0f, src: regs >> 4, off: view.getInt16(o + 2, true), imm: view.getInt32(o + 4, true),
      imm2: 0, wide: false,
    };
    if (code === (BPF_LD | BPF_IMM | BPF_DW)) {
      if (pc + 1 >= n) throw new JitError(program, pc, `ld_imm64 (opcode 0x18) is the last slot; its second half is missing`);
      const o2 = o + 8;
      if (bytes[o2] !== 0 || bytes[o2 + 1] !== 0 || view.getInt16(o2 + 2, true) !== 0) {
        throw new JitError(program, pc, `ld_imm64 (opcode 0x18): the second slot must be zero except its imm (found opcode ${hex(bytes[o2]!)})`);
      }
      insn.imm2 = view.getInt32(o2 + 4, true);
      insn.wide = true;
      out[pc] = insn;
      pc++;
      continue;
    }
    out[pc] = insn;
  }
  return out;
}

/** Why an opcode is not one the translator knows, or null when it is. */
export function opcodeProblem(insn: Insn): string | null {
  const { code } = insn;
  const cls = code & 7;
  const op = code & 0xf0;
  if (insn.dst > 10 || insn.src > 10) {
    // src_reg of ld_imm64 and call is a subtype, checked with those.
    const srcIsSubtype = code === 0x18 || code === (BPF_JMP | BPF_CALL);
    if (insn.dst > 10 || !srcIsSubtype) return `register r${Math.max(insn.dst, insn.src)} does not exist (r0..r10)`;
  }
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      if (op === BPF_END) {
        if (cls === BPF_ALU64 && (code & BPF_X) !== 0) return `unknown opcode ${hex(code)} (ALU64 byte swap has no TO_BE form)`;
        if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) return `byte swap width ${insn.imm} (must be 16, 32 or 64)`;
        return null;
      }
      if (op === BPF_NEG) return (code & BPF_X) === 0 ? null : `unknown opcode ${hex(code)} (NEG takes no source register)`;
      if (op > BPF_END) return `unknown opcode ${hex(code)}`;
      if ((op === BPF_DIV || op === BPF_MOD) && insn.off !== 0 && insn.off !== 1) {
        return `${op === BPF_DIV ? 'DIV' : 'MOD'} with off ${insn.off} (0 unsigned, 1 signed)`;
      }
      if (op === BPF_MOV && insn.off !== 0) {
        const ok = (code & BPF_X) !== 0 && (insn.off === 8 || insn.off === 16 || (insn.off === 32 && cls === BPF_ALU64));
        if (!ok) return `MOV with off ${insn.off} (MOVSX takes a register and 8, 16${cls === BPF_ALU64 ? ' or 32' : ''})`;
      }
      return null;
    }
    case BPF_JMP:
    case BPF_JMP32: {
      if (op === BPF_JA) return (code & BPF_X) === 0 ? null : `unknown opcode ${hex(code)}`;
      if (op === BPF_CALL || op === BPF_EXIT) {
        if (cls === BPF_JMP && (code & BPF_X) === 0) return null;
        return `unknown opcode ${hex(code)}${cls === BPF_JMP ? ' (indirect call)' : ''}`;
      }
      if (op > BPF_JSLE) return `unknown opcode ${hex(code)}`;
      return null;
    }
    case BPF_LD: {
      if (code === 0x18) {
        const s = insn.src;
        if (s === 0 || s === BPF_PSEUDO_MAP_FD || s === BPF_PSEUDO_MAP_VALUE || s === BPF_PSEUDO_FUNC
          || s === BPF_PSEUDO_MAP_IDX || s === BPF_PSEUDO_MAP_IDX_VALUE) return null;
        if (s === BPF_PSEUDO_BTF_ID) return 'ld_imm64 of a kernel variable (BPF_PSEUDO_BTF_ID, ksym) is not supported';
        return `ld_imm64 with unknown src_reg ${s}`;
      }
      const mode = code & 0xe0;
      if ((mode === BPF_ABS || mode === BPF_IND) && (code & 0x18) !== BPF_DW) return null; // faults when reached
      return `unknown opcode ${hex(code)}`;
    }
    case BPF_LDX: {
      const mode = code & 0xe0;
      if (mode === BPF_MEM) return null;
      if (mode === BPF_MEMSX && (code & 0x18) !== BPF_DW) return null;
      return `unknown opcode ${hex(code)}`;
    }
    case BPF_ST:
      return (code & 0xe0) === BPF_MEM ? null : `unknown opcode ${hex(code)}`;
    case BPF_STX: {
      const mode = code & 0xe0;
      if (mode === BPF_MEM) return null;
      if (mode === BPF_ATOMIC) {
        const size = code & 0x18;
        if (size !== BPF_W && size !== BPF_DW) return `atomic operation of ${sizeBytes(code)} bytes (only 4 and 8)`;
        switch (insn.imm) {
          case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
          case BPF_ADD | BPF_FETCH: case BPF_OR | BPF_FETCH: case BPF_AND | BPF_FETCH: case BPF_XOR | BPF_FETCH:
          case BPF_XCHG: case BPF_CMPXCHG:
            return null;
          default:
            return `atomic operation imm 0x${(insn.imm >>> 0).toString(16)} is not supported (add/or/and/xor [| fetch], xchg, cmpxchg)`;
        }
      }
      return `unknown opcode ${hex(code)}`;
    }
  }
  return `unknown opcode ${hex(code)}`;
}

/** True for an instruction that ends a basic block by transferring control (jumps, exit). */
export function isJump(insn: Insn): boolean {
  const cls = insn.code & 7;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return false;
  const op = insn.code & 0xf0;
  return op !== BPF_CALL;
}

export function isExit(insn: Insn): boolean {
  return insn.code === (BPF_JMP | BPF_EXIT);
}

/** The jump's target slot (pc + 1 + off, or + imm for gotol). */
export function jumpTarget(insn: Insn): number {
  if (insn.code === (BPF_JMP32 | BPF_JA)) return insn.pc + 1 + insn.imm;
  return insn.pc + 1 + insn.off;
}

export function isUnconditional(insn: Insn): boolean {
  return (insn.code & 0xf0) === BPF_JA;
}

// ---- Helpers ----

/** How a helper's 32-bit JS return value becomes r0 (see plan/objects.md, imports). */
export type ReturnKind = 's32' | 'u32' | 'u64' | 'void';

export interface HelperInfo {
  id: number;
  /** The kernel's name without the bpf_ prefix. */
  name: string;
  /** Arguments read from r1..r5 (stored to scratch before an imported call). */
  args: number;
  ret: ReturnKind;
  /** 'inline': lowered in Wasm; 'import': `h<id>` bound in JS; 'fault': faults when reached. */
  how: 'inline' | 'import' | 'fault';
}

export const HELPER_MAP_LOOKUP_ELEM = 1;
export const HELPER_GET_PRANDOM_U32 = 7;
export const HELPER_GET_SMP_PROCESSOR_ID = 8;
export const HELPER_TAIL_CALL = 12;
export const HELPER_GET_CURRENT_PID_TGID = 14;
export const HELPER_SPIN_LOCK = 93;
export const HELPER_SPIN_UNLOCK = 94;
export const HELPER_LOOP = 181;

/**
 * The helpers a translated program may call (ids from uapi enum bpf_func_id). map_lookup_elem is
 * inlined only for a known ARRAY/PERCPU_ARRAY map and imported otherwise; a tail call is an
 * import that decides, followed by a return from the program when it jumps (call.ts).
 */
export const HELPERS: readonly HelperInfo[] = [
  { id: 1, name: 'map_lookup_elem', args: 2, ret: 'u32', how: 'import' },
  { id: 2, name: 'map_update_elem', args: 4, ret: 's32', how: 'import' },
  { id: 3, name: 'map_delete_elem', args: 2, ret: 's32', how: 'import' },
  { id: 5, name: 'ktime_get_ns', args: 0, ret: 'u64', how: 'import' },
  { id: 6, name: 'trace_printk', args: 5, ret: 's32', how: 'import' },
  { id: 7, name: 'get_prandom_u32', args: 0, ret: 'u32', how: 'inline' },
  { id: 8, name: 'get_smp_processor_id', args: 0, ret: 'u32', how: 'inline' },
  { id: 12, name: 'tail_call', args: 3, ret: 's32', how: 'import' },
  { id: 14, name: 'get_current_pid_tgid', args: 0, ret: 'u64', how: 'inline' },
  { id: 16, name: 'get_current_comm', args: 2, ret: 's32', how: 'import' },
  { id: 25, name: 'perf_event_output', args: 5, ret: 's32', how: 'import' },
  { id: 87, name: 'map_push_elem', args: 3, ret: 's32', how: 'import' },
  { id: 88, name: 'map_pop_elem', args: 2, ret: 's32', how: 'import' },
  { id: 89, name: 'map_peek_elem', args: 2, ret: 's32', how: 'import' },
  { id: 93, name: 'spin_lock', args: 1, ret: 'void', how: 'inline' },
  { id: 94, name: 'spin_unlock', args: 1, ret: 'void', how: 'inline' },
  { id: 130, name: 'ringbuf_output', args: 4, ret: 's32', how: 'import' },
  { id: 131, name: 'ringbuf_reserve', args: 3, ret: 'u32', how: 'import' },
  { id: 132, name: 'ringbuf_submit', args: 2, ret: 'void', how: 'import' },
  { id: 133, name: 'ringbuf_discard', args: 2, ret: 'void', how: 'import' },
  { id: 134, name: 'ringbuf_query', args: 2, ret: 'u64', how: 'import' },
  { id: 181, name: 'loop', args: 4, ret: 's32', how: 'inline' },
  { id: 195, name: 'map_lookup_percpu_elem', args: 3, ret: 'u32', how: 'import' },
];

const byId = new Map(HELPERS.map((h) => [h.id, h]));

export function helperInfo(id: number): HelperInfo | undefined {
  return byId.get(id);
}

// ---- Run-time faults (the `fault(kind, pc, addr)` import) ----

export const FAULT_BAD_ACCESS = 1;
export const FAULT_UNKNOWN_HELPER = 2;
export const FAULT_LOOP_BUDGET = 3;
export const FAULT_CALL_WITH_LOCK = 4;
export const FAULT_EXIT_WITH_LOCK = 5;
export const FAULT_BAD_UNLOCK = 6;
export const FAULT_DOUBLE_LOCK = 7;
export const FAULT_UNSUPPORTED = 8;
export const FAULT_CALL_DEPTH = 9;

/** What each fault kind means, in the verifier's words where it has some; `addr` says what the third argument holds. */
export const FAULT_KINDS: Readonly<Record<number, { name: string; message: string; addr: string }>> = {
  [FAULT_BAD_ACCESS]: { name: 'bad-access', message: 'memory access outside the stack, context, packet and map values', addr: 'the address' },
  [FAULT_UNKNOWN_HELPER]: { name: 'unknown-helper', message: 'call to a helper with no binding', addr: 'the helper id' },
  [FAULT_LOOP_BUDGET]: { name: 'loop-budget', message: 'the loop budget per event is exhausted (a loop that does not end?)', addr: '0' },
  [FAULT_CALL_WITH_LOCK]: { name: 'call-with-lock', message: 'helper calls are not allowed while holding a lock (bpf_spin_unlock excepted)', addr: 'the held lock' },
  [FAULT_EXIT_WITH_LOCK]: { name: 'exit-with-lock', message: 'bpf_spin_unlock is missing (the program exits holding a lock; released)', addr: 'the held lock' },
  [FAULT_BAD_UNLOCK]: { name: 'bad-unlock', message: 'bpf_spin_unlock of a lock that is not held', addr: 'the lock word unlocked' },
  [FAULT_DOUBLE_LOCK]: { name: 'double-lock', message: 'bpf_spin_lock while already holding a lock', addr: 'the lock word locked' },
  [FAULT_UNSUPPORTED]: { name: 'unsupported', message: 'legacy packet load (LD_ABS/LD_IND) reached: not supported', addr: '0' },
  [FAULT_CALL_DEPTH]: { name: 'call-depth', message: `the call stack is more than ${MAX_FRAMES} frames deep`, addr: "the new frame's r10" },
};
