import {
  createHmac,
  createSign,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CompactSign } from "jose";
import { isAsapError } from "../../src/asap/errors.js";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";

/** A fixed "now" so time rules can be tested at exact boundaries. */
export const NOW_SECONDS = 1_800_000_000;
export const NOW_MS = NOW_SECONDS * 1000;
export const fixedClock = () => NOW_MS;
export const AUDIENCE = "sentiment-api";

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  publicPem: string;
}

const keyCache = new Map<string, { privateKey: KeyObject; publicPem: string }>();

/** A key pair for `alg`; pairs are shared between tests of a file to keep key generation cheap. */
export function makeKey(kid: string, alg = "RS256", variant = "default"): TestKey {
  const family = alg.startsWith("ES") ? alg : "RSA";
  const cacheKey = `${family}:${variant}`;
  let pair = keyCache.get(cacheKey);
  if (pair === undefined) {
    const { privateKey, publicKey } = alg.startsWith("ES")
      ? generateKeyPairSync("ec", {
          namedCurve: { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg] ?? "P-256",
        })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
    pair = { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }) as string };
    keyCache.set(cacheKey, pair);
  }
  return { kid, alg, ...pair };
}

export async function makeTempDir(prefix = "asap-test-"): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Writes each key's public PEM to `<dir>/<kid>`. */
export async function writePublicKeys(dir: string, keys: readonly TestKey[]): Promise<void> {
  for (const key of keys) {
    const file = path.join(dir, ...key.kid.split("/"));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, key.publicPem);
  }
}

export async function makeKeyRepository(keys: readonly TestKey[]) {
  const dir = await makeTempDir();
  await writePublicKeys(dir, keys);
  return { dir, repository: new FileKeyRepository(dir, { clock: fixedClock }) };
}

/** Claims as an Atlassian library would mint them, at NOW_SECONDS, for a 60 s lifetime. */
export function asapClaims(issuer: string, overrides: Record<string, unknown> = {}) {
  return {
    iss: issuer,
    sub: issuer,
    aud: AUDIENCE,
    jti: randomUUID(),
    iat: NOW_SECONDS,
    nbf: NOW_SECONDS,
    exp: NOW_SECONDS + 60,
    ...overrides,
  };
}

/** Signs any header/payload (even invalid ASAP) with a real key. */
export async function signRaw(
  key: TestKey,
  payload: unknown,
  header: Record<string, unknown> = {},
): Promise<string> {
  const bytes = new TextEncoder().encode(
    typeof payload === "string" ? payload : JSON.stringify(payload),
  );
  return new CompactSign(bytes)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header } as { alg: string })
    .sign(key.privateKey);
}

export function base64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString("base64url");
}

/** The classic alg-confusion attack: HS256 keyed with the public key's PEM bytes. */
export function hmacToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Uint8Array,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createHmac("sha256", secret).update(input).digest("base64url");
  return `${input}.${signature}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>) {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.`;
}

/** RS256-signs an arbitrary header (jose refuses to produce some of the headers tests need). */
export function signRs256WithHeader(
  key: TestKey,
  header: Record<string, unknown>,
  payload: unknown,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createSign("sha256").update(input).sign(key.privateKey).toString("base64url");
  return `${input}.${signature}`;
}

/** The AsapError code a promise rejects with, "accepted" when it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    return isAsapError(error) ? error.code : `not an AsapError: ${String(error)}`;
  }
}
