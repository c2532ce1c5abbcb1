// ELF64 little-endian reader for eBPF relocatable objects (EM_BPF, ET_REL): header, section headers
// and names, the symbol table, REL relocations. Nothing else (no program headers, no RELA, no DWARF).
//
// Why ours and not an npm package: the maintained-looking ones we checked (elflib 0.2.x,
// @bugsplat/elfy, elfinfo 0.4-beta, elf-parser) are async/file-handle or Node-Buffer based, read
// sections but not symbols and REL entries (elfy), or paper over bad offsets with placeholder
// strings ('<error>') instead of failing. The loader needs a synchronous reader over a Uint8Array
// that checks every offset and count against the buffer and fails with our ObjectError; for the
// handful of fixed structures below that is ~200 lines, smaller than adapting any of them.
//
// Layouts (all little-endian; u64 fields are read as two u32 halves into a JS number, exact below
// 2^53, which is far beyond any buffer we can hold, so an absurd value just fails a bounds check):
//
//   Elf64_Ehdr (64 bytes)            Elf64_Shdr (64 bytes)         Elf64_Sym (24)     Elf64_Rel (16)
//   0  e_ident[16]                   0  sh_name      u32           0  st_name  u32    0 r_offset u64
//      [4] class 2 = 64-bit          4  sh_type      u32           4  st_info  u8     8 r_info   u64
//      [5] data  1 = little-endian   8  sh_flags     u64           5  st_other u8       sym = hi 32
//      [6] version 1                 16 sh_addr      u64           6  st_shndx u16      type = lo 32
//   16 e_type      u16 (1 = REL)     24 sh_offset    u64           8  st_value u64
//   18 e_machine   u16 (247 = BPF)   32 sh_size      u64           16 st_size  u64
//   20 e_version   u32               40 sh_link      u32
//   40 e_shoff     u64               44 sh_info      u32
//   58 e_shentsize u16 (64)          48 sh_addralign u64
//   60 e_shnum     u16               56 sh_entsize   u64
//   62 e_shstrndx  u16
import { fail } from './errors.js';
import {
  EM_BPF, ELFCLASS64, ELFDATA2LSB, ET_REL, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_NOBITS, SHT_NULL,
  SHT_REL, SHT_SYMTAB,
} from './uapi.js';

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents (meaningless for NOBITS). */
  offset: number;
  /** Bytes in the file, or the zero-filled size for NOBITS (.bss). */
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  /** Visibility (STV_*), the low two bits of st_other. */
  visibility: number;
  /** Section index, or a reserved SHN_* value (UNDEF 0, ABS, COMMON). */
  shndx: number;
}

export interface ElfRel {
  /** Byte offset in the patched section. */
  offset: number;
  symbol: number;
  type: number;
}

export class ElfFile {
  readonly bytes: Uint8Array;
  readonly sections: ElfSection[];
  /** The one SYMTAB's symbols (index 0 is the null symbol), [] when the object has none. */
  readonly symbols: ElfSymbol[];
  /** Index of the SYMTAB section, 0 when none. */
  readonly symtabIndex: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkHeader(bytes);
    this.sections = this.readSections();
    const symtabs = this.sections.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length > 1) fail('more than one symbol table', { section: symtabs[1]!.name, hint: 'give the loader an object straight from clang -c' });
    this.symtabIndex = symtabs[0]?.index ?? 0;
    this.symbols = symtabs[0] ? this.readSymbols(symtabs[0]) : [];
  }

  /** The section's bytes (a view, not a copy); NOBITS sections have none (use size). */
  data(section: ElfSection): Uint8Array {
    if (section.type === SHT_NOBITS || section.type === SHT_NULL) return new Uint8Array(0);
    checkRange(this.bytes.length, section.offset, section.size, `contents (offset ${section.offset}, ${section.size} bytes)`, section.name);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  section(index: number): ElfSection | undefined {
    return index > 0 && index < this.sections.length ? this.sections[index] : undefined;
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The REL entries of a SHT_REL section, each checked to name an existing symbol. */
  rels(section: ElfSection): ElfRel[] {
    if (section.type !== SHT_REL) fail(`not a REL section (type ${section.type})`, { section: section.name });
    if (section.entsize !== REL_SIZE) fail(`relocation entry size ${section.entsize}, expected ${REL_SIZE}`, { section: section.name, hint: 'the object is corrupt; rebuild it with clang -target bpf' });
    if (section.size % REL_SIZE !== 0) fail(`size ${section.size} is not a multiple of ${REL_SIZE}`, { section: section.name });
    const data = this.data(section);
    const out: ElfRel[] = [];
    for (let off = 0; off < data.length; off += REL_SIZE) {
      const at = section.offset + off;
      const offset = this.u64(at);
      const type = this.view.getUint32(at + 8, true);
      const symbol = this.view.getUint32(at + 12, true);
      if (symbol >= this.symbols.length) fail(`relocation #${off / REL_SIZE} names symbol #${symbol}, the symbol table has ${this.symbols.length}`, { section: section.name, hint: 'the object is corrupt; rebuild it' });
      out.push({ offset, symbol, type });
    }
    return out;
  }

  /** A NUL-terminated string from a STRTAB section. */
  string(strtab: ElfSection, offset: number, what: string): string {
    const data = this.data(strtab);
    // While section names are being read, the name table has no name yet.
    const table = strtab.name === '' ? 'the section name table' : `'${strtab.name}'`;
    if (offset >= data.length) fail(`${what}: name offset ${offset} is past the end of ${table} (${data.length} bytes)`, { section: strtab.name || undefined });
    const end = data.indexOf(0, offset);
    if (end < 0) fail(`${what}: name at offset ${offset} has no terminating NUL in ${table}`, { section: strtab.name || undefined });
    return decodeName(data.subarray(offset, end));
  }

  private u64(at: number): number {
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
  }

  private readSections(): ElfSection[] {
    const v = this.view;
    const shoff = this.u64(40);
    const shentsize = v.getUint16(58, true);
    let shnum = v.getUint16(60, true);
    let shstrndx = v.getUint16(62, true);
    if (shoff === 0) fail('the object has no section headers', { hint: 'give the loader a relocatable object from clang -c' });
    if (shentsize !== SHDR_SIZE) fail(`section header size ${shentsize}, expected ${SHDR_SIZE}`);
    checkRange(this.bytes.length, shoff, SHDR_SIZE, 'section header #0');
    // Extended numbering: with 0xff00 or more sections, the real count and string-table index
    // live in section 0's sh_size and sh_link.
    if (shnum === 0) shnum = this.u64(shoff + 32);
    if (shstrndx === SHN_XINDEX) shstrndx = v.getUint32(shoff + 40, true);
    if (shnum === 0) fail('the object has no sections');
    checkRange(this.bytes.length, shoff, shnum * SHDR_SIZE, `section header table (${shnum} headers at offset ${shoff})`);
    const raw: (ElfSection & { nameOff: number })[] = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * SHDR_SIZE;
      raw.push({
        index: i,
        name: '',
        nameOff: v.getUint32(at, true),
        type: v.getUint32(at + 4, true),
        flags: this.u64(at + 8),
        offset: this.u64(at + 24),
        size: this.u64(at + 32),
        link: v.getUint32(at + 40, true),
        info: v.getUint32(at + 44, true),
        entsize: this.u64(at + 56),
      });
    }
    if (shstrndx === SHN_UNDEF || shstrndx >= shnum) fail(`section name table index ${shstrndx} is not one of the ${shnum} sections`);
    const shstrtab = raw[shstrndx]!;
    const sections: ElfSection[] = [];
    for (const s of raw) {
      const name = s.index === 0 ? '' : this.string(shstrtab, s.nameOff, `section #${s.index}`);
      sections.push({ index: s.index, name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize });
    }
    return sections;
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    if (symtab.entsize !== SYM_SIZE) fail(`symbol entry size ${symtab.entsize}, expected ${SYM_SIZE}`, { section: symtab.name });
    if (symtab.size % SYM_SIZE !== 0) fail(`size ${symtab.size} is not a multiple of ${SYM_SIZE}`, { section: symtab.name });
    const strtab = this.section(symtab.link);
    if (strtab === undefined) fail(`symbol string table index ${symtab.link} is not a section`, { section: symtab.name });
    const data = this.data(symtab);
    const v = this.view;
    const out: ElfSymbol[] = [];
    for (let off = 0; off < data.length; off += SYM_SIZE) {
      const at = symtab.offset + off;
      const index = off / SYM_SIZE;
      const info = v.getUint8(at + 4);
      const shndx = v.getUint16(at + 6, true);
      if (shndx === SHN_XINDEX) fail(`symbol #${index} uses an extended section index (SHT_SYMTAB_SHNDX), which eBPF objects never need`, { section: symtab.name });
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= this.sections.length) {
        fail(`symbol #${index} points to section #${shndx}, the object has ${this.sections.length}`, { section: symtab.name, hint: 'the object is corrupt; rebuild it' });
      }
      out.push({
        index,
        name: this.string(strtab, v.getUint32(at, true), `symbol #${index}`),
        value: this.u64(at + 8),
        size: this.u64(at + 16),
        bind: info >> 4,
        type: info & 0xf,
        visibility: v.getUint8(at + 5) & 0x3,
        shndx,
      });
    }
    return out;
  }
}

function checkHeader(b: Uint8Array): void {
  if (b.length < 4 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
    fail('not an ELF file (no \\x7fELF magic)', { hint: 'give the loader the .o that clang -target bpf -c produced' });
  }
  if (b.length < EHDR_SIZE) fail(`truncated ELF header: ${b.length} bytes, the header alone is ${EHDR_SIZE}`);
  if (b[4] !== ELFCLASS64) fail(`ELF class ${b[4]} is not ELFCLASS64 (2); eBPF objects are 64-bit`, { hint: 'compile with clang -target bpf' });
  if (b[5] !== ELFDATA2LSB) fail(`ELF data encoding ${b[5]} is not little-endian (1); only little-endian eBPF (-target bpf or bpfel) is supported`, { hint: 'compile with clang -target bpfel' });
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const machine = v.getUint16(18, true);
  if (machine !== EM_BPF) fail(`ELF machine ${machine} is not EM_BPF (247): this is not an eBPF object`, { hint: 'compile the program with clang -target bpf' });
  const type = v.getUint16(16, true);
  if (type !== ET_REL) fail(`ELF type ${type} is not ET_REL (1): the loader reads relocatable objects`, { hint: 'give it the .o from clang -c, not a linked file' });
}

/** Checks [offset, offset + size) lies inside a buffer of `length` bytes. */
export function checkRange(length: number, offset: number, size: number, what: string, section?: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > length) {
    fail(`${what} runs past the end of the object (${length} bytes)`, { section, hint: 'the object is truncated or corrupt; rebuild it' });
  }
}

const utf8 = new TextDecoder('utf-8');

function decodeName(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
