import { handle } from 'hono/aws-lambda';
import { createRegisterApp } from '../http/enrollment-routes';
import { serviceFromEnv } from './wiring';

/** The register Lambda: enrollment by a group's key, and the installers; no authorizer in front. */
export const handler = handle(createRegisterApp(serviceFromEnv(process.env)));
