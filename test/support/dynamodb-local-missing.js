// Whether AWS's DynamoDB Local can run here: read by jest.config.js, which leaves its project out when
// it cannot (and says why), and by dynamodb-local.ts, which names the reason when it must start.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

/** Where scripts/dynamodb-local.sh unpacks it (the same default). */
const JAR_DIR =
  process.env.DYNAMODB_LOCAL_DIR ?? resolve(__dirname, '../../node_modules/.cache/dynamodb-local');

/** On a CI runner its tests must run: a DynamoDB Local that cannot start fails them. */
const IN_CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

/** Why DynamoDB Local cannot run here (no jar, no Java 17), or `undefined` when it can. */
function dynamoDbLocalMissing() {
  if (process.platform === 'win32') return 'it is started through a POSIX sh, which Windows lacks';
  if (!existsSync(join(JAR_DIR, 'DynamoDBLocal.jar'))) {
    return `no DynamoDBLocal.jar in ${JAR_DIR} (npm run dynamodb-local fetches it)`;
  }
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) return `no java on the PATH (${java.error.message}); DynamoDB Local needs Java 17`;
  const major = Number(/version "(\d+)/.exec(java.stderr)?.[1]);
  if (!(major >= 17)) return `java is ${java.stderr.split('\n')[0]}; DynamoDB Local needs Java 17`;
  return undefined;
}

module.exports = { JAR_DIR, IN_CI, dynamoDbLocalMissing };
