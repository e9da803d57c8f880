import type { ServerResponse } from "node:http";
import type { Context } from "hono";

/**
 * Sets a header on the response a middleware lets through. Under @hono/node-server it goes
 * straight onto Node's ServerResponse (which merges it into the headers the adapter writes), so a
 * plain JSON answer needs no WHATWG Headers object: building one, validating each name and value
 * and turning it back into Node's form cost the request path more than the rest of the headers'
 * work (npm run bench profile). Elsewhere (app.request in tests) it falls back to `c.header`.
 */
export function setResponseHeader(c: Context, name: string, value: string): void {
  const outgoing = (c.env as { outgoing?: Partial<ServerResponse> } | undefined)?.outgoing;
  if (typeof outgoing?.setHeader === "function" && outgoing.headersSent === false) {
    outgoing.setHeader(name, value);
  } else {
    c.header(name, value);
  }
}
