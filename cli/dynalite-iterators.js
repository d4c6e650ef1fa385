// A patch to dynalite 4.0.0, applied at runtime in the dynalite thread (cli/embedded-dynamo.ts):
// dynalite never closes the LevelDB iterator behind a Scan or a Query.
//
// What dynalite does wrong. Its db/index.js turns `db.keys()` and `db.values()` (level 10,
// abstract-level 3) into streams whose destroy calls `iterator.return()` "if there is one". An
// abstract-level iterator has no `return()`: it is closed by `close()`. So no iterator is ever closed,
// neither at the end of a read nor when the stream is destroyed. The database keeps each one among its
// open resources until it closes, and each holds a LevelDB snapshot and the memtables and files it
// reads. Every Scan and Query leaks one: memory grows with the reads, and compaction keeps every
// overwritten version that some leaked snapshot can still see, so the data dir grows with the writes.
// A watcher whose console reads the fleet once a second grew from 116 MB to 894 MB of memory.
// dynalite 3 (levelup) closed them; 4.0.0 is the newest release on npm as this is written.
//
// Real DynamoDB needs nothing of the kind: a Scan or a Query is one request, paged by
// LastEvaluatedKey, and the service keeps no cursor open between requests, so there is nothing for a
// client to close and nothing a read could pin. Our code is right as it is; only dynalite needs this.
//
// The patch gives each iterator the `return()` dynalite looks for, which closes it. If a later dynalite
// closes its iterators itself, the patch does nothing, and can go.

const { dirname, join } = require('node:path');

/**
 * Makes the dynalite found at `dynalitePath` (the path `require.resolve('dynalite')` gives) close the
 * LevelDB iterator behind each read when the read ends. Call it before `dynalite()` creates its store.
 * @param {string} dynalitePath
 */
function closeDynaliteIterators(dynalitePath) {
  const dynaliteDb = require(join(dirname(dynalitePath), 'db'));
  const create = dynaliteDb.create;
  // dynalite() creates its store through this export. (Its recreate(), used only to listen again after
  // a close, calls the unwrapped create: the thread never listens twice.)
  dynaliteDb.create = (options) => {
    const store = create(options);
    for (const method of ['keys', 'values']) {
      const open = store.db[method].bind(store.db);
      store.db[method] = (iteratorOptions) => {
        const iterator = open(iteratorOptions);
        iterator.return = () => iterator.close();
        return iterator;
      };
    }
    return store;
  };
}

module.exports = { closeDynaliteIterators };
