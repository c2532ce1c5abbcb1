// The layers of src (README, Architecture): imports point down, no file-level cycle, every folder
// ranked. scripts/check-imports.mjs reads the import graph; here it runs on this tree, and on small
// trees built to break each rule, so a check that could never fail would show.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'check-imports.mjs');

interface Report {
  files: number;
  edges: number;
  cycles: string[][];
  upward: { from: string; to: string; typeOnly: boolean }[];
  unranked: string[];
  unresolved: { from: string; spec: string }[];
  ok: boolean;
}

function check(root: string): { code: number | null; report: Report } {
  const r = spawnSync(process.execPath, [SCRIPT, root, '--json'], { encoding: 'utf8' });
  return { code: r.status, report: JSON.parse(r.stdout) as Report };
}

const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A package with these files under src/ (path -> text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  return root;
}

describe('the import graph of src', () => {
  it('has no cycle, no upward import and no unranked folder', () => {
    const { code, report } = check(ROOT);
    expect({ cycles: report.cycles, upward: report.upward, unranked: report.unranked, unresolved: report.unresolved }).toEqual({ cycles: [], upward: [], unranked: [], unresolved: [] });
    expect(code).toBe(0);
    expect(report.files).toBeGreaterThan(90);
  });
});

describe('scripts/check-imports.mjs', () => {
  it('finds a cycle made of type-only imports, as a path', () => {
    const { code, report } = check(tree({
      'maps/a.ts': "import type { B } from './b.js';\nexport interface A { b: B }\n",
      'maps/b.ts': "import type { A } from './a.js';\nexport interface B { a: A }\n",
    }));
    expect([code, report.cycles]).toEqual([1, [['src/maps/a.ts', 'src/maps/b.ts', 'src/maps/a.ts']]]);
  });

  it('finds an import up the layers (sync importing maps), static or dynamic', () => {
    const { code, report } = check(tree({
      'maps/x.ts': 'export const x = 1;\n',
      'sync/lock.ts': "import { x } from '../maps/x.js';\nexport const y = x;\n",
      'smp/smp.ts': "export async function f() { return (await import('../sync/lock.js')).y; }\n",
    }));
    expect([code, report.upward.map((u) => `${u.from} -> ${u.to}`)]).toEqual([1, ['src/smp/smp.ts -> src/sync/lock.ts', 'src/sync/lock.ts -> src/maps/x.ts']]);
  });

  it('counts re-exports and treats src/index.ts as the top, which nothing may import', () => {
    const { report } = check(tree({
      'index.ts': "export { c } from './cli/main.js';\n",
      'cli/main.ts': "export const c = 1;\nexport * from '../index.js';\n",
    }));
    expect([report.upward.map((u) => `${u.from} -> ${u.to}`), report.cycles.length]).toEqual([['src/cli/main.ts -> src/index.ts'], 1]);
  });

  it('refuses a folder that has no layer', () => {
    const { code, report } = check(tree({ 'utils/x.ts': 'export const x = 1;\n' }));
    expect([code, report.unranked]).toEqual([1, ['utils']]);
  });

  it('ignores imports written in comments and strings, and allows downward and peer imports', () => {
    const { code, report } = check(tree({
      'smp/smp.ts': 'export const cpu = 0;\n',
      'object/elf.ts': 'export const elf = 1;\n',
      'jit/x86.ts': "import { elf } from '../object/elf.js';\nimport { cpu } from '../smp/smp.js';\nexport const j = elf + cpu;\n",
      'sync/lock.ts': "// import { x } from '../maps/x.js';\n/* export * from '../cli/main.js'; */\n" +
        "export const s = \"import { y } from '../cli/main.js'\";\nexport const t = `${s} import('../cli/main.js')`;\n",
    }));
    expect([code, report.upward, report.cycles, report.edges]).toEqual([0, [], [], 2]);
  });
});
