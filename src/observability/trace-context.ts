/** W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent header. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface ParentContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** The parent named by a valid traceparent (all-zero ids are invalid), else null. */
export function parseTraceparent(value: string | null | undefined): ParentContext | null {
  const m = TRACEPARENT.exec((value ?? "").trim());
  if (!m) return null;
  const [, traceId = "", spanId = "", flags = "00"] = m;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

export function newTraceId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** A valid incoming X-Request-Id is kept; anything else gets a new one. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}
