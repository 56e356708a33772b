import { lookup as dnsLookup } from 'node:dns/promises';
import { type LookupFunction, isIP, isIPv6 } from 'node:net';
import { ValidationError } from '../errors.js';
import { addressKind } from './address-ranges.js';
import { type AllowList, parseAllowList } from './allow-list.js';

/** Every address a host name resolves to; tests pass their own. */
export type ResolveHost = (host: string) => Promise<string[]>;

/** A URL ready to connect to: its canonical form, host, port and the checked address. */
export interface OutboundTarget {
  url: URL;
  host: string;
  port: number;
  address: string;
}

const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain|.+\.localhost)$/;

const systemResolve: ResolveHost = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The one place that decides whether Keel may connect to an address a user gave it (git sources,
 * webhooks). It judges the address a name resolves to, not its spelling: the WHATWG URL parser
 * turns decimal, octal and hex IPv4, `%2e` and IPv6 spellings into one form, then loopback,
 * private, link-local, CGNAT, multicast, unspecified and reserved addresses are refused,
 * including IPv6 forms that carry one (see `addressKind`). Callers connect to the address
 * `resolve` returned, so a name cannot resolve to something else between check and connect.
 * `KEEL_OUTBOUND_ALLOW` lists the operator's exceptions.
 *
 * @example
 *   const guard = new OutboundGuard({ allow: ['git.internal'] });
 *   await guard.resolve('https://github.com/acme/kb.git'); // → { host, port: 443, address, url }
 *   await guard.resolve('http://0x7f.1/'); // throws ValidationError('outbound_address_refused')
 */
export class OutboundGuard {
  private readonly allow: AllowList;
  private readonly resolveHost: ResolveHost;

  constructor(options: { allow?: readonly string[]; resolve?: ResolveHost } = {}) {
    this.allow = parseAllowList(options.allow ?? []);
    this.resolveHost = options.resolve ?? systemResolve;
  }

  /**
   * For a location being saved: refuses a non-public address or name now; a name that does not
   * resolve here (offline, say) passes, since `resolve` checks again at connect time.
   */
  async check(location: string): Promise<void> {
    await this.resolve(location).catch((error: unknown) => {
      if (error instanceof ValidationError && error.code !== 'outbound_host_unresolved')
        throw error;
    });
  }

  /** Resolves the URL's host and checks every address it has; throws a 400 naming why not. */
  async resolve(location: string): Promise<OutboundTarget> {
    const url = canonicalUrl(location);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const trusted = this.allow.allowsHost(host);
    if (!trusted && LOOPBACK_NAMES.test(host)) throw refused(host, host, 'loopback');
    // A name without a dot is completed by the server's search domains: an intranet name.
    if (!trusted && !isIP(host) && !host.includes('.')) throw refused(host, host, 'intranet name');
    const addresses = isIP(host) ? [host] : await this.addressesOf(host);
    for (const address of trusted ? [] : addresses) {
      const kind = addressKind(address);
      if (kind && !this.allow.allowsAddress(address)) throw refused(host, address, kind);
    }
    return { url, host, port, address: addresses[0]! };
  }

  /**
   * A `lookup` for node:http(s) that answers with the already checked address, so the
   * connection goes exactly there.
   */
  static pinnedLookup(target: OutboundTarget): LookupFunction {
    const family = isIPv6(target.address) ? 6 : 4;
    return (_host, options, callback) => {
      if (options.all) callback(null, [{ address: target.address, family }]);
      else callback(null, target.address, family);
    };
  }

  private async addressesOf(host: string): Promise<string[]> {
    const addresses = await this.resolveHost(host).catch(() => []);
    if (addresses.length === 0) {
      throw new ValidationError('outbound_host_unresolved', `${host} does not resolve`, { host });
    }
    return addresses;
  }
}

/** The URL as WHATWG parses it (one spelling per host), without the trailing dot of a name. */
function canonicalUrl(location: string): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new ValidationError('outbound_url_invalid', 'Not a valid URL', {});
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('outbound_url_invalid', `${url.protocol} URLs are not fetched`, {});
  }
  if (url.hostname.endsWith('.')) url.hostname = url.hostname.replace(/\.+$/, '');
  return url;
}

function refused(host: string, address: string, kind: string): ValidationError {
  const at = address === host ? host : `${host} (${address})`;
  return new ValidationError(
    'outbound_address_refused',
    `${at} is not a public address (${kind}); Keel connects only to public addresses unless the operator allows one in KEEL_OUTBOUND_ALLOW`,
    { host, address, kind },
  );
}
