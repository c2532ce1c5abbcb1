// A small eBPF assembler for scenarios that clang 14 cannot express (cpu v4 opcodes: signed
// division, sign-extending moves and loads, unconditional byte swaps, gotol) or must not (every
// opcode of a class, programs the verifier refuses). One instruction per line; it produces the
// relocated form of objects.md: ld_imm64 of a map carries the map's index (src_reg 1, or 2 with
// an offset into its value), calls and jumps are relative. Hand-written because no maintained npm
// package assembles BPF; the syntax is ours and documented in test/conformance/programs/README.md.

export const INSN_SIZE = 8;

// Classes, sizes, modes, ops (include/uapi/linux/bpf.h, bpf_common.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07;
const SIZE = { w: 0x00, h: 0x08, b: 0x10, dw: 0x18 } as const;
const IMM = 0x00, MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0;
const K = 0x00, X = 0x08;
const ALU_OPS = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80,
  mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0, sdiv: 0x30, smod: 0x90,
} as const;
const END = 0xd0;
const JMP_OPS = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
} as const;
const JA = 0x00, CALL = 0x80, EXIT = 0x90;
const ATOMIC_OPS = {
  add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, fetch_add: 0x01, fetch_or: 0x41, fetch_and: 0x51, fetch_xor: 0xa1, xchg: 0xe1, cmpxchg: 0xf1,
} as const;
export const PSEUDO_MAP_FD = 1;
export const PSEUDO_MAP_VALUE = 2;
export const PSEUDO_CALL = 1;
export const PSEUDO_FUNC = 4;

/** The helpers scenarios call by name (ids from include/uapi/linux/bpf.h). */
export const HELPER_IDS: Readonly<Record<string, number>> = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, ktime_get_ns: 5, trace_printk: 6,
  get_prandom_u32: 7, get_smp_processor_id: 8, get_current_pid_tgid: 14, map_push_elem: 87, map_pop_elem: 88,
  map_peek_elem: 89, spin_lock: 93, spin_unlock: 94, ringbuf_output: 130, ringbuf_reserve: 131,
  ringbuf_submit: 132, ringbuf_discard: 133, ringbuf_query: 134, loop: 181, map_lookup_percpu_elem: 195,
};

/** A line that does not assemble: its index in the program and why. */
export class AsmError extends Error {
  override name = 'AsmError';
  readonly line: number;
  constructor(line: number, why: string) {
    super(why);
    this.line = line;
  }
}

interface Encoded {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** ld_imm64's second slot imm */
  imm2?: number;
  /** a label or +n/-n to resolve into off (jumps) or imm (gotol, calls, ld_func) */
  target?: { text: string; field: 'off' | 'imm' };
}

function reg(tok: string | undefined, line: number): number {
  const m = /^[rw](\d+)$/.exec(tok ?? '');
  if (!m || Number(m[1]) > 10) throw new AsmError(line, `expected a register r0..r10, got '${tok ?? ''}'`);
  return Number(m[1]);
}

function isReg(tok: string | undefined): boolean {
  return /^[rw]\d+$/.test(tok ?? '');
}

/** A signed 32-bit immediate (decimal or 0x hex; hex may give the u32 bit pattern). */
function imm32(tok: string | undefined, line: number): number {
  const t = tok ?? '';
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new AsmError(line, `expected a number, got '${t}'`);
  const v = BigInt(t.startsWith('-') ? `-${t.slice(1)}` : t);
  if (v < -(1n << 31n) || v > 0xffffffffn) throw new AsmError(line, `'${t}' does not fit in a 32-bit immediate`);
  return Number(BigInt.asIntN(32, v));
}

function imm64(tok: string | undefined, line: number): bigint {
  const t = tok ?? '';
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new AsmError(line, `expected a number, got '${t}'`);
  const v = BigInt(t.startsWith('-') ? `-${t.slice(1)}` : t);
  if (v < -(1n << 63n) || v > (1n << 64n) - 1n) throw new AsmError(line, `'${t}' does not fit in 64 bits`);
  return BigInt.asUintN(64, v);
}

/** [rN+off] or [rN-off] */
function memRef(tok: string | undefined, line: number): { reg: number; off: number } {
  const m = /^\[([rw]\d+)\s*(?:([+-])\s*(\d+|0x[0-9a-f]+))?\]$/i.exec(tok ?? '');
  if (!m) throw new AsmError(line, `expected a memory operand [rN+off], got '${tok ?? ''}'`);
  const off = m[3] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]);
  if (off < -32768 || off > 32767) throw new AsmError(line, `offset ${off} does not fit in 16 bits`);
  return { reg: reg(m[1], line), off };
}

function count(tokens: string[], n: number, line: number, form: string): void {
  if (tokens.length !== n) throw new AsmError(line, `'${tokens[0]}' takes the form '${form}'`);
}

/** Split "op a, b, c" into ["op", "a", "b", "c"], keeping "[r1 + 8]" whole. */
function tokenize(text: string): string[] {
  const t = text.trim();
  const sp = t.search(/\s/);
  if (sp < 0) return [t];
  const rest = t.slice(sp).trim();
  const args = rest.split(',').map((a) => a.trim().replace(/\[\s*/, '[').replace(/\s*\]/, ']'));
  return [t.slice(0, sp), ...args];
}

function encodeLine(text: string, line: number, mapIndex: (name: string) => number | undefined): Encoded {
  const tok = tokenize(text);
  const op = tok[0]!;
  let m: RegExpExecArray | null;

  if (op === 'exit') {
    count(tok, 1, line, 'exit');
    return { code: JMP | EXIT, dst: 0, src: 0, off: 0, imm: 0 };
  }
  if (op === '.insn') {
    // .insn code dst src off imm: anything at all, for the verifier to judge
    const f = text.trim().split(/[\s,]+/);
    count(f, 6, line, '.insn code dst src off imm');
    const [code, dst, src, off] = f.slice(1, 5).map((x) => Number(x));
    if (![code, dst, src, off].every((v) => Number.isInteger(v)) || code! < 0 || code! > 255 || dst! < 0 || dst! > 15 || src! < 0 || src! > 15 || off! < -32768 || off! > 32767) {
      throw new AsmError(line, `.insn fields out of range: code 0..255, dst/src 0..15, off s16`);
    }
    return { code: code!, dst: dst!, src: src!, off: off!, imm: imm32(f[5], line) };
  }
  // ALU: add64 / add32 ..., neg64 dst, movsx64 dst, src, 8
  if ((m = /^(add|sub|mul|div|sdiv|or|and|lsh|rsh|neg|mod|smod|xor|mov|arsh|movsx)(64|32)$/.exec(op))) {
    const name = m[1]!;
    const cls = m[2] === '64' ? ALU64 : ALU;
    if (name === 'neg') {
      count(tok, 2, line, `${op} dst`);
      return { code: cls | ALU_OPS.neg | K, dst: reg(tok[1], line), src: 0, off: 0, imm: 0 };
    }
    if (name === 'movsx') {
      count(tok, 4, line, `${op} dst, src, 8|16|32`);
      const width = Number(tok[3]);
      if (![8, 16, 32].includes(width) || (cls === ALU && width === 32)) throw new AsmError(line, `${op} sign-extends from 8, 16${cls === ALU64 ? ' or 32' : ''} bits`);
      return { code: cls | ALU_OPS.mov | X, dst: reg(tok[1], line), src: reg(tok[2], line), off: width, imm: 0 };
    }
    count(tok, 3, line, `${op} dst, src|imm`);
    const signed = name === 'sdiv' || name === 'smod' ? 1 : 0;
    const base = ALU_OPS[name as keyof typeof ALU_OPS];
    if (isReg(tok[2])) return { code: cls | base | X, dst: reg(tok[1], line), src: reg(tok[2], line), off: signed, imm: 0 };
    return { code: cls | base | K, dst: reg(tok[1], line), src: 0, off: signed, imm: imm32(tok[2], line) };
  }
  if ((m = /^(le|be|bswap)(16|32|64)$/.exec(op))) {
    count(tok, 2, line, `${op} dst`);
    const cls = m[1] === 'bswap' ? ALU64 : ALU;
    return { code: cls | END | (m[1] === 'be' ? X : K), dst: reg(tok[1], line), src: 0, off: 0, imm: Number(m[2]) };
  }
  if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(op))) {
    count(tok, 3, line, `${op} dst, [src+off]`);
    if (m[1] === 's' && m[2] === 'dw') throw new AsmError(line, 'there is no sign-extending 64-bit load');
    const ref = memRef(tok[2], line);
    return { code: LDX | (m[1] ? MEMSX : MEM) | SIZE[m[2] as keyof typeof SIZE], dst: reg(tok[1], line), src: ref.reg, off: ref.off, imm: 0 };
  }
  if ((m = /^(stx|st)(b|h|w|dw)$/.exec(op))) {
    count(tok, 3, line, `${op} [dst+off], ${m[1] === 'stx' ? 'src' : 'imm'}`);
    const ref = memRef(tok[1], line);
    if (m[1] === 'stx') return { code: STX | MEM | SIZE[m[2] as keyof typeof SIZE], dst: ref.reg, src: reg(tok[2], line), off: ref.off, imm: 0 };
    return { code: ST | MEM | SIZE[m[2] as keyof typeof SIZE], dst: ref.reg, src: 0, off: ref.off, imm: imm32(tok[2], line) };
  }
  if ((m = /^atomic(32|64)$/.exec(op))) {
    // atomic64 fetch_add [r1+0], r2
    const first = (tok[1] ?? '').search(/\s/);
    const parts = first < 0 ? [] : [tok[1]!.slice(0, first), tok[1]!.slice(first).trim()];
    if (tok.length !== 3 || parts.length !== 2) throw new AsmError(line, `'${op}' takes the form '${op} add|or|and|xor|fetch_add|fetch_or|fetch_and|fetch_xor|xchg|cmpxchg [dst+off], src'`);
    const a = ATOMIC_OPS[parts[0] as keyof typeof ATOMIC_OPS];
    if (a === undefined) throw new AsmError(line, `unknown atomic operation '${parts[0]}'`);
    const ref = memRef(parts[1], line);
    return { code: STX | ATOMIC | (m[1] === '64' ? SIZE.dw : SIZE.w), dst: ref.reg, src: reg(tok[2], line), off: ref.off, imm: a };
  }
  if (op === 'lddw') {
    count(tok, 3, line, 'lddw dst, imm64');
    const v = imm64(tok[2], line);
    return { code: LD | IMM | SIZE.dw, dst: reg(tok[1], line), src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm2: Number(BigInt.asIntN(32, v >> 32n)) };
  }
  if (op === 'ldmap' || op === 'ldmapvalue') {
    count(tok, op === 'ldmap' ? 3 : 4, line, op === 'ldmap' ? 'ldmap dst, map' : 'ldmapvalue dst, map, offset');
    const idx = mapIndex(tok[2]!);
    if (idx === undefined) throw new AsmError(line, `no map '${tok[2]}' in this object's maps`);
    return {
      code: LD | IMM | SIZE.dw, dst: reg(tok[1], line), src: op === 'ldmap' ? PSEUDO_MAP_FD : PSEUDO_MAP_VALUE, off: 0, imm: idx,
      imm2: op === 'ldmap' ? 0 : imm32(tok[3], line),
    };
  }
  if (op === 'ldfunc') {
    count(tok, 3, line, 'ldfunc dst, target');
    return { code: LD | IMM | SIZE.dw, dst: reg(tok[1], line), src: PSEUDO_FUNC, off: 0, imm: 0, imm2: 0, target: { text: tok[2]!, field: 'imm' } };
  }
  if (op === 'ja') {
    count(tok, 2, line, 'ja target');
    return { code: JMP | JA, dst: 0, src: 0, off: 0, imm: 0, target: { text: tok[1]!, field: 'off' } };
  }
  if (op === 'gotol') {
    count(tok, 2, line, 'gotol target');
    return { code: JMP32 | JA, dst: 0, src: 0, off: 0, imm: 0, target: { text: tok[1]!, field: 'imm' } };
  }
  if (op === 'call') {
    count(tok, 2, line, 'call helper_name|id');
    const id = HELPER_IDS[tok[1]!] ?? (/^\d+$/.test(tok[1]!) ? Number(tok[1]) : undefined);
    if (id === undefined) throw new AsmError(line, `unknown helper '${tok[1]}'; give its number or one of ${Object.keys(HELPER_IDS).join(', ')}`);
    return { code: JMP | CALL, dst: 0, src: 0, off: 0, imm: id };
  }
  if (op === 'calll') {
    count(tok, 2, line, 'calll target');
    return { code: JMP | CALL, dst: 0, src: PSEUDO_CALL, off: 0, imm: 0, target: { text: tok[1]!, field: 'imm' } };
  }
  if ((m = /^(jeq|jgt|jge|jset|jne|jsgt|jsge|jlt|jle|jslt|jsle)(32)?$/.exec(op))) {
    count(tok, 4, line, `${op} dst, src|imm, target`);
    const cls = m[2] ? JMP32 : JMP;
    const base = JMP_OPS[m[1] as keyof typeof JMP_OPS];
    const target = { text: tok[3]!, field: 'off' as const };
    if (isReg(tok[2])) return { code: cls | base | X, dst: reg(tok[1], line), src: reg(tok[2], line), off: 0, imm: 0, target };
    return { code: cls | base | K, dst: reg(tok[1], line), src: 0, off: 0, imm: imm32(tok[2], line), target };
  }
  throw new AsmError(line, `unknown instruction '${op}'`);
}

/**
 * Assemble lines into instructions. `maps` gives the map names in index order. Lines ending in
 * ':' are labels; ';' starts a comment. Jump targets are labels or +n/-n (slots after the next).
 */
export function assemble(lines: readonly string[], maps: readonly string[]): Uint8Array {
  const labels = new Map<string, number>();
  const encoded: { e: Encoded; line: number; pc: number }[] = [];
  let pc = 0;
  lines.forEach((raw, i) => {
    const text = raw.replace(/;.*$/, '').trim();
    if (text === '') return;
    const lm = /^([A-Za-z_.][\w.]*):$/.exec(text);
    if (lm) {
      if (labels.has(lm[1]!)) throw new AsmError(i, `label '${lm[1]}' is defined twice`);
      labels.set(lm[1]!, pc);
      return;
    }
    const e = encodeLine(text, i, (name) => {
      const idx = maps.indexOf(name);
      return idx < 0 ? undefined : idx;
    });
    encoded.push({ e, line: i, pc });
    pc += e.imm2 !== undefined ? 2 : 1;
  });
  const out = new Uint8Array(pc * INSN_SIZE);
  const view = new DataView(out.buffer);
  for (const { e, line, pc: at } of encoded) {
    if (e.target) {
      const t = e.target.text;
      let rel: number;
      if (/^[+-]\d+$/.test(t)) rel = Number(t);
      else if (labels.has(t)) rel = labels.get(t)! - at - 1;
      else throw new AsmError(line, `no label '${t}'`);
      if (e.target.field === 'off') {
        if (rel < -32768 || rel > 32767) throw new AsmError(line, `jump of ${rel} does not fit in 16 bits; use gotol`);
        e.off = rel;
      } else {
        e.imm = rel;
      }
    }
    const o = at * INSN_SIZE;
    view.setUint8(o, e.code);
    view.setUint8(o + 1, (e.src << 4) | e.dst);
    view.setInt16(o + 2, e.off, true);
    view.setInt32(o + 4, e.imm, true);
    if (e.imm2 !== undefined) view.setInt32(o + 12, e.imm2, true);
  }
  return out;
}
