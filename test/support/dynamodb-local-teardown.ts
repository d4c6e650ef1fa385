// jest's globalTeardown of the dynamodb-local project (jest.config.js).
export { stopForRun as default } from './dynamodb-local';
