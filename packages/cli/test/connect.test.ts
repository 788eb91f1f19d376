// `strata connect` through real processes: piped through `strata echo`, against servers that
// refuse, close with a code, or never answer; each exit code of the documented table.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@strata-ws/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, killAll, run, startEcho, track } from './helpers.ts';

let echoUrl = '';
/** An in-process server whose behaviour each test picks by path. */
let wss: WebSocketServer;
let serverUrl = '';
const seenHeaders: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  echoUrl = (await startEcho()).url;
  wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    protocols: ['chat.v2'],
    authenticate: (req) => {
      seenHeaders.push(req.headers);
      if (req.url === '/private') return { reject: { status: 403, body: 'not for you' } };
      return true;
    },
  });
  await once(wss, 'listening');
  serverUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws, req) => {
    if (req.url === '/close4000') ws.close(4000, 'go away');
    if (req.url === '/silent') return; // reads, never answers
    if (req.url === '/drop') ws.on('message', () => ws.terminate());
    if (req.url === '/twice')
      ws.on('message', (data, isBinary) => {
        ws.send(data, { binary: isBinary });
        ws.send(data, { binary: isBinary });
      });
  });
});

afterAll(async () => {
  killAll();
  await wss.shutdown({ timeout: 1000 });
});

describe('strata connect in a pipe', () => {
  it('sends each line as a message and prints each echo on its own line, then closes cleanly (0)', async () => {
    const lines = ['hello', 'héllo wörld', '', '{"json":true}'];
    const r = await run(['connect', echoUrl, '-q'], `${lines.join('\n')}\n`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${lines.join('\n')}\n`);
    expect(r.code).toBe(0);
  });

  it('sends binary with --binary and prints it as hex or base64', async () => {
    const hex = await run(['connect', echoUrl, '--binary', '-q'], 'AB\n');
    expect(hex.stdout).toBe('4142\n');
    const b64 = await run(
      ['connect', echoUrl, '--binary', '--output-binary', 'base64', '-q'],
      'hello\n',
    );
    expect(b64.stdout).toBe('aGVsbG8=\n');
    expect(b64.code).toBe(0);
  });

  it('negotiates permessage-deflate with --deflate and says so on stderr', async () => {
    const { url } = await startEcho(['--deflate']);
    const text = 'compressible '.repeat(200);
    const r = await run(['connect', url, '--deflate'], `${text}\n`);
    expect(r.stdout).toBe(`${text}\n`);
    expect(r.stderr).toMatch(/connected to .*permessage-deflate/);
    expect(r.code).toBe(0);
  });

  it('sends -H headers and offers -s subprotocols', async () => {
    seenHeaders.length = 0;
    const r = await run(
      [
        'connect',
        `${serverUrl}/twice`,
        '-H',
        'Authorization: Bearer t0k',
        '-H',
        'X-Trace: 1',
        '-s',
        'chat.v1,chat.v2',
      ],
      'x\n',
    );
    expect(seenHeaders[0]?.authorization).toBe('Bearer t0k');
    expect(seenHeaders[0]?.['x-trace']).toBe('1');
    expect(seenHeaders[0]?.['sec-websocket-protocol']).toBe('chat.v1, chat.v2');
    expect(r.stderr).toContain('subprotocol chat.v2');
    // One line sent: it waits for one reply; the second may or may not be printed before the close.
    expect(r.stdout.startsWith('x\n')).toBe(true);
    expect(r.code).toBe(0);
  });

  it('waits --wait ms of silence for missing replies, says how many are missing, closes (0)', async () => {
    const started = Date.now();
    const r = await run(['connect', `${serverUrl}/silent`, '--wait', '300', '-q'], 'a\nb\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('2 of 2 replies did not arrive within 300 ms');
    expect(r.code).toBe(0);
  });

  it('exit 5 when the server closes with another code than 1000, with the code on stderr', async () => {
    const r = await run(['connect', `${serverUrl}/close4000`, '-q'], null);
    expect(r.stderr.trim()).toBe('strata connect: closed by the server with 4000 "go away"');
    expect(r.code).toBe(5);
  });

  it('exit 6 when the connection is lost without a closing handshake', async () => {
    const r = await run(['connect', `${serverUrl}/drop`, '-q'], 'x\n');
    expect(r.stderr).toContain('connection lost');
    expect(r.code).toBe(6);
  });

  it('exit 5 (1001) when the echo server shuts down while the client waits for input', async () => {
    const { url, child } = await startEcho();
    const client = track(
      spawn(process.execPath, [bin, 'connect', url], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    let stderr = '';
    client.stderr.on('data', (c) => (stderr += c));
    while (!stderr.includes('connected to')) await once(client.stderr, 'data');
    child.kill('SIGTERM');
    const [code] = await once(client, 'exit');
    expect(stderr).toContain('closed by the server with 1001 "Server shutting down"');
    expect(code).toBe(5);
    client.stdin.end();
  });
});

describe('strata connect: mistakes get one clear line, never a stack trace', () => {
  it('exit 2 for a bad URL, a bad header, a bad option, a missing URL', async () => {
    for (const [args, message] of [
      [['connect', 'not a url'], 'Invalid URL'],
      [['connect', 'ftp://example.com/'], 'ftp'],
      [['connect', echoUrl, '-H', 'no colon'], 'bad header "no colon"'],
      [['connect', echoUrl, '--frobnicate'], 'unknown option --frobnicate'],
      [['connect'], 'which URL?'],
      [['connect', echoUrl, '--output-binary', 'octal'], '--output-binary must be hex or base64'],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exit 3 for a refused connection', async () => {
    const probe = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await probe.shutdown({ timeout: 100 });
    probe.server?.close();
    const r = await run(['connect', `ws://127.0.0.1:${port}/`]);
    expect(r.stderr.trim()).toBe(
      `strata connect: cannot connect to ws://127.0.0.1:${port}/: connection refused (ECONNREFUSED)`,
    );
    expect(r.code).toBe(3);
  });

  it('exit 4 with the HTTP status for a refused handshake', async () => {
    const r = await run(['connect', `${serverUrl}/private`]);
    expect(r.stderr.trim()).toBe('strata connect: handshake refused: HTTP 403 Forbidden');
    expect(r.code).toBe(4);
  });

  it('exit 3 for a handshake timeout', async () => {
    const net = await import('node:net');
    const silent = net.createServer((socket) => socket.on('data', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const r = await run(['connect', `ws://127.0.0.1:${port}/`, '--handshake-timeout', '300']);
    silent.close();
    expect(r.stderr.trim()).toBe(
      `strata connect: no answer from ws://127.0.0.1:${port}/ within 300 ms (handshake timeout)`,
    );
    expect(r.code).toBe(3);
  });
});

describe('strata connect: a 101 that breaks the rules', () => {
  it('exit 4 naming the broken rule (the server selected no offered subprotocol)', async () => {
    const net = await import('node:net');
    const { createHash } = await import('node:crypto');
    // A hand-written server: a valid 101 that selects a subprotocol nobody offered.
    const raw = net.createServer((socket) => {
      socket.once('data', (head) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(String(head))?.[1] ?? '';
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.end(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: other\r\n\r\n`,
        );
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as AddressInfo).port;
    const r = await run(['connect', `ws://127.0.0.1:${port}/`, '-s', 'chat.v1']);
    raw.close();
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^strata connect: handshake failed: .+\n$/);
  });
});
