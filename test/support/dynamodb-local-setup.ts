// jest's globalSetup of the dynamodb-local project (jest.config.js), in jest's own process, which
// the test workers' set-up does not reach.
import './setup-env';

export { startForRun as default } from './dynamodb-local';
