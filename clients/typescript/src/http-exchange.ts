import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { type Agent, type RequestOptions, request } from "node:https";

/** A whole HTTP answer: status, headers and the body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The answer began but its body did not arrive whole (the connection closed or failed). */
export class CutShortAnswerError extends Error {
  constructor(
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(`the HTTP ${status} answer was cut short`, options);
    this.name = "CutShortAnswerError";
  }
}

/** Where one request goes: the agent (keep-alive pool, trusted CA) and the URL's parts. */
export interface HttpTarget {
  readonly agent: Agent;
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
}

/**
 * One HTTPS request. Resolves with the whole answer (any status); rejects with the socket's error
 * when no answer began, a CutShortAnswerError when the body broke off, or an AbortError when
 * `signal` fires.
 */
export function exchange(
  target: HttpTarget,
  method: "GET" | "POST",
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      agent: target.agent,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      method,
      headers,
      signal,
    };
    const req = request(options, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => {
        // "end" also follows a close mid-body on some paths; the parser marks that as incomplete.
        if (!res.complete) reject(new CutShortAnswerError(status));
        else
          resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      });
      // `on`, not `once`: a second error event without a listener would crash the process.
      res.on("error", (error) =>
        reject(signal.aborted ? error : new CutShortAnswerError(status, { cause: error })),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}
