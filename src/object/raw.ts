// An object built in code rather than read from an ELF file: map definitions and programs already
// in the relocated form (objects.md: an ld_imm64 of a map carries its index in `maps`), as a
// program that calls bpf(BPF_PROG_LOAD) with its own instructions has them. Hand-assembled
// programs (what clang cannot emit, what the verifier must refuse) take this path, to the runtime
// and to the kernel alike. The result is the loader's plain BpfObject, so everything downstream
// treats it as any other object; it has no BTF, no line info and no ELF bytes.

import { ObjectError } from './errors.js';
import { matchSection } from './sections.js';
import type { BpfObject, ObjectMap, ObjectProgram } from './types.js';
import { BPF_CALL, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from './uapi.js';

export interface RawMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

export interface RawProgram {
  name: string;
  /** A libbpf section name ('tc', 'xdp', 'syscall', 'raw_tp', 'kprobe', ...): it gives the program type. */
  section: string;
  /** Relocated instructions, 8 bytes each; bpf-to-bpf calls and callbacks already relative. */
  insns: Uint8Array;
}

/** A BpfObject from map definitions and relocated programs. */
export function rawObject(name: string, maps: readonly RawMap[], programs: readonly RawProgram[]): BpfObject {
  const bad = (reason: string, where: { section?: string; insn?: number; hint?: string } = {}): never => {
    throw new ObjectError(reason, where, name);
  };
  const seen = new Set<string>();
  const objectMaps: ObjectMap[] = maps.map((m) => {
    if (seen.has(m.name)) bad(`map '${m.name}' is defined twice`);
    seen.add(m.name);
    return {
      name: m.name, kind: 'raw', section: '', type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
      flags: m.flags ?? 0, mapExtra: 0, pinning: 0, numaNode: 0, keyTypeId: 0, valueTypeId: 0, lockOffset: -1,
    };
  });
  const objectPrograms: ObjectProgram[] = programs.map((p) => {
    const sec = matchSection(p.section);
    if (sec === undefined) bad(`program '${p.name}': unknown section name, so no program type`, { section: p.section, hint: "use one of libbpf's SEC() names: tc, xdp, syscall, raw_tp, kprobe, ..." });
    if (p.insns.length === 0 || p.insns.length % 8 !== 0) bad(`program '${p.name}' is ${p.insns.length} bytes of instructions, not a non-zero multiple of 8`, { section: p.section });
    return {
      name: p.name, section: p.section, type: sec!.def.type, attachTo: sec!.attachTo, progType: sec!.def.progType, attachType: sec!.def.attachType,
      autoload: sec!.autoload, insns: p.insns, funcs: functionsOf(p.name, p.insns), lines: [], funcInfo: [],
    };
  });
  return { name, license: 'GPL', maps: objectMaps, programs: objectPrograms, btf: null, bytes: new Uint8Array(0) };
}

/**
 * The functions of a linked program: the main one at 0 and each target of a bpf-to-bpf call or a
 * callback's ld_imm64, in instruction order (what libbpf knows from symbols, read from the code).
 */
function functionsOf(name: string, insns: Uint8Array): { name: string; start: number }[] {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const n = insns.length / 8;
  const starts = new Set<number>([0]);
  for (let pc = 0; pc < n; pc++) {
    const code = insns[pc * 8]!;
    const src = insns[pc * 8 + 1]! >> 4;
    const target = pc + view.getInt32(pc * 8 + 4, true) + 1;
    if ((code === BPF_CALL && src === BPF_PSEUDO_CALL) || (code === BPF_LD_IMM64 && src === BPF_PSEUDO_FUNC)) {
      if (target > 0 && target < n) starts.add(target);
    }
    if (code === BPF_LD_IMM64) pc++;
  }
  return [...starts].sort((a, b) => a - b).map((start) => ({ name: start === 0 ? name : `${name}_${start}`, start }));
}
