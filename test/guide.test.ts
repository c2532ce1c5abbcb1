// docs/guide.md as a newcomer follows it: its files copied out as written into a project that
// installed the packed package with tsx, each `*-main.ts` run with `npx tsx`, and its output
// compared with the `text` block the guide shows under it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inProject, namedBlocks, packedProject, ROOT } from './packed.js';

const GUIDE = join(ROOT, 'docs', 'guide.md');

/** For each `name-main.ts` block, the first ```text block after it: what running it prints. */
function expectedOutputs(): Map<string, string> {
  const text = readFileSync(GUIDE, 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/`([\w-]+-main\.ts)`[^\n]*:\n+```ts\n[\s\S]*?```/g)) {
    const after = text.slice(m.index! + m[0].length);
    const shown = /```text\n([\s\S]*?)```/.exec(after);
    if (shown) out.set(m[1]!, shown[1]!);
  }
  return out;
}

describe('the guide, from the packed package', () => {
  let dir: string;
  const outputs = expectedOutputs();
  beforeAll(async () => {
    dir = join(await packedProject(), 'guide');
    mkdirSync(dir, { recursive: true });
    for (const [name, code] of namedBlocks(GUIDE)) writeFileSync(join(dir, name), code);
  }, 300_000);

  it('has a program and a main for each of its three parts, each main with the output it prints', () => {
    expect([...namedBlocks(GUIDE).keys()]).toEqual(['first.ts', 'first-main.ts', 'perpid.ts', 'perpid-main.ts', 'events.ts', 'events-main.ts']);
    expect([...outputs.keys()]).toEqual(['first-main.ts', 'perpid-main.ts', 'events-main.ts']);
  });

  it.each(['first-main.ts', 'perpid-main.ts', 'events-main.ts'])('npx tsx %s prints what the guide shows', async (main) => {
    const r = await inProject(dir, 'npx', ['tsx', main]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, outputs.get(main), '']);
  });
});
