// Linking one entry-point program as libbpf does (bpf_object__reloc_code, bpf_object__relocate_data,
// reloc_prog_func_and_line_info): the program's instructions, then each .text sub-program it
// reaches, appended once, depth-first in first-reference order (a callee is appended and walked
// before the caller's walk goes on); every bpf-to-bpf call and callback address rewritten relative
// to the linked array (target = pc + imm + 1); then map and global data references filled in with
// map indexes; func_info and line_info moved to the linked indexes. The result is exactly what the
// kernel would be handed, with map indexes where libbpf puts fds (objects.md, "Relocated form").
import type { BtfExt } from './btf-ext.js';
import { fail } from './errors.js';
import type { CollectedMaps } from './maps.js';
import type { BpfFunction, CollectedFunctions } from './programs.js';
import { functionAt } from './programs.js';
import type { LineInfo } from './types.js';
import { BPF_CALL, BPF_INSN_SIZE, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from './uapi.js';

export interface LinkedProgram {
  insns: Uint8Array;
  funcs: { name: string; start: number }[];
  lines: LineInfo[];
  funcInfo: { insn: number; typeId: number }[];
}

interface Placed { f: BpfFunction; start: number }

export function linkProgram(main: BpfFunction, c: CollectedFunctions, maps: CollectedMaps, ext: BtfExt | null): LinkedProgram {
  const placed: Placed[] = [{ f: main, start: 0 }];
  const startOf = new Map<BpfFunction, number>([[main, 0]]);
  const calls: { pc: number; target: number }[] = [];
  let total = main.count;
  // Depth-first walk with an explicit stack (a deep call chain must not overflow the JS stack).
  const stack: { p: Placed; i: number }[] = [{ p: placed[0]!, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const { f, start } = top.p;
    if (top.i >= f.count) {
      stack.pop();
      continue;
    }
    const i = top.i++;
    const code = f.insns[i * 8]!;
    const src = f.insns[i * 8 + 1]! >> 4;
    const isCall = code === BPF_CALL && src === BPF_PSEUDO_CALL;
    const isFuncAddr = code === BPF_LD_IMM64 && src === BPF_PSEUDO_FUNC;
    if (!isCall && !isFuncAddr) continue;
    const target = calleeOf(f, i, c);
    let targetStart = startOf.get(target);
    if (targetStart === undefined) {
      targetStart = total;
      total += target.count;
      startOf.set(target, targetStart);
      const p = { f: target, start: targetStart };
      placed.push(p);
      stack.push({ p, i: 0 });
    }
    calls.push({ pc: start + i, target: targetStart });
  }

  const out = new Uint8Array(total * BPF_INSN_SIZE);
  const view = new DataView(out.buffer);
  for (const { f, start } of placed) out.set(f.insns, start * BPF_INSN_SIZE);
  for (const { pc, target } of calls) view.setInt32(pc * 8 + 4, target - pc - 1, true);
  for (const { f, start } of placed) applyDataRelocs(f, start, out, view, maps);

  const lines: LineInfo[] = [];
  const funcInfo: { insn: number; typeId: number }[] = [];
  if (ext !== null) {
    for (const { f, start } of placed) {
      for (const r of inFunction(ext.lineInfo.get(f.section), f)) lines.push({ insn: r.insnOff / 8 - f.secInsnOff + start, file: r.file, line: r.line, col: r.col, text: r.text });
      for (const r of inFunction(ext.funcInfo.get(f.section), f)) funcInfo.push({ insn: r.insnOff / 8 - f.secInsnOff + start, typeId: r.typeId });
    }
    // Sorted by instruction; a stable sort keeps clang's order among records of one instruction.
    lines.sort((a, b) => a.insn - b.insn);
    funcInfo.sort((a, b) => a.insn - b.insn);
  }
  return { insns: out, funcs: placed.map(({ f, start }) => ({ name: f.name, start })), lines, funcInfo };
}

/** The sub-program a call or callback address at local index i of f points to. */
function calleeOf(f: BpfFunction, i: number, c: CollectedFunctions): BpfFunction {
  const where = { section: f.section, insn: f.secInsnOff + i };
  const imm = new DataView(f.insns.buffer, f.insns.byteOffset + i * 8 + 4, 4).getInt32(0, true);
  const reloc = f.relocs.get(i);
  let textInsn: number;
  if (reloc?.kind === 'call') {
    // Global functions: the symbol is the function and imm is -1; static ones: the symbol is .text
    // and imm carries the offset. One formula serves both.
    textInsn = reloc.symOff / 8 + imm + 1;
  } else if (reloc?.kind === 'func_addr') {
    textInsn = (reloc.symOff + imm) / 8;
  } else if (reloc !== undefined) {
    fail(`unexpected ${reloc.kind} relocation on a call in '${f.name}'`, where);
  } else if (f.insns[i * 8] === BPF_LD_IMM64) {
    fail(`callback address in '${f.name}' has no relocation`, { ...where, hint: 'the object is corrupt; rebuild it' });
  } else {
    // Caller and callee in one section need no relocation: imm is relative to the call.
    if (f.shndx !== c.textShndx) fail(`bpf-to-bpf call in '${f.name}' without a relocation leaves .text-only sub-programs unreachable`, { ...where, hint: 'sub-programs must be plain functions in .text' });
    textInsn = f.secInsnOff + i + imm + 1;
  }
  const target = Number.isInteger(textInsn) ? functionAt(c, c.textShndx, textInsn) : undefined;
  if (target === undefined) fail(`call from '${f.name}' to instruction ${textInsn} of .text, where there is no sub-program`, { ...where, hint: 'sub-programs must be in .text; calls to other sections are not supported' });
  if (target.secInsnOff !== textInsn) fail(`call from '${f.name}' lands on instruction ${textInsn} of .text, inside '${target.name}' (which starts at ${target.secInsnOff})`, { ...where, hint: 'the object is corrupt; rebuild it' });
  return target;
}

function applyDataRelocs(f: BpfFunction, start: number, out: Uint8Array, view: DataView, maps: CollectedMaps): void {
  for (const [local, r] of f.relocs) {
    if (r.kind !== 'map' && r.kind !== 'data') continue;
    const pc = start + local;
    const at = pc * 8;
    if (r.kind === 'map') {
      out[at + 1] = (out[at + 1]! & 0x0f) | (BPF_PSEUDO_MAP_FD << 4);
      view.setInt32(at + 4, r.map, true);
      continue;
    }
    // Global data: the second slot gets the offset inside the value (the addend clang left in
    // imm plus the symbol's place in its section); the first slot names the map.
    const off = view.getInt32(at + 4, true) + r.symOff;
    const map = maps.maps[r.map]!;
    if (off < 0 || off >= map.valueSize) fail(`global data reference at offset ${off} is outside '${map.name}' (${map.valueSize} bytes)`, { section: f.section, insn: f.secInsnOff + local, hint: 'the kernel refuses such an offset; the object is corrupt' });
    out[at + 1] = (out[at + 1]! & 0x0f) | (BPF_PSEUDO_MAP_VALUE << 4);
    view.setInt32(at + 4, r.map, true);
    view.setInt32(at + 12, off, true);
  }
}

function* inFunction<T extends { insnOff: number }>(records: T[] | undefined, f: BpfFunction): Generator<T> {
  if (records === undefined) return;
  for (const r of records) {
    if (r.insnOff % BPF_INSN_SIZE !== 0) fail(`.BTF.ext record at byte offset ${r.insnOff} is not on an instruction`, { section: f.section, hint: 'the object is corrupt; rebuild it' });
    const insn = r.insnOff / BPF_INSN_SIZE;
    if (insn >= f.secInsnOff && insn < f.secInsnOff + f.count) yield r;
  }
}
