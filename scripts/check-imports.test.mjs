// Tests of scripts/check-imports.mjs on fixture trees written to a temporary directory (never on
// the real tree): a clean tree passes, and each broken rule is reported with its file.
// Usage: node --test scripts/ (part of `npm run lint`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkImports } from './check-imports.mjs';

const roots = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** The same problems, in any order. */
const same = (actual, expected) => assert.deepEqual([...actual].sort(), [...expected].sort());

const source = (entry) => ({ '.': { 'strata-source': entry, default: entry } });

/** A small repository shaped like this one: a portable codec, an engine, an extension with a
 * portable `.` and a Node `./node`, a facade and an app. `changes` overwrite or add files
 *. */
function fixture(changes = {}) {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  roots.push(root);
  const pkg = (name, strata, deps = {}, extra = {}) =>
    JSON.stringify({ name, type: 'module', dependencies: deps, strata, ...extra });
  const files = {
    'package.json': JSON.stringify({
      name: 'root',
      private: true,
      workspaces: ['packages/*', 'apps/*'],
      devDependencies: { vitest: '*', ws: '*' },
    }),
    'packages/codec/package.json': pkg(
      '@x/codec',
      { layer: 'codec', portable: true },
      {},
      { exports: source('./src/index.ts') },
    ),
    'packages/codec/src/index.ts':
      "/** A comment may say Buffer and node:fs. */\nexport const x = 'process';\n",
    'packages/codec/test/a.test.ts':
      "import { x } from '../src/index.js';\nimport 'node:fs';\nimport 'vitest';\nBuffer.from(x);\n",
    'packages/engine/package.json': pkg(
      '@x/engine',
      { layer: 'engine', portable: true },
      { '@x/codec': '*' },
      { exports: source('./src/index.ts') },
    ),
    'packages/engine/src/index.ts':
      "export { x } from '@x/codec';\nexport type { Y } from './y.js';\n",
    'packages/engine/src/y.ts': 'export interface Y { process: number }\n',
    'packages/ext/package.json': pkg(
      '@x/ext',
      { layer: 'extension', portable: ['.'] },
      { '@x/engine': '*' },
      {
        exports: {
          ...source('./src/index.ts'),
          './node': { 'strata-source': './src/node/index.ts' },
        },
      },
    ),
    'packages/ext/src/index.ts': "import { x } from '@x/engine';\nexport const n = x;\n",
    'packages/ext/src/node/index.ts':
      "import { deflateSync } from 'node:zlib';\nexport { n } from '../index.js';\nexport const d = deflateSync;\n",
    'packages/facade/package.json': pkg(
      '@x/facade',
      { layer: 'facade' },
      { '@x/ext': '*', '@x/engine': '*' },
      { exports: source('./src/index.ts') },
    ),
    'packages/facade/src/index.ts':
      "import { d } from '@x/ext/node';\nimport { x } from '@x/engine';\nimport { createServer } from 'node:net';\nexport const f = [d, x, createServer, process.env];\n",
    'apps/demo/package.json': pkg('@x/demo', undefined, { '@x/facade': '*' }),
    'apps/demo/src/main.js': "import { f } from '@x/facade';\nconsole.log(f);\n",
  };
  for (const [path, text] of Object.entries({ ...files, ...changes })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('check-imports', () => {
  it('passes a tree that follows the rules (tests may use node:*, Buffer and root devDependencies)', () => {
    assert.deepEqual(checkImports(fixture()), []);
  });

  it('reports a portable package importing a Node builtin, with or without node:', () => {
    const problems = checkImports(
      fixture({
        'packages/codec/src/a.ts':
          "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
        'packages/engine/src/b.ts': "export { EventEmitter } from 'events';\n",
      }),
    );
    same(problems, [
      'packages/codec/src/a.ts: portable file imports node:fs',
      'packages/engine/src/b.ts: portable file imports events',
    ]);
  });

  it('reports Node globals and Node type references in portable code, not in comments or strings', () => {
    const problems = checkImports(
      fixture({
        'packages/codec/src/g.ts':
          '/// <reference types="node" />\n// Buffer in a comment\nexport const g = (a: Uint8Array) => Buffer.from(a);\n',
        'packages/engine/src/h.ts': "export const h = () => ({ process: 'process' }).process;\n",
      }),
    );
    same(problems, [
      'packages/codec/src/g.ts: portable file references Node\'s types ("node")',
      'packages/codec/src/g.ts: portable file uses the Node global Buffer',
    ]);
  });

  it('checks only the files reachable from the portable entries of a partly portable package', () => {
    const problems = checkImports(
      fixture({
        'packages/ext/src/index.ts':
          "import { x } from '@x/engine';\nimport { p } from './p.js';\nexport const n = [x, p];\n",
        'packages/ext/src/p.ts':
          "import { inflateSync } from 'node:zlib';\nexport const p = inflateSync;\n",
      }),
    );
    same(problems, ['packages/ext/src/p.ts: portable file imports node:zlib']);
  });

  it('reports a portable file importing the Node entry of a package', () => {
    const problems = checkImports(
      fixture({
        'packages/facade/package.json': JSON.stringify({
          name: '@x/facade',
          dependencies: { '@x/ext': '*', '@x/engine': '*' },
          strata: { layer: 'facade', portable: true },
        }),
      }),
    );
    same(problems, [
      'packages/facade/src/index.ts: portable file uses the Node global process',
      'packages/facade/src/index.ts: portable file imports @x/ext/node, which is not a portable entry',
      'packages/facade/src/index.ts: portable file imports node:net',
    ]);
  });

  it('reports an arrow pointing up the layers, even when declared', () => {
    const problems = checkImports(
      fixture({
        'packages/engine/package.json': JSON.stringify({
          name: '@x/engine',
          dependencies: { '@x/codec': '*', '@x/facade': '*' },
          strata: { layer: 'engine', portable: true },
        }),
        'packages/engine/src/up.ts': "export { f } from '@x/facade';\n",
      }),
    );
    same(problems, [
      'packages/engine/src/up.ts: imports @x/facade (layer facade) from layer engine: arrows point down',
      'packages/engine/src/up.ts: portable file imports @x/facade, which is not a portable entry',
    ]);
  });

  it("reports an undeclared import (a source file may not use devDependencies, an app not the root's)", () => {
    const problems = checkImports(
      fixture({
        'packages/engine/src/u.ts':
          "export { n } from '@x/ext';\nexport { describe } from 'vitest';\n",
        'packages/facade/src/dyn.ts': "export const ws = () => import('ws');\n",
        'apps/demo/src/bench.js': "import { WebSocket } from 'ws';\nexport default WebSocket;\n",
      }),
    );
    same(problems, [
      'packages/engine/src/u.ts: imports @x/ext but packages/engine/package.json has no @x/ext in its dependencies',
      'packages/engine/src/u.ts: imports @x/ext (layer extension) from layer engine: arrows point down',
      'packages/engine/src/u.ts: imports vitest but packages/engine/package.json has no vitest in its dependencies',
      'packages/facade/src/dyn.ts: imports ws but packages/facade/package.json has no ws in its dependencies',
      'apps/demo/src/bench.js: imports ws but apps/demo/package.json has no ws in its dependencies',
    ]);
  });

  it('reports a relative import into another workspace, a declared workspace dependency never imported, a package without a layer', () => {
    const problems = checkImports(
      fixture({
        'packages/facade/src/index.ts':
          "import { d } from '@x/ext/node';\nexport { x } from '../../codec/src/index.js';\nexport const f = d;\n",
        'packages/lost/package.json': JSON.stringify({ name: '@x/lost' }),
      }),
    );
    same(problems, [
      'packages/lost/package.json: "strata": { "layer": ... } must be one of codec, engine, extension, facade, integration, app (got undefined)',
      'packages/facade/src/index.ts: imports ../../codec/src/index.js, a file of another workspace (import it by its package name)',
      'packages/facade/package.json: depends on @x/engine but no source file imports it (remove it, or make it a devDependency)',
    ]);
  });

  it('counts import.meta.resolve of a literal as an import (declared: used; undeclared: reported)', () => {
    const problems = checkImports(
      fixture({
        'packages/facade/src/index.ts':
          "import { d } from '@x/ext/node';\n// import.meta.resolve('@x/codec') in a comment is no import\n" +
          "export const f = [d, import.meta.resolve('@x/engine/package.json'), import.meta.resolve('@x/ext')];\n" +
          "export const g = import.meta.resolve('@x/lost');\n",
      }),
    );
    same(problems, [
      'packages/facade/src/index.ts: imports @x/lost but packages/facade/package.json has no @x/lost in its dependencies',
    ]);
  });

  it("checks files outside every workspace that a test reaches, as that workspace's", () => {
    const problems = checkImports(
      fixture({
        'apps/demo/test/recipe.test.js': "import { run } from '../../../docs/recipe.js';\nrun();\n",
        'docs/recipe.js':
          "import { f } from '@x/facade';\nimport { e } from '@x/engine';\nexport const run = () => [f, e];\n",
      }),
    );
    same(problems, [
      'docs/recipe.js: imports @x/engine but apps/demo/package.json has no @x/engine in its dependencies or devDependencies',
    ]);
  });

  it('exits 1 and prints each problem from the command line', () => {
    const root = fixture({ 'packages/codec/src/bad.ts': "import 'node:os';\n" });
    const run = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'check-imports.mjs'), root],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /packages\/codec\/src\/bad\.ts: portable file imports node:os/);
    const clean = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'check-imports.mjs'), fixture()],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(clean.status, 0, clean.stderr);
  });
});
