const { dynamoDbLocalMissing, IN_CI } = require('./test/support/dynamodb-local-missing');

/** What every project shares. */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    '^.+\\.sh$': '<rootDir>/test/support/text-transform.cjs',
  },
};

/**
 * Every test, over dynalite where a test needs a store (test/support/test-store.ts).
 * @type {import('jest').Config}
 */
const dynalite = {
  ...base,
  displayName: 'dynalite',
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // Every answer a watcher of the tests gives is held to the API's contract (test/support/contract-check.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/contract-hooks.ts'],
};

/**
 * The tests of the stores, the scanner and the faults (test/adapters) again, over AWS's DynamoDB Local:
 * one JVM for the run, started by the global set-up; each store a database of its own on it. The files
 * left out open no store, or test dynalite itself.
 * @type {import('jest').Config}
 */
const dynamodbLocal = {
  ...base,
  displayName: 'dynamodb-local',
  testMatch: ['<rootDir>/test/adapters/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/adapters/(condition-failure-item|dynalite-patches|aws-health-prober|aws-prober-handler|lambda-prober|net-prober|prober-handler|outbox-notifier|sdk-logging|sns-notifier)\\.test\\.ts$',
  ],
  setupFiles: ['<rootDir>/test/support/setup-env.ts', '<rootDir>/test/support/on-dynamodb-local.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/contract-hooks.ts'],
  globalSetup: '<rootDir>/test/support/dynamodb-local-setup.ts',
  globalTeardown: '<rootDir>/test/support/dynamodb-local-teardown.ts',
};

/**
 * HBW_TEST_STORE picks one store's project (npm run test:dynamodb-local sets it); unset, both run.
 * Asked for, or on a CI runner, the DynamoDB Local project runs where it cannot start, and its tests
 * fail with the reason; otherwise, there, it is left out and the reason said.
 */
const chosen = process.env.HBW_TEST_STORE;
if (chosen !== undefined && chosen !== 'dynalite' && chosen !== 'dynamodb-local') {
  throw new Error(`HBW_TEST_STORE: must be dynalite or dynamodb-local, not ${JSON.stringify(chosen)}`);
}
const missing = dynamoDbLocalMissing();
const leftOut = chosen === undefined && missing !== undefined && !IN_CI;
if (leftOut) console.warn(`The tests over DynamoDB Local are skipped: ${missing}`);

/** @type {import('jest').Config} */
module.exports = {
  projects: [dynalite, dynamodbLocal].filter((project) =>
    chosen === undefined ? !(leftOut && project === dynamodbLocal) : project.displayName === chosen,
  ),
  testTimeout: 30000,
  maxWorkers: 2,
};
