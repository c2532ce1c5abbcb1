// rawObject: a BpfObject from map definitions and relocated instructions (hand-assembled programs),
// the same plain data the ELF loader gives, so the runtime loads and runs it as any object.

import { describe, expect, it } from 'vitest';
import { rawObject, ObjectError } from '../src/object/index.js';
import { assemble } from '../src/conformance/program/asm.js';
import { Runtime } from '../src/cpu/runtime.js';
import { BPF_MAP_TYPE_ARRAY } from '../src/maps/uapi.js';

const MAPS = [{ name: 'arr', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 }];

describe('rawObject', () => {
  it('takes the program type from the section name and finds the functions from calls and callbacks', () => {
    const insns = assemble(['calll f', 'ldfunc r2, g', 'exit', 'f:', 'mov64 r0, 1', 'exit', 'g:', 'mov64 r0, 0', 'exit'], []);
    const o = rawObject('hand', [], [{ name: 'p', section: 'syscall', insns }]);
    const p = o.programs[0]!;
    expect([p.type, p.progType, p.autoload, p.funcs]).toEqual(['syscall', 31, true, [{ name: 'p', start: 0 }, { name: 'p_4', start: 4 }, { name: 'p_6', start: 6 }]]);
    expect([o.btf, o.bytes.length, o.license]).toEqual([null, 0, 'GPL']);
  });

  it('describes maps as given, with no BTF and no lock', () => {
    const m = rawObject('hand', MAPS, [{ name: 'p', section: 'tc', insns: assemble(['mov64 r0, 0', 'exit'], []) }]).maps[0]!;
    expect([m.name, m.kind, m.section, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.lockOffset]).toEqual(['arr', 'raw', '', 2, 4, 8, 2, 0, -1]);
  });

  it('refuses an unknown section, instructions that are not whole, and a map defined twice', () => {
    expect(() => rawObject('hand', [], [{ name: 'p', section: 'nonsense', insns: new Uint8Array(8) }])).toThrow(ObjectError);
    expect(() => rawObject('hand', [], [{ name: 'p', section: 'nonsense', insns: new Uint8Array(8) }])).toThrow(/^object 'hand', section 'nonsense': program 'p': unknown section name/);
    expect(() => rawObject('hand', [], [{ name: 'p', section: 'tc', insns: new Uint8Array(12) }])).toThrow("object 'hand', section 'tc': program 'p' is 12 bytes of instructions, not a non-zero multiple of 8");
    expect(() => rawObject('hand', [...MAPS, ...MAPS], [])).toThrow("object 'hand': map 'arr' is defined twice");
  });

  it('loads and runs on the simulated CPUs like an ELF object', async () => {
    const insns = assemble(['stw [r10-4], 1', 'ldmap r1, arr', 'mov64 r2, r10', 'add64 r2, -4', 'call map_lookup_elem', 'jeq r0, 0, +2',
      'stdw [r0+0], 42', 'mov64 r0, 7', 'exit'], ['arr']);
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const o = await rt.loadObject(rawObject('hand', MAPS, [{ name: 'p', section: 'syscall', insns }]));
      expect((await rt.testRun('p', { cpu: 1 })).retval).toBe(7);
      expect(new DataView(o.maps.arr!.lookup(1).buffer).getBigUint64(0, true)).toBe(42n);
    } finally {
      await rt.close();
    }
  });
});
