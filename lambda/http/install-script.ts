// `GET /v1/install.sh`: the sh installer (agent/install.sh) with the sh agent inside and the
// watcher's own URL as the default endpoint. Both scripts are bundled as text; nothing secret is in them.
import AGENT_SH from '../../agent/hbw-agent.sh';
import INSTALL_SH from '../../agent/install.sh';
import { WATCHER_VERSION } from '../version';
import { hostOfHeader } from './hosts';

/** Replaces the one line `line` of `text` with `by`; a script without it is a build mistake. */
function replaceLine(text: string, line: string, by: string): string {
  const lines = text.split('\n');
  const at = lines.indexOf(line);
  if (at === -1 || lines.indexOf(line, at + 1) !== -1) {
    throw new Error(`agent/install.sh must hold the line ${line} exactly once`);
  }
  lines[at] = by;
  return lines.join('\n');
}

if (AGENT_SH.split('\n').includes('HBW_AGENT')) {
  throw new Error('agent/hbw-agent.sh must not hold the line HBW_AGENT, which ends it inside the installer');
}

/** A version as sh may take it inside single quotes. */
const VERSION = /^[A-Za-z0-9._+-]{1,40}$/.test(WATCHER_VERSION) ? WATCHER_VERSION : 'unknown';

const WITH_AGENT = replaceLine(
  replaceLine(INSTALL_SH, '#@agent@', AGENT_SH.replace(/\n$/, '')),
  "watcher_version='dev'",
  `watcher_version='${VERSION}'`,
);

/** What an origin may hold to go into the script between single quotes: no quote, no `$`, no space. */
const SAFE_ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](?::\d{1,5})?$/;

/**
 * The watcher's URL as the client reached it: the `Host` header, checked as every request's is, and
 * the scheme (`X-Forwarded-Proto` when it says http or https, as API Gateway sets it; else the
 * request's own). `undefined` when they do not make a plain origin: the script then asks for --endpoint.
 */
export function servedEndpoint(
  host: string | undefined,
  forwardedProto: string | undefined,
  requestUrl: string,
): string | undefined {
  if (host === undefined || hostOfHeader(host) === undefined) return undefined;
  const forwarded = forwardedProto?.split(',')[0]?.trim().toLowerCase();
  const scheme =
    forwarded === 'http' || forwarded === 'https' ? forwarded : new URL(requestUrl).protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  let origin: string;
  try {
    origin = new URL(`${scheme}://${host}`).origin;
  } catch {
    return undefined;
  }
  return SAFE_ORIGIN.test(origin) ? origin : undefined;
}

/** The installer as served, with `endpoint` (from {@link servedEndpoint}) as its default. */
export function installScript(endpoint: string | undefined): string {
  if (endpoint !== undefined && !SAFE_ORIGIN.test(endpoint))
    throw new Error(`not a plain origin: ${endpoint}`);
  return replaceLine(WITH_AGENT, "served_endpoint=''", `served_endpoint='${endpoint ?? ''}'`);
}
