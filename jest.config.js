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
    '/test/adapters/(condition-failure-item|dynalite-iterators|net-prober|outbox-notifier|sns-notifier)\\.test\\.ts$',
  ],
  setupFiles: ['<rootDir>/test/support/setup-env.ts', '<rootDir>/test/support/on-dynamodb-local.ts'],
  globalSetup: '<rootDir>/test/support/dynamodb-local-setup.ts',
  globalTeardown: '<rootDir>/test/support/dynamodb-local-teardown.ts',
};

// Where DynamoDB Local cannot run (no jar, no Java 17) its project is left out, and the reason said;
// on a CI runner it stays, and its tests fail with the reason.
const missing = dynamoDbLocalMissing();
if (missing && !IN_CI) console.warn(`The tests over DynamoDB Local are skipped: ${missing}`);

/** @type {import('jest').Config} */
module.exports = {
  projects: missing && !IN_CI ? [dynalite] : [dynalite, dynamodbLocal],
  testTimeout: 30000,
  maxWorkers: 2,
};
