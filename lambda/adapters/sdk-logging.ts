/** The part of an AWS SDK client this module touches: its middleware stack. */
interface WithMiddlewareStack {
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/**
 * Takes the AWS SDK's logger middleware off `client`, and answers the client.
 *
 * That middleware (`loggerMiddleware`, @aws-sdk/core) copies every request and every answer, field by
 * field, to hide the sensitive ones, and only then hands the copies to the client's logger: it does
 * so even when the logger is the SDK's default, which drops them. For a Scan of the agents table that
 * is a walk of every attribute of every item read, for nothing: in a CPU profile of the local watcher
 * under heartbeats it was about 5% of the thread that sends. We never give the SDK a logger (each
 * store says in its own words what failed), so nothing is lost.
 *
 * Call it before the client's first send: middleware changed after that is not seen by a client
 * whose middleware is cached (`cacheMiddleware`).
 */
export function withoutSdkLogging<C extends WithMiddlewareStack>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
