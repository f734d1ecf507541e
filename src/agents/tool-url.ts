/**
 * Where an agent's tools, MCP servers (and later webhooks) may send a call's data: https to a
 * public host. A tenant must not be able to point voice-edge at the deployment's own network
 * (loopback, private, link-local, carrier-grade NAT, unique-local IPv6) and read the answers back
 * through a model (SSRF). ALLOW_PRIVATE_TOOL_URLS=true lifts both rules for local development,
 * where the tool server is on localhost.
 *
 * Host names are checked as written: Workers' fetch cannot reach a private network behind a public
 * name unless the deployer connected one, so literal addresses and local names are what matter.
 */

/** Why `raw` may not be a tool URL, or undefined when it may. */
export function toolUrlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:"))
    return allowPrivate
      ? "must use http or https"
      : "must use https (set ALLOW_PRIVATE_TOOL_URLS=true for http locally)";
  if (url.username || url.password) return "must not carry a user name or password";
  if (allowPrivate) return undefined;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (isLocalName(host) || isPrivateAddress(host))
    return "must not be a loopback, private or link-local address (ALLOW_PRIVATE_TOOL_URLS=true allows it locally)";
  return undefined;
}

function isLocalName(host: string): boolean {
  if (host.startsWith("[")) return false; // an IPv6 literal: isPrivateAddress decides
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal") ||
    !host.includes(".") // a single-label name resolves, if at all, on a local network
  );
}

/** WHATWG URL has already normalised IPv4 forms ("2130706433", "0x7f.1") to dotted quads. */
function isPrivateAddress(host: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) return privateV4(v4.slice(1).map(Number) as [number, number, number, number]);
  if (host.startsWith("[") && host.endsWith("]")) return privateV6(host.slice(1, -1));
  return false;
}

function privateV4([a, b]: [number, number, number, number]): boolean {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast and reserved
  );
}

function privateV6(host: string): boolean {
  if (host === "::" || host === "::1") return true;
  // IPv4-mapped (::ffff:127.0.0.1, normalised by URL to ::ffff:7f00:1) and IPv4-compatible forms.
  const mapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1] ?? "0", 16);
    const lo = parseInt(mapped[2] ?? "0", 16);
    return privateV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  const first = parseInt(host.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 // multicast
  );
}
