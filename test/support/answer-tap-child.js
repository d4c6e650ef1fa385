// Loaded first (`node --require`) by a server the tests start as a process of its own
// (./agent-helpers.ts spawnHbw): every answer its TCP servers give (not the embedded DynamoDB's, on a
// socket file) goes to the tests on file descriptor 3, one JSON line each, written before the answer
// itself goes out, so the tests read it no later than the answer.
const { writeSync } = require('node:fs');
const { tapAnswers } = require('./answer-tap');

const answerer = process.env.HBW_TEST_ANSWERER;
tapAnswers(
  (server) => (typeof server.address() === 'object' ? answerer : undefined),
  (_answerer, answer) => {
    writeSync(3, `${JSON.stringify(answer)}\n`);
  },
);
