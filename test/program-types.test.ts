// Types, checked by `npm run typecheck` (part of npm test): a loaded program's maps carry the
// program module's map names and value layouts, so a misspelt map name does not compile.
import { expect, expectTypeOf, it } from 'vitest';
import type { LoadedProgram } from '../src/cpu/runtime.js';
import type { Runtime } from '../src/cpu/runtime.js';
import type readmeCounter from './fixtures/readme-counter.js';

it("rt.load<typeof program>() gives maps with the program's names and value views", () => {
  type Maps = LoadedProgram<typeof readmeCounter>['maps'];
  expectTypeOf<keyof Maps>().toEqualTypeOf<'counter'>();
  const use = async (rt: Runtime) => {
    const prog = await rt.load<typeof readmeCounter>(new URL('./fixtures/readme-counter.ts', import.meta.url));
    const total: number = prog.maps.counter.sum(0, 'cnt');
    // @ts-expect-error the program has no map 'nosuch'
    prog.maps.nosuch.lookup(0);
    return total;
  };
  expect(use).toBeTypeOf('function');
});
