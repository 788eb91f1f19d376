// The workerd tests' one build step: a fixture bundled with esbuild into one ES module for
// miniflare, resolved as workerd resolves packages (`workerd`/`worker`/`browser` conditions)
// and on the TypeScript sources (`strata-source`), so the tests run the code as it is.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The source of `fixture` (a file next to this one) bundled for workerd. */
export async function bundleForWorkerd(fixture: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(fixture, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['strata-source', 'workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}
