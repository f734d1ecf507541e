import type { z } from "zod";
import { ProviderError } from "../errors";

/**
 * Validates a provider answer before use: a 2xx whose shape is not the documented one is an
 * invalid_response (naming the first mismatching fields, never echoing the body, which can hold
 * user speech).
 */
export function parseAnswer<S extends z.ZodType>(provider: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new ProviderError(provider, "invalid_response", `answer does not have the documented shape (${where})`);
}
