// Loading a real eBPF object, coordinator side (what libbpf's bpf_object__load does, then the JIT):
// create the object's maps in one shared WebAssembly memory, fill global data, translate every
// program against the maps' places, and describe the result as plain data for the CPU workers.
//
// The object's memory (a MapMemory):
//   offset                   size                  meaning
//   0                        4096                  never used: address 0 is NULL
//   descs                    16 per map            map descriptors: what a map pointer register holds (index at +0)
//   after                    each map's footprint  the maps (headers and buffers, region-aligned)
//   cpus                     CPU_BLOCK per CPU     per-CPU stack, helper area, region table, context, packet (cpu-areas.ts)

import { openObject, openObjectFile, ObjectError, lineOf, type BpfObject, type LineInfo, type ObjectMap, type ObjectProgram, type ProgramType, type ValueField } from '../object/index.js';
import { ctxAccessEnd, translateProgram, JitError, HELPERS, type CodeMap, type JitMap } from '../jit/index.js';
import type { MapHandle, MapSpec } from '../maps/bpf.js';
import { array, bpf_spin_lock, s16, s32, s64, s8, struct, u16, u32, u64, u8, ValueView, type FieldType, type StructLayout } from '../maps/layout.js';
import { MapMemory } from '../maps/memory.js';
import { BpfMap, mapFootprint } from '../maps/syscall.js';
import { htabGenLookup } from '../maps/hashtab.js';
import { lruGenLookup } from '../maps/lru-hash.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_OBJ_NAME_LEN,
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
}

const DESC_BYTES = 16;

/** An object from a path, bytes or an opened BpfObject. */
export function objectOf(source: string | Uint8Array | BpfObject): BpfObject {
  if (typeof source === 'string') return openObjectFile(source);
  if (source instanceof Uint8Array) return openObject(source);
  return source;
}

/** Create the object's maps in a new shared memory and translate its programs. */
export function prepareObject(obj: BpfObject, cpus: number, options: ObjectLoadOptions = {}): PreparedObject {
  const where = `object '${obj.name}'`;
  const specs = obj.maps.map((m) => ({ ...mapSpec(m), ...(options.slabAlign !== undefined ? { slabAlign: options.slabAlign } : {}) }));
  let mapBytes = 0;
  specs.forEach((spec, i) => {
    try {
      mapBytes += mapFootprint(spec, { cpus });
    } catch (e) {
      throw new ProgramLoadError(`${where}: map '${obj.maps[i]!.name}' cannot be created: ${(e as Error).message}`, { cause: e });
    }
  });
  const descBytes = Math.max(obj.maps.length * DESC_BYTES, 8);
  const memory = new MapMemory(descBytes + 128 + mapBytes + cpus * CPU_BLOCK + 128);
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
  const task: ObjectLoadTask = {
    object: obj.name,
    memory: memory.memory,
    maps: maps.map((map, i) => ({ name: obj.maps[i]!.name, handle: map.getHandle() })),
    descBase,
    descBytes: DESC_BYTES,
    cpuBase,
    checked,
    programs,
  };
  return { object: obj, memory, maps: byName, task, warnings };
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
      ctxEnd: ctxAccessEnd(p.name, p.insns, p.funcs),
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
