/**
 * Base URLs for adapters whose API can also run on the deployer's own host: OpenAI-compatible
 * servers (speaches, LocalAI...) and Deepgram self-hosted. One set of rules for all of them, so a
 * URL that one adapter refuses is not quietly accepted by another:
 * - https, except plain http to this machine (a development server);
 * - no credentials in the URL (they would end up in logs; keys have their own setting);
 * - no query string or fragment (the adapter builds the query itself);
 * - an optional path prefix (a proxy's "/openai"); a trailing "/v1" is accepted and dropped,
 *   because SDKs spell base URLs that way and the adapters append "/v1/..." themselves.
 * Problems never quote the value: a mistyped URL may carry a secret.
 */
import { z } from "zod";

/** Plain http is only acceptable to a server on this machine (a self-hosted dev server). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `.dev.vars` lines like `OPENAI_API_KEY=` mean "not set", not "set to nothing". */
export const blankAsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

export interface BaseUrlRules {
  /** A URL the "must be an absolute URL such as ..." problem can show. */
  example: string;
  /** The setting credentials belong in, named when a URL carries some. */
  keySetting: string;
}

/** Origin plus optional path prefix, no trailing slash and no "/v1" — or what is wrong with it. */
export function checkBaseUrl(
  value: string,
  rules: BaseUrlRules,
): { url: string; problems: [] } | { url?: undefined; problems: string[] } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problems: [`must be an absolute URL such as ${rules.example}`] };
  }
  const problems: string[] = [];
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) {
    problems.push("must be an https URL (plain http is allowed only for localhost or 127.0.0.1)");
  }
  if (url.username || url.password) problems.push(`must not contain credentials; put the key in ${rules.keySetting}`);
  if (url.search || url.hash || value.includes("?") || value.includes("#"))
    problems.push("must not have a query string or fragment");
  if (problems.length) return { problems };
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  return { url: `${url.origin}${path}`, problems: [] };
}

/**
 * The id a base URL's engine reports as its `region`, and so the key of its breaker and health:
 * the host ("api.openai.com", "localhost:8000"), plus the path prefix when there is one, so two
 * endpoints behind one proxy ("gw.example.com/a", "gw.example.com/b") are told apart.
 */
export function endpointId(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/** The entries of a comma-separated list setting, as the registry splits them. */
export function listEntries(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The base URL of one engine when a list setting (OPENAI_BASE_URLS) builds one engine per entry.
 * Every entry is checked here, so a bad one is reported against the list, by its position, and two
 * entries for the same endpoint (which would share one breaker) are refused. The registry hands
 * each engine its entry lowercased in the single setting (region ids are case-insensitive); URL
 * paths are not, so the entry's own spelling is taken back from the list.
 */
export function baseUrlFromList(
  list: string,
  chosen: string | undefined,
  ctx: z.RefinementCtx,
  path: string,
  rules: BaseUrlRules,
): string | undefined {
  const entries = listEntries(list);
  const urls: string[] = [];
  const ids = new Map<string, number>();
  let ok = true;
  const problem = (message: string) => {
    ok = false;
    ctx.addIssue({ code: "custom", path: [path], message });
  };
  entries.forEach((entry, index) => {
    const checked = checkBaseUrl(entry, rules);
    for (const message of checked.problems) problem(`entry ${index + 1} ${message}`);
    if (checked.url === undefined) return;
    const id = endpointId(checked.url).toLowerCase();
    const twin = ids.get(id);
    if (twin !== undefined)
      problem(`entries ${twin + 1} and ${index + 1} are the same endpoint; list each server once`);
    ids.set(id, index);
    urls.push(checked.url);
  });
  if (!ok) return undefined;
  const wanted = chosen?.trim().toLowerCase();
  const at = entries.findIndex((e) => e.toLowerCase() === wanted);
  // Read directly rather than through the registry: the first entry stands for the list.
  return urls[Math.max(0, at)];
}

/**
 * One base URL setting checked inside a schema: the normalised URL, or undefined after adding its problems under
 * `path`.
 */
export function baseUrlFromSetting(
  value: string,
  ctx: z.RefinementCtx,
  path: string,
  rules: BaseUrlRules,
): string | undefined {
  const checked = checkBaseUrl(value, rules);
  for (const message of checked.problems) ctx.addIssue({ code: "custom", path: [path], message });
  return checked.url;
}
