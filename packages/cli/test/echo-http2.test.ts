/** `strata echo --http2` (h2c + HTTP/1.1 on one port, or h2 over TLS) and its graceful exit. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type ClientHttp2Session, connect as http2Connect } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const bin = fileURLToPath(new URL('../bin/strata.js', import.meta.url));
let child: ChildProcess | undefined;
const sessions: ClientHttp2Session[] = [];

afterEach(() => {
  for (const s of sessions.splice(0)) s.destroy();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

async function startEcho(extra: string[]): Promise<{ url: string; stderr: () => string }> {
  const p = spawn(process.execPath, [bin, 'echo', '--port', '0', ...extra]);
  child = p;
  let err = '';
  p.stderr!.on('data', (c) => (err += c));
  let out = '';
  for await (const chunk of p.stdout!) {
    out += chunk;
    const m = /listening (wss?:\/\/\S+)\n/.exec(out);
    if (m) return { url: m[1]!, stderr: () => err };
  }
  throw new Error(`strata echo printed: ${out} ${err}`);
}

/** An RFC 8441 WebSocket on Node's http2 client: returns the stream after the 200. */
async function h2WebSocket(origin: string, options = {}) {
  const session = http2Connect(origin, options);
  sessions.push(session);
  const [settings] = await once(session, 'remoteSettings');
  expect(settings.enableConnectProtocol).toBe(true);
  const url = new URL(origin);
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': url.protocol.replace(':', ''),
      ':path': '/',
      ':authority': url.host,
      'sec-websocket-version': '13',
    },
    { endStream: false },
  );
  const [headers] = await once(stream, 'response');
  expect(headers[':status']).toBe(200);
  let received = Buffer.alloc(0);
  stream.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
  return { stream, received: () => received };
}

/** A masked text frame (RFC 6455 §5.3). */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), key, masked]);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('strata echo --http2', () => {
  it('serves HTTP/1.1 and h2c on one port; SIGTERM closes both with 1001 and exits 0', async () => {
    const { url, stderr } = await startEcho(['--http2']);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const h1 = new WebSocket(url);
    await once(h1, 'open');
    h1.send('one');
    expect(String((await once(h1, 'message'))[0])).toBe('one');

    const h2 = await h2WebSocket(url.replace('ws:', 'http:'));
    h2.stream.write(maskedText('two'));
    await until(() => h2.received().length >= 5);
    expect([...h2.received().subarray(0, 5)]).toEqual([0x81, 3, ...Buffer.from('two')]);

    const h1Closed = once(h1, 'close');
    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    expect((await h1Closed)[0]).toBe(1001);
    // The h2 WebSocket got its close frame too: 0x88, 2 + reason, code 1001 (0x03e9).
    await until(() => h2.received().length > 5);
    const close = h2.received().subarray(5);
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1001);
    h2.stream.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9])); // the close reply
    const [exitCode] = await exited;
    expect(exitCode).toBe(0);
    expect(stderr()).toMatch(/h2c/);
  });

  it('with --tls (self-signed) serves wss:// over HTTP/1.1 and h2, and says how the pair was made', async () => {
    const { url, stderr } = await startEcho(['--http2', '--tls']);
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const h1 = new WebSocket(url, { rejectUnauthorized: false });
    await once(h1, 'open');
    h1.send('secure');
    expect(String((await once(h1, 'message'))[0])).toBe('secure');
    const h2 = await h2WebSocket(url.replace('wss:', 'https:'), { rejectUnauthorized: false });
    h2.stream.write(maskedText('secure h2'));
    await until(() => h2.received().length >= 11);
    expect(h2.received().subarray(2, 11).toString()).toBe('secure h2');
    expect(stderr()).toMatch(/TLS: self-signed \(generated with (openssl|node:crypto)\)/);
    h1.terminate();
    const exited = once(child!, 'exit');
    child!.kill('SIGINT');
    const [exitCode] = await exited;
    expect(exitCode).toBe(0);
  });

  it('refuses --tls-cert without --tls-key', async () => {
    const p = spawn(process.execPath, [bin, 'echo', '--tls-cert', 'x.pem']);
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    const [code] = await once(p, 'exit');
    expect(code).not.toBe(0);
    expect(err).toMatch(/--tls-cert and --tls-key go together/);
  });
});

describe('strata echo: graceful shutdown under load', () => {
  it('SIGTERM while 10 clients stream: each gets its echoes in order, then a clean 1001; exit 0', async () => {
    const { url } = await startEcho(['--quiet']);
    const clients = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const ws = new WebSocket(url);
        await once(ws, 'open');
        const got: number[] = [];
        ws.on('message', (d) => got.push(Number(String(d))));
        const closed = new Promise<[number, boolean]>((resolve) =>
          ws.on('close', (code) => resolve([code, got.length > 0])),
        );
        return { ws, got, closed };
      }),
    );
    let sending = true;
    const senders = clients.map(async ({ ws }) => {
      let n = 0;
      while (sending && ws.readyState === WebSocket.OPEN) {
        for (let k = 0; k < 20; k++) ws.send(String(n++));
        await new Promise((r) => setImmediate(r));
      }
    });
    await until(() => clients.every((c) => c.got.length > 100));
    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    for (const c of clients) {
      const [code] = await c.closed;
      expect(code).toBe(1001);
      // In order and without gaps: nothing the server echoed before its close frame was lost.
      expect(c.got).toEqual(Array.from({ length: c.got.length }, (_, i) => i));
    }
    sending = false;
    await Promise.all(senders);
    const [exitCode] = await exited;
    expect(exitCode).toBe(0);
  });
});
