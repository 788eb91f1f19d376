import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDualProtocolServer,
  type DualProtocolServer,
  HTTP2_PREFACE,
  withConnectProtocol,
} from '../src/index.js';

let dual: DualProtocolServer | undefined;

afterEach(async () => {
  if (dual !== undefined) {
    const { server } = dual;
    dual = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(): Promise<number> {
  dual = createDualProtocolServer({ detectTimeout: 500 });
  dual.http1.on('request', (req, res) => res.end(`h1 ${req.httpVersion} ${req.url}`));
  dual.http2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200 });
    stream.end(`h2 ${headers[':path']}`);
  });
  dual.http1.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => dual!.server.listen(0, '127.0.0.1', resolve));
  return (dual.server.address() as AddressInfo).port;
}

describe('one port for h2c (prior knowledge) and HTTP/1.1', () => {
  it('the preface is RFC 9113 §3.4', () => {
    expect(Buffer.from(HTTP2_PREFACE).toString('latin1')).toBe('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  });

  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) and keeps other settings', () => {
    expect(withConnectProtocol({ settings: { maxConcurrentStreams: 7 } }).settings).toEqual({
      maxConcurrentStreams: 7,
      enableConnectProtocol: true,
    });
  });

  it('serves an HTTP/1.1 request and an HTTP/2 request on the same port', async () => {
    const port = await listen();
    const h1 = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/one', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(h1).toBe('h1 1.1 /one');

    const session = http2Connect(`http://127.0.0.1:${port}`);
    const settings = await new Promise<{ enableConnectProtocol?: boolean }>((resolve) =>
      session.once('remoteSettings', resolve),
    );
    expect(settings.enableConnectProtocol).toBe(true);
    const h2 = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/two' });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => resolve(body));
      req.on('error', reject);
    });
    expect(h2).toBe('h2 /two');
    session.close();
  });

  it('sorts a connection that sends its first bytes one at a time', async () => {
    const port = await listen();
    const socket = netConnect(port, '127.0.0.1');
    const request = Buffer.from(
      'POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    const response = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => resolve(text));
    });
    await new Promise((r) => socket.once('connect', r));
    // "P" matches the HTTP/2 preface's first byte: the decision must wait for more.
    socket.write(request.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(request.subarray(1));
    expect(await response).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*h1 1\.1 \/slow$/);
  });

  it('destroys a connection that stays silent past detectTimeout', async () => {
    const port = await listen();
    const socket = netConnect(port, '127.0.0.1');
    let received = 0;
    socket.on('data', (c) => (received += c.length));
    await new Promise((r) => socket.once('close', r));
    expect(received).toBe(0);
  });
});
