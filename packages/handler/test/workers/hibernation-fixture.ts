// The Durable Object of the hibernation case (hibernation.test.ts): the shared suite's hooks on
// `defineDurableObject`, in a subclass that numbers its instances (module state survives an
// eviction, the object's does not) and answers `GET /instance` with what this instance saw.
import { defineDurableObject, type HandlerDurableObjectClass } from '@strata-ws/handler/workers';
import { behaviourHooks, SUITE_OPTIONS, type SuiteContext } from '../suite/hooks.js';

interface Namespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

let instances = 0;

const Base: HandlerDurableObjectClass<SuiteContext> = defineDurableObject(
  behaviourHooks,
  SUITE_OPTIONS,
);

export class Room extends Base {
  readonly serial: number = ++instances;
  messagesHere = 0;

  override webSocketMessage(
    ...args: Parameters<InstanceType<typeof Base>['webSocketMessage']>
  ): void {
    this.messagesHere++;
    super.webSocketMessage(...args);
  }

  override fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== '/instance') return super.fetch(request);
    const peers = [...this.peers].map((peer) => ({
      id: peer.id,
      context: peer.context,
      topics: [...peer.topics].sort(),
    }));
    const body = { serial: this.serial, instances, messagesHere: this.messagesHere, peers };
    return Promise.resolve(Response.json(body));
  }
}

const worker: { fetch(request: Request, env: { ROOM: Namespace }): Promise<Response> } = {
  fetch(request: Request, env: { ROOM: Namespace }): Promise<Response> {
    return env.ROOM.get(env.ROOM.idFromName('room')).fetch(request);
  },
};

export default worker;
