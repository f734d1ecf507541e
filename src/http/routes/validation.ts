import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";
import { findTextProblem } from "../../lib/text";

/**
 * Turns a zod validation failure into a 400 problem that names each bad field. A JSON body that
 * validates must also hold only text (src/lib/text.ts): every string in it, object keys included,
 * is checked here, in the one place every JSON body passes, so no route can store a NUL, another
 * control character or an unpaired surrogate a client sent.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) {
    const found = result.target === "json" ? findTextProblem(result.data) : null;
    if (found)
      throw new ApiError(
        400,
        "invalid_request",
        `The request json is invalid: ${found.path.length ? found.path.join(".") : "body"}: ${found.problem}.`,
      );
    return;
  }
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : result.target}: ${i.message}`)
    .join("; ");
  throw new ApiError(400, "invalid_request", `The request ${result.target} is invalid: ${issues}.`);
};
