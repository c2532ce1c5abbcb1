// Fuzzing the loader: random mutations of the committed test objects (bit flips, byte and word
// sets, truncations, splices from another object), each opened with openObject. The only allowed
// outcomes are a BpfObject or an ObjectError; anything else (a RangeError, a TypeError, a stack
// overflow) or an open slower than SLOW_MS is a finding, reported with the seed and mutation that
// reproduce it. test/object-fuzz.test.ts runs a few thousand with a fixed seed; run many more with
//   npx tsx test/stress/object-fuzz.ts [count] [seed]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ElfFile } from '../../src/object/elf.js';
import { ObjectError, openObject } from '../../src/object/index.js';

export const OBJECTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'objects');
const SLOW_MS = 1000;

export interface FuzzFinding { object: string; iteration: number; mutation: string; error: string }
export interface FuzzResult { runs: number; opened: number; refused: number; findings: FuzzFinding[]; reasons: Map<string, number> }

interface Sample { name: string; bytes: Uint8Array; hot: [number, number][] }

/** The committed objects, each with its structural byte ranges (headers, symbols, BTF, code, relocations). */
export function loadSamples(dir = OBJECTS_DIR): Sample[] {
  // refused-*.bpf.o are refused as built: mutating them says little about the rest of the loader.
  return readdirSync(dir).filter((f) => f.endsWith('.bpf.o') && !f.startsWith('refused-')).sort().map((f) => {
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const elf = new ElfFile(bytes);
    const hot: [number, number][] = [[0, 64]];
    const shoff = new DataView(bytes.buffer).getUint32(40, true);
    hot.push([shoff, elf.sections.length * 64]);
    for (const s of elf.sections) {
      if (s.name.startsWith('.debug') || s.name.startsWith('.rel.debug') || s.type === 8 /* NOBITS */) continue;
      if (s.size > 0) hot.push([s.offset, s.size]);
    }
    return { name: f, bytes, hot };
  });
}

/** mulberry32: a small seeded PRNG, so a run is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 2, 7, 8, 0x10, 0x18, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff8];

/** One mutation of one sample: the bytes and a description that reproduces it. */
export function mutate(s: Sample, others: Sample[], rnd: () => number): { bytes: Uint8Array; what: string } {
  const int = (n: number) => Math.floor(rnd() * n);
  const pickOffset = (): number => {
    if (rnd() < 0.8) {
      const [start, len] = s.hot[int(s.hot.length)]!;
      return Math.min(s.bytes.length - 1, start + int(Math.max(1, len)));
    }
    return int(s.bytes.length);
  };
  const b = s.bytes.slice();
  const steps: string[] = [];
  const n = 1 + int(3);
  let out = b;
  for (let k = 0; k < n; k++) {
    // Truncation is rare: a cut before the section headers (which clang puts last) refuses at once.
    const r = rnd();
    const kind = r < 0.3 ? 0 : r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.87 ? 3 : 4;
    if (kind === 0) {
      const off = pickOffset();
      const bit = int(8);
      out[off]! ^= 1 << bit;
      steps.push(`flip ${off}.${bit}`);
    } else if (kind === 1) {
      const off = pickOffset();
      const v = rnd() < 0.5 ? int(256) : INTERESTING[int(INTERESTING.length)]! & 0xff;
      out[off] = v;
      steps.push(`byte ${off}=${v}`);
    } else if (kind === 2) {
      const off = Math.min(pickOffset() & ~3, out.length - 4);
      const v = INTERESTING[int(INTERESTING.length)]!;
      new DataView(out.buffer, out.byteOffset).setUint32(off, v >>> 0, true);
      steps.push(`u32 ${off}=${v}`);
    } else if (kind === 3) {
      const len = int(out.length);
      out = out.slice(0, len);
      steps.push(`truncate ${len}`);
      if (out.length < 4) break;
    } else {
      const from = others[int(others.length)]!;
      const len = 1 + int(64);
      const src = int(Math.max(1, from.bytes.length - len));
      const dst = Math.min(pickOffset(), Math.max(0, out.length - len));
      out.set(from.bytes.subarray(src, src + len).subarray(0, out.length - dst), dst);
      steps.push(`splice ${from.name}[${src}+${len}]->${dst}`);
    }
  }
  return { bytes: out, what: `${s.name}: ${steps.join(', ')}` };
}

/** Runs `count` mutations from `seed`, stopping early after `timeLimitMs`. */
export function fuzzObjects(count: number, seed: number, timeLimitMs = Infinity): FuzzResult {
  const samples = loadSamples();
  const rnd = prng(seed);
  const result: FuzzResult = { runs: 0, opened: 0, refused: 0, findings: [], reasons: new Map() };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (performance.now() - t0 > timeLimitMs) break;
    const s = samples[Math.floor(rnd() * samples.length)]!;
    const { bytes, what } = mutate(s, samples, rnd);
    const start = performance.now();
    try {
      openObject(bytes, { name: 'fuzz' });
      result.opened++;
    } catch (e) {
      if (e instanceof ObjectError) {
        result.refused++;
        const key = e.reason.replace(/\d+/g, 'N').slice(0, 60);
        result.reasons.set(key, (result.reasons.get(key) ?? 0) + 1);
      } else {
        result.findings.push({ object: s.name, iteration: i, mutation: what, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) });
      }
    }
    const ms = performance.now() - start;
    if (ms > SLOW_MS) result.findings.push({ object: s.name, iteration: i, mutation: what, error: `slow: ${ms.toFixed(0)} ms` });
    result.runs++;
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  const r = fuzzObjects(count, seed);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`object fuzz: ${r.runs} mutations from seed ${seed} in ${s} s: ${r.opened} opened, ${r.refused} refused with ObjectError, ${r.findings.length} findings\n`);
  for (const [reason, n] of [...r.reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`  ${String(n).padStart(6)}  ${reason}\n`);
  for (const f of r.findings.slice(0, 20)) process.stdout.write(`FINDING #${f.iteration} ${f.mutation}\n  ${f.error.split('\n').slice(0, 4).join('\n  ')}\n`);
  process.exitCode = r.findings.length === 0 ? 0 : 1;
}
