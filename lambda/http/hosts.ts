// Host names and addresses, as the local watcher's bind address, the router's browser guard and the
// CLI's signing rule judge them: one reading of "loopback" for all three.
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `host` names this machine's loopback: `localhost`, an IPv4 address in 127.0.0.0/8 or the
 * IPv6 `::1` (in any of its spellings, with or without brackets). A string that only looks like an
 * address (127.999.999.999, 127.0.0.256) is not one.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (name.toLowerCase() === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The host of a `Host` header (`name`, `name:port`, `[v6]` or `[v6]:port`) as a URL reads it (lower
 * case, IPv6 in brackets), or `undefined` when the header is not a host: a bad address (999.0.0.1,
 * 127.0.0.256), a path, a user, a space.
 */
export function hostOfHeader(header: string): string | undefined {
  const m = /^([^:[\]/?#@\\\s%]+|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/.exec(header);
  if (!m) return undefined;
  try {
    return new URL(`http://${m[1]}`).hostname;
  } catch {
    return undefined;
  }
}
