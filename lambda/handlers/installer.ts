import { handle } from 'hono/aws-lambda';
import { createInstallerApp } from '../http/installer-routes';
import { loggerFromEnv } from './env';

/**
 * The installer Lambda: the installers and the API's document, no authorizer in front. They hold
 * nothing secret, so this function has no table, no grant, no SDK client and no config: only the
 * log level.
 */
export const handler = handle(createInstallerApp(loggerFromEnv(process.env)));
