// Test support: lets a plain `node` child process (node:cluster workers, forked Redis peers)
// run the workspace's TypeScript sources, as vitest does in-process: resolution adds the
// `strata-source` export condition, `.js` specifiers fall back to their `.ts` source, and `.ts`
// files are transpiled with the repository's own TypeScript (types stripped, nothing checked).
// Use: `node --import <this file> script.mjs` (node:cluster passes execArgv on to workers).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && !globalThis.__strataTsLoader) {
  globalThis.__strataTsLoader = true;
  register(import.meta.url);
}

let ts;
// Transpiled files are cached by path, size and mtime: a child process then starts in
// milliseconds instead of loading TypeScript (~2 s on this machine).
const cacheDir = join(tmpdir(), 'strata-ts-loader-cache');

export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('strata-source')
    ? context.conditions
    : ['strata-source', ...context.conditions];
  try {
    return await next(specifier, { ...context, conditions });
  } catch (error) {
    const fromTs = context.parentURL?.endsWith('.ts');
    if (fromTs && specifier.startsWith('.') && specifier.endsWith('.js')) {
      return next(`${specifier.slice(0, -3)}.ts`, { ...context, conditions });
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const file = new URL(url);
  const info = await stat(file);
  const key = createHash('sha1').update(`${url}|${info.size}|${info.mtimeMs}`).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {}
  ts ??= (await import('typescript')).default;
  const source = await readFile(file, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}`;
  await writeFile(partial, outputText);
  await rename(partial, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}
