/**
 * TwiML documents for the voice webhook: connect the call to our Media Streams WebSocket, or say a
 * sentence and hang up (refusals).
 *
 * <Connect><Stream> (https://www.twilio.com/docs/voice/twiml/stream) opens a bidirectional stream;
 * Twilio does not run the TwiML after <Connect> until our server closes the socket, so anything
 * to say first goes before it. From the same page:
 *  - "`wss` is the only supported protocol" for `url`;
 *  - "The `url` does not support query string parameters": per-call data goes in nested
 *    <Parameter name value/> nouns, which Twilio hands back in the start message's
 *    `start.customParameters` (https://www.twilio.com/docs/voice/media-streams/websocket-messages#start-message);
 *  - "The combined length of each <Parameter> name and value attributes must be under 500 characters."
 * <Say>/<Hangup>: https://www.twilio.com/docs/voice/twiml/say, https://www.twilio.com/docs/voice/twiml/hangup.
 *
 * Every attribute and text node is escaped. XML 1.0 cannot carry most C0 control characters,
 * lone surrogates, U+FFFE or U+FFFF at all, even as character references, so those throw.
 */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Twilio: name.length + value.length must be under 500. */
export const MAX_PARAMETER_CHARS = 499;

// Characters outside the XML 1.0 Char production (tab, LF and CR are allowed). With the u flag a
// surrogate range matches only lone surrogates: a valid pair is read as one code point.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/u;

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
// In attributes, tab/LF/CR are written as references so attribute-value normalisation keeps them.
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

function checkXmlChars(value: string, what: string): void {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new TypeError(`${what} contains U+${code}, which XML 1.0 cannot represent`);
  }
}

/** Escape for element content. Throws on characters XML cannot carry. */
export function escapeXmlText(value: string, what = "text"): string {
  checkXmlChars(value, what);
  return value.replace(/[&<>"']/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** Escape for a double-quoted attribute value. Throws on characters XML cannot carry. */
export function escapeXmlAttribute(value: string, what = "attribute"): string {
  checkXmlChars(value, what);
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

function sayElement(text: string | undefined): string {
  return text ? `<Say>${escapeXmlText(text, "say text")}</Say>` : "";
}

/** Throws unless `streamUrl` is an absolute wss:// URL with a host and no query string. */
export function checkStreamUrl(streamUrl: string): void {
  let url: URL;
  try {
    url = new URL(streamUrl);
  } catch {
    throw new TypeError("streamUrl is not an absolute URL");
  }
  if (url.protocol !== "wss:")
    throw new TypeError(`streamUrl must be wss:// (Twilio supports no other protocol), got ${url.protocol}//`);
  if (!url.hostname) throw new TypeError("streamUrl has no host");
  if (url.search || streamUrl.includes("?")) {
    throw new TypeError(
      "streamUrl must not have a query string (Twilio does not support one); pass per-call data as parameters",
    );
  }
  if (url.hash || streamUrl.includes("#")) throw new TypeError("streamUrl must not have a fragment");
  if (url.username || url.password) throw new TypeError("streamUrl must not carry credentials");
}

export interface ConnectStreamOptions {
  /** wss:// URL of our Media Streams endpoint, without a query string. */
  streamUrl: string;
  /** Custom parameters, echoed back in the start message's `start.customParameters`. */
  parameters?: Readonly<Record<string, string>>;
  /** Spoken before the stream connects (optional). */
  say?: string;
}

/**
 * `<Response>[<Say>…</Say>]<Connect><Stream url="wss://…">` (the voice webhook sends no <Say>: the
 * greeting is spoken over the stream, src/pipeline/live/call-streams.ts)
 * `<Parameter name=… value=…/>…</Stream></Connect></Response>`.
 * Throws TypeError on an invalid URL, an empty parameter name, a parameter of 500 or more
 * characters (name + value), or text XML cannot carry.
 */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  checkStreamUrl(options.streamUrl);
  let params = "";
  for (const [name, value] of Object.entries(options.parameters ?? {})) {
    if (!name) throw new TypeError("a stream parameter has an empty name");
    if (name.length + value.length > MAX_PARAMETER_CHARS) {
      throw new TypeError(
        `stream parameter "${name.slice(0, 40)}" is ` +
          `${name.length + value.length} characters (name + value); Twilio requires under 500`,
      );
    }
    params +=
      `<Parameter name="${escapeXmlAttribute(name, "parameter name")}" ` +
      `value="${escapeXmlAttribute(value, `parameter ${name}`)}"/>`;
  }
  const url = escapeXmlAttribute(options.streamUrl, "streamUrl");
  const stream = params ? `<Stream url="${url}">${params}</Stream>` : `<Stream url="${url}"/>`;
  return `${XML_DECLARATION}<Response>${sayElement(options.say)}<Connect>${stream}</Connect></Response>`;
}

/**
 * `<Response><Say>text</Say><Hangup/></Response>`: tell the caller why, then end the call. Empty text just hangs up.
 */
export function sayHangupTwiml(text: string): string {
  return `${XML_DECLARATION}<Response>${sayElement(text)}<Hangup/></Response>`;
}

/** The Content-Type to serve TwiML with. */
export const TWIML_CONTENT_TYPE = "text/xml; charset=utf-8";
