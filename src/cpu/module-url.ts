// Where the package's modules are: modules next to a given module (`.ts` when running from sources
// under tsx or vitest, `.js` from the build). Worker files and program modules are loaded by URL,
// where tsx's .js -> .ts mapping does not apply, so the extension must be the real one. The package
// root and C sources beside modules are the loader's concern too (src/object/package-files.ts).

export { PACKAGE_ROOT, sourceFile } from '../object/package-files.js';

export function siblingModule(importMetaUrl: string, name: string): URL {
  const ext = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, importMetaUrl);
}
