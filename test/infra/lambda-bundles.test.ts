import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../../lib/lambda-bundling';

/** The files a handler's bundle takes in, built as the stack builds it. */
async function inputsOf(handler: string): Promise<string[]> {
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    sourcemap: false,
    entryPoints: [`lambda/handlers/${handler}.ts`],
    outfile: `${handler}.mjs`,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output!.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .map(([path]) => path);
}

/**
 * What neither lean function (ingest, register) may take in: the whole service and the stores beyond
 * its own, the hono router, the installers and the API's document, the maintenance windows (croner),
 * and the config's schema (each reads its own settings: HBW_HEARTBEAT_SETTINGS, HBW_ENROLLMENT_SETTINGS).
 */
const LEFT_OUT_OF_LEAN_FUNCTIONS = [
  'lambda/service.ts',
  'lambda/adapters/dynamo-agent-store.ts',
  'lambda/adapters/dynamo-alert-store.ts',
  'lambda/adapters/dynamo-state-store.ts',
  'lambda/http/door.ts',
  'lambda/http/app.ts',
  'lambda/http/install-ps1.ts',
  'lambda/http/install-script.ts',
  'agent/install.sh',
  'agent/hbw-agent.sh',
  'lambda/api/openapi.ts',
  'lambda/domain/maintenance.ts',
  'lambda/domain/config.ts',
];
const PACKAGES_LEFT_OUT_OF_LEAN_FUNCTIONS = ['node_modules/croner/', 'node_modules/hono/', 'to-json-schema'];

/** `inputs` hold none of {@link LEFT_OUT_OF_LEAN_FUNCTIONS} and its packages, nor any of `more`. */
function expectLeftOut(inputs: string[], more: string[]): void {
  for (const left of [...LEFT_OUT_OF_LEAN_FUNCTIONS, ...more]) expect(inputs).not.toContain(left);
  for (const left of PACKAGES_LEFT_OUT_OF_LEAN_FUNCTIONS) {
    expect(inputs.filter((path) => path.includes(left))).toEqual([]);
  }
}

describe('the Lambda bundles', () => {
  it('keep the ingest function to the heartbeats: no alert store, no operator use cases, no installers, no config schema or policies, no cron parser, no web framework, no API document', async () => {
    const inputs = await inputsOf('ingest');

    expect(inputs).toEqual(
      expect.arrayContaining([
        'lambda/heartbeats.ts',
        'lambda/adapters/dynamo-heartbeat-store.ts',
        'lambda/http/lambda-door.ts',
      ]),
    );
    expectLeftOut(inputs, [
      'lambda/domain/queries.ts',
      'lambda/api/contract.ts',
      'lambda/domain/webhook-payloads.ts',
      'lambda/adapters/eventbridge-notifier.ts',
      'lambda/domain/messages.ts',
      'lambda/domain/webhooks.ts',
      'lambda/domain/capacity.ts',
    ]);
    expect(inputs.filter((path) => path.includes('client-eventbridge'))).toEqual([]);
  });

  it('keep the register function to the enrollment: no service, no other store, no installers, no config schema or policies, no cron parser, no web framework, no API document', async () => {
    const inputs = await inputsOf('register');

    expect(inputs).toEqual(
      expect.arrayContaining([
        'lambda/registration.ts',
        'lambda/adapters/dynamo-enrollment-stores.ts',
        'lambda/http/enrollment-routes.ts',
        'lambda/http/lambda-door.ts',
      ]),
    );
    expectLeftOut(inputs, ['lambda/heartbeats.ts', 'lambda/http/installer-routes.ts']);
  });

  it('serve the installers and the API document from the installer function alone, which holds no SDK client and no store', async () => {
    const installer = await inputsOf('installer');

    expect(installer).toEqual(
      expect.arrayContaining([
        'agent/install.sh',
        'agent/hbw-agent.sh',
        'lambda/http/install-ps1.ts',
        'lambda/http/install-script.ts',
        'lambda/api/openapi.ts',
      ]),
    );
    expect(installer.filter((path) => path.includes('to-json-schema'))).not.toEqual([]);
    expect(installer.filter((path) => path.includes('node_modules/@aws-sdk/'))).toEqual([]);
    expect(installer.filter((path) => path.startsWith('lambda/adapters/'))).toEqual([]);
    expect(installer).not.toContain('lambda/service.ts');
    expect(installer).not.toContain('lambda/domain/config.ts');
    for (const handler of ['admin', 'register', 'ingest']) {
      const inputs = await inputsOf(handler);
      for (const left of [
        'agent/install.sh',
        'lambda/http/install-ps1.ts',
        'lambda/http/installer-routes.ts',
        'lambda/api/openapi.ts',
      ]) {
        expect(inputs).not.toContain(left);
      }
      expect(inputs.filter((path) => path.includes('to-json-schema'))).toEqual([]);
    }
  });

  it('give the EventBridge client and the webhook renderers to the scanner alone', async () => {
    const inputs = await inputsOf('scanner');

    expect(inputs).toEqual(
      expect.arrayContaining([
        'lambda/adapters/eventbridge-notifier.ts',
        'lambda/domain/webhook-payloads.ts',
      ]),
    );
    expect(inputs.some((path) => path.includes('node_modules/@aws-sdk/client-eventbridge/'))).toBe(true);
    for (const handler of ['register', 'installer', 'admin']) {
      expect((await inputsOf(handler)).filter((path) => path.includes('client-eventbridge'))).toEqual([]);
    }
  });

  it('give the EC2 and SSM clients to the AWS health prober alone, which holds no store and no config', async () => {
    const sdk = (inputs: string[], client: string) =>
      inputs.some((path) => path.includes(`node_modules/@aws-sdk/client-${client}/`));
    const prober = await inputsOf('aws-prober');

    expect(sdk(prober, 'ec2') && sdk(prober, 'ssm')).toBe(true);
    expect(sdk(prober, 'dynamodb')).toBe(false);
    expect(prober).not.toContain('lambda/domain/config.ts');
    for (const handler of ['ingest', 'register', 'installer', 'admin', 'scanner', 'prober']) {
      const inputs = await inputsOf(handler);
      expect([sdk(inputs, 'ec2'), sdk(inputs, 'ssm')]).toEqual([false, false]);
    }
  });
});
