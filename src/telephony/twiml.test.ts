import { describe, expect, it } from "vitest";
import { connectStreamTwiml, escapeXmlAttribute, escapeXmlText, sayHangupTwiml } from "./twiml";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

describe("connectStreamTwiml", () => {
  it("connects to the stream with its parameters", () => {
    expect(
      connectStreamTwiml({
        streamUrl: "wss://voice.example.com/twilio/media",
        parameters: { callId: "call_123", token: "abc" },
      }),
    ).toBe(
      `${DECL}<Response><Connect><Stream url="wss://voice.example.com/twilio/media">` +
        `<Parameter name="callId" value="call_123"/><Parameter name="token" value="abc"/>` +
        `</Stream></Connect></Response>`,
    );
  });

  it("matches the shape of Twilio's documented <Connect><Stream> example without parameters", () => {
    // https://www.twilio.com/docs/voice/twiml/stream: <Connect><Stream url="wss://example.com/audiostream" /></Connect>
    expect(connectStreamTwiml({ streamUrl: "wss://example.com/audiostream", parameters: {} })).toBe(
      `${DECL}<Response><Connect><Stream url="wss://example.com/audiostream"/></Connect></Response>`,
    );
  });

  it("says the text before connecting (nothing after <Connect> runs while the stream is open)", () => {
    expect(connectStreamTwiml({ streamUrl: "wss://example.com/s", parameters: {}, say: "Connecting you now." })).toBe(
      `${DECL}<Response><Say>Connecting you ` +
        `now.</Say><Connect><Stream url="wss://example.com/s"/></Connect></Response>`,
    );
  });

  it("escapes parameter names, values and the say text", () => {
    const xml = connectStreamTwiml({
      streamUrl: "wss://example.com/s",
      parameters: { 'a"b': `x"y'z<&>`, note: "line1\nline2\ttab\rcr" },
      say: `Tom & Jerry say "<hi>" it's`,
    });
    expect(xml).toBe(
      `${DECL}<Response><Say>Tom &amp; Jerry say &quot;&lt;hi&gt;&quot; ` +
        `it&apos;s</Say><Connect><Stream url="wss://example.com/s">` +
        `<Parameter name="a&quot;b" value="x&quot;y&apos;z&lt;&amp;&gt;"/>` +
        `<Parameter name="note" value="line1&#10;line2&#9;tab&#13;cr"/>` +
        `</Stream></Connect></Response>`,
    );
    expect(xml).not.toMatch(/<hi>/);
  });

  it("round-trips through an XML-aware reading of the attribute (no raw metacharacters left)", () => {
    const value = `"><Hangup/><Say>pwned</Say><x a="`;
    const xml = connectStreamTwiml({ streamUrl: "wss://example.com/s", parameters: { callId: value } });
    expect(xml.match(/<Hangup\/>/g)).toBeNull();
    const attr = /<Parameter name="callId" value="([^"]*)"\/>/.exec(xml)?.[1] ?? "";
    const unescaped = attr.replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e] ?? "",
    );
    expect(unescaped).toBe(value);
  });

  it("keeps non-ASCII text as is", () => {
    expect(
      connectStreamTwiml({ streamUrl: "wss://example.com/s", parameters: { name: "Zoë 👋" }, say: "¡Hola!" }),
    ).toContain(
      "<Say>¡Hola!</Say><Connect><Stream " + 'url="wss://example.com/s"><Parameter name="name" value="Zoë 👋"/>',
    );
  });

  it("requires an absolute wss:// URL without query string, fragment or credentials", () => {
    const bad: [string, RegExp][] = [
      ["https://example.com/s", /must be wss:\/\//],
      ["ws://example.com/s", /must be wss:\/\//],
      ["/relative/path", /not an absolute URL/],
      ["wss://example.com/s?callId=1", /query string/],
      ["wss://example.com/s?", /query string/],
      ["wss://example.com/s#x", /fragment/],
      ["wss://user:pw@example.com/s", /credentials/],
    ];
    for (const [streamUrl, message] of bad) {
      expect(() => connectStreamTwiml({ streamUrl, parameters: {} }), streamUrl).toThrow(message);
    }
  });

  it("enforces Twilio's parameter limits", () => {
    const streamUrl = "wss://example.com/s";
    expect(() => connectStreamTwiml({ streamUrl, parameters: { "": "x" } })).toThrow(/empty name/);
    expect(connectStreamTwiml({ streamUrl, parameters: { k: "v".repeat(498) } })).toContain("v".repeat(498));
    expect(() => connectStreamTwiml({ streamUrl, parameters: { k: "v".repeat(499) } })).toThrow(
      /500 characters|under 500/,
    );
  });

  it("refuses characters XML 1.0 cannot carry", () => {
    expect(() => connectStreamTwiml({ streamUrl: "wss://example.com/s", parameters: { callId: "a\u0000b" } })).toThrow(
      /U\+0000/,
    );
    expect(() => sayHangupTwiml("bell\u0007")).toThrow(/U\+0007/);
    expect(() => sayHangupTwiml("lone \uD800 surrogate")).toThrow(/U\+D800/);
    expect(() => sayHangupTwiml("\uFFFF")).toThrow(/U\+FFFF/);
  });
});

describe("sayHangupTwiml", () => {
  it("says the text and hangs up", () => {
    expect(sayHangupTwiml("Sorry, this number is not in service.")).toBe(
      `${DECL}<Response><Say>Sorry, this number is not in service.</Say><Hangup/></Response>`,
    );
  });

  it("escapes the text", () => {
    expect(sayHangupTwiml(`Q&A <closed> "now"`)).toBe(
      `${DECL}<Response><Say>Q&amp;A &lt;closed&gt; &quot;now&quot;</Say><Hangup/></Response>`,
    );
  });

  it("just hangs up on empty text", () => {
    expect(sayHangupTwiml("")).toBe(`${DECL}<Response><Hangup/></Response>`);
  });
});

describe("escaping helpers", () => {
  it("escape the five XML metacharacters; attributes also keep tab/LF/CR", () => {
    expect(escapeXmlText(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(escapeXmlText("a\tb\nc")).toBe("a\tb\nc");
    expect(escapeXmlAttribute("a\tb\nc\rd")).toBe("a&#9;b&#10;c&#13;d");
    expect(escapeXmlAttribute("&amp;")).toBe("&amp;amp;");
  });
});
