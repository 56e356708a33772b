import { BlockList, isIP } from 'node:net';

/** Operator exceptions to the outbound guard (`KEEL_OUTBOUND_ALLOW`). */
export interface AllowList {
  allowsHost(host: string): boolean;
  allowsAddress(address: string): boolean;
}

/**
 * Parses `KEEL_OUTBOUND_ALLOW` entries: CIDRs (`10.0.0.0/8`, `fd00::/8`), single addresses,
 * host names (`git.internal`) and name suffixes (`*.corp.example`). Throws naming a bad entry.
 *
 * @example
 *   parseAllowList(['10.1.0.0/16', 'git.internal']).allowsAddress('10.1.2.3'); // → true
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const addresses = new BlockList();
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    const [network = '', prefixText] = entry.replace(/^\[|\](?=\/|$)/g, '').split('/');
    const family = isIP(network);
    if (family !== 0) {
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw badEntry(raw);
      addresses.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
    } else if (/^\*\.[a-z0-9.-]+$/.test(entry)) {
      suffixes.push(entry.slice(1));
    } else if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(entry)) {
      hosts.add(entry);
    } else {
      throw badEntry(raw);
    }
  }
  return {
    allowsHost: (host) => hosts.has(host) || suffixes.some((suffix) => host.endsWith(suffix)),
    allowsAddress: (address) => {
      const family = isIP(address);
      return family !== 0 && addresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

function badEntry(entry: string): Error {
  return new Error(`"${entry}" is not a CIDR (10.0.0.0/8), an address, a host name or *.domain`);
}
