import { STATUS_CODES } from "node:http";

/**
 * Answers for requests Node's HTTP parser refuses before the app sees them (Node would send a
 * bare status line). Messages never quote the request: its headers may hold a bearer token.
 */
export interface ClientErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const MALFORMED: Readonly<Record<string, string>> = {
  HPE_INVALID_METHOD: "The request method is not one HTTP defines.",
  HPE_UNEXPECTED_CONTENT_LENGTH:
    "The request has both Content-Length and Transfer-Encoding; send only one.",
  HPE_INVALID_CONTENT_LENGTH: "The Content-Length header is not a number.",
  HPE_INVALID_TRANSFER_ENCODING: "The Transfer-Encoding header is not valid.",
  HPE_INVALID_HEADER_TOKEN: "A header name or value holds a character HTTP does not allow.",
  HPE_INVALID_CHUNK_SIZE: "A chunk size of the chunked body is not valid.",
};

/** Maps an error emitted by the server's `clientError` event to the answer to send. */
export function describeClientError(
  error: { readonly code?: unknown },
  maxHeaderBytes: number,
): ClientErrorAnswer {
  const code = typeof error.code === "string" ? error.code : "";
  if (code === "HPE_HEADER_OVERFLOW") {
    return {
      status: 431,
      code: "headers_too_large",
      message: `The request headers exceed ${maxHeaderBytes} bytes, the server's limit; an ASAP token in Authorization must fit in it with the other headers.`,
    };
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return {
      status: 408,
      code: "request_timeout",
      message: "The request headers or body did not arrive in time.",
    };
  }
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") {
    return {
      status: 413,
      code: "payload_too_large",
      message: "The chunk extensions of the body exceed the server's limit.",
    };
  }
  return {
    status: 400,
    code: "malformed_request",
    message: MALFORMED[code] ?? "The request is not valid HTTP/1.1.",
  };
}

/** The answer to an HTTP/1.1 request without Host (RFC 9112 §3.2: 400). */
export const MISSING_HOST: ClientErrorAnswer = {
  status: 400,
  code: "malformed_request",
  message: "An HTTP/1.1 request must carry a Host header.",
};

/**
 * The headers and JSON body of an answer (the body every error of the service has), for a
 * `ServerResponse` or a raw socket alike; the connection is closed after it.
 */
export function clientErrorParts(
  answer: ClientErrorAnswer,
  requestId: string,
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({
    error: answer.code,
    message: answer.message,
    request_id: requestId,
  });
  return {
    headers: {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      Connection: "close",
      "X-Request-Id": requestId,
    },
    body,
  };
}

/** A complete HTTP/1.1 response, written on a raw socket that is closed afterwards. */
export function clientErrorResponse(answer: ClientErrorAnswer, requestId: string): string {
  const { headers, body } = clientErrorParts(answer, requestId);
  return [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? "Error"}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "",
    body,
  ].join("\r\n");
}
