// Program modules written in TypeScript. `npx tsx main.ts` or `node --import tsx main.ts` registers
// tsx's module hooks in the main thread only: Node 20 does not carry them into worker threads, so a
// CPU worker registers tsx itself before it imports a .ts program, the tsx the user's project has
// (or the one this process runs under). A worker running from our own sources (tests) loaded this
// very file through tsx (worker-from-source.mjs) and needs nothing more.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TS_FILE = /\.[cm]?ts$/;

/** Whether a module URL is a TypeScript file (.ts, .mts, .cts). */
export function isTypeScript(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'file:' && TS_FILE.test(u.pathname);
  } catch {
    return false;
  }
}

/** tsx's package folder as this process runs under it (`npx tsx`: --import <tsx>/dist/loader.mjs), or null. */
function tsxOfThisProcess(): string | null {
  for (const arg of process.execArgv) {
    const m = /^(?:file:\/\/)?(.*[\\/]node_modules[\\/]tsx)[\\/]dist[\\/]/.exec(arg);
    if (m) return m[1]!;
  }
  return null;
}

interface TsxApi { register(): unknown }

/**
 * The file of tsx's ESM API (its package's export "./esm/api", import condition), found from the
 * program's folder, the working directory, or the tsx this process was started with, in that
 * order; null when none has tsx. (Its CommonJS twin cannot register the ESM hooks from a worker.)
 */
export function findTsx(programUrl: string): string | null {
  const self = tsxOfThisProcess();
  const places = [fileURLToPath(programUrl), join(process.cwd(), 'index.js'), ...(self ? [join(self, 'package.json')] : [])];
  for (const from of places) {
    try {
      // From inside tsx's own folder the name resolves too (a package may name itself).
      const pkgFile = createRequire(from).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
      const entry = pkg.exports?.['./esm/api'];
      const file = typeof entry === 'object' && entry !== null ? (typeof entry.import === 'string' ? entry.import : entry.import?.default) : undefined;
      if (file !== undefined) return pathToFileURL(join(dirname(pkgFile), file)).href;
    } catch {
      // not there; try the next place
    }
  }
  return null;
}

/** Whether this Node runs TypeScript without help (type stripping, on by default from Node 22.18 and 23.6). */
export function nativeTypeScript(): boolean {
  return Boolean((process.features as { typescript?: string | false }).typescript);
}

/**
 * The coordinator's check before it creates any map: a TypeScript program that the CPU workers
 * could not load is refused with the advice. Null when it can be loaded.
 */
export function typeScriptProblem(url: string): string | null {
  if (typeScriptReady || !isTypeScript(url) || nativeTypeScript() || findTsx(url) !== null) return null;
  return noTsxMessage(url);
}

/** What to do when a TypeScript program cannot be loaded in a CPU worker. */
export function noTsxMessage(url: string): string {
  return `${url}: the program is TypeScript, and the CPU workers (worker threads, which do not inherit the main ` +
    "thread's module hooks) load it with tsx, which is not installed where the program is: install tsx in your project " +
    '(npm install --save-dev tsx) or compile your program to JavaScript';
}

// This thread loads TypeScript already: from our own sources through tsx, or once registered below.
let typeScriptReady = import.meta.url.endsWith('.ts');

/**
 * Make this thread able to import the program at `url` (a CPU worker, before its import): for a
 * TypeScript program, register tsx's hooks once. Throws the advice when tsx cannot be found.
 */
export async function prepareImport(url: string): Promise<void> {
  if (typeScriptReady || !isTypeScript(url)) return;
  const tsx = findTsx(url);
  if (tsx === null) {
    // Node 22.18 and later strip types themselves, in every thread.
    if (nativeTypeScript()) return;
    throw new Error(noTsxMessage(url));
  }
  ((await import(tsx)) as TsxApi).register();
  typeScriptReady = true;
}
