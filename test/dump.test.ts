import { describe, expect, it } from 'vitest';
import { createMap } from '../src/index.js';
import { formatDump } from '../src/maps/dump.js';
import { le32 } from './helpers.js';


// Expected texts below were printed by bpftool v7.1 for kernel maps with the same contents.
describe('dumps in bpftool format', () => {
  it('prints small key and value on one line, JSON as hex strings', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 }, { cpus: 2 });
    m.update(1, le32(42));
    expect(m.dump()).toEqual([
      { key: ['0x00', '0x00', '0x00', '0x00'], value: ['0x00', '0x00', '0x00', '0x00'] },
      { key: ['0x01', '0x00', '0x00', '0x00'], value: ['0x2a', '0x00', '0x00', '0x00'] },
    ]);
    expect(formatDump(m.dump())).toBe('key: 00 00 00 00  value: 00 00 00 00\nkey: 01 00 00 00  value: 2a 00 00 00\nFound 2 elements');
  });
  it('breaks key and value onto their own lines when the value exceeds 16 bytes', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 20, maxEntries: 1 }, { cpus: 2 });
    m.update(0, new Uint8Array(20).map((_, i) => i + 1));
    expect(formatDump(m.dump())).toBe(
      'key:\n00 00 00 00\nvalue:\n01 02 03 04 05 06 07 08  09 0a 0b 0c 0d 0e 0f 10\n11 12 13 14\nFound 1 element');
  });
  it('prints a per-CPU value per CPU, value_size bytes each', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    m.update(0, new Uint8Array([1, 0, 0, 0, 9, 9, 9, 9, 2, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.dump()).toEqual([{ key: ['0x00', '0x00', '0x00', '0x00'], values: [
      { cpu: 0, value: ['0x01', '0x00', '0x00', '0x00'] }, { cpu: 1, value: ['0x02', '0x00', '0x00', '0x00'] }] }]);
    expect(formatDump(m.dump())).toBe('key:\n00 00 00 00\nvalue (CPU 00): 01 00 00 00\nvalue (CPU 01): 02 00 00 00\nFound 1 element');
  });
  it('puts a per-CPU value of more than 16 bytes under its CPU line', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 20, maxEntries: 1 }, { cpus: 2 });
    expect(formatDump(m.dump())).toBe(
      'key:\n00 00 00 00\nvalue (CPU 00):\n00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n00 00 00 00\n' +
      'value (CPU 01):\n00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n00 00 00 00\nFound 1 element');
  });
});
