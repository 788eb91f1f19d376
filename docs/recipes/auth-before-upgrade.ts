// Recipe: authenticate BEFORE the 101. The `authenticate` hook runs on the upgrade request; a
// refusal is a real HTTP answer (401 with a body), so no WebSocket is ever opened for an
// unknown client, and what the hook returns becomes `ws.data` on the connection.
import { WebSocketServer } from 'strata-ws';

/** Who a token belongs to (your session store, a JWT check ...). */
export type LookUp = (token: string) => Promise<{ name: string } | undefined>;

/** Starts a server on `port` (0: a free one) that only lets known tokens in. */
export function createAuthServer(port: number, lookUp: LookUp): WebSocketServer<{ name: string }> {
  const wss = new WebSocketServer<{ name: string }>({
    port,
    host: '127.0.0.1',
    authenticate: async (req) => {
      // Browsers cannot set headers on a WebSocket: accept the token in the query as well.
      const url = new URL(req.url ?? '/', 'http://localhost');
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
      const user = token ? await lookUp(token) : undefined;
      if (user === undefined) {
        return {
          reject: { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'unknown token' },
        };
      }
      return { accept: { data: user } };
    },
  });
  wss.on('connection', (ws) => {
    ws.send(`hello ${ws.data.name}`);
  });
  return wss;
}
