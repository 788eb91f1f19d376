// The CommonJS form of a ws program (require('ws') with `export =` types): compiled against
// @types/ws and against @strata-ws/ws's cjs/index.d.cts by types.test.ts.
import WebSocket = require('ws');

const wss = new WebSocket.Server({ port: 0 });
const also: WebSocket.WebSocketServer = new WebSocket.WebSocketServer({ noServer: true });
wss.on('connection', (ws: WebSocket, req) => {
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) =>
    ws.send(data, { binary: isBinary }),
  );
  console.log(req.url, also.clients.size);
});
const client = new WebSocket.WebSocket('ws://127.0.0.1:1');
const stream = WebSocket.createWebSocketStream(client);
stream.on('data', (d: Buffer) => d.length);
const state: number = WebSocket.OPEN;
const opts: WebSocket.ClientOptions = { perMessageDeflate: false };
void [state, opts];

export {};
