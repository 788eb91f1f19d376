// The shared behaviour suite against the Workers adapter in workerd (miniflare 4 from npm runs
// it locally): the fixture is bundled once with esbuild (the `strata-source` condition, so the
// TypeScript sources), then served in both modes — a Durable Object on the hibernation API and
// a plain fetch handler. Skipped cases are what the Workers runtime cannot do (README).
import { Miniflare } from 'miniflare';
import { beforeAll } from 'vitest';
import { type CaseName, defineBehaviourSuite } from '../suite/cases.js';
import { bundleForWorkerd } from './bundle.js';

let script = '';

beforeAll(async () => {
  script = await bundleForWorkerd('./fixture.ts');
}, 30_000);

function start(mode: 'durable' | 'fetch') {
  return async () => {
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2026-07-01',
      durableObjects: { ROOM: 'SuiteRoom' },
      bindings: { MODE: mode },
      host: '127.0.0.1',
      port: 0,
    });
    const url = await mf.ready;
    return { url: `ws://127.0.0.1:${url.port}`, stop: () => mf.dispose() };
  };
}

/** What the Workers runtime cannot do, whichever mode (README: "What differs on Workers"). */
const skip: Partial<Record<CaseName, string>> = {
  terminate:
    'a Workers WebSocket cannot drop the TCP connection: terminate() sends a 1001 close frame (the close hook still gets 1006 at once)',
  'non-reading peer':
    'a Workers WebSocket has no bufferedAmount: the send queue cannot be measured, so it is neither bounded nor reported',
  drain: 'a Workers WebSocket has no bufferedAmount and no drain event: send never answers -1',
};

defineBehaviourSuite('workers (Durable Object, hibernation API)', start('durable'), { skip });

defineBehaviourSuite('workers (fetch handler)', start('fetch'), {
  skip: {
    ...skip,
    topics:
      'a WebSocket belongs to the request that accepted it: another request cannot send on it, so topics across clients need the Durable Object mode',
  },
});
