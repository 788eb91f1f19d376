// Tests of scripts/check-tsdoc.mjs on fixture packages written to a temporary directory (never on
// the real tree): documented exports pass, and each kind of undocumented export is reported with
// the declaration to comment, across re-exports and subpath entries.
// Usage: node --test scripts/check-tsdoc.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkTsdoc } from './check-tsdoc.mjs';

const roots = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A repository with one package `@x/a` whose files are `files` (relative to packages/a). */
function fixture(files, pkgExtra = {}) {
  const root = mkdtempSync(join(tmpdir(), 'check-tsdoc-'));
  roots.push(root);
  const all = {
    'packages/a/package.json': JSON.stringify({
      name: '@x/a',
      type: 'module',
      exports: {
        '.': { 'strata-source': './src/index.ts', default: './dist/index.js' },
        './extra': { 'strata-source': './src/extra.js', default: './dist/extra.js' },
        './package.json': './package.json',
      },
      ...pkgExtra,
    }),
    'packages/hidden/package.json': JSON.stringify({
      name: '@x/hidden',
      private: true,
      exports: { '.': './src/index.ts' },
    }),
    'packages/hidden/src/index.ts': 'export const undocumented = 1;\n',
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`packages/a/${k}`, v])),
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const documentedFiles = {
  'src/index.ts': [
    '// The entry (a line comment is not a doc comment).',
    "export { helper, type Shape } from './inner.js';",
    "export * from './star.js';",
    "/** The namespace. */ export * as ns from './ns.js';",
    '/** A constant. */',
    'export const answer = 42;',
    '/** Overloads: one comment is enough. */',
    'export function over(a: string): string;',
    'export function over(a: number): number;',
    'export function over(a: unknown): unknown { return a; }',
    '/** A class. */',
    'export class Thing {}',
    '/** An enum-like type. */',
    '// biome-ignore lint/style/useNamingConvention: a directive between doc and declaration',
    "export type Kind = 'a' | 'b';",
    '',
  ].join('\n'),
  'src/inner.ts': [
    "import { x } from './star.js';",
    '/** Helps. */',
    'export function helper(): number { return x; }',
    '/** A shape. */',
    'export interface Shape { /** not required on members */ n: number }',
    '',
  ].join('\n'),
  'src/star.ts': '/** x. */\nexport const x = 1;\n',
  'src/ns.ts': 'export const inNamespace = 1;\n',
  'src/extra.js': '/** From JavaScript. */\nexport function extra() {}\n',
};

describe('check-tsdoc', () => {
  it('counts each documented export once, following re-exports; private packages are skipped', () => {
    const results = checkTsdoc(fixture(documentedFiles));
    assert.deepEqual(
      results.map((r) => ({ ...r, missing: r.missing.length })),
      [{ name: '@x/a', total: 9, documented: 9, missing: 0 }],
    );
  });

  it('reports each undocumented declaration at its own file and line, for every kind', () => {
    const root = fixture({
      ...documentedFiles,
      'src/index.ts': `${documentedFiles['src/index.ts']}export let bare = 1;\n/* not a doc comment */\nexport class Plain {}\nexport * as ns2 from './ns.js';\n`,
      'src/inner.ts': documentedFiles['src/inner.ts'].replace('/** A shape. */\n', ''),
      'src/extra.js': 'export function extra() {}\n',
    });
    const [result] = checkTsdoc(root);
    assert.equal(result.total, 12);
    assert.equal(result.documented, 7);
    assert.deepEqual(
      result.missing.map((m) => `${m.subpath} ${m.name} ${m.at}`).sort(),
      [
        '. Plain packages/a/src/index.ts:18',
        '. Shape packages/a/src/inner.ts:4',
        '. bare packages/a/src/index.ts:16',
        '. ns2 packages/a/src/index.ts:19',
        './extra extra packages/a/src/extra.js:1',
      ].sort(),
    );
  });

  it('the command prints one line per package and exits 1 when a comment is missing', () => {
    const script = fileURLToPath(new URL('./check-tsdoc.mjs', import.meta.url));
    const clean = spawnSync(process.execPath, [script, '--root', fixture(documentedFiles)], {
      encoding: 'utf8',
    });
    assert.equal(clean.status, 0, clean.stderr);
    assert.equal(clean.stdout, '@x/a: 9/9 exports documented\n');
    // A file's opening comment, then a blank line, documents the file, not its first export.
    const broken = fixture({
      ...documentedFiles,
      'src/star.ts': '/** The file. */\n\nexport const x = 1;\n',
    });
    const failed = spawnSync(process.execPath, [script, '--root', broken], { encoding: 'utf8' });
    assert.equal(failed.status, 1);
    assert.equal(
      failed.stdout,
      '@x/a: 8/9 exports documented, 1 without a doc comment\n  @x/a x: packages/a/src/star.ts:3\n',
    );
  });
});
