import { bytesToBase64 } from "../lib/base64";
import { escapeXmlText } from "./twiml";

/**
 * Changing a live Twilio call through the REST API: "Update a Call resource"
 * (https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource), a POST of
 * form-encoded parameters to /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json. Its `Twiml`
 * parameter replaces the TwiML the call is running, so the Media Stream ends and the new TwiML
 * runs: a <Dial> transfers the caller. Requests use HTTP Basic authentication with the Account SID
 * as user name and the Auth Token as password (https://www.twilio.com/docs/usage/requests-to-twilio).
 */

const API_BASE = "https://api.twilio.com/2010-04-01";
/** Twilio's documented id shapes; checked so an id can never change the request's path. */
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ERROR_BODY_CHARS = 4_096;

export interface RedirectTwilioCall {
  accountSid: string;
  callSid: string;
  authToken: string;
  /** A whole TwiML document, e.g. dialTwiml(number). */
  twiml: string;
  /** Injected in tests; default the global fetch. */
  fetch?: typeof fetch | undefined;
  /** Default: a 10 s timeout. */
  signal?: AbortSignal | undefined;
}

/** TwiML that dials `number` (E.164 or any address <Dial> takes), escaped for XML. */
export function dialTwiml(number: string): string {
  return `<Response><Dial>${escapeXmlText(number, "number")}</Dial></Response>`;
}

/** The Call update URL; throws on ids that are not Twilio's. */
export function twilioCallUrl(accountSid: string, callSid: string): string {
  if (!ACCOUNT_SID.test(accountSid)) throw new TypeError("a Twilio Account SID is AC followed by 32 hex digits");
  if (!CALL_SID.test(callSid)) throw new TypeError("a Twilio Call SID is CA followed by 32 hex digits");
  return `${API_BASE}/Accounts/${accountSid}/Calls/${callSid}.json`;
}

/**
 * Replaces the live call's TwiML. Resolves when Twilio accepted it (2xx); otherwise throws an
 * Error naming the HTTP status and Twilio's error code (never the token).
 */
export async function redirectTwilioCall(options: RedirectTwilioCall): Promise<void> {
  const url = twilioCallUrl(options.accountSid, options.callSid);
  const credentials = bytesToBase64(new TextEncoder().encode(`${options.accountSid}:${options.authToken}`));
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${credentials}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ Twiml: options.twiml }).toString(),
      signal: options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
    });
  } catch (err) {
    const why = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? err.name : "";
    throw new Error(`Twilio call update failed: ${why || "network error"}`, { cause: err });
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  throw new Error(`Twilio call update failed: HTTP ${response.status}${await twilioErrorDetail(response)}`);
}

/** " (Twilio error 20404: The requested resource ... was not found)", or "" when the body says nothing. */
async function twilioErrorDetail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    const code = typeof body.code === "number" ? ` ${body.code}` : "";
    const message = typeof body.message === "string" ? `: ${body.message.slice(0, 200)}` : "";
    return code || message ? ` (Twilio error${code}${message})` : "";
  } catch {
    return "";
  }
}
