import { request } from "node:https";

export interface HttpsResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** PEM of the CA (or self-signed certificate) to trust; verification is never turned off. */
  readonly ca: string;
  /** Called once the whole request has been written to the socket. */
  readonly onSent?: () => void;
}

/** A plain HTTPS request with the given trust anchor, for tests that talk to a real server. */
export function httpsRequest(url: string, options: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, ca: options.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.onSent) req.on("finish", options.onSent);
    req.end(options.body);
  });
}
