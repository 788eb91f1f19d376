// The repository's import rules, checked over every workspace (packages/*, apps/*) in one pass
// (part of `npm run lint`; the architecture and the reasons are in docs/architecture.md):
//
// 1. Portable code imports no host: a package whose package.json says
//    `"strata": { "portable": true }` (every source file), or `"portable": ["."]` (the files
//    reachable from those export entries, e.g. permessage-deflate's `.` but not `./node`),
//    imports no Node builtin (`node:*`, `fs`, ...), no `bun:`/`deno:` module, no non-portable
//    entry of another workspace package, has no `/// <reference types="node" />`, and uses no
//    Node global (`Buffer`, `process`, `require`, `__dirname`, `global`, `setImmediate`).
// 2. Arrows point down: every package under packages/ names its layer,
//    `"strata": { "layer": "<name>" }`, one of LAYERS below (apps/* are "app"); a file imports
//    workspace packages of its own layer or lower only.
// 3. Imports are declared (a file outside every workspace that a test reaches by a relative
//    path, e.g. docs/recipes/*.ts, counts as that workspace's test file): a source file
//    imports only packages in its package.json
//    `dependencies`, `peerDependencies` or `optionalDependencies` (or itself); a test or config
//    file may also use `devDependencies`, the root's devDependencies, and a workspace package
//    that depends on its own (declaring that one would be a cycle). A relative import may
//    not reach into another workspace (import it by name), and a declared workspace dependency
//    that no source file imports is reported (remove it or move it to devDependencies). In
//    apps/* and private workspaces, which are not published, the kinds of dependency make no
//    difference: any declared one may be imported by any file, and tests count as sources.
//
// Usage: node scripts/check-imports.mjs [root]   (exit 1 and one line per problem when broken)
// Imports are read with TypeScript's own pre-processor (static, type-only, re-exports, dynamic
// import() and require() with a string literal), plus `import.meta.resolve('x')` read from the
// syntax tree, so comments and strings never count.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The layers, lowest first. Imports may point to the same layer or lower. */
export const LAYERS = ['codec', 'engine', 'extension', 'facade', 'integration', 'app'];

const CODE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', 'coverage', '.turbo']);
const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const NODE_GLOBALS = new Set([
  'Buffer',
  'process',
  'require',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
]);

/** Test, fixture and tooling files: they run in Node under vitest and may use devDependencies. */
function isDevFile(rel) {
  return (
    /(^|\/)(test|tests|__tests__|fixtures)\//.test(rel) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(rel) ||
    /^[^/]*\.config\.[cm]?[jt]s$/.test(rel)
  );
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (CODE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `@scope/name/sub` -> [`@scope/name`, `./sub`]; `name/sub` -> [`name`, `./sub`]. */
function splitSpecifier(spec) {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return [parts.slice(0, n).join('/'), rest === '' ? '.' : `./${rest}`];
}

function isHostModule(spec) {
  if (spec.startsWith('node:') || spec.startsWith('bun:') || spec.startsWith('deno:')) return true;
  return NODE_BUILTINS.has(spec.split('/')[0]) && !spec.startsWith('.');
}

/** Resolves a relative import the way the TS sources are written ('./x.js' is './x.ts'). */
function resolveRelative(fromFile, spec) {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.jsx$/, '.tsx'),
    `${base}.ts`,
    `${base}.js`,
    join(base, 'index.ts'),
    join(base, 'index.js'),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** The source file an export subpath points to (the `strata-source` condition, else default). */
function exportTarget(pkg, subpath) {
  const exp = pkg.json.exports;
  let entry = exp === undefined ? undefined : typeof exp === 'string' ? exp : exp[subpath];
  if (entry === undefined && subpath === '.') entry = pkg.json.main;
  while (entry !== null && typeof entry === 'object') {
    entry = entry['strata-source'] ?? entry.import ?? entry.default ?? Object.values(entry)[0];
  }
  return typeof entry === 'string' ? resolve(pkg.dir, entry) : null;
}

function parseFile(file) {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const imports = info.importedFiles.map((f) => f.fileName);
  if (text.includes('import.meta.resolve')) imports.push(...metaResolved(text, file));
  return { text, imports, info };
}

/** `import.meta.resolve('x')` with a string literal: a dependency as real as an import (a
 * package that serves another package's files finds them this way). */
function metaResolved(text, file) {
  const kind = /\.[cm]?tsx?$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'resolve' &&
      ts.isMetaProperty(node.expression.expression) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Node globals used as identifiers in code (not as a property name, a string or a comment). */
function nodeGlobalsUsed(text, file) {
  const kind = /\.[cm]?tsx?$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found = new Set();
  const visit = (node) => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isName =
        (parent !== undefined && 'name' in parent && parent.name === node) ||
        (parent !== undefined && ts.isQualifiedName(parent) && parent.right === node);
      if (!isName) found.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...found];
}

/** Every workspace package: name, dir, package.json, layer, portable setting. */
function loadWorkspaces(root, problems) {
  const rootJson = readJson(join(root, 'package.json'));
  const byName = new Map();
  for (const pattern of rootJson.workspaces ?? []) {
    const base = pattern.replace(/\/\*$/, '');
    if (!existsSync(join(root, base))) continue;
    for (const entry of readdirSync(join(root, base), { withFileTypes: true })) {
      const dir = join(root, base, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
      const json = readJson(join(dir, 'package.json'));
      const rel = relative(root, dir).split(sep).join('/');
      const isApp = base === 'apps';
      const layer = json.strata?.layer ?? (isApp ? 'app' : undefined);
      if (!LAYERS.includes(layer)) {
        problems.push(
          `${rel}/package.json: "strata": { "layer": ... } must be one of ${LAYERS.join(', ')} (got ${JSON.stringify(layer)})`,
        );
      }
      // Not published (apps, private workspaces): no difference between kinds of dependency.
      const unpublished = isApp || json.private === true;
      byName.set(json.name, { name: json.name, dir, rel, json, layer, unpublished });
    }
  }
  return { rootJson, byName };
}

/** The files that must stay portable: all sources, or those reachable from portable entries. */
function portableFiles(pkg, sources, problems) {
  const setting = pkg.json.strata?.portable;
  if (setting === undefined || setting === false) return new Set();
  if (setting === true) return new Set(sources.filter((f) => !isDevFile(relative(pkg.dir, f))));
  if (!Array.isArray(setting)) {
    problems.push(`${pkg.rel}/package.json: "strata.portable" must be true or a list of exports`);
    return new Set();
  }
  const reached = new Set();
  const queue = [];
  for (const subpath of setting) {
    const target = exportTarget(pkg, subpath);
    if (target === null || !existsSync(target)) {
      problems.push(`${pkg.rel}/package.json: portable export ${subpath} has no source file`);
    } else queue.push(target);
  }
  while (queue.length > 0) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    for (const spec of parseFile(file).imports) {
      if (!spec.startsWith('.')) continue;
      const next = resolveRelative(file, spec);
      if (next?.startsWith(pkg.dir + sep)) queue.push(next);
    }
  }
  return reached;
}

/**
 * Whether workspace package `from` depends on `to` through dependencies or devDependencies,
 * directly or not. A test may use such a package undeclared (an interop test of the client
 * against the server that itself tests against the client): declaring it would be a cycle,
 * which npm workspaces and turbo refuse.
 */
function dependsOn(byName, from, to) {
  const seen = new Set();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.pop();
    if (name === to) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    const json = byName.get(name)?.json;
    if (json === undefined) continue;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const dep of Object.keys(json[field] ?? {})) if (byName.has(dep)) queue.push(dep);
    }
  }
  return false;
}

/** Whether a workspace package's export subpath is a portable entry. */
function isPortableEntry(pkg, subpath) {
  const setting = pkg.json.strata?.portable;
  return setting === true || (Array.isArray(setting) && setting.includes(subpath));
}

/**
 * Checks the rules over the repository at `root`.
 * @returns {string[]} one message per broken rule, `path: what is wrong`
 */
export function checkImports(root) {
  const problems = [];
  const { rootJson, byName } = loadWorkspaces(root, problems);
  const rootDev = new Set(Object.keys(rootJson.devDependencies ?? {}));
  const workspaceDirs = [...byName.values()].map((p) => p.dir + sep);

  for (const pkg of byName.values()) {
    const declared = new Set([
      ...Object.keys(pkg.json.dependencies ?? {}),
      ...Object.keys(pkg.json.peerDependencies ?? {}),
      ...Object.keys(pkg.json.optionalDependencies ?? {}),
    ]);
    const dev = new Set(Object.keys(pkg.json.devDependencies ?? {}));
    const sources = walk(pkg.dir);
    const portable = portableFiles(pkg, sources, problems);
    const usedBySource = new Set();

    // Files outside every workspace that a test reaches by a relative path (docs/recipes/*.ts
    // driven by apps/recipes' tests, the root vitest.shared.ts) are checked as that
    // workspace's test files: their imports must be declared by it.
    const queue = sources.map((file) => ({ file, outside: false }));
    const seen = new Set(sources);
    for (let q = 0; q < queue.length; q++) {
      const { file, outside } = queue[q];
      const rel = relative(pkg.dir, file).split(sep).join('/');
      const where = outside ? relative(root, file).split(sep).join('/') : `${pkg.rel}/${rel}`;
      const devFile = outside || isDevFile(rel);
      const mustBePortable = portable.has(file);
      const { text, imports, info } = parseFile(file);

      if (mustBePortable) {
        for (const ref of info.typeReferenceDirectives) {
          if (ref.fileName === 'node' || ref.fileName.startsWith('node/')) {
            problems.push(`${where}: portable file references Node's types ("${ref.fileName}")`);
          }
        }
        for (const name of nodeGlobalsUsed(text, file)) {
          problems.push(`${where}: portable file uses the Node global ${name}`);
        }
      }

      for (const spec of imports) {
        // '/x.js' is a URL path (code a test evaluates in a browser page), not a file.
        if (spec.startsWith('/')) continue;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          const inOther = workspaceDirs.find((d) => target.startsWith(d) && d !== pkg.dir + sep);
          if (inOther !== undefined) {
            problems.push(
              `${where}: imports ${spec}, a file of another workspace (import it by its package name)`,
            );
          } else if (!target.startsWith(pkg.dir + sep)) {
            if (!devFile) problems.push(`${where}: imports ${spec}, outside its package`);
            const reached = resolveRelative(file, spec);
            if (
              reached !== null &&
              !seen.has(reached) &&
              !reached.includes(`${sep}node_modules${sep}`)
            ) {
              seen.add(reached);
              queue.push({ file: reached, outside: true });
            }
          }
          continue;
        }
        if (isHostModule(spec)) {
          if (mustBePortable) problems.push(`${where}: portable file imports ${spec}`);
          continue;
        }
        const [name, subpath] = splitSpecifier(spec);
        if (name === pkg.name) continue;
        const target = byName.get(name);
        const allowed =
          declared.has(name) ||
          (pkg.unpublished && dev.has(name)) ||
          (devFile && (dev.has(name) || rootDev.has(name) || dependsOn(byName, name, pkg.name)));
        if (!allowed) {
          const list = devFile ? 'dependencies or devDependencies' : 'dependencies';
          problems.push(
            `${where}: imports ${spec} but ${pkg.rel}/package.json has no ${name} in its ${list}`,
          );
        }
        if (!devFile || pkg.unpublished) usedBySource.add(name);
        if (target === undefined) continue;
        if (
          LAYERS.includes(pkg.layer) &&
          LAYERS.includes(target.layer) &&
          LAYERS.indexOf(target.layer) > LAYERS.indexOf(pkg.layer)
        ) {
          problems.push(
            `${where}: imports ${name} (layer ${target.layer}) from layer ${pkg.layer}: arrows point down`,
          );
        }
        if (mustBePortable && !isPortableEntry(target, subpath)) {
          problems.push(`${where}: portable file imports ${spec}, which is not a portable entry`);
        }
      }
    }

    for (const name of Object.keys(pkg.json.dependencies ?? {})) {
      if (byName.has(name) && !usedBySource.has(name)) {
        const fix = pkg.unpublished ? 'remove it' : 'remove it, or make it a devDependency';
        problems.push(
          `${pkg.rel}/package.json: depends on ${name} but no source file imports it (${fix})`,
        );
      }
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const problems = checkImports(root);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-imports: ${problems.length} problem(s); rules in docs/architecture.md`);
    process.exit(1);
  }
  console.log('check-imports: every import follows the rules (docs/architecture.md)');
}
