// The architecture's rules, checked over the source tree as text (no compiler needed): who may
// import whom, no import cycles (type-only imports included), and no backend URL path typed outside
// core/api (the route table, core/api/backend-routes.ts). Run by architecture.test.ts on the repo
// and on a fixture tree that breaks each rule once.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SKIP_DIRS = new Set(['node_modules', 'dist', 'generated', '.git', 'testdata']);
/** Folders of front-ends: production code there imports only core/ and its own folder. */
const FRONT_ENDS = ['cli', 'tui', 'gui', 'mobile/app', 'server/admin-ui/src'];
/**
 * The exceptions: a CLI command may start the TUI through its render entry (as Shopify's cli-kit
 * commands call renderX()), never through its components or Ink itself, and the GUI's local server
 * through gui/index.ts (or only its opener page through gui/opener.ts), never its page code.
 */
const FRONT_END_ENTRIES: Readonly<Record<string, readonly string[]>> = {
  cli: ['tui/render.tsx', 'gui/index.ts', 'gui/opener.ts'],
};
/** The backend's URL space: a string literal starting with one of these is a backend path. */
const BACKEND_PATH = /^\/(auth|device|client|mobile|admin|pki)(\/|$)|^\/(health|openapi\.json)$/;

export interface Violation {
  readonly rule:
    | 'front-end-imports'
    | 'no-server-or-scripts'
    | 'engine-not-localapi'
    | 'cycle'
    | 'backend-path'
    | 'cli-no-ink';
  readonly file: string;
  readonly detail: string;
}

export interface SourceFile {
  /** Path relative to the root, with forward slashes. */
  readonly path: string;
  /** Resolved project-relative imports (type-only ones included). */
  readonly imports: readonly string[];
  readonly text: string;
}

const isTest = (p: string) => /\.test\.tsx?$/.test(p) || p.split('/').includes('testing');

export function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(root);
  return out.map((f) => relative(root, f).split(sep).join('/')).sort();
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_RE = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Project-relative targets of a file's relative imports (`.js` specifiers map to `.ts` sources). */
export function importsOf(root: string, path: string, text: string, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const re of [IMPORT_RE, DYNAMIC_RE]) {
    for (const m of text.matchAll(re)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const abs = resolve(root, dirname(path), spec);
      const rel = relative(root, abs).split(sep).join('/');
      const candidates = [
        rel.replace(/\.js$/, '.ts'),
        rel.replace(/\.js$/, '.tsx'),
        `${rel}.ts`,
        `${rel}/index.ts`,
        `${rel}/index.tsx`,
      ];
      const hit = candidates.find((c) => known.has(c));
      if (hit) out.add(hit);
    }
  }
  return [...out];
}

/** The packages a file imports by name ('ink', 'react/jsx-runtime', '@oclif/core', …). */
export function packageImportsOf(text: string): string[] {
  const out = new Set<string>();
  for (const re of [IMPORT_RE, DYNAMIC_RE])
    for (const m of text.matchAll(re))
      if (!m[1]!.startsWith('.') && !m[1]!.startsWith('node:')) out.add(m[1]!);
  return [...out];
}

/** Packages only the TUI draws with: the CLI reaches them through tui/'s render entry. */
const TUI_PACKAGES = /^(ink|react)(\/|$)/;

export function loadTree(root: string): SourceFile[] {
  const paths = listSources(root);
  const known = new Set(paths);
  return paths.map((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    return { path, text, imports: importsOf(root, path, text, known) };
  });
}

/**
 * The literal text of every string in a source file: '…', "…" and the literal parts of template
 * literals (expressions inside `${…}` are code again). Comments are skipped, so a path named in a
 * comment is no violation. A small scanner rather than a regex: quotes inside comments or templates
 * must not shift what counts as a string.
 */
export function stringLiterals(text: string): string[] {
  const out: string[] = [];
  const templates: number[] = []; // brace depth at which each open template's `${` began
  let depth = 0;
  let i = 0;
  const readQuoted = (q: string) => {
    let value = '';
    i++;
    while (i < text.length && text[i] !== q && text[i] !== '\n') {
      if (text[i] === '\\') i++;
      else value += text[i];
      i++;
    }
    i++;
    out.push(value);
  };
  const readTemplatePart = () => {
    let value = '';
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        out.push(value);
        return;
      }
      if (c === '$' && text[i + 1] === '{') {
        i += 2;
        out.push(value);
        templates.push(depth);
        depth++;
        return;
      }
      value += c;
      i++;
    }
    out.push(value);
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else if (c === "'" || c === '"') {
      readQuoted(c);
    } else if (c === '`') {
      i++;
      readTemplatePart();
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        readTemplatePart();
      }
    } else {
      i++;
    }
  }
  return out;
}

function backendPathLiterals(text: string): string[] {
  return stringLiterals(text).filter((value) => BACKEND_PATH.test(value));
}

function cycles(files: readonly SourceFile[]): string[][] {
  const graph = new Map(files.map((f) => [f.path, f.imports]));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f.path)) visit(f.path);
  return found;
}

export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const v: Violation[] = [];
  for (const f of files) {
    const top = f.path.split('/')[0]!;
    const production = !isTest(f.path);
    const front = FRONT_ENDS.find((fe) => f.path.startsWith(`${fe}/`));
    if (production && front) {
      for (const i of f.imports) {
        const entry = FRONT_END_ENTRIES[front]?.includes(i) ?? false;
        if (!i.startsWith('core/') && !i.startsWith(`${front}/`) && !entry)
          v.push({ rule: 'front-end-imports', file: f.path, detail: i });
      }
    }
    if (production && top === 'cli') {
      for (const p of packageImportsOf(f.text))
        if (TUI_PACKAGES.test(p)) v.push({ rule: 'cli-no-ink', file: f.path, detail: p });
    }
    if (production && (top === 'daemon' || top === 'cli')) {
      for (const i of f.imports) {
        if (i.startsWith('server/') || i.startsWith('scripts/'))
          v.push({ rule: 'no-server-or-scripts', file: f.path, detail: i });
      }
    }
    if (f.path.startsWith('daemon/engine/')) {
      for (const i of f.imports) {
        if (i.startsWith('daemon/localapi/'))
          v.push({ rule: 'engine-not-localapi', file: f.path, detail: i });
      }
    }
    if (production && !f.path.startsWith('core/api/')) {
      for (const p of backendPathLiterals(f.text)) v.push({ rule: 'backend-path', file: f.path, detail: p });
    }
  }
  for (const scc of cycles(files)) v.push({ rule: 'cycle', file: scc[0]!, detail: scc.join(' → ') });
  return v;
}
