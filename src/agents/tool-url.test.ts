import { describe, expect, it } from "vitest";
import { toolUrlProblem } from "./tool-url";

const refused = (url: string) => expect(toolUrlProblem(url, false), url).toBeDefined();
const allowed = (url: string, allowPrivate = false) => expect(toolUrlProblem(url, allowPrivate), url).toBeUndefined();

describe("toolUrlProblem", () => {
  it("allows https to a public host, by name or address", () => {
    allowed("https://tools.example.com/lookup");
    allowed("https://93.184.215.14/hook");
    allowed("https://[2606:4700::6810:84e5]/hook");
    allowed("https://example.com:8443/x?y=1");
  });

  it("refuses what is not an absolute URL, and user names or passwords", () => {
    expect(toolUrlProblem("/relative", false)).toBe("must be an absolute URL");
    expect(toolUrlProblem("not a url", true)).toBe("must be an absolute URL");
    expect(toolUrlProblem("https://user:pw@example.com/", false)).toMatch(/user name or password/);
    expect(toolUrlProblem("https://user@example.com/", true)).toMatch(/user name or password/);
  });

  it("takes https only, unless private URLs are allowed (then http too, never other schemes)", () => {
    expect(toolUrlProblem("http://example.com/", false)).toMatch(/^must use https/);
    allowed("http://example.com/", true);
    expect(toolUrlProblem("ftp://example.com/", true)).toBe("must use http or https");
    expect(toolUrlProblem("file:///etc/passwd", false)).toMatch(/^must use https/);
    expect(toolUrlProblem("javascript:alert(1)", true)).toBe("must use http or https");
  });

  it("refuses loopback and local names", () => {
    refused("https://localhost/");
    refused("https://LOCALHOST./");
    refused("https://api.localhost/");
    refused("https://printer.local/");
    refused("https://metadata.google.internal/");
    refused("https://intranet/"); // a single label resolves, if at all, on a local network
    refused("https://127.0.0.1/");
    refused("https://127.1.2.3:8443/");
    refused("https://[::1]/");
    refused("https://[::]/");
  });

  it("refuses private, link-local, CGNAT, benchmarking, multicast and 'this network' IPv4", () => {
    for (const host of [
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.127.255.255",
      "198.18.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
    ])
      refused(`https://${host}/`);
    // Neighbours of the private ranges are public.
    allowed("https://172.15.255.255/");
    allowed("https://172.32.0.1/");
    allowed("https://100.63.255.255/");
    allowed("https://100.128.0.1/");
    allowed("https://11.0.0.1/");
  });

  it("sees through decimal, hex and short IPv4 forms (URL normalises them)", () => {
    refused("https://2130706433/"); // 127.0.0.1
    refused("https://0x7f.1/");
    refused("https://0x7f000001/");
    refused("https://017700000001/"); // octal 127.0.0.1
    refused("https://3232235777/"); // 192.168.1.1
    refused("https://10.1/"); // 10.0.0.1
    allowed("https://1572395042/"); // 93.184.215.34, public
  });

  it("refuses IPv4-mapped and -compatible IPv6 of private addresses, and private IPv6 ranges", () => {
    refused("https://[::ffff:127.0.0.1]/");
    refused("https://[::ffff:7f00:1]/");
    refused("https://[::ffff:10.0.0.1]/");
    refused("https://[::ffff:169.254.169.254]/");
    refused("https://[::127.0.0.1]/");
    refused("https://[fc00::1]/");
    refused("https://[fd12:3456::1]/");
    refused("https://[fe80::1]/");
    refused("https://[ff02::1]/");
    allowed("https://[::ffff:93.184.215.14]/");
  });

  it("allows loopback and private addresses over http or https when ALLOW_PRIVATE_TOOL_URLS is true", () => {
    allowed("http://localhost:8787/tool", true);
    allowed("http://127.0.0.1:3000/", true);
    allowed("https://[::1]/", true);
    allowed("http://192.168.1.20/", true);
    allowed("http://2130706433/", true);
  });
});
