import { DurableObject } from "cloudflare:workers";
export class CallSession extends DurableObject<Env> {
  async ping(): Promise<string> { return "pong"; }
}
