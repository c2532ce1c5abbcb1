// Loading a real eBPF object, coordinator side (what libbpf's bpf_object__load does, then the JIT):
// create the object's maps in one shared WebAssembly memory, fill global data, translate every
// program against the maps' places, and describe the result as plain data for the CPU workers.
//
// The object's memory (a MapMemory):
//   offset                   size                  meaning
//   0                        4096                  never used: address 0 is NULL
//   descs                    16 per map            map descriptors: what a map pointer register holds (index at +0),
//                                                  then INNER_DESCS more when the object has a map of maps (a CPU
//                                                  hands them out to the inner maps its programs look up)
//   after                    each map's footprint  the maps (headers and buffers, region-aligned)
//   cpus                     CPU_BLOCK per CPU     per-CPU stack, helper area, region table, context, packet (cpu-areas.ts)
//   arena                    innerMapBytes         maps of maps: room for inner maps user space creates after
//                                                  load (loaded.createMap), which a program can only reach here

import { openObject, openObjectFile, ObjectError, lineOf, type BpfObject, type LineInfo, type ObjectMap, type ObjectProgram, type ProgramType, type ValueField } from '../object/index.js';
import { ctxAccessEnd, translateProgram, JitError, HELPERS, type CodeMap, type JitMap } from '../jit/index.js';
import type { MapHandle, MapSpec } from '../maps/bpf.js';
import { array, bpf_spin_lock, s16, s32, s64, s8, struct, u16, u32, u64, u8, ValueView, type FieldType, type StructLayout } from '../maps/layout.js';
import { MapMemory } from '../maps/memory.js';
import { BpfMap, mapFootprint } from '../maps/syscall.js';
import { BpfError } from '../maps/errno.js';
import { idrAdd, idrAlloc, type BpfProg } from '../maps/idr.js';
import { progArrayClaimOwner } from '../maps/fd-array.js';
import { htabGenLookup } from '../maps/hashtab.js';
import { lruGenLookup } from '../maps/lru-hash.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_OBJ_NAME_LEN, isMapInMapType, mapTypeName,
} from '../maps/uapi.js';
import { kernelAvailability, KernelLoader, type KernelVerdict } from '../object/index.js';
import { CPU_BLOCK } from './cpu-areas.js';
import { KernelUnavailableError, KernelVerifierError, ProgramLoadError } from './errors.js';

export interface ObjectLoadOptions {
  /**
   * Bound every load and store of the programs to their stack, context, packet and map values,
   * naming the first bad access (default true: nothing else checks a program here unless the
   * kernel's verifier accepted it, so with verify: 'kernel' the default is false). false runs them
   * as the kernel's JIT does, unchecked.
   */
  checked?: boolean;
  /**
   * 'kernel': hand the same object to the live kernel's verifier first (each program loaded alone,
   * through libbpf, or raw for what libbpf refuses) and load it here only if the kernel accepts it.
   * A refusal is a KernelVerifierError carrying the kernel's log; a machine that cannot ask the
   * kernel (not Linux, not root, no C compiler or libbpf-dev) a KernelUnavailableError.
   */
  verify?: 'kernel';
  /** Loop back edges allowed per event before the run stops with a fault (default 1 << 23). */
  loopBudget?: number;
  /** A call to a helper percpu-maps does not bind: 'fault' when reached (default), or 'refuse' at load. */
  unknownHelpers?: 'fault' | 'refuse';
  /** Per-CPU maps: each CPU's slab starts on a multiple of this many bytes (8, 64, 128 or 256; default 128), to show false sharing. */
  slabAlign?: 8 | 64 | 128 | 256;
  /**
   * Global variables' starting values, by name, as a skeleton sets them before load
   * (`skel->rodata->trace = 1`): the way to set `const volatile` knobs, since .rodata is frozen
   * once loaded. Integer variables of 1, 2, 4 or 8 bytes, found through the object's BTF.
   */
  globals?: Record<string, number | bigint>;
  /**
   * Whole global-data sections' starting bytes, by section ('.rodata', '.data.custom') or by
   * libbpf's map name ('seed.rodata'), as bpf_map__set_initial_value() sets them before load: the
   * section's full size. `globals` are written over them.
   */
  sections?: Record<string, Uint8Array>;
  /**
   * Load only these programs, by function name; the others stay unloaded (libbpf's
   * bpf_program__set_autoload(prog, false)), as for a program the kernel would refuse that is
   * kept in the object for something else. Default: every program libbpf would load.
   */
  programs?: readonly string[];
  /**
   * An object with a map of maps: bytes of its memory kept for inner maps that user space creates
   * after load with `loaded.createMap(spec)` (a program reaches a map only inside its object's
   * memory). Default 16 MiB for such objects (reserved address space: pages cost memory once
   * written), 0 for others.
   */
  innerMapBytes?: number;
}

/** One program of a loaded object as a CPU gets it. Plain data and a compiled module: it crosses to workers. */
export interface ObjectProgramTask {
  readonly name: string;
  readonly section: string;
  readonly type: ProgramType;
  /** The probe it attaches to: its section name. */
  readonly probe: string;
  readonly module: WebAssembly.Module;
  readonly codeMap: CodeMap;
  /** Helper ids the module imports (h<id>). */
  readonly imports: readonly number[];
  readonly lines: readonly LineInfo[];
  /** The end of its furthest context access (the verifier's max_ctx_offset): a test run's ctx must reach it. */
  readonly ctxEnd: number;
  /** Its id (idr.ts): what a prog array's slot holds for it. */
  readonly id: number;
  /** enum bpf_prog_type: a prog array takes programs of one type. */
  readonly progType: number;
}

/** Everything a CPU needs to run an object's programs. */
export interface ObjectLoadTask {
  readonly object: string;
  readonly memory: WebAssembly.Memory;
  /** By map index (the relocated instructions' numbering). */
  readonly maps: readonly { readonly name: string; readonly handle: MapHandle }[];
  readonly descBase: number;
  /** Bytes from one map's descriptor to the next (a power of two). */
  readonly descBytes: number;
  /** Descriptors after the object's own maps' for the inner maps a CPU meets (0 without a map of maps). */
  readonly innerDescs: number;
  /** The MapMemory's id, which inner maps created in it carry (MapHandle.memory). */
  readonly memoryId: number;
  readonly cpuBase: number;
  readonly checked: boolean;
  readonly programs: readonly ObjectProgramTask[];
}

export interface PreparedObject {
  readonly object: BpfObject;
  readonly memory: MapMemory;
  /** The maps by their names in the object (global data as libbpf names it: 'seed.bss'). */
  readonly maps: Record<string, BpfMap>;
  readonly task: ObjectLoadTask;
  /** What the user should know (unbound helpers, programs not loaded). */
  readonly warnings: string[];
  /** The loaded programs as BPF programs in this thread (what user space places in a prog array). */
  readonly progs: BpfProg[];
}

const DESC_BYTES = 16;
/** Inner maps one CPU can meet through lookups in an object's maps of maps (1,024 x 16 bytes of descriptors). */
export const INNER_DESCS = 1024;
const DEFAULT_INNER_MAP_BYTES = 16 * 2 ** 20;

/** An object from a path, bytes or an opened BpfObject. */
export function objectOf(source: string | Uint8Array | BpfObject): BpfObject {
  if (typeof source === 'string') return openObjectFile(source);
  if (source instanceof Uint8Array) return openObject(source);
  return source;
}

/** Create the object's maps in a new shared memory and translate its programs. */
export function prepareObject(obj: BpfObject, cpus: number, options: ObjectLoadOptions = {}): PreparedObject {
  const where = `object '${obj.name}'`;
  const specs = obj.maps.map((m) => ({
    ...mapSpec(m),
    // libbpf sizes a perf event array without max_entries to the possible CPUs (one event each).
    ...(m.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY && m.maxEntries === 0 ? { maxEntries: cpus } : {}),
    ...(options.slabAlign !== undefined ? { slabAlign: options.slabAlign } : {}),
  }));
  let mapBytes = 0;
  specs.forEach((spec, i) => {
    try {
      mapBytes += mapFootprint(spec, { cpus });
    } catch (e) {
      throw new ProgramLoadError(`${where}: map '${obj.maps[i]!.name}' cannot be created: ${(e as Error).message}`, { cause: e });
    }
  });
  const mapInMap = obj.maps.some((m) => isMapInMapType(m.type));
  const innerDescs = mapInMap ? INNER_DESCS : 0;
  const arena = options.innerMapBytes ?? (mapInMap ? DEFAULT_INNER_MAP_BYTES : 0);
  if (!Number.isSafeInteger(arena) || arena < 0) throw new ProgramLoadError(`${where}: innerMapBytes must be a non-negative integer, got ${String(options.innerMapBytes)}`);
  const descBytes = Math.max((obj.maps.length + innerDescs) * DESC_BYTES, 8);
  const memory = new MapMemory(descBytes + 128 + mapBytes + cpus * CPU_BLOCK + 128 + arena);
  const descRegion = memory.alloc(descBytes)!;
  const descBase = descRegion.byteOffset;
  const maps: BpfMap[] = [];
  const byName: Record<string, BpfMap> = {};
  const initial = initialValues(obj, options.sections ?? {}, options.globals ?? {});
  obj.maps.forEach((m, i) => {
    const map = new BpfMap(specs[i]!).create({ cpus, memory });
    const bytes = initial.get(m) ?? m.initial;
    if (bytes !== undefined) map.update(0, bytes);
    if (m.readonly) map.freeze();
    new DataView(memory.buffer).setUint32(descBase + i * DESC_BYTES, i, true);
    maps.push(map);
    byName[m.name] = map;
  });
  const cpuBase = memory.alloc(cpus * CPU_BLOCK)!.byteOffset;
  placeInnerMaps(obj, maps);
  const jitMaps = maps.map((map, i) => jitMap(map, descBase + i * DESC_BYTES, obj.maps[i]!.readonly === true));
  const checked = options.checked ?? true;
  const warnings: string[] = [];
  const programs: ObjectProgramTask[] = [];
  const only = options.programs === undefined ? null : new Set(options.programs);
  for (const name of only ?? []) {
    if (!obj.programs.some((p) => p.name === name)) {
      throw new ProgramLoadError(`${where}: programs names '${name}', which is not one of its programs (${obj.programs.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
  for (const p of obj.programs) {
    if (only !== null) {
      if (only.has(p.name)) programs.push(translate(obj, p, memory.pages, jitMaps, checked, options, warnings));
      continue;
    }
    if (!p.autoload) {
      warnings.push(`program '${p.name}' (SEC("${p.section}")) is not loaded: its section starts with '?', which asks libbpf not to load it`);
      continue;
    }
    programs.push(translate(obj, p, memory.pages, jitMaps, checked, options, warnings));
  }
  claimProgArrays(obj, maps, programs);
  const progs = programs.map((p): BpfProg => ({ id: p.id, type: p.progType, name: p.name, run: null }));
  for (const p of progs) idrAdd(p.id, 'prog', p);
  placePrograms(obj, maps, progs);
  const task: ObjectLoadTask = {
    object: obj.name,
    memory: memory.memory,
    maps: maps.map((map, i) => ({ name: obj.maps[i]!.name, handle: map.getHandle() })),
    descBase,
    descBytes: DESC_BYTES,
    innerDescs,
    memoryId: memory.id,
    cpuBase,
    checked,
    programs,
  };
  return { object: obj, memory, maps: byName, task, warnings, progs };
}

/**
 * The maps of maps' static initialisers (`.values = { [0] = &inner_a }`), as libbpf fills them
 * after creating the maps: each named map goes into its slot, checked against the template.
 */
function placeInnerMaps(obj: BpfObject, maps: BpfMap[]): void {
  obj.maps.forEach((m, i) => {
    if (!isMapInMapType(m.type)) return;
    for (const slot of m.initSlots ?? []) {
      const j = obj.maps.findIndex((x) => x.name === slot.target);
      const inner = maps[j]!;
      try {
        maps[i]!.update(slot.index, inner);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        const t = m.inner;
        const tmpl = t === undefined ? 'its template' : `the template (${mapTypeName(t.type) ?? t.type}, key ${t.keySize}, value ${t.valueSize}, max_entries ${t.maxEntries}, flags 0x${t.flags.toString(16)})`;
        const a = inner.attr;
        throw new ProgramLoadError(`object '${obj.name}': map '${m.name}' slot ${slot.index}: placing inner map '${slot.target}' failed with ${e.errno}: ` +
          `${e.errno === 'EINVAL' ? `'${slot.target}' (${mapTypeName(a.type) ?? a.type}, key ${a.keySize}, value ${a.valueSize}, max_entries ${a.maxEntries}, flags 0x${a.flags.toString(16)}) does not match ${tmpl}; ` +
            'define it like the __array(values, ...) struct (an ARRAY may differ in max_entries only when the template has BPF_F_INNER_MAP)' : e.message}`, { cause: e });
      }
    }
  });
}

/**
 * bpf_prog_map_compatible() at load: a program that uses a prog array (an ld_imm64 of it) claims
 * it for its program type; a second program of another type is refused, as the kernel refuses
 * loading it (EINVAL), so tail calls only ever reach programs of the caller's type.
 */
function claimProgArrays(obj: BpfObject, maps: BpfMap[], programs: ObjectProgramTask[]): void {
  for (const t of programs) {
    const p = obj.programs.find((x) => x.name === t.name)!;
    for (const mi of mapRefs(p.insns)) {
      const map = maps[mi];
      if (map === undefined || map.attr.type !== BPF_MAP_TYPE_PROG_ARRAY) continue;
      if (!progArrayClaimOwner(map, t.progType)) {
        const owner = programs.find((o) => o !== t && mapRefs(obj.programs.find((x) => x.name === o.name)!.insns).includes(mi));
        throw new ProgramLoadError(`object '${obj.name}': program '${t.name}' (SEC("${t.section}")) uses prog array '${obj.maps[mi]!.name}', ` +
          `which ${owner === undefined ? 'holds programs of another type' : `program '${owner.name}' (SEC("${owner.section}")) already uses`}: EINVAL, as the kernel refuses it at load; ` +
          'a prog array serves one program type, so give each program type its own prog array');
      }
    }
  }
}

/** Map indexes a program's ld_imm64 instructions name (BPF_PSEUDO_MAP_FD / _IDX). */
function mapRefs(insns: Uint8Array): number[] {
  const out: number[] = [];
  const v = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (let at = 0; at + 16 <= insns.length; at += 8) {
    if (insns[at] !== 0x18) continue;
    const src = insns[at + 1]! >>> 4;
    if (src === 1 || src === 5) {
      const mi = v.getInt32(at + 4, true);
      if (!out.includes(mi)) out.push(mi);
    }
    at += 8;
  }
  return out;
}

/**
 * The prog arrays' static initialisers (`.values = { [1] = &target }`), as libbpf fills them after
 * loading the programs: each named program, which must be loaded, goes into its slot.
 */
function placePrograms(obj: BpfObject, maps: BpfMap[], progs: BpfProg[]): void {
  obj.maps.forEach((m, i) => {
    if (m.type !== BPF_MAP_TYPE_PROG_ARRAY) return;
    for (const slot of m.initSlots ?? []) {
      const prog = progs.find((p) => p.name === slot.target);
      if (prog === undefined) {
        throw new ProgramLoadError(`object '${obj.name}': prog array '${m.name}' slot ${slot.index} names program '${slot.target}', which is not loaded (EBADF, as libbpf's update with no program fd): ` +
          'load it too (programs option, or drop the \'?\' of its SEC()), or remove it from the .values initialiser');
      }
      try {
        maps[i]!.update(slot.index, prog);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        throw new ProgramLoadError(`object '${obj.name}': prog array '${m.name}' slot ${slot.index}: placing program '${slot.target}' failed with ${e.errno}` +
          `${e.errno === 'EINVAL' ? ': the prog array holds programs of another type (the first program using or placed in it decides); a tail call target must have its caller\'s program type' : `: ${e.message}`}`, { cause: e });
      }
    }
  });
}

function translate(obj: BpfObject, p: ObjectProgram, pages: number, maps: JitMap[], checked: boolean, options: ObjectLoadOptions, warnings: string[]): ObjectProgramTask {
  try {
    const t = translateProgram({
      name: p.name, pages, insns: p.insns, funcs: p.funcs, maps, checked,
      loopBudget: options.loopBudget, unknownHelpers: options.unknownHelpers,
    });
    for (const id of t.unknownHelpers) {
      warnings.push(`program '${p.name}' calls helper #${id}, which percpu-maps does not provide; the run stops with a fault if that call is reached`);
    }
    const imports = WebAssembly.Module.imports(t.module).filter((d) => /^h\d+$/.test(d.name)).map((d) => Number(d.name.slice(1)));
    return {
      name: p.name, section: p.section, type: p.type, probe: p.section, module: t.module, codeMap: t.codeMap, imports, lines: p.lines,
      ctxEnd: ctxAccessEnd(p.name, p.insns, p.funcs), id: idrAlloc(), progType: p.progType,
    };
  } catch (e) {
    if (e instanceof JitError) {
      const line = e.insn >= 0 ? lineOf(p, e.insn) : undefined;
      const src = line ? ` (${line.file}:${line.line}: ${line.text.trim()})` : '';
      throw new ProgramLoadError(`object '${obj.name}': program '${p.name}' (SEC("${p.section}")) cannot be translated: ` +
        `${e.insn >= 0 ? `instruction ${e.insn}${src}: ` : ''}${e.reason}`, { cause: e });
    }
    throw e;
  }
}

/**
 * The global data maps' starting bytes with whole `sections` and then `globals` written in (what
 * a skeleton does before load).
 */
function initialValues(obj: BpfObject, sections: Record<string, Uint8Array>, globals: Record<string, number | bigint>): Map<ObjectMap, Uint8Array> {
  const out = new Map<ObjectMap, Uint8Array>();
  const data = obj.maps.filter((m) => m.initial !== undefined);
  for (const [name, bytes] of Object.entries(sections)) {
    const map = data.find((m) => m.section === name || m.name === name);
    if (map === undefined) {
      throw new ProgramLoadError(`object '${obj.name}': sections names '${name}', which is not one of its global-data sections (${data.map((m) => m.section).join(', ') || 'it has none'})`);
    }
    if (!(bytes instanceof Uint8Array) || bytes.length !== map.valueSize) {
      throw new ProgramLoadError(`object '${obj.name}': section '${map.section}' is ${map.valueSize} bytes; sections must give all of them, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
    }
    out.set(map, Uint8Array.from(bytes));
  }
  for (const [name, value] of Object.entries(globals)) {
    const map = data.find((m) => m.valueFields?.some((f) => f.name === name));
    const field = map?.valueFields?.find((f) => f.name === name);
    if (map === undefined || field === undefined) {
      const known = data.flatMap((m) => (m.valueFields ?? []).map((f) => f.name));
      throw new ProgramLoadError(`object '${obj.name}': globals names '${name}', which is not one of its global variables (${known.join(', ') || 'it has none with BTF'})`);
    }
    if (![1, 2, 4, 8].includes(field.size) || !/^[us]\d+$/.test(field.kind)) {
      throw new ProgramLoadError(`object '${obj.name}': global '${name}' is a ${field.size}-byte ${field.kind}; globals sets integers of 1, 2, 4 or 8 bytes`);
    }
    let bytes = out.get(map);
    if (bytes === undefined) out.set(map, (bytes = Uint8Array.from(map.initial!)));
    const big = BigInt.asUintN(field.size * 8, BigInt(value));
    for (let i = 0; i < field.size; i++) bytes[field.offset + i] = Number((big >> BigInt(8 * i)) & 0xffn);
  }
  return out;
}

/** What BPF_MAP_CREATE is given for a map of the object (libbpf cuts names to 15 characters). */
function mapSpec(m: ObjectMap): MapSpec {
  return {
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    name: m.name.slice(0, BPF_OBJ_NAME_LEN - 1),
    mapExtra: m.mapExtra,
    value: layoutOf(m),
    // A map of maps' __array(values, struct {...}): the template libbpf creates the inner map from.
    ...(m.inner !== undefined ? { innerMap: mapSpec(m.inner) } : {}),
  };
}

const SCALARS: Partial<Record<ValueField['kind'], FieldType>> = { u8, s8, u16, s16, u32, s32, u64, s64, bpf_spin_lock };

/**
 * The value's C struct as a layout (named fields for dumps and views, the bpf_spin_lock that
 * enables BPF_F_LOCK), when BTF describes it and our layout rules give the same offsets; a
 * value whose BTF layout ours cannot reproduce keeps only its lock.
 */
function layoutOf(m: ObjectMap): StructLayout | undefined {
  const fields = (m.valueFields ?? []).filter((f) => f.kind !== 'struct');
  const named = fields.length > 0 && fields.every((f) => f.name !== '' && !f.name.startsWith('_') && !(f.name in ValueView.prototype));
  if (named) {
    const def: Record<string, FieldType> = {};
    for (const f of fields) def[f.name] = SCALARS[f.kind] ?? array(u8, f.size);
    try {
      const layout = struct(def);
      if (layout.size === m.valueSize && fields.every((f) => layout.fields[f.name]!.offset === f.offset)) return layout;
    } catch {
      // Duplicate names, two locks: fall through to the lock alone.
    }
  }
  if (m.lockOffset < 0) return undefined;
  // Bytes around the lock: enough for BPF_F_LOCK, which only needs to know where the lock is.
  const def: Record<string, FieldType> = {};
  if (m.lockOffset > 0) def.head = array(u8, m.lockOffset);
  def.lock = bpf_spin_lock;
  if (m.valueSize > m.lockOffset + 4) def.tail = array(u8, m.valueSize - m.lockOffset - 4);
  const layout = struct(def);
  return layout.size === m.valueSize ? layout : undefined;
}

/** Where a map lives, as the translated code needs it (exported for the translator's tests). */
export function jitMap(map: BpfMap, desc: number, readonly = false): JitMap {
  const handle = map.getHandle();
  const values = handle.regions[0]!.byteOffset;
  const out: JitMap = { desc, type: map.attr.type, keySize: map.attr.keySize, valueSize: map.attr.valueSize, maxEntries: map.attr.maxEntries };
  if (map.attr.type === BPF_MAP_TYPE_ARRAY || map.attr.type === BPF_MAP_TYPE_PERCPU_ARRAY) {
    const { elemSize, slabStride } = handle.meta as { elemSize: number; slabStride: number };
    out.array = { values, elemSize, slabStride };
    // A single-element array's value can be addressed directly (global data: the kernel's map_direct_value_addr).
    if (map.attr.type === BPF_MAP_TYPE_ARRAY && map.attr.maxEntries === 1) out.valueAddr = values;
  }
  // Hash lookups are inlined too (htab_map_gen_lookup), walking the table the family describes.
  const type = map.attr.type;
  if (type === BPF_MAP_TYPE_HASH || type === BPF_MAP_TYPE_PERCPU_HASH) out.hash = htabGenLookup(map);
  else if (type === BPF_MAP_TYPE_LRU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH) out.hash = lruGenLookup(map);
  if (readonly) out.readonly = true;
  return out;
}

/**
 * verify: 'kernel': the live kernel's verdict on the programs this load would load, or the error
 * that says why the object may not (KernelVerifierError) or cannot (KernelUnavailableError) be loaded.
 */
export async function kernelVerdict(obj: BpfObject, options: ObjectLoadOptions): Promise<KernelVerdict & { verdict: 'accepted' }> {
  if (options.verify !== 'kernel') throw new ProgramLoadError(`object '${obj.name}': verify must be 'kernel' (the live kernel's verifier), got ${JSON.stringify(options.verify)}`);
  const a = await kernelAvailability();
  if (!a.ok) throw new KernelUnavailableError(obj.name, a.reason);
  const loader = await KernelLoader.start(a.bin);
  let v: KernelVerdict;
  try {
    v = await loader.verify(obj, { programs: options.programs, sections: options.sections });
  } catch (e) {
    throw new KernelUnavailableError(obj.name, (e as Error).message);
  } finally {
    await loader.stop();
  }
  if (v.verdict === 'refused') throw new KernelVerifierError(obj.name, v.program, v.errno, v.log, v.line);
  return v;
}

/** The helper's name for messages ('bpf_map_lookup_elem'), or '#id'. */
export function helperName(id: number): string {
  const h = HELPERS.find((x) => x.id === id);
  return h ? `bpf_${h.name}` : `#${id}`;
}

export { ObjectError };
