/**
 * The shared suite's client side: real WebSocket clients (`ws`, and Strata's WHATWG client)
 * over loopback, with helpers that bound every wait, and a raw HTTP upgrade request to read a
 * refusal's status, headers and body.
 */
import { once } from 'node:events';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';

/** One received message. */
export interface Received {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A connected `ws` client with its messages queued for `next()`. */
export class Client {
  readonly ws: WebSocket;
  headers: IncomingHttpHeaders = {};
  readonly #queue: Received[] = [];
  readonly #waiters: Array<(m: Received) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.once('upgrade', (res) => {
      this.headers = res.headers;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const m = { data, isBinary };
      const waiter = this.#waiters.shift();
      if (waiter) waiter(m);
      else this.#queue.push(m);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: String(reason) }));
    });
  }

  /** Connects, resolves once open (rejects on error or after `ms`). */
  static async open(
    url: string,
    protocols: string[] = [],
    headers?: Record<string, string>,
  ): Promise<Client> {
    const ws = new WebSocket(url, protocols, { headers, maxPayload: 64 * 1024 * 1024 });
    // Listen before 'open': a message in the same read as the 101 is emitted right after it.
    const client = new Client(ws);
    await within(once(ws, 'open'), 5_000, `open ${url}`);
    return client;
  }

  /** The next message (rejects after `ms`). */
  next(ms = 5_000): Promise<Received> {
    const m = this.#queue.shift();
    if (m) return Promise.resolve(m);
    return within(
      new Promise<Received>((resolve) => this.#waiters.push(resolve)),
      ms,
      'next message',
    );
  }

  /** The next message as text. */
  async text(ms?: number): Promise<string> {
    return String((await this.next(ms)).data);
  }

  /** Sends a text command and returns the text answer. */
  async ask(command: string): Promise<string> {
    this.ws.send(command);
    return this.text();
  }

  /** Messages received and not yet read. */
  get pending(): number {
    return this.#queue.length;
  }

  close(code?: number, reason?: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else this.ws.terminate();
  }
}

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Polls until `check` returns a value that is not `undefined` (rejects after `ms`). */
export async function until<T>(check: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A refused upgrade as seen on the wire. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Sends an upgrade request with node:http and returns the non-101 answer. */
export function refusedUpgrade(url: string): Promise<HttpAnswer> {
  return upgradeAnswer(url, {}, false);
}

/**
 * Sends an upgrade request with node:http (extra request headers as given) and returns the
 * answer: the 101's status and headers when `accepted` (the socket is then destroyed), else
 * the refusal with its body.
 */
export function upgradeAnswer(
  url: string,
  extra: Record<string, string>,
  accepted: boolean,
): Promise<HttpAnswer> {
  const target = new URL(url.replace(/^ws/, 'http'));
  return within(
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = httpRequest(target, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          ...extra,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        if (accepted) resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        else reject(new Error('the upgrade was accepted'));
      });
      req.on('response', (res) => {
        if (accepted) reject(new Error(`refused with ${res.statusCode}`));
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    }),
    5_000,
    `refused upgrade ${url}`,
  );
}
