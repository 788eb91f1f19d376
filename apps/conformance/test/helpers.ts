/**
 * The CI check against the known-failures list: the set of Strata's non-PASS results must be
 * exactly the listed one, so a new failure fails the test and a fix tells you to remove its
 * entry.
 */
import { expect } from 'vitest';
import type { Outcome } from '../src/cases/types.js';
import { KNOWN_FAILURES } from '../src/known-failures.js';

/** Asserts that the FAIL and NON-STRICT results of `row` are exactly its known failures. */
export function expectOnlyKnownFailures(
  row: string,
  outcomes: Outcome[],
  allowUnsupported: (o: Outcome) => boolean = () => false,
): void {
  const bad = outcomes.filter(
    (o) =>
      o.result === 'FAIL' ||
      o.result === 'NON-STRICT' ||
      (o.result === 'UNSUPPORTED' && !allowUnsupported(o)),
  );
  const known = KNOWN_FAILURES[row] ?? {};
  const unexpected = bad
    .filter((o) => !(o.id in known))
    .map((o) => `${o.id} ${o.result} (${o.title}): ${o.reason}`);
  const fixed = Object.keys(known).filter((id) => !bad.some((o) => o.id === id));
  expect(
    unexpected,
    `${row}: new non-PASS results (fix them, or list them in src/known-failures.ts with an issue)`,
  ).toEqual([]);
  expect(
    fixed,
    `${row}: these known failures PASS now; remove them from src/known-failures.ts`,
  ).toEqual([]);
}
