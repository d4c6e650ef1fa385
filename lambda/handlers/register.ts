import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEnrollmentKeyStore, DynamoNewAgentStore } from '../adapters/dynamo-enrollment-stores';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { ENROLLMENT_ROUTES } from '../http/enrollment-routes';
import { lambdaDoor } from '../http/lambda-door';
import { Registration } from '../registration';
import { registerEnv } from './env';

const { agentsTable, stateTable, settings, log } = registerEnv(process.env);
const client = withoutSdkLogging(new DynamoDBClient(SDK_CLIENT_CONFIG));

/**
 * The register Lambda: enrollment by a group's key (`POST /v1/register`), no authorizer in front. It
 * imports the register use case and its own door alone (not lambda/service.ts, not the hono router
 * of lambda/http, not the config's schema), so its bundle holds neither the other stores, the
 * operators' use cases, the installers (the installer function's), nor a web framework.
 */
export const handler = lambdaDoor(
  ENROLLMENT_ROUTES,
  new Registration({
    keys: new DynamoEnrollmentKeyStore(client, stateTable),
    agents: new DynamoNewAgentStore(client, agentsTable),
    clock: { now: () => Date.now() },
    settings,
    log,
  }),
);
