import { failOnViolations } from './contract-violations';

// Set up after the environment of every test file (jest.config.js), with nothing heavy to load: fails
// the test (or, after the last test, the file) in which a watcher gave an answer that breaks the API
// contract, naming each: method, path, status and what does not match.

afterEach(() => failOnViolations('in this test'));
afterAll(() => failOnViolations('in the hooks of this file'));
