// The import path of helpers (src/cpu/func-proto.ts) in a loaded object: a map pointer the
// translator cannot follow reaches its map through the JS helper, by the descriptor's index; a
// value that is not a map pointer stops the run, naming it. The object is run.bpf.o with one
// program's instructions replaced by hand-written ones.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { ProgramFaultError } from '../src/cpu/errors.js';
import { openObject, type BpfObject } from '../src/object/index.js';
import { Asm, R0, R1, R2, R3, R10 } from './jit/asm.js';
import { le32, objectUrl } from './helpers.js';

/** run.bpf.o with 'kprobe/count' running `insns` (map references by run.bpf.o's map indexes). */
function withProgram(build: (pids: number) => Asm): BpfObject {
  const obj = openObject(readFileSync(objectUrl('run.bpf.o')));
  const pids = obj.maps.findIndex((m) => m.name === 'pids');
  const p = obj.programs.find((x) => x.section === 'kprobe/count')!;
  p.insns = build(pids).build();
  p.funcs = [{ name: p.name, start: 0 }];
  p.lines = [];
  p.funcInfo = [];
  return obj;
}

/** r1 = &pids moved by `by` bytes through ALU (the translator loses track of it), then lookup of key 5. */
const lookupVia = (by: number) => (pids: number) => {
  const a = new Asm().ldMap(R1, pids);
  if (by !== 0) a.alu64('add', R1, { imm: by });
  // A round trip through the stack: a pointer the translator does not follow.
  return a.stx('dw', R10, -16, R1).ldx('dw', R1, R10, -16)
    .st('w', R10, -4, 5).movr(R2, R10).alu64('add', R2, { imm: -4 }).call(1)
    .jmp('jeq', R0, { imm: 0 }, 'miss').ldx('w', R0, R0, 0).exit()
    .label('miss').mov64(R0, -1).exit();
};

describe('helpers through the JS import path', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('a map pointer the translator cannot follow reaches its map (bpf_map_lookup_elem through h1)', async () => {
    const o = await rt.loadObject(withProgram(lookupVia(0)));
    try {
      expect((await rt.run({ probe: 'kprobe/count', cpu: 0 })).lastReturn).toBe(0xffffffff);
      o.maps.pids!.update(le32(5), new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]));
      expect((await rt.run({ probe: 'kprobe/count', cpu: 1 })).lastReturn).toBe(42);
    } finally {
      await o.unload();
    }
  });

  it('bpf_map_update_elem and bpf_map_delete_elem through h2 and h3 reach the map of the pointer', async () => {
    const o = await rt.loadObject(withProgram((pids) => new Asm()
      .st('w', R10, -4, 9).st('dw', R10, -16, 77)
      .ldMap(R1, pids).movr(R2, R10).alu64('add', R2, { imm: -4 }).movr(R3, R10).alu64('add', R3, { imm: -16 }).mov64(4, 0).call(2)
      .st('w', R10, -4, 10).st('dw', R10, -16, 78)
      .ldMap(R1, pids).movr(R2, R10).alu64('add', R2, { imm: -4 }).movr(R3, R10).alu64('add', R3, { imm: -16 }).mov64(4, 0).call(2)
      .ldMap(R1, pids).movr(R2, R10).alu64('add', R2, { imm: -4 }).call(3).exit()));
    try {
      expect((await rt.run({ probe: 'kprobe/count', cpu: 0 })).lastReturn).toBe(0);
      expect([...o.maps.pids!.keys()].map((k) => k[0])).toEqual([9]);
      expect(o.maps.pids!.lookup(le32(9))).toEqual(new Uint8Array([77, 0, 0, 0, 0, 0, 0, 0]));
    } finally {
      await o.unload();
    }
  });

  for (const [what, by] of [['between two descriptors', 8], ['past the last map\'s descriptor', 16 * 8], ['below the first descriptor', -16]] as const) {
    it(`stops the run naming r1 when it is not a map pointer (${what})`, async () => {
      const o = await rt.loadObject(withProgram(lookupVia(by)));
      try {
        const e = (await rt.run({ probe: 'kprobe/count', cpu: 1 }).catch((x: unknown) => x)) as ProgramFaultError;
        expect(e).toBeInstanceOf(ProgramFaultError);
        expect([e.cpu, e.program, e.insn]).toEqual([1, 'count', 8]);
        expect(e.message).toMatch(/r1 is not a map pointer \(0x[0-9a-f]+\): pass a map from ld_imm64 \(&map\)/);
      } finally {
        await o.unload();
      }
    });
  }
});
