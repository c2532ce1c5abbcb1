// Map definitions, in libbpf's order: legacy SEC("maps") records (libbpf 0.x; 1.0 refuses them),
// then BTF-defined SEC(".maps") (bpf_object__init_user_btf_maps / parse_btf_map_def), then one
// single-entry ARRAY per global data section (bpf_object__init_global_data_maps), in section order.
// We describe the maps; the runtime (or the kernel, through libbpf) creates them.
//
// Legacy struct bpf_map_def, all u32 (record size = section size / number of map symbols):
//   0 type  4 key_size  8 value_size  12 max_entries  16 map_flags  | 20 inner_map_idx  24 numa_node
//   (the last two only in the 28-byte records of older samples/bpf headers; anything past 28 must be 0)
// BTF-defined maps: a DATASEC '.maps' of global VARs, each a STRUCT whose members say
//   __uint(name, N)  -> PTR -> ARRAY(nelems = N)     (type, max_entries, map_flags, numa_node,
//                                                    key_size, value_size, pinning, map_extra)
//   __type(name, T)  -> PTR -> T                     (key, value; size = sizeof(T))
//   __array(values, struct inner) -> ARRAY(nelems 0) of PTR -> STRUCT inner   (last member)
import type { Btf, BtfMember, BtfType } from './btf.js';
import type { ElfFile, ElfSection } from './elf.js';
import { fail } from './errors.js';
import type { ObjectMap } from './types.js';
import {
  BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_UNSPEC, BPF_MAP_TYPE_USER_RINGBUF, BPF_OBJ_NAME_LEN,
  BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_STATIC, KMALLOC_MAX_SIZE, LIBBPF_PIN_BY_NAME, PAGE_SIZE, SHF_EXECINSTR,
  R_BPF_64_ABS64, SHT_NOBITS, SHT_PROGBITS, SHT_REL, STT_SECTION,
} from './uapi.js';

/** Where a map's definition sits, so relocations can find it (libbpf's sec_idx/sec_offset). */
export interface MapPlace {
  shndx: number;
  /** Offset of the definition in its section (0 for global data). */
  offset: number;
  /** Bytes the definition takes in its section. */
  size: number;
}

export interface CollectedMaps {
  maps: ObjectMap[];
  /** Index-aligned with maps. */
  places: MapPlace[];
  /** Index of the '.maps' section, 0 if none. */
  btfMapsShndx: number;
}

const LEGACY_SECTION = 'maps';
const BTF_SECTION = '.maps';
const LEGACY_KNOWN = 28;

export function collectMaps(elf: ElfFile, btf: Btf | null, objName: string): CollectedMaps {
  const out: CollectedMaps = { maps: [], places: [], btfMapsShndx: 0 };
  // libbpf turns __kconfig externs into one more data map ('.kconfig') filled from the running
  // kernel's config, which we do not have. (__ksym externs and kfuncs are refused where code uses
  // them, with the instruction's index.)
  if (btf !== null && btf.datasec('.kconfig') !== undefined) {
    fail("__kconfig extern variables are not supported: the loader has no kernel config to fill the '.kconfig' map from", { section: '.kconfig', hint: 'replace the __kconfig externs with const volatile globals set from user space' });
  }
  const legacy = elf.sectionByName(LEGACY_SECTION);
  if (legacy !== undefined && legacy.type === SHT_PROGBITS) collectLegacy(elf, btf, legacy, out);
  const btfMaps = elf.sectionByName(BTF_SECTION);
  if (btfMaps !== undefined) {
    out.btfMapsShndx = btfMaps.index;
    collectBtfMaps(elf, btf, btfMaps, out);
  }
  for (const s of elf.sections) {
    const dataKind = globalDataKind(s);
    if (dataKind !== undefined && s.size > 0) collectDataMap(elf, btf, s, dataKind, objName, out);
  }
  return out;
}

/** Which global data section this is, as libbpf classifies them (SEC_DATA / SEC_RODATA / SEC_BSS). */
export function globalDataKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  if (s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) === 0) {
    if (s.name === '.data' || s.name.startsWith('.data.')) return 'data';
    if (s.name === '.rodata' || s.name.startsWith('.rodata.')) return 'rodata';
  } else if (s.type === SHT_NOBITS && (s.name === '.bss' || s.name.startsWith('.bss.'))) {
    return 'bss';
  }
  return undefined;
}

function baseMap(name: string, kind: ObjectMap['kind'], section: string): ObjectMap {
  return {
    name, kind, section, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, mapExtra: 0,
    pinning: 0, numaNode: 0, keyTypeId: 0, valueTypeId: 0, lockOffset: -1,
  };
}

// ---- legacy SEC("maps") ----

function collectLegacy(elf: ElfFile, btf: Btf | null, sec: ElfSection, out: CollectedMaps): void {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== '');
  if (syms.length === 0) {
    if (sec.size === 0) return;
    fail(`${sec.size} bytes of map definitions but no map symbol names them`, { section: LEGACY_SECTION, hint: 'the object is stripped or corrupt; rebuild it with clang -g -c' });
  }
  if (sec.size === 0 || sec.size % syms.length !== 0) {
    fail(`cannot tell the map definition size: ${syms.length} map symbols in ${sec.size} bytes`, { section: LEGACY_SECTION, hint: 'every struct bpf_map_def in the section must have the same size' });
  }
  const recSize = sec.size / syms.length;
  const data = elf.data(sec);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (at: number, field: number): number => (field + 4 <= recSize ? v.getUint32(at + field, true) : 0);
  // Definition order = order in the section (the source order).
  syms.sort((a, b) => a.value - b.value);
  const first = out.maps.length;
  for (const sym of syms) {
    if (sym.value + recSize > sec.size) fail(`map '${sym.name}' at offset ${sym.value} runs past the section's ${sec.size} bytes`, { section: LEGACY_SECTION, hint: 'the object is corrupt; rebuild it' });
    const at = sym.value;
    for (let i = LEGACY_KNOWN; i < recSize; i++) {
      if (data[at + i] !== 0) fail(`map '${sym.name}' has unrecognised non-zero bytes past the ${LEGACY_KNOWN}-byte struct bpf_map_def (at +${i})`, { section: LEGACY_SECTION, hint: 'define struct bpf_map_def with at most type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node' });
    }
    const m = baseMap(sym.name, 'legacy', LEGACY_SECTION);
    m.type = u32(at, 0);
    m.keySize = u32(at, 4);
    m.valueSize = u32(at, 8);
    m.maxEntries = u32(at, 12);
    m.flags = u32(at, 16);
    m.numaNode = u32(at, 24);
    if (m.type === BPF_MAP_TYPE_UNSPEC) fail(`map '${sym.name}' has no type (0)`, { section: LEGACY_SECTION, hint: 'set .type = BPF_MAP_TYPE_...' });
    if (btf !== null) annotateKvPair(btf, m);
    out.maps.push(m);
    out.places.push({ shndx: sec.index, offset: sym.value, size: recSize });
  }
  // samples/bpf's inner_map_idx: the index (among this section's maps) of a map-in-map's template.
  for (let i = 0; i < syms.length; i++) {
    const m = out.maps[first + i]!;
    const innerIdx = u32(syms[i]!.value, 20);
    if (m.type !== BPF_MAP_TYPE_ARRAY_OF_MAPS && m.type !== BPF_MAP_TYPE_HASH_OF_MAPS) continue;
    const inner = out.maps[first + innerIdx];
    if (innerIdx >= syms.length || inner === undefined || inner === m) fail(`map-in-map '${m.name}' names inner_map_idx ${innerIdx}, not another map of the section`, { section: LEGACY_SECTION });
    m.inner = { ...inner, name: `${m.name}.inner` };
  }
}

/**
 * BPF_ANNOTATE_KV_PAIR (libbpf 0.x): a struct '____btf_map_<name>' with members key and value gives
 * a legacy map its BTF key and value types. Without it a legacy map has none (and the kernel then
 * refuses a bpf_spin_lock in its value).
 */
function annotateKvPair(btf: Btf, m: ObjectMap): void {
  const container = `____btf_map_${m.name}`;
  const t = btf.types.find((x) => x.kind === 'struct' && x.name === container);
  if (t === undefined || t.kind !== 'struct') return;
  const key = t.members.find((x) => x.name === 'key');
  const value = t.members.find((x) => x.name === 'value');
  if (key === undefined || value === undefined) return;
  if (btf.sizeof(key.type) !== m.keySize || btf.sizeof(value.type) !== m.valueSize) {
    fail(`map '${m.name}': ${container} key/value sizes ${btf.sizeof(key.type)}/${btf.sizeof(value.type)} differ from the definition's ${m.keySize}/${m.valueSize}`, { section: LEGACY_SECTION });
  }
  m.keyTypeId = key.type;
  m.valueTypeId = value.type;
  describeValue(btf, m);
}

// ---- BTF-defined SEC(".maps") ----

function collectBtfMaps(elf: ElfFile, btf: Btf | null, sec: ElfSection, out: CollectedMaps): void {
  if (btf === null) fail('BTF-defined maps need the object\'s .BTF, which is missing', { section: BTF_SECTION, hint: 'compile with clang -g' });
  const ds = btf.datasec(BTF_SECTION);
  if (ds === undefined) fail(`DATASEC '${BTF_SECTION}' not found in .BTF`, { section: BTF_SECTION, hint: 'compile with clang -g' });
  for (let i = 0; i < ds.vars.length; i++) {
    const vsi = ds.vars[i]!;
    const v = btf.type(vsi.type);
    const name = v.name;
    if (name === '') fail(`map #${i}: empty name`, { section: BTF_SECTION });
    if (vsi.offset + vsi.size > sec.size) fail(`map '${name}': BTF places it at ${vsi.offset}+${vsi.size}, past the section's ${sec.size} bytes`, { section: BTF_SECTION, hint: 'the object is corrupt; rebuild it' });
    if (v.kind !== 'var') fail(`map '${name}': DATASEC entry is a ${v.kind}, not a VAR`, { section: BTF_SECTION });
    if (v.linkage !== BTF_VAR_GLOBAL_ALLOCATED) fail(`map '${name}': unsupported map linkage ${v.linkage === BTF_VAR_STATIC ? 'static' : v.linkage === 2 ? 'extern' : String(v.linkage)}`, { section: BTF_SECTION, hint: 'define maps as non-static globals' });
    const def = btf.resolve(v.type);
    if (def.kind !== 'struct') fail(`map '${name}': definition is a ${def.kind}, not a struct`, { section: BTF_SECTION });
    if (def.size > vsi.size) fail(`map '${name}': definition struct (${def.size} bytes) is larger than its variable (${vsi.size})`, { section: BTF_SECTION });
    const m = baseMap(name, 'btf', BTF_SECTION);
    parseMapDef(btf, name, def.members, m, false);
    out.maps.push(m);
    out.places.push({ shndx: sec.index, offset: vsi.offset, size: vsi.size });
  }
}

/** One attribute: __uint(name, N) is a pointer to an array of N ints. */
function mapInt(btf: Btf, map: string, m: BtfMember): number {
  const p = btf.resolve(m.type);
  if (p.kind !== 'ptr') fail(`map '${map}': attr '${m.name}': expected PTR, got ${p.kind}`, { section: BTF_SECTION });
  const arr = btf.type(p.type);
  if (arr.kind !== 'array') fail(`map '${map}': attr '${m.name}': expected ARRAY, got ${arr.kind}`, { section: BTF_SECTION });
  return arr.nelems;
}

/** map_extra may also be a one-value enum (__ulong), for values past 32 bits. */
function mapLong(btf: Btf, map: string, m: BtfMember): number {
  const t = btf.resolve(m.type);
  if (t.kind === 'ptr') return mapInt(btf, map, m);
  if ((t.kind !== 'enum' && t.kind !== 'enum64') || t.values.length !== 1) fail(`map '${map}': attr '${m.name}': expected PTR or a one-value ENUM, got ${t.kind}`, { section: BTF_SECTION });
  const value = t.values[0]!.value;
  const n = typeof value === 'bigint' ? Number(BigInt.asUintN(64, value)) : value >>> 0;
  if (!Number.isSafeInteger(n)) fail(`map '${map}': attr '${m.name}' = ${value} is past 2^53, which the loader cannot represent`, { section: BTF_SECTION });
  return n;
}

function typeSize(btf: Btf, map: string, m: BtfMember, what: 'key' | 'value'): { id: number; size: number } {
  const p = btf.type(m.type);
  if (p.kind !== 'ptr') fail(`map '${map}': ${what} spec is not PTR: ${p.kind}`, { section: BTF_SECTION });
  return { id: p.type, size: btf.sizeof(p.type) };
}

function parseMapDef(btf: Btf, name: string, members: BtfMember[], m: ObjectMap, isInner: boolean): void {
  const setSize = (field: 'keySize' | 'valueSize', size: number, what: string): void => {
    if (m[field] !== 0 && m[field] !== size) fail(`map '${name}': conflicting ${what} size ${m[field]} != ${size}`, { section: BTF_SECTION });
    m[field] = size;
  };
  let typeSeen = false;
  for (let i = 0; i < members.length; i++) {
    const mem = members[i]!;
    switch (mem.name) {
      case 'type': m.type = mapInt(btf, name, mem); typeSeen = true; break;
      case 'max_entries': m.maxEntries = mapInt(btf, name, mem); break;
      case 'map_flags': m.flags = mapInt(btf, name, mem); break;
      case 'numa_node': m.numaNode = mapInt(btf, name, mem); break;
      case 'key_size': setSize('keySize', mapInt(btf, name, mem), 'key'); break;
      case 'value_size': setSize('valueSize', mapInt(btf, name, mem), 'value'); break;
      case 'key': {
        const k = typeSize(btf, name, mem, 'key');
        setSize('keySize', k.size, 'key');
        m.keyTypeId = k.id;
        break;
      }
      case 'value': {
        const val = typeSize(btf, name, mem, 'value');
        setSize('valueSize', val.size, 'value');
        m.valueTypeId = val.id;
        break;
      }
      case 'map_extra': m.mapExtra = mapLong(btf, name, mem); break;
      case 'pinning': {
        if (isInner) fail(`map '${name}': an inner map definition can't be pinned`, { section: BTF_SECTION });
        const p = mapInt(btf, name, mem);
        if (p !== 0 && p !== LIBBPF_PIN_BY_NAME) fail(`map '${name}': invalid pinning value ${p}`, { section: BTF_SECTION, hint: 'use LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1)' });
        m.pinning = p;
        break;
      }
      case 'values':
        parseValues(btf, name, members, i, m, isInner);
        break;
      default:
        fail(`map '${name}': unknown field '${mem.name}'`, { section: BTF_SECTION, hint: 'BTF map definitions may only use type, key, value, key_size, value_size, max_entries, map_flags, map_extra, numa_node, pinning and values' });
    }
  }
  if (!typeSeen || m.type === BPF_MAP_TYPE_UNSPEC) fail(`map '${name}': map type isn't specified`, { section: BTF_SECTION, hint: 'add __uint(type, BPF_MAP_TYPE_...)' });
  // libbpf rounds a ring buffer's size up to a power-of-2 number of pages, as the kernel requires.
  if ((m.type === BPF_MAP_TYPE_RINGBUF || m.type === BPF_MAP_TYPE_USER_RINGBUF) && m.maxEntries !== 0) m.maxEntries = ringbufSize(m.maxEntries);
  describeValue(btf, m);
}

function parseValues(btf: Btf, name: string, members: BtfMember[], i: number, m: ObjectMap, isInner: boolean): void {
  const mapInMap = m.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || m.type === BPF_MAP_TYPE_HASH_OF_MAPS;
  const progArray = m.type === BPF_MAP_TYPE_PROG_ARRAY;
  const desc = mapInMap ? 'map-in-map inner' : 'prog-array value';
  if (isInner) fail(`map '${name}': multi-level inner maps are not supported`, { section: BTF_SECTION });
  if (i !== members.length - 1) fail(`map '${name}': 'values' member should be last`, { section: BTF_SECTION });
  if (!mapInMap && !progArray) fail(`map '${name}': 'values' needs a map-in-map or prog-array type (type is ${m.type})`, { section: BTF_SECTION, hint: 'put __uint(type, ...) before __array(values, ...)' });
  if (m.valueSize !== 0 && m.valueSize !== 4) fail(`map '${name}': conflicting value size ${m.valueSize} != 4`, { section: BTF_SECTION });
  m.valueSize = 4;
  const arr = btf.type(members[i]!.type);
  if (arr.kind !== 'array' || arr.nelems !== 0) fail(`map '${name}': ${desc} spec is not a zero-sized array`, { section: BTF_SECTION });
  const ptr = btf.resolve(arr.type);
  if (ptr.kind !== 'ptr') fail(`map '${name}': ${desc} def is of unexpected kind ${ptr.kind}`, { section: BTF_SECTION });
  const target = btf.resolve(ptr.type);
  if (progArray) {
    if (target.kind !== 'func_proto') fail(`map '${name}': prog-array value def is of unexpected kind ${target.kind}`, { section: BTF_SECTION });
    return;
  }
  if (target.kind !== 'struct') fail(`map '${name}': map-in-map inner def is of unexpected kind ${target.kind}`, { section: BTF_SECTION });
  const innerName = `${name}.inner`;
  const inner = baseMap(innerName, 'btf', BTF_SECTION);
  parseMapDef(btf, innerName, target.members, inner, true);
  m.inner = inner;
}

function ringbufSize(size: number): number {
  const pages = size / PAGE_SIZE;
  if (Number.isInteger(pages) && (pages & (pages - 1)) === 0) return size;
  for (let mul = 1; mul * PAGE_SIZE <= 0xffffffff; mul *= 2) if (mul * PAGE_SIZE > size) return mul * PAGE_SIZE;
  return size; // cannot satisfy: pass it on and let the kernel refuse it, as libbpf does
}

/** Lock offset and flattened fields from the value's BTF type, when it has one. */
function describeValue(btf: Btf, m: ObjectMap): void {
  if (m.valueTypeId === 0) return;
  const locks = btf.spinLocks(m.valueTypeId);
  if (locks.length > 1) fail(`map '${m.name}': the value holds ${locks.length} struct bpf_spin_lock (at ${locks.map((l) => l.offset).join(', ')})`, { section: m.section, hint: 'the kernel allows one bpf_spin_lock per map value' });
  const lock = locks[0];
  if (lock !== undefined) {
    if (lock.inArray) fail(`map '${m.name}': the value's struct bpf_spin_lock is inside an array`, { section: m.section, hint: 'the kernel refuses that; make the lock a plain member of the value struct' });
    if (lock.offset % 4 !== 0) fail(`map '${m.name}': struct bpf_spin_lock at offset ${lock.offset} is not 4-byte aligned`, { section: m.section });
    m.lockOffset = lock.offset;
  }
  m.valueFields = btf.valueFields(m.valueTypeId);
}

/**
 * .rel.maps: the initialisers of __array(values, ...) slots (bpf_object__collect_map_relos). Each
 * relocation patches one 8-byte slot of a map-in-map (pointing at another BTF map) or of a prog
 * array (pointing at an entry-point program); we record the slot and the target's name.
 */
export function collectMapInitSlots(elf: ElfFile, btf: Btf | null, collected: CollectedMaps, isEntryProgram: (name: string, shndx: number, offset: number) => boolean): void {
  const rel = elf.sections.find((s) => s.type === SHT_REL && s.info === collected.btfMapsShndx && collected.btfMapsShndx !== 0);
  if (rel === undefined) return;
  const where = { section: rel.name };
  if (btf === null) fail('map initialisers need .BTF, which is missing', where);
  for (const [i, r] of elf.rels(rel).entries()) {
    const sym = elf.symbols[r.symbol]!;
    if (r.type !== R_BPF_64_ABS64) fail(`relocation #${i} has type ${r.type}; slot initialisers are R_BPF_64_ABS64 (2)`, { ...where, hint: 'rebuild the object with clang -target bpf' });
    const mi = collected.maps.findIndex((m, j) => m.kind === 'btf' && collected.places[j]!.offset <= r.offset && r.offset + 8 <= collected.places[j]!.offset + collected.places[j]!.size);
    const map = collected.maps[mi];
    if (map === undefined) fail(`relocation #${i}: no map at offset ${r.offset} for '${sym.name}'`, where);
    const place = collected.places[mi]!;
    const mapInMap = map.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || map.type === BPF_MAP_TYPE_HASH_OF_MAPS;
    if (mapInMap) {
      if (sym.shndx !== collected.btfMapsShndx) fail(`relocation #${i}: '${sym.name}' isn't a BTF-defined map`, where);
      if (map.type === BPF_MAP_TYPE_HASH_OF_MAPS && map.keySize !== 4) fail(`hash-of-maps '${map.name}' should have key size 4`, where);
      if (!collected.maps.some((m) => m.kind === 'btf' && m.name === sym.name)) fail(`relocation #${i}: '${sym.name}' isn't a valid map reference`, where);
    } else if (map.type === BPF_MAP_TYPE_PROG_ARRAY) {
      if (!isEntryProgram(sym.name, sym.shndx, sym.value)) fail(`relocation #${i}: '${sym.name}' isn't an entry-point program`, where);
    } else {
      fail(`relocation #${i}: map '${map.name}' (type ${map.type}) has no slots to initialise`, where);
    }
    const varType = btf.type(btf.datasec(BTF_SECTION)?.vars.find((v) => v.offset === place.offset)?.type ?? 0);
    const def = varType.kind === 'var' ? btf.resolve(varType.type) : varType;
    const last = def.kind === 'struct' ? def.members[def.members.length - 1] : undefined;
    if (def.kind !== 'struct' || last === undefined || last.name !== 'values') fail(`relocation #${i}: map '${map.name}' has no 'values' member to initialise`, where);
    const rel0 = r.offset - place.offset - Math.floor(last.bitOffset / 8);
    if (rel0 < 0 || rel0 % 8 !== 0) fail(`relocation #${i}: offset ${r.offset} is not a slot of map '${map.name}'`, where);
    (map.initSlots ??= []).push({ index: rel0 / 8, target: sym.name });
  }
  for (const m of collected.maps) m.initSlots?.sort((a, b) => a.index - b.index);
}

// ---- global data ----

function collectDataMap(elf: ElfFile, btf: Btf | null, s: ElfSection, kind: 'data' | 'rodata' | 'bss', objName: string, out: CollectedMaps): void {
  if (s.size > KMALLOC_MAX_SIZE) fail(`global data section is ${s.size} bytes; an ARRAY value is at most ${KMALLOC_MAX_SIZE} (KMALLOC_MAX_SIZE)`, { section: s.name, hint: 'make the globals smaller or move them into a map' });
  const m = baseMap(internalMapName(objName, s.name), 'data', s.name);
  m.type = BPF_MAP_TYPE_ARRAY;
  m.keySize = 4;
  m.valueSize = s.size;
  m.maxEntries = 1;
  m.flags = kind === 'rodata' ? BPF_F_RDONLY_PROG : 0;
  m.initial = kind === 'bss' ? new Uint8Array(s.size) : elf.data(s).slice();
  if (kind === 'rodata') m.readonly = true;
  const ds: BtfType | undefined = btf?.datasec(s.name);
  if (btf !== null && ds !== undefined && ds.kind === 'datasec') {
    m.valueTypeId = ds.id;
    // libbpf makes the map mmapable (a skeleton exposes it) only if a non-static variable lives in it.
    if (ds.vars.some((vsi) => { const t = btf.type(vsi.type); return t.kind === 'var' && t.linkage !== BTF_VAR_STATIC; })) m.flags |= BPF_F_MMAPABLE;
    describeValue(btf, m);
  }
  out.maps.push(m);
  out.places.push({ shndx: s.index, offset: 0, size: s.size });
}

/**
 * libbpf's internal_map_name: as much of the object name as fits in front of the section name
 * (which gets at least 7 characters, '.rodata''s length), 15 characters in all; sections with a
 * second dot ('.rodata.str1.1', '.data.foo') get no prefix. Characters the kernel refuses become '_'.
 */
export function internalMapName(objName: string, section: string): string {
  const max = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, section.length), max);
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.min(max - sfxLen, objName.length);
  const raw = objName.slice(0, pfxLen) + section.slice(0, sfxLen);
  return raw.replace(/[^A-Za-z0-9_.]/g, '_');
}
