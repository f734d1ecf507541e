import { pcmDurationMs } from "../../audio/decode";
import type { SessionRecord } from "../../call/records";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { inSpan } from "../../observability/tracing";
import { dialTwiml, redirectTwilioCall } from "../../telephony/twilio-rest";
import type { CallRuntime } from "../call-runtime";
import type { Spoken } from "./speak";

/** Longest a transfer waits for the agent's last words to play out before it dials. */
const MAX_PLAYOUT_WAIT_MS = 15_000;

export type Transferred = "dialled" | "requested" | "failed";

/**
 * An agent's `transfer`. On a phone call that came through Twilio, the call is redirected with
 * TwiML `<Dial>` through Twilio's REST API ("Update a Call"), after the reply has had time to play:
 * the redirect ends the Media Stream, and with it any audio still playing. On any other call the
 * client was told (`transfer` on the stream and in the turn result) and connects the caller itself.
 * A transfer with no number to dial, or that Twilio refuses, is logged and reported as failed; the
 * call stays up, so the caller is never left in silence.
 */
export async function transferStage(
  call: CallRuntime,
  session: SessionRecord,
  transfer: { number?: string | undefined },
  spoken: Spoken,
): Promise<Transferred> {
  const meta = session.metadata;
  if (meta.channel !== "twilio") return "requested";
  return inSpan("transfer", { "voice.stage": "transfer" }, async (span) => {
    const accountSid = typeof meta.twilioAccountSid === "string" ? meta.twilioAccountSid : undefined;
    const callSid = typeof meta.twilioCallSid === "string" ? meta.twilioCallSid : undefined;
    const authToken = call.config.TWILIO_AUTH_TOKEN[0];
    if (!transfer.number || !accountSid || !callSid || !authToken) {
      const missing = !transfer.number ? "number" : !authToken ? "TWILIO_AUTH_TOKEN" : "Twilio call ids";
      log("transfer_failed", { callId: session.callId, reason: `no ${missing}` }, "warn");
      span?.setAttribute("voice.transfer", "failed");
      return "failed";
    }
    await playedOut(spoken);
    try {
      await redirectTwilioCall({ accountSid, callSid, authToken, twiml: dialTwiml(transfer.number) });
      span?.setAttribute("voice.transfer", "dialled");
      log("call_transferred", { callId: session.callId });
      return "dialled";
    } catch (err) {
      log("transfer_failed", { callId: session.callId, reason: errorMessage(err) }, "warn");
      span?.setAttribute("voice.transfer", "failed");
      return "failed";
    }
  });
}

/** Waits as long as the reply's audio lasts (µ-law 8 kHz on a Twilio call: a byte a sample). */
function playedOut(spoken: Spoken): Promise<void> {
  const audio = spoken.synth?.audio;
  if (!audio || audio.sampleRate <= 0) return Promise.resolve();
  const samples = audio.bytes.byteLength / (audio.format === "mulaw" ? 1 : 2);
  const ms = Math.min(MAX_PLAYOUT_WAIT_MS, pcmDurationMs(samples, audio.sampleRate));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
