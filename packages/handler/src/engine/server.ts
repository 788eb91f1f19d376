/**
 * The `strata` modes' server side, over any raw TCP transport: reads and checks the HTTP/1.1
 * upgrade (`@strata-ws/handshake`), runs the `upgrade` hook under the handshake timeout,
 * answers a refusal or the 101 (subprotocol, permessage-deflate), then hands the connection to
 * an {@link EnginePeer}. Also the adapter-wide parts: the peer set, topics (one frame built per
 * publish for every subscriber) and the heartbeat. A runtime adapter (`../bun`, `../deno`)
 * only moves bytes. Portable: the deflate engine is handed in by the runtime adapter.
 */
import { CloseCode } from '@strata-ws/codec';
import {
  HandshakeError,
  type HttpRequestHead,
  negotiateUpgrade,
  RequestHeadParser,
  type ServerExtensionNegotiator,
  serializeRejection,
  serializeSwitchingProtocols,
  validateUpgradeRequest,
} from '@strata-ws/handshake';
import { type DeflateAgreement, PerMessageDeflateServer } from '@strata-ws/permessage-deflate';
import { type MessageExtension, PreparedMessage } from '@strata-ws/protocol';
import { HookRunner } from '../core/hooks.js';
import { nextPeerId } from '../core/peer-id.js';
import { toPayload } from '../core/send.js';
import { LocalTopics } from '../core/topics.js';
import { runUpgrade } from '../core/upgrade.js';
import type { HandlerOptions, Hooks, Peer, SendData, SendOptions } from '../types.js';
import { requestFromHead, serializeResponse } from './http1.js';
import { type EngineProfile, resolveEngineProfile } from './options.js';
import { EnginePeer, type PeerHost } from './peer.js';
import type { RawTransport, TransportEvents } from './transport.js';

/** The runtime's permessage-deflate engine (e.g. `createPerMessageDeflate` on `node:zlib`). */
export type DeflateFactory = (agreement: DeflateAgreement) => MessageExtension;

/** What a runtime adapter hands to {@link EngineServer}. */
export interface EngineHost {
  /** Builds the compression engine for a negotiated connection; without it `perMessageDeflate: true` throws. */
  readonly createDeflate?: DeflateFactory | undefined;
  /** Whether the transports are TLS (the `Request` URL is `https:`). */
  readonly secure?: boolean;
}

/** A server of the `strata` modes: one per adapter instance (one listening socket). */
export class EngineServer<Context = unknown> implements PeerHost<Context> {
  readonly hooks: HookRunner<Context>;
  readonly profile: EngineProfile;
  readonly topics: LocalTopics<EnginePeer<Context>> = new LocalTopics();
  readonly #userHooks: Hooks<Context>;
  readonly #peers = new Set<EnginePeer<Context>>();
  readonly #secure: boolean;
  readonly #negotiator: PerMessageDeflateServer | null;
  readonly #createDeflate: DeflateFactory | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  /**
   * @throws TypeError / RangeError naming a bad option (also an option of the adapter's own,
   *   `ownOptions`, is not "unknown")
   */
  constructor(
    hooks: Hooks<Context>,
    options: HandlerOptions | undefined,
    host: EngineHost,
    ownOptions: readonly string[] = [],
  ) {
    this.profile = resolveEngineProfile(options, ownOptions);
    this.#userHooks = hooks;
    this.hooks = new HookRunner(hooks);
    this.#secure = host.secure ?? false;
    this.#createDeflate = host.createDeflate;
    if (this.profile.perMessageDeflate && this.#createDeflate === undefined) {
      throw new TypeError('perMessageDeflate: this runtime has no compression engine');
    }
    this.#negotiator = this.profile.perMessageDeflate ? new PerMessageDeflateServer() : null;
  }

  /** The open peers. */
  get peers(): ReadonlySet<Peer<Context>> {
    return this.#peers;
  }

  /** Takes a new raw connection; the adapter reports its events to the returned object. */
  accept(transport: RawTransport): TransportEvents {
    return new PendingConnection(this, transport);
  }

  /**
   * Sends a message to every subscriber of `topic` (but `except`), framed once for all of them.
   */
  publish(topic: string, data: SendData, options?: SendOptions, except?: unknown): void {
    const subscribers = this.topics.subscribers(topic);
    if (subscribers === undefined) return;
    if (subscribers.size === 1 && subscribers.has(except as EnginePeer<Context>)) return;
    const payload = toPayload(data);
    const bytes = typeof payload.data === 'string' ? encoder.encode(payload.data) : payload.data;
    const message = new PreparedMessage(bytes, payload.isBinary, options?.compress);
    // A send may close a peer (backpressure), which unsubscribes it: walk a copy.
    for (const peer of [...subscribers]) if (peer !== except) peer.sendPrepared(message);
  }

  /** Starts the closing handshake of every peer (e.g. on shutdown). */
  closeAll(code: number = CloseCode.GoingAway, reason = ''): void {
    for (const peer of [...this.#peers]) peer.close(code, reason);
  }

  /** Ends every connection at once. */
  terminateAll(): void {
    for (const peer of [...this.#peers]) peer.terminate();
  }

  /** Stops the heartbeat timer (call when the listener is closed). */
  dispose(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  release(peer: EnginePeer<Context>): void {
    this.#peers.delete(peer);
    if (this.#peers.size === 0) this.dispose();
  }

  /** @internal Adds an opened peer. */
  adopt(peer: EnginePeer<Context>): void {
    this.#peers.add(peer);
    const interval = this.profile.heartbeatInterval;
    if (interval > 0 && this.#heartbeat === undefined) {
      this.#heartbeat = setInterval(() => {
        for (const p of this.#peers) p.heartbeat();
      }, interval);
    }
  }

  /** @internal */
  get userHooks(): Hooks<Context> {
    return this.#userHooks;
  }

  /** @internal */
  get secure(): boolean {
    return this.#secure;
  }

  /** @internal The negotiator list for `negotiateUpgrade`. */
  get negotiators(): readonly ServerExtensionNegotiator[] {
    return this.#negotiator === null ? [] : [this.#negotiator];
  }

  /** @internal The compression engine for one negotiated `permessage-deflate` response. */
  deflateFor(params: Parameters<PerMessageDeflateServer['agreement']>[0]): MessageExtension {
    const negotiator = this.#negotiator;
    const create = this.#createDeflate;
    if (negotiator === null || create === undefined) throw new Error('deflate not negotiated');
    return create(negotiator.agreement(params));
  }
}

const encoder = new TextEncoder();

const READING = 0;
const DECIDING = 1;
const OPEN = 2;
const DONE = 3;

/** One connection from its first byte to its 101 (then it forwards to its peer). */
class PendingConnection<Context> implements TransportEvents {
  readonly #server: EngineServer<Context>;
  readonly #transport: RawTransport;
  #state = READING;
  #parser: RequestHeadParser | null;
  #peer: EnginePeer<Context> | null = null;
  /** Bytes that arrived after the head while the hook decided (bounded by `maxBufferedInput`). */
  #early: Uint8Array[] = [];
  #earlyBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(server: EngineServer<Context>, transport: RawTransport) {
    this.#server = server;
    this.#transport = transport;
    this.#parser = new RequestHeadParser({ maxHeaderBytes: server.profile.maxHeaderBytes });
    // A connection that never completes its handshake is closed (slow or silent clients).
    this.#timer = setTimeout(() => this.#timeout(), server.profile.handshakeTimeout);
  }

  data(chunk: Uint8Array): void {
    const state = this.#state;
    if (state === OPEN) {
      this.#peer?.data(chunk);
      return;
    }
    if (state === DECIDING) {
      this.#early.push(chunk);
      this.#earlyBytes += chunk.length;
      if (this.#earlyBytes > this.#server.profile.limits.maxBufferedInput) this.#transport.pause();
      return;
    }
    if (state !== READING || this.#parser === null) return;
    let parsed: ReturnType<RequestHeadParser['push']>;
    try {
      parsed = this.#parser.push(chunk);
    } catch (error) {
      this.#refuseWith(error);
      return;
    }
    if (parsed === null) return;
    this.#parser = null;
    this.#state = DECIDING;
    if (parsed.rest.length > 0) {
      this.#early.push(parsed.rest);
      this.#earlyBytes = parsed.rest.length;
    }
    this.#upgrade(parsed.head).catch((error: unknown) => {
      // Only a bug of ours gets here; never leave the socket open without an answer.
      console.error('[@strata-ws/handler] upgrade failed:', error);
      this.#answer(serializeRejection(500));
    });
  }

  eof(): void {
    if (this.#state === OPEN) this.#peer?.eof();
    else this.#finish();
  }

  drained(): void {
    if (this.#state === OPEN) this.#peer?.drained();
  }

  closed(): void {
    const peer = this.#state === OPEN ? this.#peer : null;
    this.#state = DONE;
    this.#clearTimer();
    peer?.closed();
  }

  async #upgrade(head: HttpRequestHead): Promise<void> {
    const server = this.#server;
    let validated: ReturnType<typeof validateUpgradeRequest>;
    let request: Request;
    try {
      validated = validateUpgradeRequest(head);
      request = requestFromHead(head, validated.host, server.secure);
    } catch (error) {
      this.#refuseWith(error);
      return;
    }
    const outcome = await runUpgrade(server.userHooks, request, validated.protocols, {
      protocols: server.profile.protocols,
      onError: server.profile.onError,
    });
    if (this.#state !== DECIDING) return; // timed out or gone while the hook ran
    if (outcome.kind === 'refuse') {
      const bytes = await serializeResponse(outcome.response);
      if (this.#state === DECIDING) this.#answer(bytes);
      return;
    }
    const handshake = negotiateUpgrade(validated, {
      handleProtocols: () => outcome.protocol || undefined,
      extensions: server.negotiators,
    });
    const extensions: MessageExtension[] = [];
    for (const entry of handshake.extensions) extensions.push(server.deflateFor(entry.params));
    const extra: Array<[string, string]> = [];
    outcome.headers.forEach((value, name) => {
      extra.push([name, value]);
    });
    let response: Uint8Array;
    try {
      response = serializeSwitchingProtocols(handshake, extra);
    } catch (error) {
      // A header the handshake owns (upgrade, connection, ...) in the hook's headers.
      for (const e of extensions) e.dispose();
      server.profile.onError(error instanceof Error ? error : new Error(String(error)), request);
      this.#answer(serializeRejection(500));
      return;
    }
    this.#clearTimer();
    this.#state = OPEN;
    const agreed = handshake.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-extensions');
    const peer = new EnginePeer(this.#transport, server, {
      id: nextPeerId(),
      request,
      context: outcome.context,
      protocol: handshake.protocol ?? '',
      extensions: agreed?.[1] ?? '',
      connectionOptions: { role: 'server', ...server.profile.limits, extensions },
    });
    this.#peer = peer;
    server.adopt(peer);
    this.#transport.write([response]);
    const early = this.#early;
    this.#early = [];
    if (this.#earlyBytes > server.profile.limits.maxBufferedInput) this.#transport.resume();
    peer.start(concat(early, this.#earlyBytes));
  }

  /** Answers a broken request (a `HandshakeError` carries its status) and closes. */
  #refuseWith(error: unknown): void {
    if (error instanceof HandshakeError) this.#answer(serializeRejection(error));
    else this.#answer(serializeRejection(400));
  }

  #answer(bytes: Uint8Array): void {
    if (this.#state === DONE || this.#state === OPEN) return;
    this.#transport.write([bytes]);
    this.#finish();
  }

  #timeout(): void {
    this.#timer = undefined;
    if (this.#state === READING || this.#state === DECIDING) this.#answer(serializeRejection(408));
  }

  #finish(): void {
    this.#state = DONE;
    this.#parser = null;
    this.#early = [];
    this.#transport.end();
    // The answer may sit behind a peer that does not read: the handshake timer ends it.
    this.#clearTimer();
    this.#timer = setTimeout(() => this.#transport.destroy(), this.#server.profile.closeTimeout);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
