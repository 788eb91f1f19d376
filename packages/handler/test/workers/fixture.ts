// The shared suite's hooks on Cloudflare Workers (bundled by `workers.test.ts` with esbuild and
// run by miniflare's workerd): `MODE=durable` routes every request to one Durable Object on the
// hibernation API (`defineDurableObject`); otherwise the Worker's own fetch serves them
// (`createWorkersHandler`, a WebSocketPair per request).
import {
  createWorkersHandler,
  defineDurableObject,
  type HandlerDurableObjectClass,
} from '@strata-ws/handler/workers';
import { behaviourHooks, SUITE_OPTIONS, type SuiteContext } from '../suite/hooks.js';

interface Namespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

export const SuiteRoom: HandlerDurableObjectClass<SuiteContext> = defineDurableObject(
  behaviourHooks,
  SUITE_OPTIONS,
);

const plain = createWorkersHandler(behaviourHooks, SUITE_OPTIONS);

const worker: {
  fetch(request: Request, env: { MODE?: string; ROOM: Namespace }): Promise<Response>;
} = {
  fetch(request: Request, env: { MODE?: string; ROOM: Namespace }): Promise<Response> {
    if (env.MODE === 'durable') return env.ROOM.get(env.ROOM.idFromName('suite')).fetch(request);
    return plain.fetch(request);
  },
};

export default worker;
