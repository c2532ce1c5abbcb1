// A tiny eBPF assembler for the translator's tests: instructions by name, jumps to labels,
// functions for bpf-to-bpf calls. It encodes exactly the bytes the kernel takes (the kernel
// spot-check script loads these same bytes with bpftool).

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

export const ALU = { add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 } as const;
export type AluOp = keyof typeof ALU;
export const JMP = { jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0 } as const;
export type JmpOp = keyof typeof JMP;
export const SIZE = { w: 0x00, h: 0x08, b: 0x10, dw: 0x18 } as const;
export type Size = keyof typeof SIZE;
export const ATOMIC = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, fetch_add: 0x01, fetch_or: 0x41, fetch_and: 0x51, fetch_xor: 0xa1, xchg: 0xe1, cmpxchg: 0xf1 } as const;
export type AtomicName = keyof typeof ATOMIC;

interface Slot {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** Label this slot's off (or imm for gotol/call) refers to. */
  target?: string;
  targetField?: 'off' | 'imm';
}

export class Asm {
  private slots: Slot[] = [];
  private labels = new Map<string, number>();
  readonly funcs: { name: string; start: number }[] = [{ name: 'main', start: 0 }];

  get pc(): number {
    return this.slots.length;
  }
  private emit(code: number, dst: number, src: number, off: number, imm: number, target?: string, targetField?: 'off' | 'imm'): this {
    this.slots.push({ code, dst, src, off, imm, target, targetField });
    return this;
  }
  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`label ${name} twice`);
    this.labels.set(name, this.pc);
    return this;
  }
  /** Starts a sub-program here (also a label of that name). */
  func(name: string): this {
    this.funcs.push({ name, start: this.pc });
    return this.label(name);
  }
  raw(code: number, dst = 0, src = 0, off = 0, imm = 0): this {
    return this.emit(code, dst, src, off, imm);
  }

  // ALU
  alu64(op: AluOp, dst: number, src: number | { imm: number }): this {
    return typeof src === 'number' ? this.emit(0x07 | 0x08 | ALU[op], dst, src, 0, 0) : this.emit(0x07 | ALU[op], dst, 0, 0, src.imm);
  }
  alu32(op: AluOp, dst: number, src: number | { imm: number }): this {
    return typeof src === 'number' ? this.emit(0x04 | 0x08 | ALU[op], dst, src, 0, 0) : this.emit(0x04 | ALU[op], dst, 0, 0, src.imm);
  }
  mov64(dst: number, imm: number): this {
    return this.alu64('mov', dst, { imm });
  }
  mov32(dst: number, imm: number): this {
    return this.alu32('mov', dst, { imm });
  }
  movr(dst: number, src: number): this {
    return this.alu64('mov', dst, src);
  }
  /** sdiv/smod (off = 1), 64 or 32 bit, register or imm. */
  signed(op: 'div' | 'mod', is64: boolean, dst: number, src: number | { imm: number }): this {
    const cls = is64 ? 0x07 : 0x04;
    return typeof src === 'number' ? this.emit(cls | 0x08 | ALU[op], dst, src, 1, 0) : this.emit(cls | ALU[op], dst, 0, 1, src.imm);
  }
  movsx(is64: boolean, bits: 8 | 16 | 32, dst: number, src: number): this {
    return this.emit((is64 ? 0x07 : 0x04) | 0x08 | 0xb0, dst, src, bits, 0);
  }
  /** ALU END: to_le (0xd4), to_be (0xdc); ALU64 bswap (0xd7). */
  end(kind: 'le' | 'be' | 'bswap', dst: number, width: 16 | 32 | 64): this {
    const code = kind === 'le' ? 0xd4 : kind === 'be' ? 0xdc : 0xd7;
    return this.emit(code, dst, 0, 0, width);
  }
  /** ld_imm64 of a constant. */
  ld64(dst: number, v: bigint): this {
    const u = BigInt.asUintN(64, v);
    this.emit(0x18, dst, 0, 0, Number(BigInt.asIntN(32, u & 0xffffffffn)));
    return this.emit(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n)));
  }
  ldMap(dst: number, map: number): this {
    this.emit(0x18, dst, 1, 0, map);
    return this.emit(0, 0, 0, 0, 0);
  }
  ldMapValue(dst: number, map: number, off: number): this {
    this.emit(0x18, dst, 2, 0, map);
    return this.emit(0, 0, 0, 0, off);
  }
  ldFunc(dst: number, fn: string): this {
    this.emit(0x18, dst, 4, 0, 0, fn, 'imm');
    return this.emit(0, 0, 0, 0, 0);
  }

  // Memory
  ldx(size: Size, dst: number, src: number, off: number): this {
    return this.emit(0x61 | SIZE[size], dst, src, off, 0);
  }
  ldxsx(size: 'w' | 'h' | 'b', dst: number, src: number, off: number): this {
    return this.emit(0x81 | SIZE[size], dst, src, off, 0);
  }
  stx(size: Size, dst: number, off: number, src: number): this {
    return this.emit(0x63 | SIZE[size], dst, src, off, 0);
  }
  st(size: Size, dst: number, off: number, imm: number): this {
    return this.emit(0x62 | SIZE[size], dst, 0, off, imm);
  }
  atomic(size: 'w' | 'dw', op: AtomicName, dst: number, off: number, src: number): this {
    return this.emit(0xc3 | SIZE[size], dst, src, off, ATOMIC[op]);
  }

  // Jumps
  jmp(op: JmpOp, dst: number, src: number | { imm: number }, label: string): this {
    return typeof src === 'number'
      ? this.emit(0x05 | 0x08 | JMP[op], dst, src, 0, 0, label, 'off')
      : this.emit(0x05 | JMP[op], dst, 0, 0, src.imm, label, 'off');
  }
  jmp32(op: JmpOp, dst: number, src: number | { imm: number }, label: string): this {
    return typeof src === 'number'
      ? this.emit(0x06 | 0x08 | JMP[op], dst, src, 0, 0, label, 'off')
      : this.emit(0x06 | JMP[op], dst, 0, 0, src.imm, label, 'off');
  }
  ja(label: string): this {
    return this.emit(0x05, 0, 0, 0, 0, label, 'off');
  }
  gotol(label: string): this {
    return this.emit(0x06, 0, 0, 0, 0, label, 'imm');
  }
  call(helper: number): this {
    return this.emit(0x85, 0, 0, 0, helper);
  }
  callLocal(fn: string): this {
    return this.emit(0x85, 0, 1, 0, 0, fn, 'imm');
  }
  exit(): this {
    return this.emit(0x95, 0, 0, 0, 0);
  }

  build(): Uint8Array {
    const out = new Uint8Array(this.slots.length * 8);
    const view = new DataView(out.buffer);
    this.slots.forEach((s, pc) => {
      let { off, imm } = s;
      if (s.target !== undefined) {
        const at = this.labels.get(s.target);
        if (at === undefined) throw new Error(`no label ${s.target}`);
        const rel = at - pc - 1;
        if (s.targetField === 'off') off = rel;
        else imm = rel;
      }
      out[pc * 8] = s.code;
      out[pc * 8 + 1] = (s.src << 4) | s.dst;
      view.setInt16(pc * 8 + 2, off, true);
      view.setInt32(pc * 8 + 4, imm, true);
    });
    return out;
  }
}
