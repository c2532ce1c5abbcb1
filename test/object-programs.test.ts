// Programs: section kinds, sub-program linking and relocation into objects.md's relocated form.
// Expected placements and imm values are libbpf's own, recorded on this machine with
// `bpftool -d prog loadall calls.bpf.o /sys/fs/bpf/x` (libbpf 1.1 debug lines such as
// "prog 'first': insn #5 relocated, imm 14 points to subprog 'loop_body' (now at 20 offset)"), and
// the kernel's view of the loaded programs (`bpftool prog dump xlated`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lineOf, objectNameOf, openObject, openObjectFile, type BpfObject, type ObjectProgram } from '../src/object/index.js';
import { matchSection } from '../src/object/sections.js';
import { objectUrl } from './helpers.js';

const open = (file: string): BpfObject => openObject(new Uint8Array(readFileSync(objectUrl(file))), { name: file.slice(0, file.indexOf('.')) });
const insn = (p: ObjectProgram, i: number) => {
  const v = new DataView(p.insns.buffer, p.insns.byteOffset);
  return { code: p.insns[i * 8]!, dst: p.insns[i * 8 + 1]! & 0xf, src: p.insns[i * 8 + 1]! >> 4, off: v.getInt16(i * 8 + 2, true), imm: v.getInt32(i * 8 + 4, true) };
};
const prog = (o: BpfObject, name: string) => o.programs.find((p) => p.name === name)!;

describe('program types from section names (sections.bpf.o)', () => {
  const obj = open('sections.bpf.o');

  it("maps each SEC() name to libbpf's program type, expected attach type and attach point", () => {
    expect(obj.programs.map((p) => [p.section, p.type, p.attachTo, p.progType, p.attachType, p.autoload])).toEqual([
      ['kprobe/do_sys_open', 'kprobe', 'do_sys_open', 2, 0, true],
      ['kretprobe/do_sys_open', 'kretprobe', 'do_sys_open', 2, 0, true],
      ['tracepoint/syscalls/sys_enter_openat', 'tracepoint', 'syscalls/sys_enter_openat', 5, 0, true],
      ['tp/syscalls/sys_exit_openat', 'tracepoint', 'syscalls/sys_exit_openat', 5, 0, true],
      ['raw_tp/sys_enter', 'raw_tp', 'sys_enter', 17, 0, true],
      ['raw_tracepoint/sys_exit', 'raw_tp', 'sys_exit', 17, 0, true],
      ['tp_btf/sched_switch', 'tp_btf', 'sched_switch', 26, 23, true],
      ['fentry/do_unlinkat', 'fentry', 'do_unlinkat', 26, 24, true],
      ['fexit/do_unlinkat', 'fexit', 'do_unlinkat', 26, 25, true],
      ['tc', 'tc', '', 3, 0, true],
      ['classifier', 'tc', '', 3, 0, true],
      ['xdp', 'xdp', '', 6, 37, true],
      ['syscall', 'syscall', '', 31, 0, true],
      ['socket', 'socket', '', 1, 0, true],
      ['perf_event', 'perf_event', '', 7, 0, true],
      ['cgroup_skb/ingress', 'cgroup_skb', 'ingress', 8, 0, true],
      ['cgroup_skb/egress', 'cgroup_skb', 'egress', 8, 1, true],
      ['lsm/file_open', 'lsm', 'file_open', 29, 27, true],
      ['uprobe', 'uprobe', '', 2, 0, true],
      ['?tc', 'tc', '', 3, 0, false],
    ]);
  });

  it('keeps each one-statement program as its two instructions (r0 = N; exit)', () => {
    const krp = prog(obj, 'krp');
    expect(krp.insns.length).toBe(16);
    expect(insn(krp, 0)).toEqual({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 });
    expect(insn(krp, 1).code).toBe(0x95);
    expect(krp.funcs).toEqual([{ name: 'krp', start: 0 }]);
  });

  it.each([
    ['kprobe', 'kprobe', ''], ['kprobex/foo', undefined, ''], ['tc/ingress', 'tcx', 'ingress'], ['tcx', undefined, ''],
    ['xdp_prog', undefined, ''], ['xdp/devmap', 'xdp', 'devmap'], ['fentry.s/x', 'fentry', 'x'], ['cgroup/connect4', 'cgroup_sock_addr', 'connect4'],
  ])('matchSection(%s) -> %s', (sec, type, attachTo) => {
    const m = matchSection(sec);
    expect(m?.def.type).toBe(type);
    if (m !== undefined) expect(m.attachTo).toBe(attachTo);
  });
});

describe('sub-programs linked as libbpf links them (calls.bpf.o)', () => {
  const obj = open('calls.bpf.o');

  it('keeps several programs of one section apart, in section order', () => {
    expect(obj.programs.map((p) => [p.name, p.section])).toEqual([['first', 'xdp'], ['second', 'xdp'], ['only_global', 'tc']]);
  });

  it('appends each reached sub-program once, depth-first in first-reference order', () => {
    // libbpf: "added 7 insns from sub-prog 'loop_body'", then sum_squares (6), square (3), bump (11).
    expect(prog(obj, 'first').funcs).toEqual([
      { name: 'first', start: 0 }, { name: 'loop_body', start: 20 }, { name: 'sum_squares', start: 27 }, { name: 'square', start: 33 }, { name: 'bump', start: 36 },
    ]);
    expect(prog(obj, 'first').insns.length / 8).toBe(47);
    expect(prog(obj, 'second').funcs).toEqual([{ name: 'second', start: 0 }, { name: 'global_add', start: 11 }, { name: 'bump', start: 15 }]);
    expect(prog(obj, 'second').insns.length / 8).toBe(26);
    expect(prog(obj, 'only_global').funcs).toEqual([{ name: 'only_global', start: 0 }, { name: 'global_add', start: 10 }]);
    expect(prog(obj, 'only_global').insns.length / 8).toBe(14);
  });

  it("rewrites every call's imm relative to the linked array, to libbpf's values", () => {
    const first = prog(obj, 'first');
    // libbpf: insn #15 imm 11 (sum_squares), #17 imm 18 (bump); sum_squares' #0 imm 5 and #3 imm 2 (square, at 33).
    expect([15, 17, 27, 30].map((i) => [insn(first, i).code, insn(first, i).src, insn(first, i).imm])).toEqual([[0x85, 1, 11], [0x85, 1, 18], [0x85, 1, 5], [0x85, 1, 2]]);
    expect(insn(prog(obj, 'second'), 4).imm).toBe(6);
    expect(insn(prog(obj, 'second'), 8).imm).toBe(6);
    expect(insn(prog(obj, 'only_global'), 2).imm).toBe(7);
    // Helper calls stay helper calls.
    expect(insn(first, 8)).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: 181 });
  });

  it('turns the bpf_loop callback address into BPF_PSEUDO_FUNC with a relative imm (xlated: "r2 = subprog[+32]" is the kernel\'s pc-relative byte view)', () => {
    const first = prog(obj, 'first');
    expect(insn(first, 5)).toEqual({ code: 0x18, dst: 2, src: 4, off: 0, imm: 14 });
    expect(5 + 14 + 1).toBe(first.funcs.find((f) => f.name === 'loop_body')!.start);
  });

  it('relocates map and global data references inside appended sub-programs', () => {
    const first = prog(obj, 'first');
    // bump's ld_imm64 of 'totals' is its 6th instruction (local 5): linked at 36 + 5.
    expect(insn(first, 41)).toEqual({ code: 0x18, dst: 1, src: 1, off: 0, imm: 0 });
    // loops_done in .bss (map 1), offset 0.
    expect(insn(first, 9)).toEqual({ code: 0x18, dst: 2, src: 2, off: 0, imm: 1 });
    expect(insn(first, 10).imm).toBe(0);
  });

  it('carries func_info to the linked function starts, one per function', () => {
    expect(prog(obj, 'first').funcInfo.map((f) => f.insn)).toEqual([0, 20, 27, 33, 36]);
    const btf = obj.btf!;
    expect(prog(obj, 'first').funcInfo.map((f) => btf.type(f.typeId).name)).toEqual(['first', 'loop_body', 'sum_squares', 'square', 'bump']);
  });

  it('carries line info to linked indexes, sorted (the kernel shows bpf_loop\'s line at insn 4)', () => {
    const first = prog(obj, 'first');
    expect(first.lines.map((l) => l.insn)).toEqual([...first.lines.map((l) => l.insn)].sort((a, b) => a - b));
    expect(lineOf(first, 4)).toEqual({ file: './calls.bpf.c', line: 50, col: 2, text: '\tbpf_loop(10, loop_body, &acc, 0);' });
    // square's body, appended at 33: "return x * x;" (line 17).
    expect(lineOf(first, 34)?.line).toBe(17);
  });
});

describe("the seed article's program (seed.bpf.o)", () => {
  const obj = open('seed.bpf.o');
  const p = obj.programs[0]!;

  it('is one kprobe program on sys_clone, GPL', () => {
    expect([obj.license, p.name, p.section, p.type, p.attachTo]).toEqual(['GPL', 'hello_world', 'kprobe/sys_clone', 'kprobe', 'sys_clone']);
    expect(p.insns.length / 8).toBe(23);
  });

  it('references the legacy map by index and the format string as global data at offset 0', () => {
    expect(insn(p, 4)).toEqual({ code: 0x18, dst: 1, src: 1, off: 0, imm: 0 });
    expect(insn(p, 18)).toEqual({ code: 0x18, dst: 1, src: 2, off: 0, imm: 1 });
    expect(insn(p, 19)).toEqual({ code: 0, dst: 0, src: 0, off: 0, imm: 0 });
    expect([insn(p, 11).imm, insn(p, 16).imm, insn(p, 20).imm]).toEqual([93, 94, 6]);
  });

  it('knows the C line of the counter increment', () => {
    expect(lineOf(p, 13)).toEqual({ file: './seed.bpf.c', line: 48, col: 11, text: '  val->cnt++;' });
  });
});

describe('global data references (longobjectname.bpf.o)', () => {
  it("gives each ld_imm64 its data map and offset, as the kernel showed them (xlated 'map[id][0]+off')", () => {
    const p = open('longobjectname.bpf.o').programs[0]!;
    // xlated: 0 bss+0, 5 bss+4, 10 data+8, 13 rodata+0, 17 bss+8, 22 bss+16, 26 rodata+8, 29 bss+16,
    // 34 data+0, 38 .data.extra+0, 43 rodata+16, 47 bss+0, 50 .rodata.str1.1+0.
    // Map indexes: 0 .data, 1 .rodata, 2 .data.extra, 3 .bss, 4 .rodata.str1.1.
    const refs = [];
    for (let i = 0; i < p.insns.length / 8; i++) if (insn(p, i).code === 0x18) refs.push([i, insn(p, i).src, insn(p, i).imm, insn(p, i + 1).imm]);
    expect(refs).toEqual([
      [0, 2, 3, 0], [5, 2, 3, 4], [10, 2, 0, 8], [13, 2, 1, 0], [17, 2, 3, 8], [22, 2, 3, 16], [26, 2, 1, 8],
      [29, 2, 3, 16], [34, 2, 0, 0], [38, 2, 2, 0], [43, 2, 1, 16], [47, 2, 3, 0], [50, 2, 4, 0],
    ]);
  });
});

describe('openObjectFile', () => {
  it("names the object as libbpf does: the file's basename up to its first '.'", () => {
    expect(objectNameOf('/x/y/longobjectname.bpf.o')).toBe('longobjectname');
    expect(openObjectFile(objectUrl('seed.bpf.o').pathname).name).toBe('seed');
  });

  it('reports an unreadable path as an ObjectError', () => {
    expect(() => openObjectFile('/nonexistent/x.bpf.o')).toThrow(/^object 'x': cannot read \/nonexistent\/x\.bpf\.o: ENOENT.*; check the path$/);
  });
});
