import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigFileError, loadConfigFile } from '../cli/config-file';
import { CloudConfigError, cloudConfigProblems } from '../lib/cloud-config';
import { HeartbeatWatcherStack } from '../lib/heartbeat-watcher-stack';

// The CDK app (cdk.json "app"): reads heartbeat-watcher.config.json and builds the one stack.
const app = new App();
try {
  const { raw } = loadConfigFile(app.node.tryGetContext('config') as string | undefined, {
    more: cloudConfigProblems,
  });
  new HeartbeatWatcherStack(
    app,
    (app.node.tryGetContext('stackName') as string | undefined) ?? 'HeartbeatWatcher',
    {
      config: raw,
      description: 'heartbeat-watcher: agent heartbeats, missed-scan alerts, paging by server group',
    },
  );
} catch (error) {
  if (error instanceof ConfigFileError || error instanceof CloudConfigError) {
    process.stderr.write(`heartbeat-watcher: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
