// Map contents in the one form both sides answer, the per-step delta a recording holds, and the
// diff printed when the sides disagree.
//
//   array, percpu_array, global data   [value of index 0, index 1, ...]; per-CPU: [[cpu0, cpu1], ...]
//   hash, lru_hash (and per-CPU)        { key: value } / { key: [cpu0, cpu1] }, keys in byte order
//   queue, stack                        [values in the order pop would return them]
//   ringbuf                             [records submitted and not yet consumed, in order]
// Values are value_size bytes of hex (a per-CPU slot's padding is not compared).

import { roundUp8 } from '../../maps/limits.js';
import * as uapi from '../../maps/uapi.js';
import { hexOf } from './bytes.js';
import type { MapContents, MapsState } from './schema.js';
import { isPercpuType } from './schema.js';
import type { LoadedMap } from './side.js';

/** Can both sides list this map's contents? (A bloom filter answers only membership queries.) */
export function dumpable(type: number): boolean {
  return type !== uapi.BPF_MAP_TYPE_BLOOM_FILTER;
}

function perCpu(map: LoadedMap, bytes: Uint8Array, cpus: number): string[] {
  const stride = roundUp8(map.valueSize);
  const out: string[] = [];
  for (let c = 0; c < cpus; c++) out.push(hexOf(bytes.subarray(c * stride, c * stride + map.valueSize)));
  return out;
}

/** One value as user space reads it (per-CPU: cpus slots) in the dump's form. */
export function valueForm(map: LoadedMap, bytes: Uint8Array, cpus: number): string | string[] {
  return isPercpuType(map.type) ? perCpu(map, bytes, cpus) : hexOf(bytes.subarray(0, map.valueSize));
}

/** An array's contents from every index's user-space value, in order. */
export function arrayContents(map: LoadedMap, values: readonly Uint8Array[], cpus: number): MapContents {
  return values.map((v) => valueForm(map, v, cpus)) as string[] | string[][];
}

/** A hash's contents from its (key, user-space value) pairs, in any order. */
export function hashContents(map: LoadedMap, entries: readonly { key: Uint8Array; value: Uint8Array }[], cpus: number): MapContents {
  const pairs = entries.map((e) => [hexOf(e.key), valueForm(map, e.value, cpus)] as const);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(pairs);
}

/** Canonical text of anything JSON (object keys sorted at every level): equal texts, equal outcomes. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x);
}

/** The maps of `after` whose contents differ from `before` (a map new in `after` counts as changed). */
export function changedMaps(before: MapsState, after: MapsState): MapsState {
  const out: MapsState = {};
  for (const [name, c] of Object.entries(after)) {
    if (!(name in before) || canonical(before[name]) !== canonical(c)) out[name] = c;
  }
  return out;
}

/** Apply a recorded delta to a state. */
export function applyDelta(state: MapsState, delta: MapsState | undefined): MapsState {
  return delta ? { ...state, ...delta } : state;
}

function entriesOf(c: MapContents): [string, unknown][] {
  return Array.isArray(c) ? c.map((v, i) => [`[${i}]`, v]) : Object.entries(c);
}

/**
 * The differences between two states, one line each: a map missing on one side, an entry only on
 * one side, or an entry whose value differs (both values shown).
 */
export function diffStates(kernel: MapsState, ours: MapsState, names = { a: 'kernel', b: 'ours' }): string[] {
  const lines: string[] = [];
  const all = [...new Set([...Object.keys(kernel), ...Object.keys(ours)])].sort();
  for (const map of all) {
    const k = kernel[map];
    const o = ours[map];
    if (k === undefined || o === undefined) {
      lines.push(`${map}: only the ${k === undefined ? names.b : names.a} side has this map`);
      continue;
    }
    if (canonical(k) === canonical(o)) continue;
    const ke = new Map(entriesOf(k));
    const oe = new Map(entriesOf(o));
    for (const key of [...new Set([...ke.keys(), ...oe.keys()])]) {
      const a = ke.get(key);
      const b = oe.get(key);
      if (a === undefined) lines.push(`${map} ${key}: ${names.a} has no such entry; ${names.b} ${JSON.stringify(b)}`);
      else if (b === undefined) lines.push(`${map} ${key}: ${names.a} ${JSON.stringify(a)}; ${names.b} has no such entry`);
      else if (canonical(a) !== canonical(b)) lines.push(`${map} ${key}: ${names.a} ${JSON.stringify(a)}, ${names.b} ${JSON.stringify(b)}`);
    }
  }
  return lines;
}

const TYPE_NAMES = Object.fromEntries(Object.entries(uapi.MAP_TYPE_NAMES).map(([n, t]) => [t, n])) as Record<number, string>;

/** A loaded map's definition as one line, e.g. "hash key 4 value 8 max 16 flags 0x0". */
export function defText(m: LoadedMap): string {
  return `${TYPE_NAMES[m.type] ?? `type ${m.type}`} key ${m.keySize} value ${m.valueSize} max ${m.maxEntries} flags 0x${m.flags.toString(16)}`;
}
