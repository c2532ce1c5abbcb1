// Where the package's own files are, from a module's URL: the package root, and the non-module
// files (C sources) a module builds at run time, which the build does not copy to dist/.

import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is src/object/package-files.ts, or dist/object/package-files.js in the build. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A source file that sits beside a module (`name` relative to it, e.g. './kernel/prog-helper.c').
 * The package ships src/ as well as dist/: from dist/x/y.js this is src/x/<name>.
 */
export function sourceFile(importMetaUrl: string, name: string): string {
  const path = fileURLToPath(new URL(name, importMetaUrl));
  const dist = join(PACKAGE_ROOT, 'dist') + sep;
  return path.startsWith(dist) ? join(PACKAGE_ROOT, 'src', path.slice(dist.length)) : path;
}
