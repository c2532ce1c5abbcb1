// Runs a BPF object's first program once in the live kernel (bpftool prog load + prog run, as a tc
// program with 64 zero bytes of packet) and returns the retval it prints. Used only by the
// recording scripts (kernel-record.ts, c/build.ts), never by a test: the tests read what they wrote.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BPFTOOL = '/usr/sbin/bpftool';

export function kernelRelease(): string {
  return execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
}

export function clangVersion(): string {
  return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
}

let seq = 0;

/** Loads `object` (ELF), runs it once, unpins it; the u32 retval, or the loader's error. */
export function kernelRetval(object: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'jit-kernel-'));
  const pin = `/sys/fs/bpf/jit_record_${process.pid}_${seq++}`;
  const data = join(dir, 'data');
  writeFileSync(data, new Uint8Array(64));
  try {
    execFileSync(BPFTOOL, ['prog', 'load', object, pin], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = execFileSync(BPFTOOL, ['prog', 'run', 'pinned', pin, 'data_in', data, 'repeat', '1'], { encoding: 'utf8' });
    const m = /Return value: (\d+)/.exec(out);
    if (m === null) throw new Error(`bpftool prog run printed no return value: ${out}`);
    return Number(m[1]);
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string };
    throw new Error(`kernel run of ${object} failed: ${err.stderr?.toString() ?? err.message}`);
  } finally {
    rmSync(pin, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An ELF object holding raw instruction bytes as a tc program (assembled by clang from .byte lines). */
export function objectFromInsns(insns: Uint8Array, dir: string, name: string): string {
  const lines: string[] = [];
  for (let i = 0; i < insns.length; i += 8) lines.push(`\t.byte ${Array.from(insns.subarray(i, i + 8), (b) => `0x${b.toString(16)}`).join(',')}`);
  const src = [
    '\t.section\ttc,"ax",@progbits',
    '\t.globl\tprog',
    '\t.p2align\t3',
    '\t.type\tprog,@function',
    'prog:',
    ...lines,
    '.Lend:',
    '\t.size\tprog, .Lend-prog',
    '\t.section\tlicense,"aw",@progbits',
    '\t.globl\t_license',
    '_license:',
    '\t.asciz\t"GPL"',
    '',
  ].join('\n');
  const s = join(dir, `${name}.s`);
  const o = join(dir, `${name}.o`);
  writeFileSync(s, src);
  execFileSync('clang', ['-target', 'bpf', '-c', s, '-o', o]);
  return o;
}
