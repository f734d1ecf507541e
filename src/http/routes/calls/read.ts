import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { ApiError, errors } from "../../../lib/errors";
import { tenantOf, tenantRefOf } from "../../middleware/auth";
import { recordUse } from "../../middleware/audit";
import { listCalls } from "../../../storage/warm-store";
import { scoped } from "../scoped";
import { CallIdParam, CallSummary, CallView, ListCallsQuery, problemResponses } from "../schemas";

import { publicView, readThroughTiers } from "./views";

function encodeCursor(createdAt: string, callId: string): string {
  return btoa(JSON.stringify([createdAt, callId])).replace(/=+$/, "");
}

function decodeCursor(cursor: string): { createdAt: string; callId: string } {
  try {
    const [createdAt, callId] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof createdAt === "string" && typeof callId === "string") return { createdAt, callId };
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError(
    400,
    "invalid_request",
    "The cursor is not one this API returned; pass nextCursor from the previous page unchanged.",
  );
}

/** GET /calls and GET /calls/{callId}: list a tenant's calls, read one through the tiers. */
export function readRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "List this tenant's calls, newest first",
      ...scoped("calls:read"),
      request: { query: ListCallsQuery },
      responses: {
        200: {
          description: "A page of calls",
          content: {
            "application/json": {
              schema: z.object({ calls: z.array(CallSummary), nextCursor: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const q = c.req.valid("query");
      const calls = await listCalls(c.env.DB, {
        tenantId,
        status: q.status,
        from: q.from,
        to: q.to,
        limit: q.limit + 1,
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
      });
      const page = calls.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          calls: page,
          ...(calls.length > q.limit && last ? { nextCursor: encodeCursor(last.createdAt, last.callId) } : {}),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/{callId}",
      tags,
      summary: "Read a call (hot → warm → cold)",
      ...scoped("calls:read"),
      request: { params: CallIdParam },
      responses: {
        200: { description: "The call", content: { "application/json": { schema: CallView } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { callId } = c.req.valid("param");
      const found = await readThroughTiers(c.env, tenantRefOf(c.var.principal), callId);
      await recordUse(c, "call.read", callId, Boolean(found));
      if (!found) throw errors.callNotFound(callId);
      return c.json(publicView(found.view, found.tier), 200);
    },
  );
}
