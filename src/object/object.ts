// openObject: an eBPF object file to a BpfObject (objects.md), one pass per concern in libbpf's
// order (bpf_object_open): ELF -> license -> BTF (+ fix-ups) -> maps -> functions and code
// relocations -> map slot initialisers -> per-program linking. Nothing is created and nothing is
// sent to the kernel: the bytes stay as given, so the same object can go to libbpf unchanged.
import { Btf } from './btf.js';
import { BtfExt } from './btf-ext.js';
import { ElfFile } from './elf.js';
import { fail, ObjectError } from './errors.js';
import { linkProgram } from './link.js';
import { collectMapInitSlots, collectMaps } from './maps.js';
import { collectFunctions } from './programs.js';
import { matchSection } from './sections.js';
import type { BpfObject, ObjectProgram, OpenOptions } from './types.js';
import { SHT_PROGBITS, STB_GLOBAL, STB_WEAK, STT_OBJECT } from './uapi.js';

/** Opens an object from its bytes. Any malformed or unsupported input throws ObjectError. */
export function openObject(bytes: Uint8Array, options: OpenOptions = {}): BpfObject {
  const name = options.name ?? 'object';
  try {
    return open(bytes, name);
  } catch (e) {
    if (e instanceof ObjectError) throw e.inObject(name);
    throw e;
  }
}

function open(bytes: Uint8Array, name: string): BpfObject {
  const elf = new ElfFile(bytes);
  if (elf.symtabIndex === 0) fail('no symbol table (a stripped object?)', { hint: 'give the loader the .o that clang -c produced, unstripped' });

  const licenseSec = elf.sectionByName('license');
  const license = licenseSec !== undefined && licenseSec.type === SHT_PROGBITS ? cString(elf.data(licenseSec)) : '';

  const btfSec = elf.sectionByName('.BTF');
  const btf = btfSec !== undefined ? Btf.parse(elf.data(btfSec)) : null;
  if (btf !== null) {
    // Global variables by name (libbpf's find_elf_var_sym), indexed once: a DATASEC may hold many.
    const globals = new Map<string, { value: number; visibility: number }>();
    for (const s of elf.symbols) {
      if (s.type === STT_OBJECT && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && !globals.has(s.name)) globals.set(s.name, { value: s.value, visibility: s.visibility });
    }
    btf.fixupDatasecs((secName) => elf.sectionByName(secName)?.size, (varName) => globals.get(varName));
  }
  const extSec = elf.sectionByName('.BTF.ext');
  const ext = extSec !== undefined && btf !== null ? BtfExt.parse(elf.data(extSec), btf) : null;

  const maps = collectMaps(elf, btf, name);
  const functions = collectFunctions(elf, maps);
  const entries = functions.funcs.filter((f) => f.shndx !== functions.textShndx);
  collectMapInitSlots(elf, btf, maps, (symName, shndx, offset) => entries.some((f) => f.name === symName && f.shndx === shndx && f.secInsnOff * 8 === offset));

  if (ext !== null) {
    // CO-RE needs the running kernel's BTF to rewrite field offsets; we have none to match against.
    for (const f of functions.funcs) {
      const relo = ext.coreRelos.get(f.section)?.find((r) => r.insnOff / 8 >= f.secInsnOff && r.insnOff / 8 < f.secInsnOff + f.count);
      if (relo !== undefined) {
        fail(`CO-RE relocation ${CORE_KINDS[relo.kind] ?? `kind ${relo.kind}`} (type [${relo.typeId}], access '${relo.access}') in '${f.name}' is not supported: it needs the running kernel's BTF`, { section: f.section, insn: Math.floor(relo.insnOff / 8), hint: 'read fields with plain loads instead of BPF_CORE_READ/__builtin_preserve_access_index' });
      }
    }
  }

  const programs: ObjectProgram[] = [];
  for (const f of entries) {
    const m = matchSection(f.section);
    if (m === undefined) fail(`program '${f.name}': unknown section name, libbpf cannot tell the program type`, { section: f.section, hint: "use one of libbpf's SEC() names: kprobe/..., tracepoint/..., raw_tp/..., tc, xdp, syscall, fentry/..., ..." });
    const linked = linkProgram(f, functions, maps, ext);
    programs.push({
      name: f.name,
      section: f.section,
      type: m.def.type,
      attachTo: m.attachTo,
      progType: m.def.progType,
      attachType: m.def.attachType,
      autoload: m.autoload,
      insns: linked.insns,
      funcs: linked.funcs,
      lines: linked.lines,
      funcInfo: linked.funcInfo,
    });
  }
  return { name, license, maps: maps.maps, programs, btf, bytes };
}

/** enum bpf_core_relo_kind, for messages. */
const CORE_KINDS: Record<number, string> = {
  0: 'field_byte_offset', 1: 'field_byte_size', 2: 'field_exists', 3: 'field_signed', 4: 'field_lshift_u64',
  5: 'field_rshift_u64', 6: 'type_id_local', 7: 'type_id_target', 8: 'type_exists', 9: 'type_size',
  10: 'enumval_exists', 11: 'enumval_value', 12: 'type_matches',
};

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder('utf-8').decode(end >= 0 ? data.subarray(0, end) : data);
}

/**
 * The source line of a linked instruction: the last line record at or before it, skipping records
 * with line 0 (clang's "no line" markers). undefined without line info.
 */
export function lineOf(program: Pick<ObjectProgram, 'lines'>, insn: number): { file: string; line: number; col: number; text: string } | undefined {
  let best: (typeof program.lines)[number] | undefined;
  for (const l of program.lines) {
    if (l.insn > insn) break;
    if (l.line !== 0) best = l;
  }
  return best === undefined ? undefined : { file: best.file, line: best.line, col: best.col, text: best.text };
}
