// The shared behaviour suite against the Node adapter, in-process, in its three modes: on its
// own port (the server's HTTP/1.1 listener), attached to a node:http server, and called by
// `handleUpgrade` from a framework's upgrade listener.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../src/node/index.js';
import { defineBehaviourSuite } from './suite/cases.js';
import { behaviourHooks, SUITE_OPTIONS } from './suite/hooks.js';

defineBehaviourSuite('node (own port)', async () => {
  const handler = createHandler(behaviourHooks, { ...SUITE_OPTIONS, port: 0, host: '127.0.0.1' });
  const port = await handler.ready;
  return {
    url: `ws://127.0.0.1:${port}`,
    stop: async () => {
      await handler.close({ timeout: 500 });
    },
  };
});

defineBehaviourSuite('node (attached to node:http)', async () => {
  const http = createServer((_req, res) => res.end('plain http'));
  const handler = createHandler(behaviourHooks, { ...SUITE_OPTIONS, server: http });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: async () => {
      await handler.close({ timeout: 500 });
      await new Promise((resolve) => http.close(resolve));
    },
  };
});

defineBehaviourSuite('node (handleUpgrade)', async () => {
  const http = createServer((_req, res) => res.end('plain http'));
  const handler = createHandler(behaviourHooks, SUITE_OPTIONS);
  http.on('upgrade', (req, socket, head) => handler.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: async () => {
      await handler.close({ timeout: 500 });
      await new Promise((resolve) => http.close(resolve));
    },
  };
});
