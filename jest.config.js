/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    '^.+\\.sh$': '<rootDir>/test/support/text-transform.cjs',
  },
  testTimeout: 30000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
};
