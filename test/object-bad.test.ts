// Bad and unsupported objects: each case is a committed object with a few bytes changed (found with
// the ELF reader on the pristine object) or an object refused as built, and the exact ObjectError
// it must give: the object, the section, the instruction index, what is wrong and what to do.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ElfFile } from '../src/object/elf.js';
import { ObjectError, openObject } from '../src/object/index.js';
import { objectUrl } from './helpers.js';

const bytesOf = (file: string) => new Uint8Array(readFileSync(objectUrl(file)));
const nameOf = (file: string) => file.slice(0, file.indexOf('.'));

/** The ObjectError opening these bytes gives (fails the test if it opens or throws something else). */
function refusal(bytes: Uint8Array, name: string): ObjectError {
  try {
    openObject(bytes, { name });
  } catch (e) {
    if (e instanceof ObjectError) return e;
    throw e;
  }
  throw new Error('expected an ObjectError, the object opened');
}

/** A copy of a committed object with edits made at places located in its pristine ELF. */
function patched(file: string, edit: (b: Uint8Array, v: DataView, elf: ElfFile) => void): Uint8Array {
  const b = bytesOf(file);
  edit(b, new DataView(b.buffer), new ElfFile(bytesOf(file)));
  return b;
}
const symbolAt = (elf: ElfFile, name: string) => elf.sections[elf.symtabIndex]!.offset + elf.symbols.find((s) => s.name === name)!.index * 24;
const relAt = (elf: ElfFile, relSection: string, i: number) => elf.sectionByName(relSection)!.offset + i * 16;
const insnAt = (elf: ElfFile, section: string, i: number) => elf.sectionByName(section)!.offset + i * 8;

describe('truncated objects', () => {
  const seed = bytesOf('seed.bpf.o');

  it('refuses every prefix of seed.bpf.o with an ObjectError', () => {
    const other: string[] = [];
    for (let len = 0; len < seed.length; len++) {
      try {
        openObject(seed.subarray(0, len), { name: 'seed' });
        other.push(`${len}: opened`);
      } catch (e) {
        if (!(e instanceof ObjectError)) other.push(`${len}: ${String(e)}`);
      }
    }
    expect(other).toEqual([]);
  });

  it.each([
    [0, "object 'seed': not an ELF file (no \\x7fELF magic); give the loader the .o that clang -target bpf -c produced"],
    [40, "object 'seed': truncated ELF header: 40 bytes, the header alone is 64"],
    [64, "object 'seed': section header #0 runs past the end of the object (64 bytes); the object is truncated or corrupt; rebuild it"],
  ])('a %i-byte prefix: %s', (len, message) => {
    expect(refusal(seed.subarray(0, len), 'seed').message).toBe(message);
  });

  it('a prefix that cuts the section header table says how many headers were expected where', () => {
    const elf = new ElfFile(seed);
    const shoff = new DataView(seed.buffer).getUint32(40, true);
    expect(refusal(seed.subarray(0, seed.length - 1), 'seed').message).toBe(
      `object 'seed': section header table (${elf.sections.length} headers at offset ${shoff}) runs past the end of the object (${seed.length - 1} bytes); the object is truncated or corrupt; rebuild it`,
    );
  });
});

describe('objects that are not eBPF', () => {
  it('wrong machine (x86-64)', () => {
    const e = refusal(patched('seed.bpf.o', (_b, v) => v.setUint16(18, 62, true)), 'seed');
    expect(e.message).toBe("object 'seed': ELF machine 62 is not EM_BPF (247): this is not an eBPF object; compile the program with clang -target bpf");
    expect([e.object, e.section, e.insn]).toEqual(['seed', undefined, undefined]);
  });

  it('wrong class (32-bit)', () => {
    expect(refusal(patched('seed.bpf.o', (b) => { b[4] = 1; }), 'seed').message).toBe("object 'seed': ELF class 1 is not ELFCLASS64 (2); eBPF objects are 64-bit; compile with clang -target bpf");
  });

  it('wrong endianness (big-endian)', () => {
    expect(refusal(patched('seed.bpf.o', (b) => { b[5] = 2; }), 'seed').message).toBe("object 'seed': ELF data encoding 2 is not little-endian (1); only little-endian eBPF (-target bpf or bpfel) is supported; compile with clang -target bpfel");
  });

  it('not a relocatable object', () => {
    expect(refusal(patched('seed.bpf.o', (_b, v) => v.setUint16(16, 2, true)), 'seed').message).toBe("object 'seed': ELF type 2 is not ET_REL (1): the loader reads relocatable objects; give it the .o from clang -c, not a linked file");
  });
});

describe('bad relocations', () => {
  it('unknown relocation type', () => {
    const e = refusal(patched('seed.bpf.o', (_b, v, elf) => v.setUint32(relAt(elf, '.relkprobe/sys_clone', 0) + 8, 99, true)), 'seed');
    expect(e.message).toBe("object 'seed', section 'kprobe/sys_clone', instruction 4: unknown relocation type 99 against 'counter' in function 'hello_world'; the loader knows R_BPF_64_64 (ld_imm64) and R_BPF_64_32 (call); rebuild with a clang that targets bpf");
    expect([e.section, e.insn]).toEqual(['kprobe/sys_clone', 4]);
  });

  it('a known relocation type on the wrong instruction', () => {
    expect(refusal(patched('seed.bpf.o', (_b, v, elf) => v.setUint32(relAt(elf, '.relkprobe/sys_clone', 0) + 8, 2, true)), 'seed').message).toBe(
      "object 'seed', section 'kprobe/sys_clone', instruction 4: relocation type R_BPF_64_ABS64 (2) on an ld_imm64; clang emits R_BPF_64_64 there; rebuild the object with clang -target bpf",
    );
  });

  it('relocation out of range', () => {
    expect(refusal(patched('seed.bpf.o', (_b, v, elf) => v.setUint32(relAt(elf, '.relkprobe/sys_clone', 0), 0x1000, true)), 'seed').message).toBe(
      "object 'seed', section 'kprobe/sys_clone': relocation #0 at offset 4096 is outside the section's 184 bytes of instructions or not on an instruction; the object is corrupt; rebuild it",
    );
  });

  it('a relocation naming a symbol past the symbol table', () => {
    expect(refusal(patched('seed.bpf.o', (_b, v, elf) => v.setUint32(relAt(elf, '.relkprobe/sys_clone', 0) + 12, 5000, true)), 'seed').message).toMatch(
      /^object 'seed', section '\.relkprobe\/sys_clone': relocation #0 names symbol #5000, the symbol table has \d+; the object is corrupt; rebuild it$/,
    );
  });

  it('a call to a function outside .text', () => {
    // second's `call -1` against global_add (xdp insn 24) retargeted to only_global (section tc).
    const e = refusal(patched('calls.bpf.o', (_b, v, elf) => {
      const rel = elf.rels(elf.sectionByName('.relxdp')!).findIndex((r) => r.offset === 24 * 8);
      v.setUint32(relAt(elf, '.relxdp', rel) + 12, elf.symbols.find((s) => s.name === 'only_global')!.index, true);
    }), 'calls');
    expect(e.message).toBe("object 'calls', section 'xdp', instruction 24: call to 'only_global' in section 'tc': sub-programs must be in .text; call plain (non-SEC) functions only; an entry-point program cannot be called");
  });

  it('a global data offset past its section', () => {
    // The format string's ld_imm64 (insn 18) with an addend of 100 into the 20-byte .rodata.str1.1.
    expect(refusal(patched('seed.bpf.o', (_b, v, elf) => v.setInt32(insnAt(elf, 'kprobe/sys_clone', 18) + 4, 100, true)), 'seed').message).toBe(
      "object 'seed', section 'kprobe/sys_clone', instruction 18: global data reference at offset 100 is outside '.rodata.str1.1' (20 bytes); the kernel refuses such an offset; the object is corrupt",
    );
  });
});

describe('missing maps', () => {
  it('a BTF map whose symbol is missing', () => {
    // 'locked' made a local symbol: no global symbol gives its place in .maps any more.
    const e = refusal(patched('maps.bpf.o', (b, _v, elf) => { b[symbolAt(elf, 'locked') + 4] = 0x01; }), 'maps');
    expect(e.message).toBe("object 'maps', section '.BTF': DATASEC '.maps': no ELF symbol for global variable 'locked'; the object is corrupt or stripped; rebuild it");
  });

  it('legacy map definitions no symbol names', () => {
    const e = refusal(patched('seed.bpf.o', (_b, v, elf) => v.setUint16(symbolAt(elf, 'counter') + 6, elf.sectionByName('license')!.index, true)), 'seed');
    expect(e.message).toBe("object 'seed', section 'maps': 20 bytes of map definitions but no map symbol names them; the object is stripped or corrupt; rebuild it with clang -g -c");
  });

  it('a map reference whose symbol is not in a map section', () => {
    // use_maps' reference to 'hash' (tc insn 32) retargeted to the LICENSE symbol.
    const e = refusal(patched('maps.bpf.o', (_b, v, elf) => {
      const hash = elf.symbols.find((s) => s.name === 'hash')!;
      const rel = elf.rels(elf.sectionByName('.reltc')!).findIndex((r) => r.symbol === hash.index);
      const bogus = elf.symbols.find((s) => s.name === 'LICENSE')!;
      v.setUint32(relAt(elf, '.reltc', rel) + 12, bogus.index, true);
    }), 'maps');
    expect(e.message).toBe("object 'maps', section 'tc', instruction 32: ld_imm64 against 'LICENSE' in section 'license', which is neither a map section nor global data; only maps, global variables and functions may be referenced by address");
  });
});

describe('instructions', () => {
  it('leaves an unknown opcode for the translator: the loader checks only ld_imm64 shape and relocated calls', () => {
    const obj = openObject(patched('seed.bpf.o', (b, _v, elf) => { b[insnAt(elf, 'kprobe/sys_clone', 21)] = 0xff; }), { name: 'seed' });
    expect(obj.programs[0]!.insns[21 * 8]).toBe(0xff);
  });

  it('refuses an ld_imm64 whose second slot is not empty', () => {
    expect(refusal(patched('seed.bpf.o', (b, _v, elf) => { b[insnAt(elf, 'kprobe/sys_clone', 5)] = 0x07; }), 'seed').message).toBe(
      "object 'seed', section 'kprobe/sys_clone', instruction 4: ld_imm64's second slot must have code, registers and offset 0 (it has code 0x7); the object is corrupt; rebuild it",
    );
  });
});

describe('unsupported features', () => {
  it('an unknown section name', () => {
    const e = refusal(patched('sections.bpf.o', (b, _v, elf) => {
      const shstr = elf.sections[new DataView(b.buffer).getUint16(62, true)]!;
      const at = Buffer.from(b.subarray(shstr.offset, shstr.offset + shstr.size)).indexOf('\0perf_event\0') + 1 + shstr.offset;
      b[at + 9] = 'x'.charCodeAt(0);
    }), 'sections');
    expect(e.message).toBe("object 'sections', section 'perf_evenx': program 'perf': unknown section name, libbpf cannot tell the program type; use one of libbpf's SEC() names: kprobe/..., tracepoint/..., raw_tp/..., tc, xdp, syscall, fentry/..., ...");
  });

  it('an unknown member in a BTF map definition', () => {
    const e = refusal(patched('maps.bpf.o', (b, _v, elf) => {
      const btf = elf.sectionByName('.BTF')!;
      const at = Buffer.from(b.subarray(btf.offset, btf.offset + btf.size)).indexOf('\0max_entries\0') + btf.offset;
      b[at + 11] = 'z'.charCodeAt(0);
    }), 'maps');
    expect(e.message).toBe("object 'maps', section '.maps': map 'in1': unknown field 'max_entriez'; BTF map definitions may only use type, key, value, key_size, value_size, max_entries, map_flags, map_extra, numa_node, pinning and values");
  });

  it('__kconfig externs', () => {
    expect(refusal(bytesOf('refused-kconfig.bpf.o'), nameOf('refused-kconfig.bpf.o')).message).toBe(
      "object 'refused-kconfig', section '.kconfig': __kconfig extern variables are not supported: the loader has no kernel config to fill the '.kconfig' map from; replace the __kconfig externs with const volatile globals set from user space",
    );
  });

  it('kfunc calls', () => {
    const e = refusal(bytesOf('refused-kfunc.bpf.o'), 'refused-kfunc');
    expect(e.message).toBe("object 'refused-kfunc', section 'tc', instruction 0: call to kernel function 'bpf_rcu_read_lock' (a kfunc) is not supported; kfuncs live in the kernel; use BPF helpers instead");
    expect([e.section, e.insn, e.reason]).toEqual(['tc', 0, "call to kernel function 'bpf_rcu_read_lock' (a kfunc) is not supported"]);
  });

  it('CO-RE relocations', () => {
    expect(refusal(bytesOf('refused-core.bpf.o'), 'refused-core').message).toBe(
      "object 'refused-core', section 'raw_tp/sys_enter', instruction 0: CO-RE relocation field_byte_offset (type [2], access '0:1') in 'core_read' is not supported: it needs the running kernel's BTF; read fields with plain loads instead of BPF_CORE_READ/__builtin_preserve_access_index",
    );
  });
});
