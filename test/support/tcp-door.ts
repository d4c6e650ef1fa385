import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server } from 'node:net';

/** A TCP port on loopback that passes each connection, byte for byte, to a Unix socket. */
export interface TcpDoor {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * For a client that speaks only TCP: the Lambda handlers' own `new DynamoDBClient({})`, which finds
 * its DynamoDB by AWS_ENDPOINT_URL_DYNAMODB. The embedded DynamoDB listens on a private socket and
 * checks every request's signature, so it still refuses whatever this process's key did not sign.
 */
export async function startTcpDoor(socketPath: string): Promise<TcpDoor> {
  const server: Server = createServer((inbound) => {
    const outbound = connect(socketPath);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
