/**
 * What the watcher's own AWS SDK clients are made with: the functions', and local mode's client of
 * its embedded store. `cacheMiddleware`: a client resolves a command's
 * middleware stack once, at the first send of that command class, and reuses it for every later one,
 * where it would otherwise resolve it on every request. Its one trap: middleware added to the client
 * (or to a command) after that command's first send is not seen, and one removed is still run; so
 * whatever adds middleware must do it before the first request, or use a client of its own. (A send
 * with options resolves afresh and empties the cache; `destroy()` empties it too.) Nothing in the
 * watcher adds middleware after its first request; the tests and the bench that add middleware
 * between requests make clients of their own, with the default.
 */
export const SDK_CLIENT_CONFIG = { cacheMiddleware: true } as const;
