/**
 * Observability: lifecycle events on `node:diagnostics_channel` (as undici publishes its
 * client's) and counters a user can read. Publishing costs one `hasSubscribers` check when
 * nobody listens, so the hot path pays nothing for it.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

/** The transport a WebSocket runs over. */
export type TransportKind = 'http/1.1' | 'h2';

/** Names of the channels the server publishes on. */
export const ChannelName: {
  readonly upgrade: 'strata:server:upgrade';
  readonly refused: 'strata:server:refused';
  readonly open: 'strata:server:open';
  readonly close: 'strata:server:close';
  readonly error: 'strata:server:error';
} = Object.freeze({
  upgrade: 'strata:server:upgrade',
  refused: 'strata:server:refused',
  open: 'strata:server:open',
  close: 'strata:server:close',
  error: 'strata:server:error',
} as const);

/** Message of `strata:server:upgrade`: a WebSocket handshake request arrived. */
export interface UpgradeMessage {
  /** The HTTP/1.1 upgrade request, or the HTTP/2 extended CONNECT request's headers. */
  readonly request: IncomingMessage | Readonly<Record<string, string | string[] | undefined>>;
  readonly transport: TransportKind;
}

/** Message of `strata:server:refused`: the handshake was answered with an HTTP error. */
export interface RefusedMessage {
  readonly request: UpgradeMessage['request'];
  readonly transport: TransportKind;
  /** The HTTP status sent (400, 401, 403, 426, 503 ...). */
  readonly status: number;
  /** Why, in a few words (the same text the response body carries). */
  readonly reason: string;
}

/** Message of `strata:server:open`: a WebSocket connection is open. */
export interface OpenMessage {
  /** The server's connection object. */
  readonly connection: object;
  readonly request: UpgradeMessage['request'];
  readonly transport: TransportKind;
  /** The negotiated subprotocol ('' when none). */
  readonly protocol: string;
  /** The negotiated extensions header value ('' when none). */
  readonly extensions: string;
}

/** Message of `strata:server:close`: a WebSocket connection closed (its transport is gone). */
export interface CloseMessage {
  readonly connection: object;
  /** The close code received (1005 none, 1006 abnormal: no close frame). */
  readonly code: number;
  readonly reason: string;
  /** Whether close frames were exchanged before the transport closed. */
  readonly wasClean: boolean;
}

/** Message of `strata:server:error`: a connection failed (protocol error, socket error). */
export interface ErrorMessage {
  readonly connection: object;
  readonly error: Error;
}

const upgradeChannel = diagnosticsChannel.channel(ChannelName.upgrade);
const refusedChannel = diagnosticsChannel.channel(ChannelName.refused);
const openChannel = diagnosticsChannel.channel(ChannelName.open);
const closeChannel = diagnosticsChannel.channel(ChannelName.close);
const errorChannel = diagnosticsChannel.channel(ChannelName.error);

/**
 * Publishes a lifecycle event. The message is built only when someone subscribed, so
 * callers pass the parts, not an object.
 * @internal
 */
export const diagnostics: {
  upgrade(request: UpgradeMessage['request'], transport: TransportKind): void;
  refused(
    request: UpgradeMessage['request'],
    transport: TransportKind,
    status: number,
    reason: string,
  ): void;
  open(
    connection: object,
    request: UpgradeMessage['request'],
    transport: TransportKind,
    protocol: string,
    extensions: string,
  ): void;
  close(connection: object, code: number, reason: string, wasClean: boolean): void;
  error(connection: object, error: Error): void;
} = {
  upgrade(request, transport) {
    if (upgradeChannel.hasSubscribers) {
      upgradeChannel.publish({ request, transport } satisfies UpgradeMessage);
    }
  },
  refused(request, transport, status, reason) {
    if (refusedChannel.hasSubscribers) {
      refusedChannel.publish({ request, transport, status, reason } satisfies RefusedMessage);
    }
  },
  open(connection, request, transport, protocol, extensions) {
    if (openChannel.hasSubscribers) {
      openChannel.publish({
        connection,
        request,
        transport,
        protocol,
        extensions,
      } satisfies OpenMessage);
    }
  },
  close(connection, code, reason, wasClean) {
    if (closeChannel.hasSubscribers) {
      closeChannel.publish({ connection, code, reason, wasClean } satisfies CloseMessage);
    }
  },
  error(connection, error) {
    if (errorChannel.hasSubscribers) {
      errorChannel.publish({ connection, error } satisfies ErrorMessage);
    }
  },
};

/**
 * Counters of one server, updated as connections live (plain integer fields: reading
 * them is free, and so is updating them on the hot path).
 */
export class ServerCounters {
  /** Connections open right now. */
  connectionsOpen = 0;
  /** Connections opened since the server started. */
  connectionsTotal = 0;
  /** Handshakes answered with an HTTP error. */
  handshakesRefused = 0;
  /** Connections by transport since the server started. */
  connectionsHttp1 = 0;
  /** Connections over HTTP/2 streams (RFC 8441) since the server started. */
  connectionsHttp2 = 0;
  /** Complete messages received. */
  messagesReceived = 0;
  /** Messages sent (each delivery of a published message counts once). */
  messagesSent = 0;
  /** Bytes received from peers after the handshake (frames, before inflate). */
  bytesReceived = 0;
  /** Bytes handed to transports after the handshake (frames, after deflate). */
  bytesSent = 0;
  /**
   * The counters of the pub/sub adapter when it spans processes (`@strata-ws/cluster`,
   * `@strata-ws/redis`: published, received from the bus, dropped, bus latency), null with
   * the in-process adapter. Live: the adapter updates them. See {@link busCountersOf}.
   */
  bus: BusCountersView | null = null;

  /** A plain-object copy, e.g. for JSON. */
  snapshot(): ServerCountersSnapshot {
    return {
      connectionsOpen: this.connectionsOpen,
      connectionsTotal: this.connectionsTotal,
      handshakesRefused: this.handshakesRefused,
      connectionsHttp1: this.connectionsHttp1,
      connectionsHttp2: this.connectionsHttp2,
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      bus: this.bus === null ? null : busSnapshot(this.bus),
    };
  }
}

/**
 * The counters a pub/sub adapter that spans processes exposes as `adapter.counters`
 * (`@strata-ws/cluster`'s and `@strata-ws/redis`'s `BusCounters` have this shape). Read-only
 * here: the adapter owns them.
 */
export interface BusCountersView {
  /** Messages handed to the bus (one per publish, whatever the number of processes). */
  readonly published: number;
  /** Envelope bytes handed to the bus. */
  readonly publishedBytes: number;
  /** Messages received from other processes and delivered locally. */
  readonly received: number;
  /** Local deliveries of received messages (one per subscriber reached). */
  readonly deliveries: number;
  /** This process's own messages coming back from the bus, dropped (never delivered twice). */
  readonly ownDropped: number;
  /** Messages dropped because the queue towards the bus was full. */
  readonly droppedQueueFull: number;
  /** Messages lost with a broken bus connection. */
  readonly lost: number;
  /** Received bytes that were not a message. */
  readonly malformed: number;
  /** Times the bus connection became ready again after a break. */
  readonly reconnects: number;
  /** Bytes queued towards the bus or in flight right now. */
  readonly queuedBytes: number;
  /** Mean publish-to-delivery latency of received messages, ms. */
  readonly latencyMeanMs: number;
  /** Largest publish-to-delivery latency seen, ms. */
  readonly latencyMaxMs: number;
}

/** A copy of {@link BusCountersView}'s values (in {@link ServerCountersSnapshot.bus}). */
export type BusCountersViewSnapshot = { -readonly [K in keyof BusCountersView]: number };

const BUS_FIELDS: readonly (keyof BusCountersView)[] = [
  'published',
  'publishedBytes',
  'received',
  'deliveries',
  'ownDropped',
  'droppedQueueFull',
  'lost',
  'malformed',
  'reconnects',
  'queuedBytes',
  'latencyMeanMs',
  'latencyMaxMs',
];

function busSnapshot(view: BusCountersView): BusCountersViewSnapshot {
  const out = {} as BusCountersViewSnapshot;
  for (const field of BUS_FIELDS) out[field] = view[field];
  return out;
}

/**
 * The bus counters of a pub/sub adapter: its `counters` when they have the
 * {@link BusCountersView} shape (also through a wrapping adapter that forwards `counters`,
 * as `@strata-ws/reconnect`'s resumable sessions do), else null (e.g. the in-process adapter).
 * The server sets `wss.counters.bus` from its adapter with it.
 */
export function busCountersOf(adapter: unknown): BusCountersView | null {
  if (typeof adapter !== 'object' || adapter === null) return null;
  const counters = (adapter as { counters?: unknown }).counters;
  if (typeof counters !== 'object' || counters === null) return null;
  for (const field of BUS_FIELDS) {
    if (typeof (counters as Record<string, unknown>)[field] !== 'number') return null;
  }
  return counters as BusCountersView;
}

/** A copy of {@link ServerCounters}' values. */
export interface ServerCountersSnapshot {
  readonly connectionsOpen: number;
  readonly connectionsTotal: number;
  readonly handshakesRefused: number;
  readonly connectionsHttp1: number;
  readonly connectionsHttp2: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** The pub/sub adapter's bus counters, null when it has none (see {@link ServerCounters.bus}). */
  readonly bus: BusCountersViewSnapshot | null;
}
