import { handle } from 'hono/aws-lambda';
import { createAdminApp } from '../http/app';
import { serviceFromEnv } from './wiring';

/** The admin Lambda: admin routes, with IAM authorization done by API Gateway in front of it. */
export const handler = handle(createAdminApp(serviceFromEnv(process.env)));
