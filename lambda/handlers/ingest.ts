import { handle } from 'hono/aws-lambda';
import { createAgentApp } from '../http/app';
import { serviceFromEnv } from './wiring';

/** The ingest Lambda: agent routes only (heartbeat, batch, register, the sh installer), no authorizer in front. */
export const handler = handle(createAgentApp(serviceFromEnv(process.env)));
