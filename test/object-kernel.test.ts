// The loader against libbpf and the kernel, live: `bpftool -d prog loadall` opens the same object
// with libbpf, loads every program into the kernel and prints libbpf's debug log, which names each
// sub-program it appends, each call it rewrites, each map reference and each global data map's
// flags. We compare those with openObject's output. Needs root, bpftool and bpffs; without them
// the check is reported as skipped (the same facts are also recorded in object-programs.test.ts
// and object-maps.test.ts, which always run).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openObject, type BpfObject, type ObjectProgram } from '../src/object/index.js';
import { objectUrl } from './helpers.js';

const bpftool = ['bpftool', '/usr/sbin/bpftool'].find((b) => spawnSync(b, ['version']).status === 0);
const root = process.getuid?.() === 0;
const bpffs = spawnSync('mountpoint', ['-q', '/sys/fs/bpf']).status === 0;
const live = bpftool !== undefined && root && bpffs;
if (!live) process.stderr.write(`object-kernel: live libbpf/kernel cross-check SKIPPED (${bpftool === undefined ? 'no bpftool' : !root ? 'not root' : 'bpffs not mounted at /sys/fs/bpf'})\n`);

const MMAPABLE = 0x400;

/** libbpf's debug log for loading every program of the object (pins removed afterwards). */
function libbpfLog(file: string): string {
  const pin = `/sys/fs/bpf/percpu-loader-${process.pid}-${file.replace(/\W/g, '_')}`;
  mkdirSync(pin);
  try {
    const r = spawnSync(bpftool!, ['-d', 'prog', 'loadall', objectUrl(file).pathname, pin], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bpftool prog loadall ${file} failed:\n${r.stderr.split('\n').slice(-15).join('\n')}`);
    return r.stderr + r.stdout;
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

function imm(p: ObjectProgram, i: number): { src: number; imm: number } {
  return { src: p.insns[i * 8 + 1]! >> 4, imm: new DataView(p.insns.buffer, p.insns.byteOffset).getInt32(i * 8 + 4, true) };
}

describe.skipIf(!live)('openObject agrees with libbpf loading the same object into the kernel', () => {
  it.each(['calls.bpf.o', 'longobjectname.bpf.o', 'tailcall.bpf.o', 'legacy.bpf.o'])('%s', (file) => {
    const name = file.slice(0, file.indexOf('.'));
    const obj: BpfObject = openObject(new Uint8Array(readFileSync(objectUrl(file))), { name });
    if (file === 'legacy.bpf.o') {
      // libbpf >= 1.0 refuses the legacy section outright; that is why we read it ourselves.
      const r = spawnSync(bpftool!, ['-d', 'prog', 'loadall', objectUrl(file).pathname, `/sys/fs/bpf/percpu-loader-${process.pid}-legacy`], { encoding: 'utf8' });
      rmSync(`/sys/fs/bpf/percpu-loader-${process.pid}-legacy`, { recursive: true, force: true });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("legacy map definitions in 'maps' section are not supported by libbpf v1.0+");
      expect(obj.maps.map((m) => m.name)).toEqual(['counts', 'pids']);
      return;
    }
    const log = libbpfLog(file);
    const mains = new Set(obj.programs.map((p) => p.name));
    let checked = 0;

    // "prog 'first': added 7 insns from sub-prog 'loop_body'" in order = our funcs after the main one.
    for (const p of obj.programs) {
      const added = [...log.matchAll(new RegExp(`prog '${p.name}': added (\\d+) insns from sub-prog '(\\w+)'`, 'g'))].map((m) => m[2]);
      expect(p.funcs.slice(1).map((f) => f.name)).toEqual(added);
      checked += added.length;
    }
    // "prog 'first': insn #15 relocated, imm 11 points to subprog ..." (main programs' own calls).
    for (const m of log.matchAll(/prog '(\w+)': insn #(\d+) relocated, imm (-?\d+) points to subprog '(\w+)' \(now at (\d+) offset\)/g)) {
      if (!mains.has(m[1]!)) continue;
      const p = obj.programs.find((x) => x.name === m[1])!;
      expect([m[1], Number(m[2]), imm(p, Number(m[2])).imm]).toEqual([m[1], Number(m[2]), Number(m[3])]);
      expect(p.funcs.find((f) => f.name === m[4])!.start).toBe(Number(m[5]));
      checked++;
    }
    // "prog 'use_maps': found map 3 (locked, ...) for insn #7" / "found data map 1 (...) for insn 9".
    for (const m of log.matchAll(/prog '(\w+)': found (data )?map (\d+) \(([^,]+), sec \d+, off \d+\) for insn #?(\d+)/g)) {
      if (!mains.has(m[1]!)) continue;
      const p = obj.programs.find((x) => x.name === m[1])!;
      expect([m[1], Number(m[5]), imm(p, Number(m[5]))]).toEqual([m[1], Number(m[5]), { src: m[2] ? 2 : 1, imm: Number(m[3]) }]);
      expect(obj.maps[Number(m[3])]!.name).toBe(m[4]);
      checked++;
    }
    // "map 'longobje.rodata' (global data): at sec_idx 6, offset 0, flags 480."
    for (const m of log.matchAll(/map '([^']+)' \(global data\): at sec_idx \d+, offset 0, flags ([0-9a-f]+)\./g)) {
      const ours = obj.maps.find((x) => x.name === m[1]);
      expect(ours, `libbpf's map '${m[1]}'`).toBeDefined();
      const theirs = parseInt(m[2]!, 16);
      // libbpf before 1.3 set MMAPABLE on every data map; since then only when a non-static
      // variable lives there (our rule): accept theirs = ours or ours | MMAPABLE for such maps.
      const mayDiffer = ours!.valueFields === undefined;
      expect(mayDiffer ? [ours!.flags, ours!.flags | MMAPABLE] : [ours!.flags]).toContain(theirs);
      checked++;
    }
    // ".maps relo #0: map 'jump' slot [1] points to prog 'target_a'"
    for (const m of log.matchAll(/\.maps relo #\d+: map '(\w+)' slot \[(\d+)\] points to (?:map|prog) '(\w+)'/g)) {
      expect(obj.maps.find((x) => x.name === m[1])!.initSlots).toContainEqual({ index: Number(m[2]), target: m[3] });
      checked++;
    }
    // At least three facts per object, so a change in the log format cannot pass silently.
    expect(checked).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
