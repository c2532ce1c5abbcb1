#!/usr/bin/env node
// The import graph of src: fails on a file-level import cycle, an import that runs up the layers,
// or a folder with no layer. `node scripts/check-imports.mjs [root] [--json]` (root: the package).
//
// Edges: static imports, re-exports (`export ... from`), side-effect imports and dynamic
// `import('...')` with a literal path, type-only ones included (a type import still ties the two
// files' designs together). Modules loaded by URL at run time (workers, program modules) are not
// imports and are not counted. Written for this project rather than taken from a library: the
// tools that draw import graphs (madge, dependency-cruiser) are large and know nothing of our
// layers, and the TypeScript we use (7, native) has no JavaScript API to ask for imports.
//
// Layers, lowest first. A file may import its own folder, any lower layer, and a peer of the same
// rank (object <-> jit, bench <-> conformance) as long as no cycle forms; src/index.ts (the public
// entry) is the top and may import anything, and nothing in src may import it.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export const RANKS = Object.freeze({
  smp: 0, sync: 1, maps: 2, object: 3, jit: 3, cpu: 4, workloads: 5, bench: 6, conformance: 6, cli: 7,
});
const TOP = Infinity;
const SOURCE_RE = /\.(ts|mts|cts|js|mjs|cjs)$/;

// ---- a small lexer: identifiers, string literals and punctuation, with comments and template
// literals skipped, enough to find import and export clauses without matching text in comments.

const ID_START = /[A-Za-z_$]/;
const ID_PART = /[A-Za-z0-9_$]/;
/** After these tokens a '/' starts a regular expression, not a division. */
const REGEX_AFTER = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^',
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

export function tokens(text) {
  const out = [];
  let i = 0;
  const n = text.length;
  const skipString = (q) => {
    let s = '';
    for (i++; i < n && text[i] !== q; i++) {
      if (text[i] === '\\') { s += text[i + 1]; i++; } else s += text[i];
    }
    i++;
    return s;
  };
  const skipTemplate = () => {
    // From the opening backtick to the closing one, skipping ${ ... } expressions (which may nest).
    for (i++; i < n && text[i] !== '`'; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '$' && text[i + 1] === '{') {
        let depth = 1;
        for (i += 2; i < n && depth > 0; i++) {
          const c = text[i];
          if (c === '{') depth++;
          else if (c === '}') depth--;
          else if (c === '\'' || c === '"') { skipString(c); i--; }
          else if (c === '`') { skipTemplate(); i--; }
        }
        i--;
      }
    }
    i++;
  };
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '\'' || c === '"') { out.push({ t: 'str', v: skipString(c) }); continue; }
    if (c === '`') { skipTemplate(); out.push({ t: 'tpl', v: '' }); continue; }
    if (c === '/' && (out.length === 0 || REGEX_AFTER.has(out[out.length - 1].v))) {
      let inClass = false;
      for (i++; i < n && (inClass || text[i] !== '/') && text[i] !== '\n'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
      }
      i++;
      while (i < n && ID_PART.test(text[i])) i++;
      out.push({ t: 're', v: '' });
      continue;
    }
    if (ID_START.test(c)) {
      const s = i;
      while (i < n && ID_PART.test(text[i])) i++;
      out.push({ t: 'id', v: text.slice(s, i) });
      continue;
    }
    out.push({ t: 'p', v: c });
    i++;
  }
  return out;
}

/** The module specifiers a file names: [{ spec, typeOnly, kind }]. */
export function importsOf(text) {
  const toks = tokens(text);
  const found = [];
  const at = (k) => toks[k] ?? { t: 'eof', v: '' };
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k];
    if (tok.t !== 'id' || (tok.v !== 'import' && tok.v !== 'export')) continue;
    // obj.import / obj.export are property names, not statements.
    if (k > 0 && at(k - 1).v === '.' && at(k - 1).t === 'p') continue;
    if (tok.v === 'import') {
      const next = at(k + 1);
      if (next.v === '.') continue; // import.meta
      if (next.t === 'str') { found.push({ spec: next.v, typeOnly: false, kind: 'side-effect' }); continue; }
      if (next.v === '(') {
        if (at(k + 2).t === 'str' && at(k + 3).v === ')') found.push({ spec: at(k + 2).v, typeOnly: false, kind: 'dynamic' });
        continue;
      }
    }
    let j = k + 1;
    let typeOnly = false;
    if (at(j).v === 'type' && at(j + 1).v !== ',' && at(j + 1).v !== 'from') { typeOnly = true; j++; }
    if (tok.v === 'export' && at(j).v !== '{' && at(j).v !== '*') continue; // export const, export function, ...
    // Scan the clause (names, braces, `* as ns`) to `from '<spec>'`; anything else ends it.
    for (; j < toks.length; j++) {
      const t = at(j);
      if (t.t === 'id' && t.v === 'from' && at(j + 1).t === 'str') {
        found.push({ spec: at(j + 1).v, typeOnly, kind: tok.v === 'export' ? 're-export' : 'static' });
        break;
      }
      if (t.t === 'str' || t.t === 'tpl' || t.t === 're' || t.v === ';' || t.v === '(' || t.v === '=') break;
    }
  }
  return found;
}

// ---- the graph ----------------------------------------------------------------------------------

function listSources(dir) {
  const files = [];
  const dirs = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { dirs.push(p); files.push(...listSources(p).files); }
    else if (SOURCE_RE.test(name) && !/\.d\.[mc]?ts$/.test(name)) files.push(p);
  }
  return { files, dirs };
}

/** The file a relative specifier names: .js written for a .ts source, a folder's index. */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base.replace(/\.cjs$/, '.cts'),
    `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** Check the package at `root`: its src folder's files, edges, cycles, upward edges, unranked folders. */
export function checkImports(root, ranks = RANKS) {
  const src = join(resolve(root), 'src');
  const { files } = listSources(src);
  const folderOf = (f) => {
    const parts = relative(src, f).split(sep);
    return parts.length === 1 ? null : parts[0];
  };
  const rankOf = (f) => {
    const folder = folderOf(f);
    return folder === null ? TOP : ranks[folder];
  };
  const rel = (f) => relative(resolve(root), f).split(sep).join('/');

  const unranked = [...new Set(readdirSync(src).filter((d) => statSync(join(src, d)).isDirectory() && !(d in ranks)))].sort();
  const edges = new Map();
  const upward = [];
  const unresolved = [];
  const outside = [];
  let edgeCount = 0;
  let typeOnlyCount = 0;
  for (const f of files) {
    const out = new Map();
    for (const imp of importsOf(readFileSync(f, 'utf8'))) {
      if (!imp.spec.startsWith('.')) continue; // node: builtins and packages
      const target = resolveSpec(f, imp.spec);
      if (target === null) { unresolved.push({ from: rel(f), spec: imp.spec }); continue; }
      if (relative(src, target).startsWith('..')) { outside.push({ from: rel(f), to: rel(target) }); continue; }
      if (!out.has(target)) {
        out.set(target, imp.typeOnly);
        edgeCount++;
        if (imp.typeOnly) typeOnlyCount++;
      } else if (!imp.typeOnly) out.set(target, false);
      const a = rankOf(f);
      const b = rankOf(target);
      if (a !== undefined && b !== undefined && b > a) {
        upward.push({ from: rel(f), to: rel(target), fromLayer: folderOf(f) ?? 'src', toLayer: folderOf(target) ?? 'src (the public entry)', typeOnly: imp.typeOnly });
      }
    }
    edges.set(f, out);
  }
  const cycles = stronglyConnected(files, edges).map((scc) => cycleThrough(scc, edges).map(rel));
  return {
    files: files.length,
    edges: edgeCount,
    typeOnly: typeOnlyCount,
    cycles,
    upward,
    unranked,
    unresolved,
    outside,
    ok: cycles.length === 0 && upward.length === 0 && unranked.length === 0 && unresolved.length === 0 && outside.length === 0,
  };
}

/** Tarjan's algorithm (iterative): the components with more than one file, or a file importing itself. */
function stronglyConnected(nodes, edges) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const sccs = [];
  let next = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work = [[root, [...edges.get(root).keys()], 0]];
    index.set(root, next); low.set(root, next); next++; stack.push(root); onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, succ] = frame;
      if (frame[2] < succ.length) {
        const w = succ[frame[2]++];
        if (!index.has(w)) {
          index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
          work.push([w, [...(edges.get(w)?.keys() ?? [])], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
      if (low.get(v) === index.get(v)) {
        const scc = [];
        let w;
        do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
        if (scc.length > 1 || edges.get(v).has(v)) sccs.push(scc);
      }
    }
  }
  return sccs;
}

/** One concrete cycle inside a component, as a path a -> b -> ... -> a (easier to fix than a set). */
function cycleThrough(scc, edges) {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of edges.get(v).keys()) {
      if (w === start) {
        const path = [start];
        for (let x = v; x !== null && x !== start; x = prev.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (members.has(w) && !prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

export function formatReport(r) {
  const lines = [];
  for (const d of r.unranked) lines.push(`unranked folder: src/${d} (give it a layer in scripts/check-imports.mjs and the README)`);
  for (const c of r.cycles) lines.push(`cycle: ${c.join(' -> ')}`);
  for (const u of r.upward) lines.push(`upward: ${u.from} (${u.fromLayer}) imports ${u.typeOnly ? 'types from ' : ''}${u.to} (${u.toLayer})`);
  for (const u of r.unresolved) lines.push(`unresolved: ${u.from} imports '${u.spec}', which names no file`);
  for (const o of r.outside) lines.push(`outside src: ${o.from} imports ${o.to}`);
  lines.push(`imports: ${r.files} files, ${r.edges} edges (${r.typeOnly} type-only); ${r.cycles.length} cycles, ${r.upward.length} upward, ${r.unranked.length} unranked folders${r.unresolved.length + r.outside.length ? `, ${r.unresolved.length + r.outside.length} bad paths` : ''}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const root = args.find((a) => !a.startsWith('--')) ?? join(dirname(new URL(import.meta.url).pathname), '..');
  if (!existsSync(join(root, 'src'))) {
    process.stderr.write(`check-imports: ${resolve(root)} has no src folder\n`);
    process.exit(2);
  }
  const r = checkImports(root);
  process.stdout.write((args.includes('--json') ? JSON.stringify(r, null, 1) : formatReport(r)) + '\n');
  process.exit(r.ok ? 0 : 1);
}
