// docs/api is generated from the doc comments of the public API (src/index.ts) by TypeDoc with
// typedoc-plugin-markdown (`npm run docs`). This regenerates it into a temporary folder and fails
// on any difference, so the committed reference never drifts from the code. TypeDoc needs the
// TypeScript API, which TypeScript 7 (the project's compiler) does not have yet: it lives with its
// own TypeScript in tools/api-docs, installed here on first use.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './packed.js';

const run = promisify(execFile);
const TOOLS = join(ROOT, 'tools', 'api-docs');
const COMMITTED = join(ROOT, 'docs', 'api');

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('docs/api', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'percpu-api-docs-'));
  beforeAll(async () => {
    if (!existsSync(join(TOOLS, 'node_modules', 'typedoc', 'package.json'))) {
      await run('npm', ['ci', '--prefix', TOOLS, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: ROOT });
    }
    await run(process.execPath, [join(TOOLS, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', join(TOOLS, 'typedoc.json'), '--out', fresh], { cwd: ROOT, maxBuffer: 1 << 24 });
  }, 600_000);
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('is what TypeDoc makes of the doc comments today (run `npm run docs` after changing the public API)', () => {
    const want = files(fresh);
    const have = files(COMMITTED);
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    const stale = [...want].filter(([f, text]) => have.get(f) !== text).map(([f]) => f);
    expect(stale).toEqual([]);
  });

  it('documents what a newcomer needs: the handler context, the event source, encode, the ring buffer consumer', () => {
    const have = files(COMMITTED);
    expect(have.get('interfaces/ProbeContext.md')).toContain('The context a handler gets for one event');
    expect(have.get('interfaces/RunOptions.md')).toContain('event i on a CPU runs in pid `pidBase + (i % pids)`');
    expect(have.get('interfaces/StructLayout.md')).toContain('This is how a value is passed where bytes are expected');
    expect(have.get('classes/RingBuffer.md')).toContain('Returns a Promise of the');
    expect(have.get('classes/BpfMap.md')).toContain("throws a BpfError with errno 'ENOENT': that is how a walk ends");
  });
});
