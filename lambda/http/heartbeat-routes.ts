import type { BatchItemStatus } from '../api/contract';
import type { HeartbeatService } from '../heartbeats';
import type { PostRoute } from './answers';
import { bearerToken, MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from './wire';

// The heartbeat routes, with no web framework: the router of local mode (./door, hono) and the ingest
// function's own door (./lambda-door) both answer through them, so a heartbeat gets the same answer
// from either.

const ITEM_STATUS: Record<BatchItemStatus, number> = {
  ok: 200,
  pending: 202,
  invalid: 400,
  unauthorized: 401,
  rejected: 403,
  unavailable: 503,
};

/** The agent routes: the agent's own token is checked by the service, in the same write. */
export const HEARTBEAT_ROUTES: Readonly<Record<string, PostRoute<HeartbeatService>>> = {
  '/v1/heartbeat': {
    maxBytes: MAX_BODY_BYTES,
    async answer(service, authorization, body, observe) {
      const answer = await service.heartbeat(bearerToken(authorization), body);
      observe(answer.status);
      return answer;
    },
  },
  '/v1/heartbeats': {
    maxBytes: MAX_BATCH_BODY_BYTES,
    async answer(service, _authorization, body, observe) {
      const answer = await service.heartbeats(body);
      for (const item of answer.results) observe(ITEM_STATUS[item.status]);
      return { status: 200, body: answer };
    },
  },
};
