import { once } from 'node:events';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defineHooks } from '../src/index.js';
import { createHandler } from '../src/node/index.js';

it('echo', async () => {
  const hooks = defineHooks<{ u: string }>({
    upgrade: (req) =>
      req.url.endsWith('/no') ? new Response('nope', { status: 401 }) : { context: { u: 'x' } },
    message: (peer, m) => void peer.send(`${peer.context.u}:${m.text()}`),
  });
  const h = createHandler(hooks, { port: 0 });
  const port = await h.ready;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await once(ws, 'open');
  ws.send('hi');
  const [data] = await once(ws, 'message');
  expect(String(data)).toBe('x:hi');
  ws.close();
  const bad = new WebSocket(`ws://127.0.0.1:${port}/no`);
  const [, res] = await once(bad, 'unexpected-response');
  expect(res.statusCode).toBe(401);
  await h.close({ timeout: 200 });
});
