// The kernel's figures for the map rows of the LPM trie, the prog array and the maps of maps: the
// programs of src/bench/kernel/map-ops-issue16.bpf.c built with clang, loaded with bpftool's
// loadall (libbpf), the prog array's slot placed, the trie filled, then each program run through
// BPF_PROG_TEST_RUN (`bpftool prog run ... repeat N`) on one CPU: the kernel's mean ns per run.
// Our figures for the same rows: percpu-maps bench --group map --filter 'lpm|prog_array|of_maps'.
// Run (root, clang, bpftool): node --import tsx test/stress/kernel-map-ops-issue16.ts

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../src/bench/kernel/map-ops-issue16.bpf.c', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kernel-ops-'));
const obj = join(dir, 'ops.bpf.o');
const pkt = join(dir, 'pkt');
const pins = `/sys/fs/bpf/percpu_maps_issue16_${process.pid}`;
const mapPins = `${pins}_maps`;
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

try {
  const triple = sh('cc', ['-print-multiarch']).trim();
  sh('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${triple}`, '-c', SOURCE, '-o', obj]);
  writeFileSync(pkt, new Uint8Array(64));
  sh('bpftool', ['prog', 'loadall', obj, pins, 'pinmaps', mapPins]);
  sh('bpftool', ['map', 'update', 'pinned', `${mapPins}/prog_array`, 'key', '0', '0', '0', '0', 'value', 'pinned', `${pins}/prog_array_target`]);
  const run = (prog: string, repeat: number): { retval: number; duration: number } =>
    JSON.parse(sh('taskset', ['-c', '0', 'bpftool', '-j', 'prog', 'run', 'pinned', `${pins}/${prog}`, 'data_in', pkt, 'repeat', String(repeat)]));
  run('lpm_trie_fill', 1);
  const rows: [string, string, number][] = [
    ['array lookup (reference)', 'array_lookup_ref', 1],
    ['lpm_trie lookup', 'lpm_trie_lookup', 1],
    ['lpm_trie update', 'lpm_trie_update', 0],
    ['prog_array tail call', 'prog_array_tailcall', 0],
    ['prog_array target alone', 'prog_array_target', 0],
    ['array_of_maps lookup + inner lookup', 'array_of_maps_lookup', 1],
    ['hash_of_maps lookup + inner lookup', 'hash_of_maps_lookup', 1],
  ];
  console.log('kernel, BPF_PROG_TEST_RUN on CPU 0 (mean ns per run, median of 5 runs of 1,000,000):');
  for (const [label, prog, want] of rows) {
    const ns: number[] = [];
    for (let r = 0; r < 5; r++) {
      const o = run(prog, 1_000_000);
      if (o.retval !== want) throw new Error(`${prog} returned ${o.retval}, not ${want}: the program did not do what the row says`);
      ns.push(o.duration);
    }
    console.log(`  ${label.padEnd(38)} ${String(median(ns)).padStart(5)} ns`);
  }
} finally {
  rmSync(pins, { recursive: true, force: true });
  rmSync(mapPins, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
