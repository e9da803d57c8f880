import { createPrivateKey, type KeyObject } from "node:crypto";
import { AsapError } from "./errors.js";
import { validateKid } from "./kid.js";

const DATA_URI = /^data:application\/pkcs8;kid=([^;,]+);base64,([A-Za-z0-9+/]+={0,2})$/;

/** Parses Atlassian's `ASAP_PRIVATE_KEY` form: `data:application/pkcs8;kid=<url-encoded kid>;base64,<DER>`. */
export function parsePrivateKeyDataUri(uri: string): { kid: string; privateKey: KeyObject } {
  const match = DATA_URI.exec(uri.trim());
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new AsapError(
      "invalid_private_key",
      "the private key is not a data:application/pkcs8;kid=...;base64,... URI",
    );
  }
  let kid: string;
  try {
    kid = validateKid(decodeURIComponent(match[1]));
  } catch (cause) {
    throw new AsapError("invalid_private_key", "the private key data URI has an invalid kid", {
      cause,
    });
  }
  try {
    const privateKey = createPrivateKey({
      key: Buffer.from(match[2], "base64"),
      format: "der",
      type: "pkcs8",
    });
    return { kid, privateKey };
  } catch (cause) {
    throw new AsapError("invalid_private_key", "the private key data URI holds no PKCS#8 key", {
      kid,
      cause,
    });
  }
}

/** Formats a PKCS#8 DER private key as an `ASAP_PRIVATE_KEY` data URI. */
export function formatPrivateKeyDataUri(kid: string, pkcs8Der: Uint8Array): string {
  return `data:application/pkcs8;kid=${encodeURIComponent(validateKid(kid))};base64,${Buffer.from(pkcs8Der).toString("base64")}`;
}
