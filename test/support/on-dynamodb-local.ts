// The dynamodb-local jest project's own set-up (jest.config.js): its tests' stores are DynamoDB
// Local's (test-store.ts). Each test file has an environment of its own, so this stays in its project.
process.env.HBW_TEST_STORE = 'dynamodb-local';
