// Out-of-bounds access through value views: a write past value_size throws (raw accessors, byte
// copies, unknown fields) or is dropped (an index past a typed-array field, JavaScript's own rule),
// and never reaches the neighbouring element, in every map family that hands out views.
import { describe, expect, it } from 'vitest';
import { array, bpf_map_lookup_elem, bpf_map_update_elem, BpfError, createMap, openMap, struct, u32, u8, type BpfMap, type ValueView } from '../src/index.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// These tests call program helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);

// 12-byte values: the slot is 16 bytes, so 4 bytes of padding sit right past each value.
const S = struct({ a: u32, b: u32, tag: array(u8, 4) });
const Bigger = struct({ a: u32, b: u32, tag: array(u8, 4), extra: u32 });
const KINDS = ['array', 'percpu_array', 'hash', 'percpu_hash'] as const;

function setup(type: (typeof KINDS)[number]): { map: BpfMap; view: ValueView & Record<string, any>; snapshot: () => string } {
  const map = createMap({ type, keySize: 4, valueSize: 12, maxEntries: 3, name: 'b', value: S }, { cpus: 2 });
  for (let k = 0; k < 3; k++) {
    const one = S.encode({ a: 0x11111111 * (k + 1), b: 0x0a0b0c0d, tag: [k, k, k, k] });
    const value = map.isPercpu ? new Uint8Array(map.userValueSize) : one;
    if (map.isPercpu) for (let c = 0; c < 2; c++) value.set(one, c * 16);
    map.update(k, value);
  }
  const view = bpf_map_lookup_elem(map, 1)! as ValueView & Record<string, any>;
  const snapshot = () => [0, 2].map((k) => Buffer.from(map.lookup(k)).toString('hex')).join(' ') + ` | ${Buffer.from(map.lookup(1)).toString('hex')}`;
  return { map, view, snapshot };
}

const ATTEMPTS: [string, (v: ValueView & Record<string, any>) => void, RegExp | null][] = [
  ['setU32 at value_size', (v) => v.setU32(12, 1), /outside the 12-byte value/],
  ['setU32 at a negative offset', (v) => v.setU32(-4, 1), /outside the 12-byte value/],
  ['setU64 straddling the end', (v) => v.setU64(8, 1), /outside the 12-byte value/],
  ['setU8 one past the end', (v) => v.setU8(12, 1), /outside the 12-byte value/],
  ['a misaligned setU32', (v) => v.setU32(2, 1), /misaligned/],
  ['getU32 at value_size', (v) => v.getU32(12), /outside the 12-byte value/],
  ['bytes.set of 13 bytes', (v) => v.bytes.set(new Uint8Array(13).fill(0xee)), /offset is out of bounds|out of range|RangeError/i],
  ['a field the layout does not have', (v) => { v.extra = 1; }, /not extensible|Cannot add property/],
  ['bytes[12] = 0xee (dropped)', (v) => { v.bytes[12] = 0xee; }, null],
  ['tag[4] = 0xee (dropped)', (v) => { v.tag[4] = 0xee; }, null],
];

describe.each(KINDS)('views of a %s map', (type) => {
  it.each(ATTEMPTS)('%s: throws or is dropped, and no element changes', (_name, attempt, error) => {
    const { view, snapshot } = setup(type);
    const before = snapshot();
    if (error) expect(() => attempt(view)).toThrow(error);
    else attempt(view);
    expect(snapshot()).toBe(before);
  });
});

describe('views that do not fit the value', () => {
  it('openMap with a layout larger than value_size is refused', () => {
    const map = createMap({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 2, name: 'b', value: S }, { cpus: 1 });
    expect(() => openMap(map.getHandle(), Bigger)).toThrow("map 'b': the value layout is 16 bytes but the map's value_size is 12");
  });

  it('bpf_map_update_elem with a view of another size is refused with EINVAL', () => {
    const small = createMap({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 2, name: 'small', value: S }, { cpus: 1 });
    const big = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 2, name: 'big', value: Bigger }, { cpus: 1 });
    const err = (() => { try { bpf_map_update_elem(small, 0, bpf_map_lookup_elem(big, 0)!, 0); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(BpfError);
    expect([(err as BpfError).errno, (err as BpfError).message]).toEqual(['EINVAL',
      "bpf_map_update_elem on map 'small' failed with EINVAL (Invalid argument): the value is a view of 16 bytes but value_size is 12 (the verifier would reject this program)"]);
  });
});
