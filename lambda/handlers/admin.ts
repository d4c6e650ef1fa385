import type { ApiGatewayRequestContextV2 } from 'hono/aws-lambda';
import { handle } from 'hono/aws-lambda';
import { type CallerOf, createAdminApp } from '../http/admin-routes';
import { serviceFromEnv } from './wiring';

/**
 * The caller of an admin call, from the request context API Gateway hands the function (payload 2.0):
 * the IAM principal its authorizer checked the signature of, and the client's address.
 */
export const lambdaCaller: CallerOf = (c) => {
  const context = (c.env as { requestContext?: ApiGatewayRequestContextV2 } | undefined)?.requestContext;
  return {
    // Every admin route is behind the IAM authorizer, so the ARN is there; `unknown` says if it is not.
    by: context?.authorizer?.iam?.userArn ?? 'unknown',
    sourceIp: context?.http?.sourceIp,
  };
};

/** The admin Lambda: admin routes, with IAM authorization done by API Gateway in front of it. */
export const handler = handle(createAdminApp(serviceFromEnv(process.env), { caller: lambdaCaller }));
