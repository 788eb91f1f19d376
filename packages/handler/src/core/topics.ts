/**
 * Topic bookkeeping for adapters whose runtime has no topics of its own (Deno native, Workers,
 * and the `strata` modes on Bun and Deno): which peers are subscribed to which topics, in both
 * directions, so a publish finds its subscribers and a closed peer leaves every topic at once.
 * Delivery is the adapter's (it frames a message once for every subscriber, or sends through
 * the runtime). The Node adapter uses `@strata-ws/server`'s registry instead (so cluster and
 * Redis adapters span processes). Portable.
 */

const EMPTY: ReadonlySet<string> = new Set();

/** Subscriptions of one adapter's peers (`P` is the adapter's peer type). */
export class LocalTopics<P> {
  readonly #byTopic = new Map<string, Set<P>>();
  readonly #byPeer = new Map<P, Set<string>>();

  /** Subscribes `peer` to `topic` (no-op when already subscribed). */
  subscribe(peer: P, topic: string): void {
    checkTopic(topic);
    let peers = this.#byTopic.get(topic);
    if (peers === undefined) {
      peers = new Set();
      this.#byTopic.set(topic, peers);
    }
    peers.add(peer);
    let topics = this.#byPeer.get(peer);
    if (topics === undefined) {
      topics = new Set();
      this.#byPeer.set(peer, topics);
    }
    topics.add(topic);
  }

  /** Unsubscribes `peer` from `topic` (no-op when not subscribed). */
  unsubscribe(peer: P, topic: string): void {
    const peers = this.#byTopic.get(topic);
    if (peers === undefined || !peers.delete(peer)) return;
    if (peers.size === 0) this.#byTopic.delete(topic);
    const topics = this.#byPeer.get(peer);
    topics?.delete(topic);
    if (topics?.size === 0) this.#byPeer.delete(peer);
  }

  /** Removes `peer` from every topic (call when its connection is closed). */
  unsubscribeAll(peer: P): void {
    const topics = this.#byPeer.get(peer);
    if (topics === undefined) return;
    this.#byPeer.delete(peer);
    for (const topic of topics) {
      const peers = this.#byTopic.get(topic);
      peers?.delete(peer);
      if (peers?.size === 0) this.#byTopic.delete(topic);
    }
  }

  /** Whether `peer` is subscribed to `topic`. */
  isSubscribed(peer: P, topic: string): boolean {
    return this.#byPeer.get(peer)?.has(topic) === true;
  }

  /** The topics of `peer` (a live view: do not mutate). */
  topicsOf(peer: P): ReadonlySet<string> {
    return this.#byPeer.get(peer) ?? EMPTY;
  }

  /** The subscribers of `topic` (a live view: copy it before sending if a send may unsubscribe). */
  subscribers(topic: string): ReadonlySet<P> | undefined {
    return this.#byTopic.get(topic);
  }

  /** How many peers are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#byTopic.get(topic)?.size ?? 0;
  }
}

/** @throws TypeError when `topic` is not a string */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') {
    throw new TypeError(`topic must be a string, got ${topic === null ? 'null' : typeof topic}`);
  }
}
