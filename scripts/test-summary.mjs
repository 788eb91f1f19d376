// Folds every workspace's test reports into one closing line, `N passed, N failed`, so CI
// (and a person) can read the whole run's outcome at a glance. Exits non-zero when any test
// failed or when no report was found at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    const results = join(dir, name, 'test-results');
    if (!existsSync(results)) continue;
    for (const file of readdirSync(results).filter((f) => f.endsWith('.json'))) {
      const report = JSON.parse(readFileSync(join(results, file), 'utf8'));
      // vitest's JSON reporter, or the runtime-tests harness ({ passed, failed, skipped }).
      const p = report.numPassedTests ?? report.passed ?? 0;
      const f = report.numFailedTests ?? report.failed ?? 0;
      const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0) + (report.skipped ?? 0);
      passed += p;
      failed += f;
      skipped += s;
      lines.push(`  ${group}/${name}/${file}: ${p} passed, ${f} failed, ${s} skipped`);
    }
  }
}
console.log('Test reports:');
console.log(lines.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || passed === 0) process.exit(1);
