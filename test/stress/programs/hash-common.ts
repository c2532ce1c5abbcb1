// The hash-map stress program: every CPU inserts, updates, deletes and looks up random keys of one
// hash map, one operation per event, and logs each result code in its own log. Each CPU writes
// only keys it owns (key % cpus === cpu; keys of all CPUs share buckets, free lists and counters),
// so the order of operations on a key is that CPU's program order, and a sequential model
// replayed from the CPU's log and its random stream is exact. CPUs also look up other CPUs' keys,
// lock-free, as readers in the middle of it all.
//
// The random stream is xorshift32 from a per-CPU seed; the coordinator regenerates it with the
// same functions (decide() below) to replay.

import { defineProgram, type Program } from '../../../src/cpu/program.js';
import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_update_elem } from '../../../src/maps/helpers.js';
import { struct, u32, u64 } from '../../../src/maps/layout.js';
import { declareMap } from '../../../src/maps/syscall.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../../../src/maps/uapi.js';

export const Cfg = struct({ seed: u32, keysPerCpu: u32, cpus: u32 });
/** A value names its key, the CPU that wrote it and the operation's number, and checks itself. */
export const Val = struct({ key: u32, cpu: u32, seq: u32, crc: u32 });
export const Stats = struct({ foreignFound: u64, foreignReused: u64, bad: u64 });

export const OP_ANY = 0;
export const OP_EXIST = 1;
export const OP_NOEXIST = 2;
export const OP_DELETE = 3;
export const OP_LOOKUP = 4;
export const OP_LOOKUP_FOREIGN = 5;

/** Log codes: one byte per operation. */
export const CODE_OK = 0;
export const CODE_EEXIST = 1;
export const CODE_ENOENT = 2;
export const CODE_E2BIG = 3;
/** A lookup of an own key found a value that is not the one this CPU wrote last. */
export const CODE_WRONG_VALUE = 9;
export const CODE_OTHER = 255;

export function codeOf(rc: number): number {
  return rc === 0 ? CODE_OK : rc === -17 ? CODE_EEXIST : rc === -2 ? CODE_ENOENT : rc === -7 ? CODE_E2BIG : CODE_OTHER;
}

export function checkOf(key: number, cpu: number, seq: number): number {
  return (Math.imul(key ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(seq + 1, 0x165667b1) ^ cpu) >>> 0;
}

export function seedFor(seed: number, cpu: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 2 * cpu + 1) >>> 0) || 1;
}

export function xorshift(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/**
 * One operation from two random words: [op, key]. 30% BPF_ANY, 15% BPF_EXIST, 15% BPF_NOEXIST,
 * 20% delete, 10% lookup of an own key, 10% lookup of another CPU's key.
 */
export function decide(r1: number, r2: number, keysPerCpu: number, cpus: number, cpu: number, out: number[]): void {
  const d = r1 % 100;
  const op = d < 30 ? OP_ANY : d < 45 ? OP_EXIST : d < 60 ? OP_NOEXIST : d < 80 ? OP_DELETE : d < 90 ? OP_LOOKUP : OP_LOOKUP_FOREIGN;
  // A foreign lookup reads a key of any other CPU (or its own when it is alone).
  const owner = op === OP_LOOKUP_FOREIGN && cpus > 1 ? (cpu + 1 + ((r1 >>> 8) % (cpus - 1))) % cpus : cpu;
  out[0] = op;
  out[1] = (r2 % keysPerCpu) * cpus + owner;
}

export function hashStressProgram(type: 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash', maxEntries: number, maxOpsPerCpu: number, maxCpus: number): Program {
  const map = declareMap({ type, keySize: 4, valueSize: Val.size, maxEntries, name: 'stress', value: Val });
  const cfg = declareMap({ type: 'array', keySize: 4, valueSize: Cfg.size, maxEntries: 1, name: 'cfg', value: Cfg });
  // One log per CPU: a value of maxOpsPerCpu bytes, element `cpu`.
  const logs = declareMap({ type: 'array', keySize: 4, valueSize: maxOpsPerCpu, maxEntries: maxCpus, name: 'logs' });
  const stats = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Stats.size, maxEntries: 1, name: 'stats', value: Stats });

  // Per-CPU state: module variables live in each CPU's own worker.
  let rng = 0;
  let log: Uint8Array | null = null;
  let keysPerCpu = 1;
  let cpus = 1;
  const pick = [0, 0];
  const value = new Uint8Array(Val.size);
  const dv = new DataView(value.buffer);

  return defineProgram({
    name: `stress-${type}`,
    maps: { map, cfg, logs, stats },
    handlers: {
      'tc/stress'(ctx) {
        const cpu = ctx.cpu;
        const i = ctx.index;
        if (i === 0 || log === null) {
          const c = bpf_map_lookup_elem(cfg, 0)!;
          rng = seedFor(c.seed, cpu);
          keysPerCpu = c.keysPerCpu;
          cpus = c.cpus;
          log = bpf_map_lookup_elem(logs, cpu)!.bytes;
        }
        rng = xorshift(rng);
        const r1 = rng;
        rng = xorshift(rng);
        decide(r1, rng, keysPerCpu, cpus, cpu, pick);
        const op = pick[0]!;
        const key = pick[1]!;
        let code: number;
        if (op <= OP_NOEXIST) {
          dv.setUint32(0, key, true);
          dv.setUint32(4, cpu, true);
          dv.setUint32(8, i, true);
          dv.setUint32(12, checkOf(key, cpu, i), true);
          code = codeOf(bpf_map_update_elem(map, key, value, op === OP_ANY ? BPF_ANY : op === OP_EXIST ? BPF_EXIST : BPF_NOEXIST));
        } else if (op === OP_DELETE) {
          code = codeOf(bpf_map_delete_elem(map, key));
        } else {
          const v = bpf_map_lookup_elem(map, key);
          if (op === OP_LOOKUP) {
            // An own key: nobody else writes or frees it, so the value is exactly what this CPU wrote last.
            code = v === null ? CODE_ENOENT : v.key === key && v.cpu === cpu && v.crc === checkOf(key, cpu, v.seq) ? CODE_OK : CODE_WRONG_VALUE;
          } else {
            // Another CPU's key, read lock-free while that CPU may delete it and reuse the element:
            // a value naming another key is the kernel's accepted race (counted, not an error).
            code = CODE_OK;
            if (v !== null) {
              const s = bpf_map_lookup_elem(stats, 0)!;
              s.foreignFound += 1;
              if (type === 'hash' || type === 'lru_hash') {
                if (v.key !== key) s.foreignReused += 1;
              } else if (v.key !== 0 || v.seq !== 0) {
                // A per-CPU element of another CPU: this CPU's slot is zero, as the owner's insert left it.
                s.bad += 1;
              }
            }
          }
        }
        log[i] = code;
      },
    },
  });
}
