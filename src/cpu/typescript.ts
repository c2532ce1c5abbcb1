// Program modules written in TypeScript. `npx tsx main.ts` or `node --import tsx main.ts` registers
// tsx's module hooks in the main thread only: Node 20 does not carry them into worker threads. So
// when the main thread runs under tsx, each CPU worker registers the same tsx before it loads any
// module of its own (worker-entry.ts), and the program and the worker share one loader: the
// program's `import ... from 'percpu-maps'` is the worker's own copy. This file finds that tsx, and
// says what to do when a TypeScript program cannot be loaded.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/** Whether this process was started under tsx (`npx tsx`, `node --import tsx`, `--loader tsx`): its execArgv names it. */
export function underTsx(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((a, i) => /[\\/]tsx[\\/]dist[\\/]/.test(a) || ((a === 'tsx' || a.startsWith('tsx/')) && /^--(import|loader|require)$/.test(execArgv[i - 1] ?? '')) ||
    /^--(import|loader|require)=tsx(\/|$)/.test(a));
}

/** tsx's package folder as this process runs under it (`npx tsx` passes --import <tsx>/dist/loader.mjs), or null. */
function tsxOfThisProcess(): string | null {
  for (const arg of process.execArgv) {
    const m = /^(?:file:\/\/)?(.*[\\/]tsx)[\\/]dist[\\/]/.exec(arg);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * The URL of tsx's ESM API (its package's export "./esm/api", import condition; the CommonJS twin
 * cannot register the ESM hooks from a worker), found from the working directory or the tsx this
 * process runs under; null when neither has tsx.
 */
export function findTsx(cwd: string = process.cwd()): string | null {
  const self = tsxOfThisProcess();
  for (const from of [join(cwd, 'index.js'), ...(self ? [join(self, 'package.json')] : [])]) {
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

/** What the CPU workers should register before loading anything: tsx when the main thread runs under it. */
export function tsxForWorkers(): string | null {
  return underTsx() ? findTsx() : null;
}

/** Whether this Node runs TypeScript without help (type stripping, on by default from Node 22.18 and 23.6), in every thread. */
export function nativeTypeScript(): boolean {
  return Boolean((process.features as { typescript?: string | false }).typescript);
}

/**
 * Why a TypeScript program at `url` cannot be loaded by CPU workers that have (or not) tsx, or null
 * when it can. Checked by the coordinator before it creates any map, and by each worker.
 */
export function typeScriptProblem(url: string, workersHaveTsx: boolean): string | null {
  if (!isTypeScript(url) || workersHaveTsx || nativeTypeScript()) return null;
  return underTsx()
    ? `${url}: the program is TypeScript, and the CPU workers (worker threads, which do not inherit the main thread's module ` +
      'hooks) load it with tsx, which is not installed where your program runs: install tsx in your project ' +
      '(npm install --save-dev tsx) or compile your program to JavaScript'
    : `${url}: the program is TypeScript, and the CPU workers load TypeScript with tsx, which they register when your main ` +
      'program runs under it: install tsx (npm install --save-dev tsx) and run it with npx tsx main.ts (or node --import tsx main.js), ' +
      'or compile your program to JavaScript';
}

/** A CPU worker's check before it imports a program (the coordinator checked already; a direct caller may not have). */
export function checkImport(url: string, workerHasTsx: boolean): void {
  const problem = typeScriptProblem(url, workerHasTsx || import.meta.url.endsWith('.ts'));
  if (problem !== null) throw new Error(problem);
}
