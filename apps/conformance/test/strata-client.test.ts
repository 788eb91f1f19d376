/**
 * CI: every client-direction case (handshake responses, abrupt drops, groups 1-13) against
 * Strata's `WebSocket` (which offers permessage-deflate by default) and `WebSocketStream`, and
 * the WPT-derived API cases. Fails on any FAIL/NON-STRICT not in the known-failures list.
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_FAILURES } from '../src/known-failures.js';
import { runClientDirection } from '../src/suite.js';
import { strataClient, strataStreamClient } from '../src/targets/clients.js';
import { runWpt } from '../src/wpt/runner.js';
import { expectOnlyKnownFailures } from './helpers.js';

describe('Strata clients under the fuzzing server', () => {
  it('WebSocket', async () => {
    const client = strataClient(true);
    expectOnlyKnownFailures(
      'strata WebSocket',
      await runClientDirection((base) => client.launch(base), {}, { budgetMs: 200_000 }),
    );
  }, 240_000);

  it('WebSocketStream', async () => {
    const client = strataStreamClient(true);
    expectOnlyKnownFailures(
      'strata WebSocketStream',
      await runClientDirection((base) => client.launch(base), {}, { budgetMs: 200_000 }),
    );
  }, 240_000);

  it('abrupt TCP drop after open: close 1006 without an error event (as Chromium)', async () => {
    const client = strataClient(true);
    const outcomes = await runClientDirection((base) => client.launch(base), {
      only: (c) => c.id.startsWith('D.'),
    });
    for (const o of outcomes) {
      expect(o.result, o.reason).toBe('PASS');
      expect(o.events).toEqual(['open', 'close:1006:unclean']);
    }
  });
});

describe('WPT-derived WebSocket API cases', () => {
  it('WebSocket and WebSocketStream', async () => {
    for (const row of await runWpt()) {
      const known = KNOWN_FAILURES[`wpt ${row.api}`] ?? {};
      const failed = row.results.filter((r) => !r.ok);
      expect(
        failed.filter((r) => !(r.name in known)).map((r) => `${r.file}: ${r.name}: ${r.error}`),
        `${row.api}: new failures`,
      ).toEqual([]);
      expect(
        Object.keys(known).filter((name) => !failed.some((r) => r.name === name)),
        `${row.api}: these pass now; remove them from src/known-failures.ts`,
      ).toEqual([]);
    }
  });
});
