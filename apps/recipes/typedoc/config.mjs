// The TypeDoc configuration of the API reference (`npm run docs:api`): one module per export
// entry of every published package (packages/*, not private), read from each package.json's
// `exports` (its `strata-source` file), so a new package or subpath is documented without
// editing this file; `names.mjs` names each module after the import users write.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url));

/** `[file, import specifier]` for every published entry point. */
export function publishedEntries() {
  const entries = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private) continue;
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const source =
        typeof target === 'object' && target !== null ? target['strata-source'] : undefined;
      if (typeof source !== 'string' || !source.endsWith('.ts')) continue; // JS packages: cli, demo
      entries.push([
        join(packagesDir, dir, source),
        subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`,
      ]);
    }
  }
  return entries;
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'Strata',
  entryPointStrategy: 'resolve',
  entryPoints: publishedEntries().map(([file]) => file),
  plugin: [fileURLToPath(new URL('./names.mjs', import.meta.url))],
  tsconfig: fileURLToPath(new URL('../tsconfig.typedoc.json', import.meta.url)),
  out: fileURLToPath(new URL('../../../docs/api', import.meta.url)),
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  skipErrorChecking: true,
  validation: { notExported: false, invalidLink: false },
  disableSources: true,
  logLevel: 'Warn',
};
