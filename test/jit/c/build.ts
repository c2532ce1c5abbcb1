// Rebuilds the clang fixtures of the translator's tests: each *.bpf.c here is compiled with clang
// (for each -mcpu listed below), its program section and .text extracted with llvm-objcopy, linked
// as libbpf links them (main program first, .text appended, call and function-address relocations
// resolved to relative offsets, ld_imm64 of a function marked BPF_PSEUDO_FUNC), and run once in the
// live kernel with bpftool for its return value. Writes <name>.<mcpu>.json beside the source.
// Run as root where clang and bpftool exist: `npx tsx test/jit/c/build.ts`. Tests read the JSON only.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clangVersion, kernelRelease, kernelRetval } from '../kernel-run.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CPUS = ['v1', 'v3'];
const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const SHT_SYMTAB = 2;
const SHT_REL = 9;

interface Section { name: string; type: number; offset: number; size: number; link: number; info: number }
interface Sym { name: string; info: number; shndx: number; value: number }

/** The few ELF64 structures the linking needs: section headers, the symbol table, REL entries. */
function readElf(bytes: Uint8Array): { sections: Section[]; syms: Sym[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * 64;
    return {
      nameOff: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), offset: Number(dv.getBigUint64(o + 24, true)),
      size: Number(dv.getBigUint64(o + 32, true)), link: dv.getUint32(o + 40, true), info: dv.getUint32(o + 44, true),
    };
  });
  const str = (tab: { offset: number }, off: number): string => {
    let end = tab.offset + off;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(tab.offset + off, end));
  };
  const sections = raw.map((s) => ({ name: str(raw[shstrndx]!, s.nameOff), type: s.type, offset: s.offset, size: s.size, link: s.link, info: s.info }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB)!;
  const strtab = sections[symtab.link]!;
  const syms: Sym[] = [];
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += 24) {
    syms.push({ name: str(strtab, dv.getUint32(o, true)), info: bytes[o + 4]!, shndx: dv.getUint16(o + 6, true), value: Number(dv.getBigUint64(o + 8, true)) });
  }
  return { sections, syms };
}

function objcopy(object: string, section: string, dir: string): Uint8Array {
  const out = join(dir, `${section.replace(/[^a-z0-9]/gi, '_')}.bin`);
  execFileSync('llvm-objcopy', ['-O', 'binary', `--only-section=${section}`, object, out]);
  return new Uint8Array(readFileSync(out));
}

function link(object: string, dir: string): { section: string; insns: Uint8Array; funcs: { name: string; start: number }[] } {
  const bytes = new Uint8Array(readFileSync(object));
  const { sections, syms } = readElf(bytes);
  const textIdx = sections.findIndex((s) => s.name === '.text');
  const progIdx = sections.findIndex((s, i) => i > 0 && s.type === 1 && !s.name.startsWith('.') && s.name !== 'license');
  const prog = sections[progIdx]!;
  const main = objcopy(object, prog.name, dir);
  const text = textIdx >= 0 && sections[textIdx]!.size > 0 ? objcopy(object, '.text', dir) : new Uint8Array(0);
  const mainLen = main.length / 8;
  const insns = new Uint8Array(main.length + text.length);
  insns.set(main);
  insns.set(text, main.length);
  const dv = new DataView(insns.buffer);
  const funcs = [{ name: syms.find((s) => s.shndx === progIdx && (s.info & 0xf) === 2)!.name, start: 0 }];
  for (const s of syms) if (s.shndx === textIdx && (s.info & 0xf) === 2) funcs.push({ name: s.name, start: mainLen + s.value / 8 });
  funcs.sort((a, b) => a.start - b.start);
  // Relocations of the program section and of .text, both now in one array.
  for (const rel of sections.filter((s) => s.type === SHT_REL && (s.info === progIdx || s.info === textIdx))) {
    const base = rel.info === progIdx ? 0 : mainLen;
    const rdv = new DataView(bytes.buffer, bytes.byteOffset + rel.offset, rel.size);
    for (let o = 0; o < rel.size; o += 16) {
      const pc = base + Number(rdv.getBigUint64(o, true)) / 8;
      const info = rdv.getBigUint64(o + 8, true);
      const sym = syms[Number(info >> 32n)]!;
      const type = Number(info & 0xffffffffn);
      if (sym.shndx !== textIdx) throw new Error(`${object}: relocation at ${pc} against '${sym.name}', not .text: only call/function relocations are linked here`);
      const imm = dv.getInt32(pc * 8 + 4, true);
      if (type === R_BPF_64_32) {
        const target = mainLen + sym.value / 8 + imm + 1;
        dv.setInt32(pc * 8 + 4, target - pc - 1, true);
      } else if (type === R_BPF_64_64) {
        const target = mainLen + (sym.value + imm) / 8;
        insns[pc * 8 + 1] = (4 << 4) | (insns[pc * 8 + 1]! & 0x0f);
        dv.setInt32(pc * 8 + 4, target - pc - 1, true);
      } else throw new Error(`${object}: relocation type ${type} at ${pc}`);
    }
  }
  return { section: prog.name, insns, funcs };
}

const dir = mkdtempSync(join(tmpdir(), 'jit-c-'));
try {
  for (const src of readdirSync(HERE).filter((f) => f.endsWith('.bpf.c'))) {
    for (const cpu of CPUS) {
      const name = basename(src, '.bpf.c');
      const object = join(dir, `${name}.${cpu}.o`);
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-mcpu=${cpu}`, '-I/usr/include/x86_64-linux-gnu', '-c', join(HERE, src), '-o', object]);
      const linked = link(object, dir);
      const retval = kernelRetval(object);
      const out = {
        note: `clang output of ${src} linked as libbpf links it; kernelRetval from bpftool prog run (tc, 64 zero bytes) on the live kernel`,
        source: src, mcpu: cpu, clang: clangVersion(), kernel: kernelRelease(), section: linked.section,
        funcs: linked.funcs, kernelRetval: retval, insns: Buffer.from(linked.insns).toString('base64'),
      };
      writeFileSync(join(HERE, `${name}.${cpu}.json`), `${JSON.stringify(out, null, 1)}\n`);
      console.log(`${name} -mcpu=${cpu}: ${linked.insns.length / 8} instructions, ${linked.funcs.length} functions, kernel retval ${retval}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
