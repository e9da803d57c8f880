import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";

export interface HttpsGetOptions {
  /** Extra CA certificates (PEM) to trust for this request only. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** Deadline for the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Bodies larger than this are refused. */
  maxBytes: number;
  headers?: Record<string, string>;
}

export interface HttpsGetResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Only read for 200 responses; empty otherwise. */
  body: Buffer;
}

export type HttpsGetFailure = "network" | "timeout" | "too_large";

export class HttpsGetError extends Error {
  constructor(
    readonly failure: HttpsGetFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpsGetError";
  }
}

/** One bounded GET over HTTPS (TLS verification on; `ca` adds trust for this call only). */
export function httpsGet(url: URL, options: HttpsGetOptions): Promise<HttpsGetResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: HttpsGetError | null, response?: HttpsGetResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== null) {
        request.destroy();
        reject(error);
      } else if (response !== undefined) {
        resolve(response);
      }
    };

    const request = https.request(
      url,
      {
        method: "GET",
        agent: false,
        ca: options.ca as string | Buffer | Array<string | Buffer> | undefined,
        headers: options.headers,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.destroy();
          finish(null, { status, headers: response.headers, body: Buffer.alloc(0) });
          return;
        }
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          finish(new HttpsGetError("too_large", "response body too large"));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            finish(new HttpsGetError("too_large", "response body too large"));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => {
          finish(null, { status, headers: response.headers, body: Buffer.concat(chunks) });
        });
        response.on("error", (cause) => {
          finish(new HttpsGetError("network", "response failed", { cause }));
        });
        response.on("aborted", () => {
          finish(new HttpsGetError("network", "response aborted"));
        });
      },
    );
    const timer = setTimeout(() => {
      finish(new HttpsGetError("timeout", `no complete response within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on("error", (cause) => {
      finish(new HttpsGetError("network", "request failed", { cause }));
    });
    request.end();
  });
}
