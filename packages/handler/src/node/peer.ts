/**
 * The Node adapter's `Peer`: the handler's peer API over one `@strata-ws/server`
 * `ServerWebSocket` (send statuses from its queue accounting, topics through the server's
 * registry so pub/sub adapters such as `@strata-ws/cluster` and `@strata-ws/redis` span
 * processes, the `Request` built only when first read unless the `upgrade` hook already had it).
 */
import type { IncomingMessage } from 'node:http';
import type { ServerWebSocket } from '@strata-ws/server';
import type { HookRunner } from '../core/hooks.js';
import { checkTopic } from '../core/topics.js';
import type { Peer, PeerReadyState, SendData, SendOptions, SendStatus } from '../types.js';
import { toRequest } from './request.js';

/** @internal What a peer's events need from its adapter: the hooks' runner and the peers set. */
export interface AdapterState {
  readonly runner: HookRunner<unknown>;
  readonly peers: Set<Peer<unknown>>;
}

/** One connection's peer on Node. */
export class NodePeer<Context> implements Peer<Context> {
  readonly id: string;
  context: Context;
  /** @internal the server's connection */
  readonly ws: ServerWebSocket<unknown>;
  /** @internal the adapter's runner and peers (a field, not a map lookup, on the message path) */
  readonly adapter: AdapterState;
  #req: IncomingMessage | undefined;
  #request: Request | undefined;
  #secure: boolean;

  constructor(
    id: string,
    ws: ServerWebSocket<unknown>,
    req: IncomingMessage,
    request: Request | undefined,
    context: Context,
    adapter: AdapterState,
  ) {
    this.id = id;
    this.ws = ws;
    this.adapter = adapter;
    this.context = context;
    this.#request = request;
    this.#req = request === undefined ? req : undefined;
    this.#secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  }

  get request(): Request {
    if (this.#request === undefined) {
      this.#request = toRequest(this.#req!, this.#secure);
      this.#req = undefined;
    }
    return this.#request;
  }

  get remoteAddress(): string | undefined {
    return this.ws.remoteAddress;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get extensions(): string {
    return this.ws.extensions;
  }

  get readyState(): PeerReadyState {
    return this.ws.readyState as PeerReadyState;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get topics(): ReadonlySet<string> {
    return new Set(this.ws.topics);
  }

  send(data: SendData, options?: SendOptions): SendStatus {
    const ws = this.ws;
    if (ws.readyState !== 1) return 0;
    const before = ws.bufferedAmount;
    const queued = ws.send(
      data,
      options?.compress === undefined ? undefined : { compress: options.compress },
    );
    const grown = ws.bufferedAmount - before;
    if (queued) return grown > 0 ? grown : 1;
    // false: queued but over highWaterMark (the queue grew), or not queued (dropped / closed).
    return grown > 0 && ws.readyState === 1 ? -1 : 0;
  }

  subscribe(topic: string): void {
    checkTopic(topic);
    this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    checkTopic(topic);
    this.ws.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.ws.isSubscribed(topic);
  }

  publish(topic: string, data: SendData, options?: SendOptions): void {
    checkTopic(topic);
    this.ws.publish(topic, data, { excludeSelf: true, compress: options?.compress });
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
