/**
 * The runtime export surface of both entry points, and the portability of `.`: no file
 * outside src/node/ may use a host API (node:*, Buffer, process), so the negotiation runs
 * in browsers, Workers, Deno and Bun unchanged.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as portable from '../src/index.js';
import * as node from '../src/node/index.js';

describe('export surface', () => {
  it('`.` exports exactly the negotiation', () => {
    expect(Object.keys(portable).sort()).toEqual(
      [
        'PERMESSAGE_DEFLATE',
        'PerMessageDeflateClient',
        'PerMessageDeflateServer',
        'parseWindowBits',
      ].sort(),
    );
    expect(portable.PERMESSAGE_DEFLATE).toBe('permessage-deflate');
  });

  it('`./node` exports the engine, the limiter and the negotiators', () => {
    expect(Object.keys(node).sort()).toEqual(
      [
        'PERMESSAGE_DEFLATE',
        'PerMessageDeflate',
        'PerMessageDeflateClient',
        'PerMessageDeflateServer',
        'ZlibLimiter',
        'createPerMessageDeflate',
        'deflateFresh',
        'releasePooledZlibStreams',
        'sharedZlibLimiter',
      ].sort(),
    );
    expect(node.PerMessageDeflateServer).toBe(portable.PerMessageDeflateServer);
    expect(node.sharedZlibLimiter()).toBe(node.sharedZlibLimiter());
  });
});

describe('portability of the `.` entry point', () => {
  const src = join(import.meta.dirname, '..', 'src');
  const files = readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

  it('has sources to check', () => {
    expect(files).toEqual(
      expect.arrayContaining(['index.ts', 'client.ts', 'server.ts', 'params.ts']),
    );
  });

  for (const file of files) {
    it(`${file} uses no node:*, Buffer or process`, () => {
      // Comments may mention them; code may not.
      const code = readFileSync(join(src, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/['"]node:/);
      expect(code).not.toMatch(/\bBuffer\b/);
      expect(code).not.toMatch(/\bprocess\b/);
      expect(code).not.toMatch(/from\s+['"](?!\.\/)[^'"]+['"]/); // imports only its own portable files
      expect(code).not.toMatch(/from\s+['"]\.\/node\//);
    });
  }
});
