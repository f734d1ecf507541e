import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";

/** Turns a zod validation failure into a 400 problem that names each bad field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : result.target}: ${i.message}`)
    .join("; ");
  throw new ApiError(400, "invalid_request", `The request ${result.target} is invalid: ${issues}.`);
};
