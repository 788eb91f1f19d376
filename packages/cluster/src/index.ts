/**
 * `@strata-ws/cluster`: topics across the workers of a node:cluster on one machine (a
 * `PubSubAdapter` per worker, a relay in the primary, `runCluster` to set both up), and the
 * bus envelope and counters that `@strata-ws/redis` shares.
 */
export type { ClusterAdapterOptions } from './adapter.js';
export { ClusterAdapter, DEFAULT_MAX_QUEUE_BYTES } from './adapter.js';
export type {
  BusCountersSnapshot,
  BusDropMessage,
  BusDropReason,
  BusPublishMessage,
  BusReceiveMessage,
  BusStateMessage,
} from './bus.js';
export { BusChannelName, BusCounters, BusReporter } from './bus.js';
export type { Envelope } from './envelope.js';
export {
  checkOrigin,
  decodeEnvelope,
  ENVELOPE_VERSION,
  encodeEnvelope,
  preciseNow,
} from './envelope.js';
export { packBatch, unpackBatch } from './ipc.js';
export type { ClusterRelayOptions } from './relay.js';
export { ClusterRelay } from './relay.js';
export type { ClusterPrimary, ClusterWorker, RunClusterOptions } from './run.js';
export { runCluster } from './run.js';
