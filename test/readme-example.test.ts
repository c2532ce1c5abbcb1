// The README's example as a user runs it: the package packed and installed with tsx into an empty
// project, the README's counter.ts and main.ts copied out of the README as written, then run with
// `npx tsx main.ts` and `node --import tsx main.ts`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inProject, namedBlocks, packedProject, ROOT } from './packed.js';

describe('the README example, from the packed package', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await packedProject();
    const blocks = namedBlocks(join(ROOT, 'README.md'));
    expect([...blocks.keys()]).toEqual(['counter.ts', 'main.ts']);
    for (const [name, code] of blocks) writeFileSync(join(dir, name), code);
  }, 300_000);

  it('runs under npx tsx main.ts: 4 CPUs x 8 bytes, 1,000,000 events counted', async () => {
    const r = await inProject(dir, 'npx', ['tsx', 'main.ts']);
    expect([r.code, r.stdout]).toEqual([0, '32\n1000000\n']);
  });

  it('runs under node --import tsx main.ts', async () => {
    const r = await inProject(dir, process.execPath, ['--import', 'tsx', 'main.ts']);
    expect([r.code, r.stdout]).toEqual([0, '32\n1000000\n']);
  });
});

describe('a TypeScript program loaded by a main program that does not run under tsx', () => {
  it('under plain node: refused with the advice before any map is created (Node 20), or loaded by Node itself where it strips types', async () => {
    const dir = await packedProject();
    const api = join(dir, 'node_modules', 'percpu-maps', 'dist', 'index.js');
    // A folder outside the project, with no node_modules: the program finds nothing there, nor does the working directory.
    const bare = mkdtempSync(join(tmpdir(), 'percpu-no-tsx-'));
    writeFileSync(join(bare, 'counter.ts'), `import { defineProgram } from ${JSON.stringify(api)};
export default defineProgram({ maps: {}, handlers: { 'kprobe/x'(): void {} } });
`);
    writeFileSync(join(bare, 'main.mjs'), `import { Runtime } from ${JSON.stringify(api)};
const rt = await Runtime.start({ cpus: 1 });
try {
  const prog = await rt.load(new URL('./counter.ts', import.meta.url));
  console.log('loaded', prog.probes.join());
} catch (e) {
  console.log(e.name + ': ' + e.message);
}
await rt.close();
`);
    const r = await inProject(bare, process.execPath, ['main.mjs']);
    const stripsTypes = Boolean((process.features as { typescript?: string | false }).typescript);
    expect([r.code, r.stdout]).toEqual([0, stripsTypes ? 'loaded kprobe/x\n'
      : `ProgramLoadError: cannot load file://${bare}/counter.ts: the program is TypeScript, and the CPU workers load TypeScript ` +
        'with tsx, which they register when your main program runs under it: install tsx (npm install --save-dev tsx) and run it ' +
        'with npx tsx main.ts (or node --import tsx main.js), or compile your program to JavaScript\n']);
  });
});

