// .BTF: the object's type information (include/uapi/linux/btf.h, Documentation/bpf/btf.rst). We read
// it to size map keys and values given by type, to find a value's struct bpf_spin_lock, to flatten a
// value into fields for dumps, and to know which global variables a data section holds.
//
// Layout (little-endian). Header, 24 bytes:
//   0 magic u16 0xEB9F   2 version u8 (1)   3 flags u8   4 hdr_len u32
//   8 type_off u32   12 type_len u32   16 str_off u32   20 str_len u32   (offsets from the header's end)
// Each type: 12 bytes {name_off u32, info u32, size_or_type u32}, info = vlen (bits 0-15),
// kind (bits 24-28), kind_flag (bit 31); then per kind:
//   INT        +4  encoding (bits 24-27: 1 signed, 2 char, 4 bool), bit offset (16-23), bits (0-7)
//   ARRAY      +12 {type, index_type, nelems}
//   STRUCT/UNION vlen x 12 {name_off, type, offset}: offset in bits; with kind_flag,
//              bitfield size = offset >> 24 and bit offset = offset & 0xffffff
//   ENUM       vlen x 8  {name_off, s32 val}          ENUM64 vlen x 12 {name_off, lo32, hi32}
//   FUNC_PROTO vlen x 8  {name_off, type}             VAR +4 linkage
//   DATASEC    vlen x 12 {type, offset, size}         DECL_TAG +4 s32 component_idx
//   PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC (vlen = linkage), FLOAT, TYPE_TAG: nothing more
// Type ids count from 1 in file order; id 0 is void. Names are offsets into the string section
// (0 = anonymous).
import { fail } from './errors.js';
import {
  BTF_INT_SIGNED, BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM,
  BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD, BTF_KIND_INT,
  BTF_KIND_PTR, BTF_KIND_RESTRICT, BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_TYPE_TAG, BTF_KIND_UNION,
  BTF_KIND_VAR, BTF_KIND_VOLATILE, BTF_MAGIC, BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC, STV_HIDDEN,
  STV_INTERNAL,
} from './uapi.js';

const SECTION = '.BTF';
const HEADER_MIN = 24;
/** The kernel's MAX_RESOLVE_DEPTH: how many modifiers/typedefs/array levels we follow. */
const MAX_RESOLVE_DEPTH = 32;
/** The most fields valueFields() produces; a value type past it is refused, not flattened forever. */
const MAX_VALUE_FIELDS = 65_536;

export interface BtfMember { name: string; type: number; bitOffset: number; bitfieldSize: number }
export interface BtfParam { name: string; type: number }
export interface BtfVarSecinfo { type: number; offset: number; size: number }

export type BtfType =
  | { id: 0; kind: 'void'; name: '' }
  | { id: number; kind: 'int'; name: string; size: number; signed: boolean; char: boolean; bool: boolean; bitOffset: number; bits: number }
  | { id: number; kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; name: string; type: number }
  | { id: number; kind: 'array'; name: string; type: number; indexType: number; nelems: number }
  | { id: number; kind: 'struct' | 'union'; name: string; size: number; members: BtfMember[] }
  | { id: number; kind: 'enum'; name: string; size: number; signed: boolean; values: { name: string; value: number }[] }
  | { id: number; kind: 'enum64'; name: string; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { id: number; kind: 'fwd'; name: string; union: boolean }
  | { id: number; kind: 'func'; name: string; type: number; linkage: number }
  | { id: number; kind: 'func_proto'; name: string; type: number; params: BtfParam[] }
  | { id: number; kind: 'var'; name: string; type: number; linkage: number }
  | { id: number; kind: 'datasec'; name: string; size: number; vars: BtfVarSecinfo[] }
  | { id: number; kind: 'float'; name: string; size: number }
  | { id: number; kind: 'decl_tag'; name: string; type: number; componentIdx: number };

export type BtfKind = BtfType['kind'];

/** One field of a flattened map value (objects.md): for dumps and a StructLayout. */
export interface ValueField {
  name: string;
  offset: number;
  size: number;
  kind: 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'bpf_spin_lock' | 'bytes' | 'struct' | 'array';
  /** 'array': the number of elements (multi-dimensional arrays counted flat, as the kernel does). */
  count?: number;
}

/** A variable of a data section after the fix-ups: its place in the section. */
export interface ElfVarInfo { value: number; visibility: number }

export class Btf {
  /** Indexed by type id; [0] is void. */
  readonly types: BtfType[];
  private readonly strings: Uint8Array;

  private constructor(types: BtfType[], strings: Uint8Array) {
    this.types = types;
    this.strings = strings;
  }

  /** Parses a .BTF section. Every offset and count is checked against the section. */
  static parse(data: Uint8Array): Btf {
    if (data.length < HEADER_MIN) fail(`truncated header: ${data.length} bytes, at least ${HEADER_MIN} needed`, { section: SECTION });
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const magic = v.getUint16(0, true);
    if (magic !== BTF_MAGIC) fail(`bad magic 0x${magic.toString(16)} (expected 0xeb9f; a big-endian object?)`, { section: SECTION });
    if (data[2] !== 1) fail(`unsupported BTF version ${data[2]} (only 1 exists)`, { section: SECTION });
    const hdrLen = v.getUint32(4, true);
    if (hdrLen < HEADER_MIN || hdrLen > data.length) fail(`header length ${hdrLen} is outside the ${data.length}-byte section`, { section: SECTION });
    const typeOff = v.getUint32(8, true);
    const typeLen = v.getUint32(12, true);
    const strOff = v.getUint32(16, true);
    const strLen = v.getUint32(20, true);
    const body = data.length - hdrLen;
    if (typeOff + typeLen > body) fail(`type section (offset ${typeOff}, ${typeLen} bytes) runs past the end`, { section: SECTION });
    if (strOff + strLen > body) fail(`string section (offset ${strOff}, ${strLen} bytes) runs past the end`, { section: SECTION });
    if (typeOff % 4 !== 0) fail(`type section offset ${typeOff} is not 4-byte aligned`, { section: SECTION });
    const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    if (strings.length > 0 && strings[0] !== 0) fail('string section does not start with the empty string', { section: SECTION });
    const btf = new Btf([{ id: 0, kind: 'void', name: '' }], strings);
    btf.readTypes(v, hdrLen + typeOff, typeLen);
    return btf;
  }

  /** The number of type ids, void included (btf__type_cnt). */
  get count(): number {
    return this.types.length;
  }

  /** The type with this id; an id past the table is a corrupt object. */
  type(id: number): BtfType {
    const t = this.types[id];
    if (t === undefined) fail(`type id ${id} does not exist (the object has ${this.types.length - 1} types)`, { section: SECTION });
    return t;
  }

  /** A string from the string section. */
  name(off: number): string {
    if (off === 0) return '';
    if (off >= this.strings.length) fail(`name offset ${off} is past the string section (${this.strings.length} bytes)`, { section: SECTION });
    const end = this.strings.indexOf(0, off);
    if (end < 0) fail(`name at offset ${off} has no terminating NUL`, { section: SECTION });
    return utf8.decode(this.strings.subarray(off, end));
  }

  /** The first DATASEC with this name (e.g. '.maps', '.bss'). */
  datasec(name: string): Extract<BtfType, { kind: 'datasec' }> | undefined {
    for (const t of this.types) if (t.kind === 'datasec' && t.name === name) return t;
    return undefined;
  }

  /** Skips typedef, const, volatile, restrict and type_tag (libbpf's skip_mods_and_typedefs). */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return t;
      if (depth >= MAX_RESOLVE_DEPTH) fail(`type [${id}]: more than ${MAX_RESOLVE_DEPTH} typedefs/modifiers (a loop?)`, { section: SECTION });
      t = this.type(t.type);
    }
  }

  /** sizeof the type in bytes (btf__resolve_size); void, functions and forward declarations have none. */
  sizeof(id: number): number {
    let t = this.resolve(id);
    let multiplier = 1;
    for (let depth = 0; t.kind === 'array'; depth++) {
      if (depth >= MAX_RESOLVE_DEPTH) fail(`type [${id}]: arrays nested more than ${MAX_RESOLVE_DEPTH} deep`, { section: SECTION });
      multiplier *= t.nelems;
      if (multiplier > 0xffffffff) fail(`type [${id}]: array size overflows 32 bits`, { section: SECTION });
      t = this.resolve(t.type);
    }
    let size: number;
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
        size = t.size;
        break;
      case 'ptr':
        size = 8; // BPF pointers are 64-bit whatever the host
        break;
      case 'var':
        return this.sizeof(t.type);
      default:
        fail(`type [${id}] (${t.kind}) has no size`, { section: SECTION });
    }
    const total = size * multiplier;
    if (total > 0xffffffff) fail(`type [${id}]: size overflows 32 bits`, { section: SECTION });
    return total;
  }

  /**
   * Byte offsets of every struct bpf_spin_lock inside a value of this type: members of the struct,
   * of structs nested in it, or (for a DATASEC) global variables, as the kernel's btf_parse_fields
   * finds them. Locks inside arrays are reported with `inArray` (the kernel refuses those).
   */
  spinLocks(id: number): { offset: number; inArray: boolean }[] {
    const out: { offset: number; inArray: boolean }[] = [];
    let budget = MAX_VALUE_FIELDS; // bounds the walk: nested structs can multiply the members to visit
    const visit = (typeId: number, base: number, inArray: boolean, depth: number): void => {
      if (depth > MAX_RESOLVE_DEPTH) fail(`type [${id}]: nested more than ${MAX_RESOLVE_DEPTH} deep`, { section: SECTION });
      if (--budget < 0) fail(`type [${id}]: more than ${MAX_VALUE_FIELDS} members to search for a bpf_spin_lock`, { section: SECTION });
      const t = this.resolve(typeId);
      if (t.kind === 'struct' || t.kind === 'union') {
        for (const m of t.members) {
          if (m.bitfieldSize !== 0) continue;
          const mt = this.resolve(m.type);
          const off = base + Math.floor(m.bitOffset / 8);
          if (mt.kind === 'struct' && mt.name === 'bpf_spin_lock') out.push({ offset: off, inArray });
          else visit(m.type, off, inArray, depth + 1);
        }
      } else if (t.kind === 'array') {
        if (t.nelems > 0) visit(t.type, base, true, depth + 1);
      } else if (t.kind === 'datasec') {
        for (const vsi of t.vars) {
          const vt = this.type(vsi.type);
          if (vt.kind !== 'var') continue;
          const inner = this.resolve(vt.type);
          if (inner.kind === 'struct' && inner.name === 'bpf_spin_lock') out.push({ offset: vsi.offset, inArray });
          else visit(vt.type, vsi.offset, inArray, depth + 1);
        }
      }
    };
    visit(id, 0, false, 0);
    return out;
  }

  /**
   * The value type flattened to fields (objects.md's ValueField): scalars by size and signedness,
   * pointers as u64, struct bpf_spin_lock as itself, a nested struct as a 'struct' entry followed by
   * its own fields named 'outer.inner' (anonymous members keep the outer name), arrays as one
   * 'array' entry, unions, floats, bitfields and other odd sizes as 'bytes'. A DATASEC flattens to
   * its variables.
   */
  valueFields(id: number): ValueField[] {
    const out: ValueField[] = [];
    const push = (f: ValueField): void => {
      if (out.length >= MAX_VALUE_FIELDS) fail(`type [${id}]: more than ${MAX_VALUE_FIELDS} fields when flattened`, { section: SECTION });
      out.push(f);
    };
    const visit = (typeId: number, name: string, offset: number, depth: number): void => {
      if (depth > MAX_RESOLVE_DEPTH) fail(`type [${id}]: nested more than ${MAX_RESOLVE_DEPTH} deep`, { section: SECTION });
      const t = this.resolve(typeId);
      switch (t.kind) {
        case 'int':
          push({ name, offset, size: t.size, kind: scalarKind(t.size, t.signed) });
          return;
        case 'enum': case 'enum64':
          push({ name, offset, size: t.size, kind: scalarKind(t.size, t.signed) });
          return;
        case 'ptr':
          push({ name, offset, size: 8, kind: 'u64' });
          return;
        case 'array': {
          const size = this.sizeof(typeId);
          const elem = this.sizeof(t.type);
          push({ name, offset, size, kind: 'array', count: elem > 0 ? size / elem : t.nelems });
          return;
        }
        case 'struct': {
          if (t.name === 'bpf_spin_lock') {
            push({ name, offset, size: t.size, kind: 'bpf_spin_lock' });
            return;
          }
          if (depth > 0) push({ name, offset, size: t.size, kind: 'struct' });
          for (const m of t.members) {
            const mname = m.name === '' ? name : name === '' ? m.name : `${name}.${m.name}`;
            if (m.bitfieldSize !== 0) {
              const first = Math.floor(m.bitOffset / 8);
              const last = Math.floor((m.bitOffset + m.bitfieldSize - 1) / 8);
              push({ name: mname, offset: offset + first, size: last - first + 1, kind: 'bytes' });
            } else {
              visit(m.type, mname, offset + Math.floor(m.bitOffset / 8), depth + 1);
            }
          }
          return;
        }
        case 'datasec':
          for (const vsi of t.vars) {
            const vt = this.type(vsi.type);
            if (vt.kind === 'var') visit(vt.type, name === '' ? vt.name : `${name}.${vt.name}`, offset + vsi.offset, depth + 1);
          }
          return;
        case 'var':
          visit(t.type, name, offset, depth + 1);
          return;
        case 'union': case 'float':
          push({ name, offset, size: t.size, kind: 'bytes' });
          return;
        default:
          fail(`type [${id}]: a map value cannot hold a ${t.kind}`, { section: SECTION });
      }
    };
    visit(id, '', 0, 0);
    return out;
  }

  /**
   * libbpf's fix-ups before the BTF can be used (btf_fixup_datasec): clang leaves DATASEC sizes and
   * global VAR offsets at 0, so the size comes from the ELF section and each global variable's
   * offset from its symbol; a hidden (STV_HIDDEN/INTERNAL) global becomes static, as libbpf marks
   * it (it then does not make its section's map mmapable). Vars are sorted by offset afterwards.
   */
  fixupDatasecs(sectionSize: (name: string) => number | undefined, varSymbol: (name: string) => ElfVarInfo | undefined): void {
    for (const t of this.types) {
      if (t.kind !== 'datasec') continue;
      // Extern-backed sections get their layout from the extern logic, which we do not support.
      if (t.name === '.kconfig' || t.name === '.ksyms') continue;
      let fixOffsets = false;
      if (t.size === 0) {
        const size = sectionSize(t.name);
        if (size === undefined || size === 0) continue; // nothing to size it by; it has no map either
        t.size = size;
        fixOffsets = true;
      }
      for (const vsi of t.vars) {
        const vt = this.type(vsi.type);
        if (vt.kind !== 'var') fail(`DATASEC '${t.name}' holds a ${vt.kind} [${vsi.type}], not a VAR`, { section: SECTION });
        if (vt.linkage === BTF_VAR_STATIC || vt.linkage === BTF_VAR_GLOBAL_EXTERN) continue;
        const sym = varSymbol(vt.name);
        if (sym === undefined) fail(`DATASEC '${t.name}': no ELF symbol for global variable '${vt.name}'`, { section: SECTION, hint: 'the object is corrupt or stripped; rebuild it' });
        if (fixOffsets) vsi.offset = sym.value;
        if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) vt.linkage = BTF_VAR_STATIC;
      }
      t.vars.sort((a, b) => a.offset - b.offset);
    }
  }

  private readTypes(v: DataView, start: number, len: number): void {
    const end = start + len;
    let off = start;
    const need = (n: number, what: string): void => {
      if (off + n > end) fail(`type [${this.types.length}] (${what}) runs past the end of the type section`, { section: SECTION });
    };
    while (off < end) {
      const id = this.types.length;
      need(12, 'header');
      const nameOff = v.getUint32(off, true);
      const info = v.getUint32(off + 4, true);
      const sizeOrType = v.getUint32(off + 8, true);
      off += 12;
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const kindFlag = (info >>> 31) === 1;
      const name = this.name(nameOff);
      switch (kind) {
        case BTF_KIND_INT: {
          need(4, 'INT');
          const enc = v.getUint32(off, true);
          off += 4;
          const bits = enc & 0xff;
          const bitOffset = (enc >>> 16) & 0xff;
          const encoding = (enc >>> 24) & 0x0f;
          this.types.push({ id, kind: 'int', name, size: sizeOrType, signed: (encoding & BTF_INT_SIGNED) !== 0, char: (encoding & 2) !== 0, bool: (encoding & 4) !== 0, bitOffset, bits });
          break;
        }
        case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
          this.types.push({ id, kind: MODIFIER_NAMES[kind]!, name, type: sizeOrType });
          break;
        case BTF_KIND_ARRAY:
          need(12, 'ARRAY');
          this.types.push({ id, kind: 'array', name, type: v.getUint32(off, true), indexType: v.getUint32(off + 4, true), nelems: v.getUint32(off + 8, true) });
          off += 12;
          break;
        case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
          need(12 * vlen, kind === BTF_KIND_STRUCT ? 'STRUCT' : 'UNION');
          const members: BtfMember[] = [];
          for (let i = 0; i < vlen; i++, off += 12) {
            const raw = v.getUint32(off + 8, true);
            members.push({
              name: this.name(v.getUint32(off, true)),
              type: v.getUint32(off + 4, true),
              bitOffset: kindFlag ? raw & 0xffffff : raw,
              bitfieldSize: kindFlag ? raw >>> 24 : 0,
            });
          }
          this.types.push({ id, kind: kind === BTF_KIND_STRUCT ? 'struct' : 'union', name, size: sizeOrType, members });
          break;
        }
        case BTF_KIND_ENUM: {
          need(8 * vlen, 'ENUM');
          const values: { name: string; value: number }[] = [];
          for (let i = 0; i < vlen; i++, off += 8) {
            values.push({ name: this.name(v.getUint32(off, true)), value: kindFlag ? v.getInt32(off + 4, true) : v.getUint32(off + 4, true) });
          }
          this.types.push({ id, kind: 'enum', name, size: sizeOrType, signed: kindFlag, values });
          break;
        }
        case BTF_KIND_ENUM64: {
          need(12 * vlen, 'ENUM64');
          const values: { name: string; value: bigint }[] = [];
          for (let i = 0; i < vlen; i++, off += 12) {
            const u = (BigInt(v.getUint32(off + 8, true)) << 32n) | BigInt(v.getUint32(off + 4, true));
            values.push({ name: this.name(v.getUint32(off, true)), value: kindFlag ? BigInt.asIntN(64, u) : u });
          }
          this.types.push({ id, kind: 'enum64', name, size: sizeOrType, signed: kindFlag, values });
          break;
        }
        case BTF_KIND_FWD:
          this.types.push({ id, kind: 'fwd', name, union: kindFlag });
          break;
        case BTF_KIND_FUNC:
          this.types.push({ id, kind: 'func', name, type: sizeOrType, linkage: vlen });
          break;
        case BTF_KIND_FUNC_PROTO: {
          need(8 * vlen, 'FUNC_PROTO');
          const params: BtfParam[] = [];
          for (let i = 0; i < vlen; i++, off += 8) params.push({ name: this.name(v.getUint32(off, true)), type: v.getUint32(off + 4, true) });
          this.types.push({ id, kind: 'func_proto', name, type: sizeOrType, params });
          break;
        }
        case BTF_KIND_VAR:
          need(4, 'VAR');
          this.types.push({ id, kind: 'var', name, type: sizeOrType, linkage: v.getUint32(off, true) });
          off += 4;
          break;
        case BTF_KIND_DATASEC: {
          need(12 * vlen, 'DATASEC');
          const vars: BtfVarSecinfo[] = [];
          for (let i = 0; i < vlen; i++, off += 12) vars.push({ type: v.getUint32(off, true), offset: v.getUint32(off + 4, true), size: v.getUint32(off + 8, true) });
          this.types.push({ id, kind: 'datasec', name, size: sizeOrType, vars });
          break;
        }
        case BTF_KIND_FLOAT:
          this.types.push({ id, kind: 'float', name, size: sizeOrType });
          break;
        case BTF_KIND_DECL_TAG:
          need(4, 'DECL_TAG');
          this.types.push({ id, kind: 'decl_tag', name, type: sizeOrType, componentIdx: v.getInt32(off, true) });
          off += 4;
          break;
        default:
          fail(`type [${id}] has unknown kind ${kind}`, { section: SECTION, hint: 'the object was built by a newer compiler than this loader knows, or is corrupt' });
      }
    }
  }
}

const MODIFIER_NAMES: Partial<Record<number, 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'>> = {
  [BTF_KIND_PTR]: 'ptr',
  [BTF_KIND_TYPEDEF]: 'typedef',
  [BTF_KIND_VOLATILE]: 'volatile',
  [BTF_KIND_CONST]: 'const',
  [BTF_KIND_RESTRICT]: 'restrict',
  [BTF_KIND_TYPE_TAG]: 'type_tag',
};

function scalarKind(size: number, signed: boolean): ValueField['kind'] {
  switch (size) {
    case 1: return signed ? 's8' : 'u8';
    case 2: return signed ? 's16' : 'u16';
    case 4: return signed ? 's32' : 'u32';
    case 8: return signed ? 's64' : 'u64';
    default: return 'bytes';
  }
}

const utf8 = new TextDecoder('utf-8');

