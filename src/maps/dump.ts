// Map dumps as `bpftool map dump` prints them: JSON (`-j`) and the plain text form, so a dump of
// a simulated map reads like one of a kernel map.

import type { BpfMapCore, MapSpec } from './bpf.js';
import { BpfError, STRERROR } from './errno.js';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY } from './uapi.js';

/** One element as `bpftool -j map dump` prints it: bytes as '0x..' strings. */
export interface DumpEntry {
  /** The key's bytes. */
  key: string[];
  /** Non-per-CPU maps; { error } when the lookup failed (strerror of its errno), as bpftool prints it. */
  value?: string[] | { error: string };
  /** Per-CPU maps: one entry per possible CPU, value_size bytes each. */
  values?: { cpu: number; value: string[] }[];
  /**
   * With a value layout (a map whose value BTF describes): the key and value decoded, as bpftool
   * adds "formatted" for maps with BTF.
   */
  formatted?: { key: number | string[]; value?: Record<string, unknown>; values?: { cpu: number; value: Record<string, unknown> }[] };
}

/** What a dump reads of a map: its user-space lookups (a BpfMap has them). */
export interface DumpableMap extends BpfMapCore {
  readonly spec?: Pick<MapSpec, 'value'>;
  keys(): Iterable<Uint8Array>;
  lookup(key: Uint8Array): Uint8Array;
  lookupPerCpu(key: Uint8Array): Uint8Array[];
}

const hexByte = (b: number): string => '0x' + b.toString(16).padStart(2, '0');

/**
 * Every element in get_next_key order, as `bpftool -j map dump` gives it. Keyless maps dump as [].
 * A lookup that fails is an entry with { error } (a perf event array's slots, a key deleted
 * meanwhile), except in prog arrays and maps of maps, where bpftool skips it (an empty slot).
 */
export function dumpMap(map: DumpableMap): DumpEntry[] {
  if (map.attr.keySize === 0) return [];
  const out: DumpEntry[] = [];
  const t = map.attr.type;
  const skipErrors = t === BPF_MAP_TYPE_PROG_ARRAY || t === BPF_MAP_TYPE_ARRAY_OF_MAPS || t === BPF_MAP_TYPE_HASH_OF_MAPS;
  for (const key of map.keys()) {
    let value: Uint8Array | Uint8Array[];
    try {
      // Per-CPU maps: value_size bytes of each CPU's slot, without the rounding padding.
      value = map.ops.percpu ? map.lookupPerCpu(key) : map.lookup(key);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      if (!skipErrors) out.push({ key: [...key].map(hexByte), value: { error: STRERROR[e.errno] } });
      continue;
    }
    const entry: DumpEntry = { key: [...key].map(hexByte) };
    if (Array.isArray(value)) entry.values = value.map((v, cpu) => ({ cpu, value: [...v].map(hexByte) }));
    else entry.value = [...value].map(hexByte);
    const layout = map.spec?.value;
    if (layout !== undefined) {
      // A key of up to 8 bytes prints as the integer it holds (the BTF key of these maps is one).
      const k = key.length <= 8 ? key.reduceRight((n, b) => n * 256 + b, 0) : entry.key;
      entry.formatted = Array.isArray(value)
        ? { key: k, values: value.map((v, cpu) => ({ cpu, value: layout.decode(v) })) }
        : { key: k, value: layout.decode(value) };
    }
    out.push(entry);
  }
  return out;
}

/** Bytes as bpftool prints them: a space between bytes, two after every 8th, a new line after every 16th. */
export function hexBlock(bytes: readonly number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : ' ';
    s += bytes[i]!.toString(16).padStart(2, '0');
  }
  return s;
}

/**
 * The plain-text dump (`bpftool map dump` without -j), ending with "Found N element(s)", of the
 * entries map.dump() (or dumpMap(map)) returns: `console.log(formatDump(map.dump()))`. Sizes come
 * from the entries.
 */
export function formatDump(entries: readonly DumpEntry[]): string {
  const bytes = (hex: string[]) => hex.map((h) => parseInt(h, 16));
  // Maps with BTF: bpftool prints the decoded elements as JSON instead of bytes.
  if (entries.length > 0 && entries.every((e) => e.formatted !== undefined)) {
    return `${JSON.stringify(entries.map((e) => e.formatted), null, 4)}\nFound ${entries.length} element${entries.length === 1 ? '' : 's'}`;
  }
  const lines: string[] = [];
  for (const e of entries) {
    const ks = e.key.length;
    if (e.value !== undefined && !Array.isArray(e.value)) {
      // print_entry_error_msg(): names on lines of their own when the key or the message is long.
      const msg = e.value.error === STRERROR.ENOENT ? '<no entry>' : e.value.error;
      const breakNames = ks > 16 || msg.length > 16;
      const singleLine = ks + msg.length <= 24 && !breakNames;
      const sep = breakNames ? '\n' : ' ';
      lines.push(`key:${sep}${hexBlock(bytes(e.key))}${singleLine ? '  ' : '\n'}value:${sep}${msg}`);
      continue;
    }
    if (e.values) {
      lines.push('key:', hexBlock(bytes(e.key)));
      for (const { cpu, value } of e.values) {
        lines.push(`value (CPU ${String(cpu).padStart(2, '0')}):${value.length > 16 ? '\n' : ' '}${hexBlock(bytes(value))}`);
      }
    } else {
      const vs = (e.value as string[]).length;
      const breakNames = ks > 16 || vs > 16;
      const singleLine = ks + vs <= 24 && !breakNames;
      const sep = breakNames ? '\n' : ' ';
      lines.push(`key:${sep}${hexBlock(bytes(e.key))}${singleLine ? '  ' : '\n'}value:${sep}${hexBlock(bytes(e.value as string[]))}`);
    }
  }
  // bpftool counts the elements it could read.
  const found = entries.filter((e) => e.value === undefined || Array.isArray(e.value)).length;
  lines.push(`Found ${found} element${found === 1 ? '' : 's'}`);
  return lines.join('\n');
}
