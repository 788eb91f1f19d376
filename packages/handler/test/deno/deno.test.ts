// The shared behaviour suite against the Deno adapter in Deno (the npm package's binary), in
// both modes: each mode's fixture (`fixture.ts`) runs in its own Deno process, driven from
// Node by real clients. Skipped cases are the measured differences of native mode (README).

import { defineAdapterCases, defineCompressionCase } from '../runtimes/adapter-cases.js';
import { DENO, startRuntime } from '../runtimes/process.js';
import { defineBehaviourSuite } from '../suite/cases.js';

function start(mode: 'native' | 'strata') {
  return async () => {
    const server = await startRuntime(DENO, [
      'run',
      '--allow-net',
      '--allow-read',
      '--allow-env',
      '--conditions=strata-source',
      '--sloppy-imports',
      'test/deno/fixture.ts',
      mode,
    ]);
    return { url: `ws://127.0.0.1:${server.port}`, stop: server.stop };
  };
}

defineBehaviourSuite('deno (strata mode)', start('strata'));

defineBehaviourSuite('deno (native mode)', start('native'), {
  skip: {
    terminate:
      "Deno's WebSocket cannot drop the TCP connection: terminate() sends a 1001 close frame (the close hook still gets 1006 at once) (README: What differs in native mode)",
  },
});

for (const mode of ['strata', 'native'] as const) {
  defineAdapterCases(`deno (${mode} mode)`, () =>
    startRuntime(DENO, [
      'run',
      '--allow-net',
      '--allow-read',
      '--allow-env',
      '--conditions=strata-source',
      '--sloppy-imports',
      'test/deno/fixture.ts',
      mode,
    ]),
  );
}

defineCompressionCase('deno (strata mode)', () =>
  startRuntime(DENO, [
    'run',
    '--allow-net',
    '--allow-read',
    '--allow-env',
    '--conditions=strata-source',
    '--sloppy-imports',
    'test/deno/echo-server.ts',
    'strata',
    'deflate',
  ]),
);
