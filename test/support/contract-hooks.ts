import { tapAnswers } from './answer-tap';
import { answererOf } from './checked-servers';
import { failOnViolations } from './contract-violations';

// Set up after the environment of every test file (jest.config.js), with nothing heavy to load: holds
// every answer of the servers the tests check (./checked-servers.ts) to the API's contract, and fails
// the test (or, after the last test, the file) in which one broke it, naming each: method, path,
// status and what does not match. The checker loads with the first answer to check.

const untap = tapAnswers(answererOf, (answerer, answer) =>
  (require('./contract-check') as typeof import('./contract-check')).holdToContract(answerer, answer),
);

afterEach(() => failOnViolations('in this test'));
afterAll(async () => {
  untap();
  await failOnViolations('in the hooks of this file');
});
