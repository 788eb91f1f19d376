// A program written against `ws` and its types (@types/ws), as applications and libraries use
// them. types.test.ts compiles it twice, unchanged: once against @types/ws (it is a valid ws
// program) and once with `ws` mapped to @strata-ws/ws's own types.
import * as http from 'node:http';
import WebSocket, { createWebSocketStream, WebSocketServer } from 'ws';

const server = http.createServer();
const wss = new WebSocketServer({
  noServer: true,
  clientTracking: true,
  maxPayload: 1 << 20,
  perMessageDeflate: { threshold: 1024, serverNoContextTakeover: true },
  verifyClient: (info: { origin: string; secure: boolean; req: http.IncomingMessage }) =>
    info.origin !== 'https://evil.example',
  handleProtocols: (protocols: Set<string>) => (protocols.has('chat') ? 'chat' : false),
});
const other = new WebSocketServer({ port: 0 }, () => undefined);
const same: WebSocketServer = new WebSocketServer({ server });
const options: WebSocket.ServerOptions = { noServer: true, autoPong: false };
const clientOptions: WebSocket.ClientOptions = {
  handshakeTimeout: 1000,
  perMessageDeflate: false,
  headers: { Authorization: 'Bearer x' },
  followRedirects: true,
  maxRedirects: 3,
  origin: 'https://app.example',
  rejectUnauthorized: false,
};

server.on('upgrade', (req, socket, head: Buffer) => {
  wss.handleUpgrade(req, socket, head, (ws: WebSocket, request: http.IncomingMessage) => {
    wss.emit('connection', ws, request);
  });
});

wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
  const ip: string | undefined = req.socket.remoteAddress;
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    ws.send(data, { binary: isBinary, compress: false });
    const text: string = data.toString();
    void text;
  });
  ws.on('close', (code: number, reason: Buffer) => {
    console.log(code, reason.toString(), ip);
  });
  ws.on('error', (error: Error) => console.error(error.message));
  ws.on('pong', (data: Buffer) => data.length);
  ws.once('ping', (data) => data.byteLength);
  ws.ping();
  ws.ping('x', false, (err) => err);
  ws.send('hello', (err?: Error) => err);
  ws.send(Buffer.from([1]));
  ws.send(new Uint8Array(2), { binary: true });
  if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1024) ws.close(1000, 'bye');
  ws.terminate();
  ws.pause();
  ws.resume();
  const paused: boolean = ws.isPaused;
  void paused;
});
wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
  headers.push(`X-Path: ${req.url}`);
});
wss.on('wsClientError', (error, socket) => {
  socket.end(`HTTP/1.1 400 Bad Request\r\n\r\n${error.message}`);
});
wss.on('close', () => undefined);
for (const client of wss.clients) {
  if (client.readyState === WebSocket.OPEN) client.send('broadcast');
}
const size: number = wss.clients.size;
void size;

const ws = new WebSocket('ws://127.0.0.1:1/path', ['chat'], clientOptions);
const ws2 = new WebSocket(new URL('ws://127.0.0.1:1'), { perMessageDeflate: true });
ws2.binaryType = 'arraybuffer';
ws.on('open', () => ws.send(JSON.stringify({ hello: 'world' })));
ws.on('upgrade', (res: http.IncomingMessage) => res.headers['set-cookie']);
ws.on('unexpected-response', (req: http.ClientRequest, res: http.IncomingMessage) => {
  console.log(res.statusCode);
  req.destroy();
});
ws.on('redirect', (url: string) => url.length);
ws.onmessage = (event: WebSocket.MessageEvent) => {
  const data: WebSocket.Data = event.data;
  void data;
};
ws.onclose = (event) => console.log(event.code, event.reason, event.wasClean);
ws.onerror = (event) => console.log(event.message);
ws.onopen = () => undefined;
ws.addEventListener('message', (event) => console.log(event.data), { once: true });
const protocol: string = ws.protocol;
const extensions: string = ws.extensions;
const url: string = ws.url;
void [protocol, extensions, url, options, other, same];

const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
duplex.pipe(process.stdout);
const address = other.address();
if (address !== null && typeof address !== 'string') console.log(address.port);
other.close((err?: Error) => err);

function broadcast(server: WebSocketServer, message: string): void {
  for (const c of server.clients) c.send(message);
}
broadcast(wss, 'x');
