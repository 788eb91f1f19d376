/**
 * `npm run report -w @strata-ws/conformance`: runs the whole matrix and rewrites REPORT.md
 * (CONFORMANCE_ONLY=name,... runs a part and writes REPORT.partial.md instead).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { clientHandshakeCases, serverHandshakeCases } from '../src/cases/handshake.js';
import { dropCases } from '../src/fuzz-server.js';
import { runMatrix } from '../src/matrix.js';
import { renderReport } from '../src/report.js';
import { allCases } from '../src/suite.js';

it('writes REPORT.md', async () => {
  const caseCounts: Record<string, number> = {};
  for (const c of [
    ...serverHandshakeCases(),
    ...clientHandshakeCases(),
    ...dropCases(),
    ...allCases(),
  ])
    caseCounts[c.group] = (caseCounts[c.group] ?? 0) + 1;
  caseCounts['H2 RFC 8441'] = 24;
  const result = await runMatrix((line) => console.log(line));
  const partial = Boolean(process.env.CONFORMANCE_ONLY);
  const text = renderReport({
    ...result,
    caseCounts,
    generated: `${new Date().toISOString().slice(0, 16)}Z on Node ${process.version}`,
    command: 'npm run report -w @strata-ws/conformance',
  });
  const file = fileURLToPath(
    new URL(partial ? '../REPORT.partial.md' : '../REPORT.md', import.meta.url),
  );
  writeFileSync(file, text);
  writeFileSync(
    fileURLToPath(new URL('../test-results/matrix.json', import.meta.url)),
    JSON.stringify(result, null, 1),
  );
  console.log(`wrote ${file}`);
});
