// Where the package's files are, from a module's own URL: modules next to a given module (`.ts`
// when running from sources under tsx or vitest, `.js` from the build), the package root, and the
// non-module files (C sources) a module builds at run time. Worker files and program modules are
// loaded by URL, where tsx's .js -> .ts mapping does not apply, so the extension must be the real one.

import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export function siblingModule(importMetaUrl: string, name: string): URL {
  const ext = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, importMetaUrl);
}

/** The package root: this file is src/cpu/module-url.ts, or dist/cpu/module-url.js in the build. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A source file that sits beside a module (`name` relative to it, e.g. './kernel/loader.c'). The
 * build does not copy such files, and the package ships src/ as well as dist/: from dist/x/y.js
 * this is src/x/<name>.
 */
export function sourceFile(importMetaUrl: string, name: string): string {
  const path = fileURLToPath(new URL(name, importMetaUrl));
  const dist = join(PACKAGE_ROOT, 'dist') + sep;
  return path.startsWith(dist) ? join(PACKAGE_ROOT, 'src', path.slice(dist.length)) : path;
}
