import { connect, type TLSSocket } from "node:tls";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Opens a TLS connection to the test service, for requests no HTTP client would send. */
export function rawTlsConnect(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: "localhost", port, ca }, () => resolvePromise(socket));
    socket.once("error", reject);
  });
}

/** Writes `request` as is and reads everything the server sends until it closes the connection. */
export async function rawTlsExchange(
  port: number,
  ca: string,
  request: string | Buffer,
): Promise<RawResponse> {
  const socket = await rawTlsConnect(port, ca);
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it refused while the client still sends: keep what came.
    socket.on("error", (error) => (chunks.length > 0 ? undefined : reject(error)));
    socket.on("close", () => {
      try {
        resolvePromise(parseRawResponse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(request);
  });
}

function parseRawResponse(raw: string): RawResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no complete HTTP response: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = "", ...lines] = raw.slice(0, end).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: raw.slice(end + 4) };
}
