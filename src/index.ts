import { Hono } from "hono";
export { CallSession } from "./durable/call-session";
const app = new Hono<{ Bindings: Env }>();
app.get("/healthz", (c) => c.json({ status: "ok" }));
export default app;
