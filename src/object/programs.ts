// Functions and their code relocations, as libbpf collects them (bpf_object__add_programs,
// bpf_object__collect_prog_relos, bpf_program__record_reloc). Every STT_FUNC symbol in an
// executable section is a function: in .text a sub-program, elsewhere an entry-point program whose
// type comes from the section name. Each relocation is checked against the instruction it patches
// and recorded as what it means (a call, a callback address, a map, a global variable); link.ts
// then applies them per program.
//
// Instruction (8 bytes, little-endian): 0 code u8 | 1 dst_reg (low nibble), src_reg (high nibble)
// | 2 off s16 | 4 imm s32. ld_imm64 (code 0x18) takes two slots; the second has code 0 and only imm.
import type { ElfFile, ElfSection, ElfSymbol } from './elf.js';
import { fail } from './errors.js';
import type { CollectedMaps } from './maps.js';
import { globalDataKind } from './maps.js';
import {
  BPF_CALL, BPF_INSN_SIZE, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, R_BPF_64_32, R_BPF_64_64,
  R_BPF_64_ABS32, R_BPF_64_ABS64, R_BPF_64_NODYLD32, R_BPF_NONE, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF,
  SHT_PROGBITS, SHT_REL, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE, STT_SECTION,
} from './uapi.js';

/** What a code relocation means once resolved (libbpf's reloc_desc types we support). */
export type CodeReloc =
  /** bpf-to-bpf call: target .text insn = symOff / 8 + imm + 1. */
  | { kind: 'call'; symOff: number }
  /** ld_imm64 of a function's address (a bpf_loop callback): target .text insn = (symOff + imm) / 8. */
  | { kind: 'func_addr'; symOff: number }
  /** ld_imm64 of a map: the map index. */
  | { kind: 'map'; map: number }
  /** ld_imm64 of global data: the data map and the symbol's offset in its section. */
  | { kind: 'data'; map: number; symOff: number };

export interface BpfFunction {
  name: string;
  shndx: number;
  section: string;
  /** Index of the function's first instruction in its section. */
  secInsnOff: number;
  /** A private copy: ld_imm64 callback addresses already carry src_reg = BPF_PSEUDO_FUNC. */
  insns: Uint8Array;
  count: number;
  /** Local instruction index -> its relocation. */
  relocs: Map<number, CodeReloc>;
}

export interface CollectedFunctions {
  /** Sorted by section index, then offset (libbpf's cmp_progs). */
  funcs: BpfFunction[];
  /** Index of .text, 0 if the object has none. */
  textShndx: number;
}

const RELOC_NAMES: Record<number, string> = {
  [R_BPF_NONE]: 'R_BPF_NONE', [R_BPF_64_64]: 'R_BPF_64_64', [R_BPF_64_ABS64]: 'R_BPF_64_ABS64',
  [R_BPF_64_ABS32]: 'R_BPF_64_ABS32', [R_BPF_64_NODYLD32]: 'R_BPF_64_NODYLD32', [R_BPF_64_32]: 'R_BPF_64_32',
};

export function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;
}

export function collectFunctions(elf: ElfFile, maps: CollectedMaps): CollectedFunctions {
  const text = elf.sections.find((s) => s.name === '.text' && isCodeSection(s));
  const textShndx = text?.index ?? 0;
  const funcs: BpfFunction[] = [];
  for (const sec of elf.sections) {
    if (!isCodeSection(sec)) continue;
    if (sec.size % BPF_INSN_SIZE !== 0) fail(`code size ${sec.size} is not a multiple of ${BPF_INSN_SIZE}`, { section: sec.name, hint: 'the object is corrupt; rebuild it' });
    const data = elf.data(sec);
    for (const sym of elf.symbols) {
      if (sym.shndx !== sec.index || sym.type !== STT_FUNC) continue;
      if (sym.value % BPF_INSN_SIZE !== 0 || sym.size % BPF_INSN_SIZE !== 0) fail(`function '${sym.name}' at offset ${sym.value}, ${sym.size} bytes, is not on instruction boundaries`, { section: sec.name, hint: 'the object is corrupt; rebuild it' });
      if (sym.value + sym.size > sec.size) fail(`function '${sym.name}' at offset ${sym.value} (${sym.size} bytes) crosses the section's end (${sec.size} bytes)`, { section: sec.name, hint: 'the object is corrupt; rebuild it' });
      if (sym.size === 0) fail(`function '${sym.name}' is empty`, { section: sec.name });
      if (sec.index !== textShndx && sym.bind === STB_LOCAL) fail(`program '${sym.name}' is static, which libbpf does not support for entry points`, { section: sec.name, hint: 'remove static from the SEC() function' });
      const count = sym.size / BPF_INSN_SIZE;
      const f: BpfFunction = { name: sym.name, shndx: sec.index, section: sec.name, secInsnOff: sym.value / BPF_INSN_SIZE, insns: data.slice(sym.value, sym.value + sym.size), count, relocs: new Map() };
      checkLdImm64Shape(f);
      funcs.push(f);
    }
  }
  funcs.sort((a, b) => a.shndx - b.shndx || a.secInsnOff - b.secInsnOff);
  const collected: CollectedFunctions = { funcs, textShndx };
  for (const rel of elf.sections) {
    if (rel.type !== SHT_REL) continue;
    const target = elf.section(rel.info);
    if (target === undefined || !isCodeSection(target)) continue;
    recordRelocs(elf, rel, target, collected, maps);
  }
  return collected;
}

/** The function of a section that holds this instruction (find_prog_by_sec_insn). */
export function functionAt(c: CollectedFunctions, shndx: number, insn: number): BpfFunction | undefined {
  let lo = 0;
  let hi = c.funcs.length - 1;
  let found: BpfFunction | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = c.funcs[mid]!;
    if (f.shndx < shndx || (f.shndx === shndx && f.secInsnOff <= insn)) {
      found = f;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found !== undefined && found.shndx === shndx && insn < found.secInsnOff + found.count ? found : undefined;
}

/**
 * The kernel takes ld_imm64 as two slots whose second has code, registers and offset 0. That shape
 * (and that the second slot exists) is the only instruction check the loader makes; any other
 * opcode, known or not, is left for the translator to accept or refuse.
 */
function checkLdImm64Shape(f: BpfFunction): void {
  for (let i = 0; i < f.count; i++) {
    if (f.insns[i * 8] !== BPF_LD_IMM64) continue;
    const where = { section: f.section, insn: f.secInsnOff + i };
    if (i + 1 >= f.count) fail(`ld_imm64 is the last instruction of '${f.name}' and has no second slot`, { ...where, hint: 'the object is corrupt; rebuild it' });
    const b = (i + 1) * 8;
    if (f.insns[b] !== 0 || f.insns[b + 1] !== 0 || f.insns[b + 2] !== 0 || f.insns[b + 3] !== 0) {
      fail(`ld_imm64's second slot must have code, registers and offset 0 (it has code 0x${f.insns[b]!.toString(16)})`, { ...where, hint: 'the object is corrupt; rebuild it' });
    }
    i++;
  }
}

function recordRelocs(elf: ElfFile, rel: ElfSection, sec: ElfSection, c: CollectedFunctions, maps: CollectedMaps): void {
  for (const [i, r] of elf.rels(rel).entries()) {
    if (r.offset % BPF_INSN_SIZE !== 0 || r.offset >= sec.size) {
      fail(`relocation #${i} at offset ${r.offset} is outside the section's ${sec.size} bytes of instructions or not on an instruction`, { section: sec.name, hint: 'the object is corrupt; rebuild it' });
    }
    const secInsn = r.offset / BPF_INSN_SIZE;
    const where = { section: sec.name, insn: secInsn };
    if (r.type === R_BPF_NONE) continue;
    const f = functionAt(c, sec.index, secInsn);
    if (f === undefined) continue; // not inside any function (libbpf: an overridden weak function); nothing to patch
    const sym = elf.symbols[r.symbol]!;
    const local = secInsn - f.secInsnOff;
    const code = f.insns[local * 8]!;
    const srcReg = f.insns[local * 8 + 1]! >> 4;
    const imm = new DataView(f.insns.buffer, f.insns.byteOffset + local * 8 + 4, 4).getInt32(0, true);
    const symName = sym.type === STT_SECTION && sym.name === '' ? (elf.section(sym.shndx)?.name ?? '') : sym.name;
    const typeName = RELOC_NAMES[r.type];
    if (typeName === undefined) fail(`unknown relocation type ${r.type} against '${symName}' in function '${f.name}'`, { ...where, hint: 'the loader knows R_BPF_64_64 (ld_imm64) and R_BPF_64_32 (call); rebuild with a clang that targets bpf' });
    if (code !== BPF_CALL && code !== BPF_LD_IMM64) fail(`relocation against '${symName}' patches an instruction with code 0x${code.toString(16)}, which is neither ld_imm64 nor call`, { ...where, hint: 'the object is corrupt; rebuild it' });
    const expected = code === BPF_CALL ? R_BPF_64_32 : R_BPF_64_64;
    if (r.type !== expected) fail(`relocation type ${typeName} (${r.type}) on a${code === BPF_CALL ? ' call' : 'n ld_imm64'}; clang emits ${RELOC_NAMES[expected]} there`, { ...where, hint: 'rebuild the object with clang -target bpf' });
    if (isExtern(sym)) {
      if (code === BPF_CALL) fail(`call to kernel function '${symName}' (a kfunc) is not supported`, { ...where, hint: 'kfuncs live in the kernel; use BPF helpers instead' });
      fail(`reference to extern '${symName}' (__ksym/__kconfig) is not supported`, { ...where, hint: 'replace the extern with a const volatile global set from user space' });
    }
    f.relocs.set(local, resolveReloc(elf, f, sym, symName, code, srcReg, imm, c, maps, where));
  }
}

function isExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && sym.type === STT_NOTYPE;
}

function resolveReloc(elf: ElfFile, f: BpfFunction, sym: ElfSymbol, symName: string, code: number, srcReg: number, imm: number, c: CollectedFunctions, maps: CollectedMaps, where: { section: string; insn: number }): CodeReloc {
  const shndx = sym.shndx;
  const symSec = elf.section(shndx)?.name ?? `#${shndx}`;
  if (code === BPF_CALL) {
    if (srcReg !== BPF_PSEUDO_CALL) fail(`relocated call has src_reg ${srcReg}, not BPF_PSEUDO_CALL (1)`, { ...where, hint: 'the object is corrupt; rebuild it' });
    if (shndx === SHN_UNDEF || shndx !== c.textShndx) fail(`call to '${symName}' in section '${symSec}': sub-programs must be in .text`, { ...where, hint: 'call plain (non-SEC) functions only; an entry-point program cannot be called' });
    if (sym.value % BPF_INSN_SIZE !== 0) fail(`call to '${symName}' at offset ${sym.value}, not an instruction boundary`, where);
    return { kind: 'call', symOff: sym.value };
  }
  if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) fail(`ld_imm64 against '${symName}' in special section 0x${shndx.toString(16)}`, { ...where, hint: 'forgot to initialise a global variable?' });
  // A function's address (bpf_loop callback): a .text section symbol (static) or global FUNC.
  if (shndx === c.textShndx && ((sym.bind === STB_LOCAL && sym.type === STT_SECTION) || ((sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && sym.type === STT_FUNC))) {
    if (sym.value % BPF_INSN_SIZE !== 0 || imm % BPF_INSN_SIZE !== 0) fail(`function address of '${symName}' at offset ${sym.value}+${imm}, not an instruction boundary`, where);
    f.insns[(where.insn - f.secInsnOff) * 8 + 1] = (f.insns[(where.insn - f.secInsnOff) * 8 + 1]! & 0x0f) | (BPF_PSEUDO_FUNC << 4);
    return { kind: 'func_addr', symOff: sym.value };
  }
  if (shndx === maps.btfMapsShndx || (elf.section(shndx)?.name === 'maps' && maps.places.some((p) => p.shndx === shndx))) {
    const mi = maps.places.findIndex((p) => p.shndx === shndx && p.offset === sym.value);
    if (mi < 0) fail(`no map at offset ${sym.value} of section '${symSec}' for '${symName}'`, { ...where, hint: 'every map reference needs its map definition (and its symbol) in the object' });
    return { kind: 'map', map: mi };
  }
  const symSection = elf.section(shndx);
  if (symSection !== undefined && globalDataKind(symSection) !== undefined) {
    const mi = maps.places.findIndex((p, j) => p.shndx === shndx && maps.maps[j]!.kind === 'data');
    if (mi < 0) fail(`no global data map for section '${symSec}' (referenced through '${symName}')`, where);
    return { kind: 'data', map: mi, symOff: sym.value };
  }
  fail(`ld_imm64 against '${symName}' in section '${symSec}', which is neither a map section nor global data`, { ...where, hint: 'only maps, global variables and functions may be referenced by address' });
}
