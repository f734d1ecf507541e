/** Shared by this folder's tests and the contracts (never imported by runtime code). */
import { jsonResponse } from "../../../test/helpers/outbound";
import { FAILURES, type ContractFixture, type Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { cartesiaSettingsSchema, type CartesiaSettings } from "./settings";

export const KEY = "sk_car_test_0123456789abcdef0123456789";

export const settingsFrom = (vars: Record<string, string> = {}): CartesiaSettings =>
  cartesiaSettingsSchema.parse({ CARTESIA_API_KEY: KEY, ...vars });

/**
 * Cartesia's error documents (`title`, `message`, `error_code`, `request_id`; the WebSocket reference
 * of API version 2026-03-01 shows the same fields on its `error` message), with the contract's status.
 */
export function cartesiaError(failure: Failure, message: string, headers: Record<string, string> = {}): Response {
  const status = FAILURES[failure].status;
  return jsonResponse(
    { title: FAILURES[failure].says, message, error_code: failure, request_id: "req_0123456789", status_code: status },
    status,
    headers,
  );
}

export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "API key",
    timeoutVar: "CARTESIA_TIMEOUT_MS",
    vars: () => ({ CARTESIA_API_KEY: KEY }),
    secrets: [KEY],
    sendsRetryAfter: true,
    fail: cartesiaError,
    unusable: proxyPage,
  }),
];
