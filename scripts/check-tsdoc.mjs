// TSDoc on every export: for each published workspace package (packages/*, not `private`), every
// declaration its export entries expose (the `strata-source` file of each `exports` entry, else
// the file the entry names) must carry a doc comment (`/** ... */`) — read with the TypeScript
// compiler API, so re-exports (`export { x } from`, `export *`) are followed to the declaration
// that needs the comment, wherever it lives.
//
// Usage: node scripts/check-tsdoc.mjs [--root DIR] [--package NAME]... [--list]
//   Prints one line per package: `name: D/N exports documented` (and each missing one with
//   --list or when the check fails); exits 1 when a declaration lacks its comment.
// What counts as documented: a JSDoc comment directly before the declaration (for a variable, its
// `const` statement), on any of its declarations (an overload set or a merged interface counts
// once, documented when one of them is), or, for `export * as ns`, on that export statement.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The compiler options the check reads sources with (the repository's, plus JavaScript). */
const COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  customConditions: ['strata-source'],
  allowJs: true,
  checkJs: false,
  noEmit: true,
  skipLibCheck: true,
  types: [],
};

/** The source file an `exports` entry points to: its `strata-source` condition, else its target. */
function entryFile(target) {
  if (typeof target === 'string') return target;
  if (target === null || typeof target !== 'object') return undefined;
  if (typeof target['strata-source'] === 'string') return target['strata-source'];
  for (const key of ['import', 'node', 'default']) {
    const found = entryFile(target[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The published packages under `root/packages`, each with its entry files (absolute paths). */
export function publishedPackages(root) {
  const dir = join(root, 'packages');
  const packages = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private) continue;
    const entries = [];
    const exportsMap =
      typeof pkg.exports === 'string' || pkg.exports?.['.'] === undefined
        ? { '.': pkg.exports ?? pkg.main }
        : pkg.exports;
    for (const [subpath, target] of Object.entries(exportsMap)) {
      if (subpath.endsWith('package.json')) continue;
      const path = entryFile(target);
      if (path === undefined || !/\.(?:[cm]?[jt]s|tsx)$/.test(path)) continue;
      const abs = resolve(dir, name, path);
      if (existsSync(abs)) entries.push({ subpath, file: abs });
    }
    packages.push({ name: pkg.name, dir: join(dir, name), entries });
  }
  return packages;
}

/** The node whose leading comments hold a declaration's doc comment. */
function commentHolder(decl) {
  if (ts.isVariableDeclaration(decl)) return decl.parent?.parent ?? decl; // the `const` statement
  return decl;
}

/**
 * Whether a `/** ... *\/` comment stands right before `node`: no blank line between them (other
 * comments, e.g. a `// biome-ignore` line, may), so a file's opening comment followed by a blank
 * line documents the file, not its first declaration.
 */
function hasDocComment(node) {
  const sourceFile = node.getSourceFile();
  const text = sourceFile.getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const doc = ranges.findLast(
    (r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith('/**', r.pos),
  );
  if (doc === undefined) return false;
  return !/\n[ \t]*\r?\n/.test(text.slice(doc.end, node.getStart(sourceFile)));
}

/** Whether an exported symbol is documented; `where` says which declaration to fix if not. */
function documented(checker, exported) {
  let symbol = exported;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decls = symbol.declarations ?? [];
  // `export * as ns from './x.js'`: the comment belongs on the export statement.
  if (decls.length > 0 && decls.every((d) => ts.isSourceFile(d))) {
    const alias = (exported.declarations ?? []).map((d) =>
      ts.isNamespaceExport(d) ? d.parent : d,
    );
    return { ok: alias.some(hasDocComment), where: alias[0] ?? decls[0] };
  }
  if (decls.length === 0) return { ok: false, where: undefined };
  return { ok: decls.some((d) => hasDocComment(commentHolder(d))), where: decls[0] };
}

function position(root, node) {
  if (node === undefined) return '?';
  const sourceFile = node.getSourceFile();
  const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return `${relative(root, sourceFile.fileName)}:${line + 1}`;
}

/**
 * Checks the packages (all published ones under `root`, or those named in `only`). Returns, per
 * package, the number of distinct exported declarations, how many are documented, and the
 * missing ones (`subpath`, export name, `file:line` of the declaration to comment).
 */
export function checkTsdoc(root, only = []) {
  const packages = publishedPackages(root).filter(
    (p) => only.length === 0 || only.includes(p.name),
  );
  const files = packages.flatMap((p) => p.entries.map((e) => e.file));
  const program = ts.createProgram(files, COMPILER_OPTIONS);
  const checker = program.getTypeChecker();
  const results = [];
  for (const pkg of packages) {
    const seen = new Map(); // declaration key -> documented
    const missing = [];
    for (const entry of pkg.entries) {
      const sourceFile = program.getSourceFile(entry.file);
      const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
      if (moduleSymbol === undefined) continue; // a file without exports (e.g. a bin script)
      for (const exported of checker.getExportsOfModule(moduleSymbol)) {
        if (exported.escapedName === 'default' && !exported.declarations?.length) continue;
        const { ok, where } = documented(checker, exported);
        const key =
          where === undefined ? `${entry.subpath}:${exported.name}` : position(root, where);
        if (seen.has(key)) continue;
        seen.set(key, ok);
        if (!ok) missing.push({ subpath: entry.subpath, name: exported.name, at: key });
      }
    }
    results.push({
      name: pkg.name,
      total: seen.size,
      documented: seen.size - missing.length,
      missing,
    });
  }
  return results;
}

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const only = [];
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root') root = resolve(argv[++i] ?? '.');
    else if (arg === '--package') only.push(argv[++i] ?? '');
    else if (arg === '--list') list = true;
    else {
      console.error(`check-tsdoc: unknown argument ${arg} (--root DIR, --package NAME, --list)`);
      return 2;
    }
  }
  const results = checkTsdoc(root, only);
  let failed = false;
  for (const r of results) {
    const note = r.missing.length === 0 ? '' : `, ${r.missing.length} without a doc comment`;
    console.log(`${r.name}: ${r.documented}/${r.total} exports documented${note}`);
    if (r.missing.length > 0) failed = true;
  }
  if (failed || list) {
    for (const r of results) {
      for (const m of r.missing) {
        console.log(`  ${r.name}${m.subpath === '.' ? '' : m.subpath.slice(1)} ${m.name}: ${m.at}`);
      }
    }
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
