/**
 * Types: programs written against `ws` and @types/ws (test/types/program.ts for ESM,
 * program-cjs.cts for `import ws = require('ws')`) compile unchanged against @types/ws and
 * against this package's own declarations (`ws` mapped to src/index.ts and to
 * cjs/index.d.cts). A missing member or an incompatible signature fails here.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dir = fileURLToPath(new URL('./types/', import.meta.url));

function typecheck(config: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', `${dir}${config}`], (error, stdout) => {
      resolve(error === null ? '' : stdout || String(error));
    });
  });
}

describe.concurrent('a program typed against @types/ws', () => {
  it.each([
    ['tsconfig.ws.json', 'ESM and CommonJS programs, against @types/ws'],
    ['tsconfig.strata.json', 'ESM program, against @strata-ws/ws (src)'],
    ['tsconfig.strata-cjs.json', 'CommonJS program, against @strata-ws/ws (cjs/index.d.cts)'],
  ])(
    '%s (%s) compiles',
    async (config) => {
      expect(await typecheck(config)).toBe('');
    },
    60_000,
  );
});
