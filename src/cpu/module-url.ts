// Modules next to a given module: `.ts` when running from sources (tsx, vitest), `.js` from the
// build. Worker files and program modules are loaded by URL, where tsx's .js -> .ts mapping does
// not apply, so the extension must be the real one.

export function siblingModule(importMetaUrl: string, name: string): URL {
  const ext = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, importMetaUrl);
}
