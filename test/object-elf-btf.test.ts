// The ELF reader against llvm-readelf's view of the same object (recorded here from
// `llvm-readelf -S -s test/objects/longobjectname.bpf.o`), and the BTF parser on clang's output and
// on hand-built BTF for the kinds clang 14 does not emit (ENUM64, TYPE_TAG, DECL_TAG, FLOAT).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf } from '../src/object/btf.js';
import { BtfExt } from '../src/object/btf-ext.js';
import { ElfFile } from '../src/object/elf.js';
import { ObjectError, openObject } from '../src/object/index.js';
import { objectUrl } from './helpers.js';

const bytesOf = (file: string) => new Uint8Array(readFileSync(objectUrl(file)));

describe('ElfFile', () => {
  const elf = new ElfFile(bytesOf('longobjectname.bpf.o'));

  it("reads the section headers llvm-readelf shows (name, type, offset, size, link, info)", () => {
    const row = (i: number) => { const s = elf.sections[i]!; return [s.name, s.type, s.offset, s.size, s.link, s.info]; };
    expect(elf.sections.length).toBe(30);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 19, 21, 29].map(row)).toEqual([
      ['.strtab', 3, 0x187e, 0x194, 0, 0],
      ['.text', 1, 0x40, 0, 0, 0],
      ['xdp', 1, 0x40, 0x1c0, 0, 0],
      ['.relxdp', 9, 0x11e8, 0xd0, 29, 3],
      ['.data', 1, 0x200, 0xc, 0, 0],
      ['.rodata', 1, 0x210, 0x1a, 0, 0],
      ['.data.extra', 1, 0x22c, 0x10, 0, 0],
      ['.bss', 8, 0x240, 0x18, 0, 0],
      ['.rodata.str1.1', 1, 0x240, 0xc, 0, 0],
      ['license', 1, 0x24c, 4, 0, 0],
      ['.BTF', 1, 0x77c, 0x535, 0, 0],
      ['.BTF.ext', 1, 0xcb4, 0x130, 0, 0],
      ['.symtab', 2, 0xf60, 0x288, 1, 17],
    ]);
  });

  it('reads the symbol table (27 entries) with binding, type, visibility and section', () => {
    expect(elf.symbols.length).toBe(27);
    const sym = (name: string) => { const s = elf.symbols.find((x) => x.name === name)!; return [s.index, s.value, s.size, s.type, s.bind, s.visibility, s.shndx]; };
    expect(sym('globals')).toEqual([17, 0, 448, 2, 1, 0, 3]);
    expect(sym('hidden_counter')).toEqual([18, 4, 4, 1, 1, 2, 8]);
    expect(sym('globals.____fmt')).toEqual([6, 0x10, 10, 1, 0, 0, 6]);
    expect(sym('extra_slots')).toEqual([25, 0, 16, 1, 1, 0, 7]);
  });

  it('reads REL entries: offset, symbol, type', () => {
    const rels = elf.rels(elf.sectionByName('.relxdp')!);
    expect(rels.length).toBe(13);
    expect(rels.slice(0, 3)).toEqual([{ offset: 0, symbol: 8, type: 1 }, { offset: 0x28, symbol: 18, type: 1 }, { offset: 0x50, symbol: 19, type: 1 }]);
  });

  it('gives NOBITS sections no bytes but their size', () => {
    const bss = elf.sectionByName('.bss')!;
    expect([elf.data(bss).length, bss.size]).toEqual([0, 24]);
  });
});

describe('Btf on clang output', () => {
  const obj = openObject(bytesOf('maps.bpf.o'), { name: 'maps' });
  const btf = obj.btf!;

  it('resolves typedefs and sizes types (val_t -> struct val, 24 bytes)', () => {
    const t = btf.resolve(25);
    expect([btf.type(25).kind, btf.type(25).name, t.kind, t.name, btf.sizeof(25)]).toEqual(['typedef', 'val_t', 'struct', 'val', 24]);
  });

  it('finds the spin lock of struct val at byte 8', () => {
    expect(btf.spinLocks(25)).toEqual([{ offset: 8, inArray: false }]);
  });

  it("fixes up the '.maps' DATASEC from the section and the symbols", () => {
    const ds = btf.datasec('.maps')!;
    expect(ds.size).toBe(0x1b0); // llvm-readelf: .maps size 0x1b0; clang left 0 in the DATASEC
    expect(ds.vars.map((v) => [btf.type(v.type).name, v.offset])).toEqual([
      ['in1', 0], ['in2', 32], ['outer', 64], ['locked', 112], ['pcpu_arr', 144], ['hash', 176], ['pcpu_hash', 216],
      ['lru', 256], ['lru_pcpu', 296], ['queue', 336], ['stack', 360], ['rb', 384], ['bloom', 400],
    ]);
  });

  it('reads .BTF.ext line info with the source text (insn_off in bytes)', () => {
    const elf = new ElfFile(bytesOf('seed.bpf.o'));
    const seedBtf = Btf.parse(elf.data(elf.sectionByName('.BTF')!));
    const ext = BtfExt.parse(elf.data(elf.sectionByName('.BTF.ext')!), seedBtf);
    const lines = ext.lineInfo.get('kprobe/sys_clone')!;
    expect(lines.find((l) => l.insnOff === 12 * 8)).toEqual({ insnOff: 96, file: './seed.bpf.c', line: 48, col: 11, text: '  val->cnt++;' });
    expect(ext.funcInfo.get('kprobe/sys_clone')).toEqual([{ insnOff: 0, typeId: 4 }]);
    expect(ext.coreRelos.size).toBe(0);
  });
});

/** Builds a .BTF section from types given as u32 words (name offsets into `strings`). */
function buildBtf(strings: string[], types: number[][]): Uint8Array {
  const str = Buffer.from(`\0${strings.join('\0')}\0`);
  const words = types.flat();
  const out = new Uint8Array(24 + words.length * 4 + str.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, words.length * 4, true);
  v.setUint32(16, words.length * 4, true);
  v.setUint32(20, str.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  out.set(str, 24 + words.length * 4);
  return out;
}
const nameOff = (strings: string[], name: string) => 1 + strings.slice(0, strings.indexOf(name)).reduce((n, s) => n + s.length + 1, 0);
const info = (kind: number, vlen = 0, kflag = false) => ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;

describe('Btf on hand-built types (kinds clang 14 does not emit)', () => {
  const S = ['long', 'big', 'A', 'B', 'tag', 'kptr', 'double', 'holder', 'd', 'p', 'e'];
  const n = (x: string) => nameOff(S, x);
  const data = buildBtf(S, [
    /* 1 */ [n('long'), info(1), 8, (1 << 24) | 64], // INT signed 64
    /* 2 */ [n('big'), info(19, 2, true), 8, n('A'), 0xffffffff, 0x7fffffff, n('B'), 1, 0x80000000], // ENUM64 signed
    /* 3 */ [n('kptr'), info(18), 1], // TYPE_TAG -> long
    /* 4 */ [n('tag'), info(17), 7, -1], // DECL_TAG on holder itself
    /* 5 */ [n('double'), info(16), 8], // FLOAT
    /* 6 */ [0, info(2), 3], // PTR -> type_tag
    /* 7 */ [n('holder'), info(4, 3), 24, n('d'), 5, 0, n('p'), 6, 64, n('e'), 2, 128], // struct holder
  ]);
  const btf = Btf.parse(data);

  it('parses ENUM64 with signed 64-bit values, TYPE_TAG, DECL_TAG and FLOAT', () => {
    expect(btf.type(2)).toEqual({ id: 2, kind: 'enum64', name: 'big', size: 8, signed: true, values: [{ name: 'A', value: 0x7fffffffffffffffn }, { name: 'B', value: -0x7fffffffffffffffn }] });
    expect(btf.type(3)).toEqual({ id: 3, kind: 'type_tag', name: 'kptr', type: 1 });
    expect(btf.type(4)).toEqual({ id: 4, kind: 'decl_tag', name: 'tag', type: 7, componentIdx: -1 });
    expect(btf.type(5)).toEqual({ id: 5, kind: 'float', name: 'double', size: 8 });
  });

  it('skips TYPE_TAG when resolving and sizes a FLOAT and an ENUM64', () => {
    expect(btf.resolve(3).kind).toBe('int');
    expect([btf.sizeof(5), btf.sizeof(2), btf.sizeof(6)]).toEqual([8, 8, 8]);
  });

  it('flattens a float as bytes, a pointer as u64 and an ENUM64 by its signedness', () => {
    expect(btf.valueFields(7)).toEqual([
      { name: 'd', offset: 0, size: 8, kind: 'bytes' },
      { name: 'p', offset: 8, size: 8, kind: 'u64' },
      { name: 'e', offset: 16, size: 8, kind: 's64' },
    ]);
  });

  it('refuses a typedef loop instead of hanging', () => {
    const loop = Btf.parse(buildBtf(['t'], [[1, info(8), 2], [1, info(8), 1]]));
    expect(() => loop.resolve(1)).toThrow(new ObjectError('type [1]: more than 32 typedefs/modifiers (a loop?)', { section: '.BTF' }));
  });

  it('refuses an unknown kind and a type running past the section', () => {
    expect(() => Btf.parse(buildBtf([], [[0, info(25), 0]]))).toThrow("section '.BTF': type [1] has unknown kind 25; the object was built by a newer compiler than this loader knows, or is corrupt");
    expect(() => Btf.parse(buildBtf(['s'], [[1, info(4, 2), 8, 0, 0]]))).toThrow("section '.BTF': type [1] (STRUCT) runs past the end of the type section");
  });

  it('refuses a self-containing struct when flattening it (depth cap)', () => {
    const self = Btf.parse(buildBtf(['s', 'm'], [[1, info(4, 1), 8, 3, 1, 0]]));
    expect(() => self.valueFields(1)).toThrow('nested more than 32 deep');
  });
});
