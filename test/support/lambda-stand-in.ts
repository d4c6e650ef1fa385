import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaProber } from '../../lambda/adapters/lambda-prober';
import type { ProbeBatch } from '../../lambda/domain/probe-batch';

/** What the stand-in for Lambda was asked: the path of each invocation and its batch. */
export interface Invocation {
  readonly path: string;
  readonly batch: ProbeBatch;
}

/** The stand-in's answer to one invocation. */
export interface StandInAnswer {
  readonly status?: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

/**
 * A local HTTP endpoint standing in for Lambda's Invoke API, reached through the real SDK client (its
 * `endpoint`), and the prober of network prod-vpc over it: `answer` is given each batch and answers
 * the response (status, body, headers), or a promise of it; `undefined` never answers. `endpoint`
 * is its URL, for a client made another way (AWS_ENDPOINT_URL_LAMBDA).
 */
export async function lambdaStandIn(
  answer: (batch: ProbeBatch) => StandInAnswer | undefined | Promise<StandInAnswer | undefined>,
) {
  const invocations: Invocation[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      const batch = JSON.parse(body) as ProbeBatch;
      invocations.push({ path: req.url ?? '', batch });
      const a = await answer(batch);
      if (a === undefined) {
        held.push(res);
        return;
      }
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new LambdaClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  return {
    invocations,
    endpoint,
    client,
    prober: (timeoutMs?: number) =>
      new LambdaProber(client, {
        name: 'the prober of prod-vpc',
        functionName: 'hbw-prober-prod-vpc',
        timeoutMs,
      }),
    close: async () => {
      for (const res of held) res.destroy();
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
