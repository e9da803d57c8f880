import { createSign, generateKeyPairSync, sign as signBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsapError, isAsapError } from "../../src/asap/errors.js";
import type { PublicKeyRepository } from "../../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import type { ReplayGuard } from "../../src/asap/replay/replay-guard.js";
import {
  type AsapVerifierOptions,
  createAsapVerifier,
  verifyAsapToken,
} from "../../src/asap/verify.js";
import {
  AUDIENCE,
  asapClaims,
  base64url,
  fixedClock,
  hmacToken,
  makeKey,
  makeKeyRepository,
  NOW_SECONDS,
  removeDir,
  signRaw,
  signRs256WithHeader,
  type TestKey,
  unsignedToken,
} from "./fixtures.js";

const devKey = makeKey("dev/key1", "RS256");
const ecKey = makeKey("ec-issuer/key1", "ES256");
const otherKey = makeKey("other/key1", "RS256");
// Same kid as devKey, but a different private key: a forged signature.
const foreignKey = makeKey("dev/key1", "RS256", "foreign");
// A public file that is not a key, and an EC key published under an RSA kid.
const brokenKid = "dev/broken";
const mismatchedKid = "dev/ec-key-as-rsa";
// A P-384 key published under a kid that ES256 tokens name, and a too-short RSA key.
const p384Kid = "ec-issuer/p384";
const weakRsaKid = "dev/rsa1024";
const weakRsa = generateKeyPairSync("rsa", { modulusLength: 1024 });

let dir: string;
let repository: PublicKeyRepository;

beforeAll(async () => {
  ({ dir, repository } = await makeKeyRepository([devKey, ecKey, otherKey]));
  await writeFile(
    path.join(dir, "dev", "broken"),
    "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
  );
  await writeFile(path.join(dir, "dev", "ec-key-as-rsa"), ecKey.publicPem);
  await writeFile(path.join(dir, "ec-issuer", "p384"), makeKey(p384Kid, "ES384").publicPem);
  await writeFile(
    path.join(dir, "dev", "rsa1024"),
    weakRsa.publicKey.export({ type: "spki", format: "pem" }),
  );
});

afterAll(async () => {
  await removeDir(dir);
});

function options(overrides: Partial<AsapVerifierOptions> = {}): AsapVerifierOptions {
  return {
    keyRepository: repository,
    replayGuard: new MemoryReplayGuard({ clock: fixedClock }),
    audience: AUDIENCE,
    clock: fixedClock,
    ...overrides,
  };
}

async function refusal(
  token: string,
  overrides: Partial<AsapVerifierOptions> = {},
): Promise<AsapError> {
  try {
    await verifyAsapToken(token, options(overrides));
  } catch (error) {
    if (isAsapError(error)) return error;
    throw new Error(`expected an AsapError, got ${String(error)}`);
  }
  throw new Error("expected the token to be refused");
}

function sign(
  key: TestKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
) {
  const issuer = key.kid.split("/")[0] as string;
  return signRaw(key, { ...asapClaims(issuer), ...claims }, header);
}

describe("verifyAsapToken accepts", () => {
  it("a valid RS256 token and returns its claims", async () => {
    const token = await sign(devKey, { jti: "abc" });
    const verified = await verifyAsapToken(token, options());
    expect(verified).toMatchObject({
      iss: "dev",
      sub: "dev",
      aud: AUDIENCE,
      jti: "abc",
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 60,
      nbf: NOW_SECONDS,
      kid: "dev/key1",
      alg: "RS256",
    });
  });

  it("a valid ES256 token", async () => {
    const verified = await verifyAsapToken(await sign(ecKey), options());
    expect(verified.alg).toBe("ES256");
  });

  it("a PS256 token signed with an RSA key", async () => {
    const psKey = { ...devKey, alg: "PS256" };
    const verified = await verifyAsapToken(await sign(psKey), options());
    expect(verified.alg).toBe("PS256");
  });

  it.each(["RS384", "RS512", "PS384", "PS512", "ES384", "ES512"])(
    "a valid %s token",
    async (alg) => {
      const key = makeKey(`alg-${alg.toLowerCase()}/key1`, alg);
      const { dir: keyDir, repository: keyRepository } = await makeKeyRepository([key]);
      try {
        const verified = await verifyAsapToken(await sign(key), options({ keyRepository }));
        expect([verified.alg, verified.kid]).toEqual([alg, key.kid]);
      } finally {
        await removeDir(keyDir);
      }
    },
  );

  it("extra claims, returned in claims", async () => {
    const verified = await verifyAsapToken(await sign(devKey, { scope: "read" }), options());
    expect(verified.claims.scope).toBe("read");
  });

  it("a token whose issuer is in the allow-list", async () => {
    const verified = await verifyAsapToken(
      await sign(devKey),
      options({ validIssuers: ["dev", "x"] }),
    );
    expect(verified.iss).toBe("dev");
  });

  it("the same token twice when replay protection is explicitly disabled", async () => {
    const token = await sign(devKey);
    await verifyAsapToken(token, options({ replayGuard: null }));
    const again = await verifyAsapToken(token, options({ replayGuard: null }));
    expect(again.iss).toBe("dev");
  });
});

describe("verifyAsapToken refuses", () => {
  it("an empty token as missing_token", async () => {
    expect((await refusal("")).code).toBe("missing_token");
  });

  it("a token over the size limit as token_too_large before parsing it", async () => {
    const token = `${"a".repeat(9000)}.b.c`;
    expect((await refusal(token)).code).toBe("token_too_large");
  });

  it("a valid token larger than a configured maxTokenBytes", async () => {
    const token = await sign(devKey, { padding: "x".repeat(600) });
    expect((await refusal(token, { maxTokenBytes: 512 })).code).toBe("token_too_large");
  });

  it.each(["abc", "a.b", "a.b.c.d", "a b.c.d", "a.b+c.d", "=.=.=", "..", "a..c"])(
    "the non-JWS %j as malformed_token",
    async (token) => {
      expect((await refusal(token)).code).toBe("malformed_token");
    },
  );

  it("a header that is not JSON as malformed_token", async () => {
    expect((await refusal(`${base64url("{not json")}.${base64url("{}")}.sig`)).code).toBe(
      "malformed_token",
    );
  });

  it("a payload that is not a JSON object as malformed_token", async () => {
    const token = await signRaw(devKey, "[1,2,3]");
    expect((await refusal(token)).code).toBe("malformed_token");
  });

  it("alg none as unsupported_algorithm", async () => {
    const token = unsignedToken({ alg: "none", kid: "dev/key1" }, asapClaims("dev"));
    expect((await refusal(token)).code).toBe("unsupported_algorithm");
  });

  it("HS256 keyed with the public key PEM (alg confusion) as unsupported_algorithm", async () => {
    const token = hmacToken(
      { alg: "HS256", kid: "dev/key1", typ: "JWT" },
      asapClaims("dev"),
      devKey.publicPem,
    );
    expect((await refusal(token)).code).toBe("unsupported_algorithm");
  });

  it("an HMAC signature presented as RS256 as invalid_signature", async () => {
    const token = hmacToken({ alg: "RS256", kid: "dev/key1" }, asapClaims("dev"), devKey.publicPem);
    expect((await refusal(token)).code).toBe("invalid_signature");
  });

  it.each(["HS384", "HS512", "EdDSA", "RSA-OAEP", "rs256", 256])(
    "the algorithm %j as unsupported_algorithm",
    async (alg) => {
      const token = unsignedToken({ alg, kid: "dev/key1" }, asapClaims("dev"));
      expect((await refusal(`${token}c2ln`)).code).toBe("unsupported_algorithm");
    },
  );

  it("a header without kid as missing_kid", async () => {
    const token = await sign(devKey, {}, { kid: undefined });
    expect((await refusal(token)).code).toBe("missing_kid");
  });

  it.each([
    "../x",
    "dev/../../etc/passwd",
    "/etc/passwd",
    "dev//key1",
    "dev/./key1",
    "dev/%2e%2e/key1",
    "dev\\..\\key1",
    "dev/key1\u0000",
    `dev/${"k".repeat(300)}`,
  ])("the traversal kid %j as invalid_kid, before any lookup", async (kid) => {
    let lookups = 0;
    const counting: PublicKeyRepository = {
      getPublicKey: (k, a) => {
        lookups += 1;
        return repository.getPublicKey(k, a);
      },
    };
    const token = await sign(devKey, {}, { kid });
    const error = await refusal(token, { keyRepository: counting });
    expect([error.code, lookups]).toEqual(["invalid_kid", 0]);
  });

  it("a kid not owned by its issuer as kid_issuer_mismatch", async () => {
    const token = await signRaw(otherKey, asapClaims("dev"));
    const error = await refusal(token);
    expect([error.code, error.issuer, error.kid]).toEqual([
      "kid_issuer_mismatch",
      "dev",
      "other/key1",
    ]);
  });

  it("a kid whose issuer is only a prefix of the iss as kid_issuer_mismatch", async () => {
    const token = await signRaw(devKey, asapClaims("developer"));
    expect((await refusal(token)).code).toBe("kid_issuer_mismatch");
  });

  it("an issuer outside the allow-list as issuer_not_allowed", async () => {
    const error = await refusal(await sign(devKey), { validIssuers: ["someone-else"] });
    expect([error.code, error.issuer]).toEqual(["issuer_not_allowed", "dev"]);
  });

  it("a kid with no published key as unknown_key", async () => {
    const token = await sign({ ...devKey, kid: "dev/missing" });
    const error = await refusal(token);
    expect([error.code, error.kid]).toEqual(["unknown_key", "dev/missing"]);
  });

  it("a key file that is not a valid PEM as invalid_key", async () => {
    expect((await refusal(await sign({ ...devKey, kid: brokenKid }))).code).toBe("invalid_key");
  });

  it("an EC public key used for an RS256 token as invalid_key", async () => {
    expect((await refusal(await sign({ ...devKey, kid: mismatchedKid }))).code).toBe("invalid_key");
  });

  it("an ES256 token whose kid names an RSA key as invalid_key", async () => {
    const token = await signRaw({ ...ecKey, kid: "dev/key1" }, asapClaims("dev"));
    expect((await refusal(token)).code).toBe("invalid_key");
  });

  it("an ES256 token whose kid names a P-384 key as invalid_key", async () => {
    const token = await signRaw({ ...ecKey, kid: p384Kid }, asapClaims("ec-issuer"));
    expect((await refusal(token)).code).toBe("invalid_key");
  });

  it("an RS256 token whose kid names a 1024-bit RSA key as invalid_key", async () => {
    const weakKey = {
      kid: weakRsaKid,
      alg: "RS256",
      privateKey: weakRsa.privateKey,
      publicPem: "",
    };
    const token = signRs256WithHeader(
      weakKey,
      { alg: "RS256", kid: weakRsaKid },
      asapClaims("dev"),
    );
    expect((await refusal(token)).code).toBe("invalid_key");
  });

  it("a key from a repository that cannot verify the algorithm as invalid_key", async () => {
    const ecPublicKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    const handsOverEc: PublicKeyRepository = { getPublicKey: async () => ecPublicKey };
    const error = await refusal(await sign(devKey), { keyRepository: handsOverEc });
    expect([error.code, error.kid]).toEqual(["invalid_key", "dev/key1"]);
  });

  it("an ES256 signature one byte short as invalid_signature", async () => {
    const [header, payload, signature] = (await sign(ecKey)).split(".");
    const short = Buffer.from(signature ?? "", "base64url")
      .subarray(0, 63)
      .toString("base64url");
    expect((await refusal(`${header}.${payload}.${short}`)).code).toBe("invalid_signature");
  });

  it("a DER-encoded ES256 signature as invalid_signature", async () => {
    const [header, payload] = (await sign(ecKey)).split(".");
    const der = signBytes("sha256", Buffer.from(`${header}.${payload}`), ecKey.privateKey);
    expect((await refusal(`${header}.${payload}.${der.toString("base64url")}`)).code).toBe(
      "invalid_signature",
    );
  });

  it("a PS256 signature presented as RS256 as invalid_signature", async () => {
    const [, payload, signature] = (await sign({ ...devKey, alg: "PS256" })).split(".");
    const header = base64url(JSON.stringify({ alg: "RS256", kid: "dev/key1", typ: "JWT" }));
    expect((await refusal(`${header}.${payload}.${signature}`)).code).toBe("invalid_signature");
  });

  it("a signed payload that is not UTF-8 as malformed_token", async () => {
    const header = base64url(JSON.stringify({ alg: "RS256", kid: "dev/key1" }));
    const claims = JSON.stringify({ ...asapClaims("dev"), sub: "@" });
    const bytes = Buffer.from(claims);
    bytes[bytes.indexOf("@")] = 0xff;
    const input = `${header}.${base64url(bytes)}`;
    const signature = createSign("sha256").update(input).sign(devKey.privateKey);
    expect((await refusal(`${input}.${signature.toString("base64url")}`)).code).toBe(
      "malformed_token",
    );
  });

  it("a signature by another private key under the same kid as invalid_signature", async () => {
    expect((await refusal(await sign(foreignKey))).code).toBe("invalid_signature");
  });

  it("a payload changed after signing as invalid_signature", async () => {
    const [header, , signature] = (await sign(devKey)).split(".");
    const forged = base64url(JSON.stringify({ ...asapClaims("dev"), sub: "admin" }));
    expect((await refusal(`${header}.${forged}.${signature}`)).code).toBe("invalid_signature");
  });

  it("a header changed after signing as invalid_signature", async () => {
    const [, payload, signature] = (await sign(devKey)).split(".");
    const header = base64url(JSON.stringify({ alg: "RS256", kid: "dev/key1", typ: "at+jwt" }));
    expect((await refusal(`${header}.${payload}.${signature}`)).code).toBe("invalid_signature");
  });

  it("a signature re-spelt with the unused bits of its last character set as malformed_token", async () => {
    const token = await sign(devKey);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A 256-byte RS256 signature is 342 characters: the last one carries 4 unused bits.
    const last = alphabet.indexOf(token.charAt(token.length - 1));
    const respelt = token.slice(0, -1) + alphabet.charAt(last ^ 1);
    expect([
      Buffer.from(respelt.split(".")[2] ?? "", "base64url").equals(
        Buffer.from(token.split(".")[2] ?? "", "base64url"),
      ),
      (await refusal(respelt)).code,
    ]).toEqual([true, "malformed_token"]);
  });

  it("a signature-stripped token as invalid_signature", async () => {
    const [header, payload] = (await sign(devKey)).split(".");
    expect((await refusal(`${header}.${payload}.`)).code).toBe("invalid_signature");
  });

  it("an unknown critical header as malformed_token", async () => {
    const header = {
      alg: "RS256",
      kid: "dev/key1",
      crit: ["exp-extension"],
      "exp-extension": true,
    };
    const token = signRs256WithHeader(devKey, header, asapClaims("dev"));
    expect((await refusal(token)).code).toBe("malformed_token");
  });

  it("the b64 critical header as malformed_token", async () => {
    const header = { alg: "RS256", kid: "dev/key1", crit: ["b64"], b64: true };
    const token = signRs256WithHeader(devKey, header, asapClaims("dev"));
    expect((await refusal(token)).code).toBe("malformed_token");
  });

  it("a missing jti as missing_claim, after the signature check", async () => {
    expect((await refusal(await sign(devKey, { jti: undefined }))).code).toBe("missing_claim");
  });

  it("a numeric iss as invalid_claim", async () => {
    expect((await refusal(await sign(devKey, { iss: 42 }))).code).toBe("invalid_claim");
  });

  it("an aud object as invalid_claim", async () => {
    expect((await refusal(await sign(devKey, { aud: { x: 1 } }))).code).toBe("invalid_claim");
  });

  it("a string exp as invalid_claim", async () => {
    expect((await refusal(await sign(devKey, { exp: String(NOW_SECONDS + 60) }))).code).toBe(
      "invalid_claim",
    );
  });

  it("an empty jti as invalid_claim", async () => {
    expect((await refusal(await sign(devKey, { jti: "" }))).code).toBe("invalid_claim");
  });

  it("a token for another audience as invalid_audience", async () => {
    expect((await refusal(await sign(devKey, { aud: ["billing"] }))).code).toBe("invalid_audience");
  });

  it("an expired token just past the leeway as token_expired", async () => {
    const token = await sign(devKey, {
      iat: NOW_SECONDS - 91,
      nbf: NOW_SECONDS - 91,
      exp: NOW_SECONDS - 31,
    });
    expect((await refusal(token)).code).toBe("token_expired");
  });

  it("a token expired exactly leeway seconds ago is still accepted", async () => {
    const token = await sign(devKey, {
      iat: NOW_SECONDS - 90,
      nbf: NOW_SECONDS - 90,
      exp: NOW_SECONDS - 30,
    });
    expect((await verifyAsapToken(token, options())).exp).toBe(NOW_SECONDS - 30);
  });

  it("a token valid only in the future as token_not_yet_valid", async () => {
    const token = await sign(devKey, { nbf: NOW_SECONDS + 31 });
    expect((await refusal(token)).code).toBe("token_not_yet_valid");
  });

  it("a token issued in the future as token_issued_in_future", async () => {
    const token = await sign(devKey, {
      iat: NOW_SECONDS + 31,
      nbf: NOW_SECONDS,
      exp: NOW_SECONDS + 90,
    });
    expect((await refusal(token)).code).toBe("token_issued_in_future");
  });

  it("a token issued in the future without nbf as token_issued_in_future", async () => {
    const token = await sign(devKey, {
      iat: NOW_SECONDS + 120,
      nbf: undefined,
      exp: NOW_SECONDS + 180,
    });
    expect((await refusal(token)).code).toBe("token_issued_in_future");
  });

  it("a token living more than 3600 s as lifetime_too_long", async () => {
    const token = await sign(devKey, { exp: NOW_SECONDS + 3601 });
    expect((await refusal(token)).code).toBe("lifetime_too_long");
  });

  it("a custom leeway: 5 s past exp with leeway 0 as token_expired", async () => {
    const token = await sign(devKey, {
      iat: NOW_SECONDS - 65,
      nbf: NOW_SECONDS - 65,
      exp: NOW_SECONDS - 5,
    });
    expect((await refusal(token, { leewaySeconds: 0 })).code).toBe("token_expired");
  });
});

describe("replay protection", () => {
  it("refuses the same token a second time as token_replayed", async () => {
    const guarded = options();
    const token = await sign(devKey);
    await verifyAsapToken(token, guarded);
    await expect(verifyAsapToken(token, guarded)).rejects.toMatchObject({ code: "token_replayed" });
  });

  it("names the issuer and kid of a replayed token (for the access log)", async () => {
    const guarded = options();
    const token = await sign(devKey);
    const { iss, kid } = await verifyAsapToken(token, guarded);
    await expect(verifyAsapToken(token, guarded)).rejects.toMatchObject({
      code: "token_replayed",
      issuer: iss,
      kid,
    });
  });

  it("accepts the same jti from two different issuers", async () => {
    const guarded = options();
    await verifyAsapToken(await sign(devKey, { jti: "shared" }), guarded);
    const second = await verifyAsapToken(await sign(ecKey, { jti: "shared" }), guarded);
    expect(second.iss).toBe("ec-issuer");
  });

  it("does not consume a jti when the token is refused", async () => {
    const guarded = options();
    await expect(
      verifyAsapToken(await sign(devKey, { jti: "j1", aud: "other" }), guarded),
    ).rejects.toMatchObject({
      code: "invalid_audience",
    });
    const accepted = await verifyAsapToken(await sign(devKey, { jti: "j1" }), guarded);
    expect(accepted.jti).toBe("j1");
  });

  it("remembers a jti until exp plus leeway", async () => {
    const calls: Array<[string, string, number]> = [];
    const recording: ReplayGuard = {
      checkAndRemember: async (issuer, jti, expiresAt) => {
        calls.push([issuer, jti, expiresAt]);
      },
    };
    await verifyAsapToken(await sign(devKey, { jti: "j2" }), options({ replayGuard: recording }));
    expect(calls).toEqual([["dev", "j2", NOW_SECONDS + 60 + 30]]);
  });

  it("turns a failing replay store into replay_store_unavailable", async () => {
    const broken: ReplayGuard = {
      checkAndRemember: async () => {
        throw new Error("connection refused");
      },
    };
    expect((await refusal(await sign(devKey), { replayGuard: broken })).code).toBe(
      "replay_store_unavailable",
    );
  });

  it("requires replayGuard to be given or explicitly null", async () => {
    const { replayGuard: _, ...withoutGuard } = options();
    await expect(verifyAsapToken(await sign(devKey), withoutGuard)).rejects.toBeInstanceOf(
      TypeError,
    );
  });

  it("createAsapVerifier protects against replay by default", async () => {
    const { replayGuard: _, ...withoutGuard } = options();
    const verify = createAsapVerifier(withoutGuard);
    const token = await sign(devKey);
    await verify(token);
    await expect(verify(token)).rejects.toMatchObject({ code: "token_replayed" });
  });
});

describe("key repository failures", () => {
  it("turns a non-AsapError from a repository into key_repository_unavailable", async () => {
    const throwing: PublicKeyRepository = {
      getPublicKey: async () => {
        throw new Error("boom");
      },
    };
    const error = await refusal(await sign(devKey), { keyRepository: throwing });
    expect([error.code, error.issuer, error.kid]).toEqual([
      "key_repository_unavailable",
      "dev",
      "dev/key1",
    ]);
  });

  it("passes key_repository_unavailable through with issuer and kid", async () => {
    const down: PublicKeyRepository = {
      getPublicKey: async () => {
        throw new AsapError("key_repository_unavailable", "down");
      },
    };
    const error = await refusal(await sign(devKey), { keyRepository: down });
    expect([error.code, error.issuer, error.kid]).toEqual([
      "key_repository_unavailable",
      "dev",
      "dev/key1",
    ]);
  });

  it("never puts the token in the error", async () => {
    const token = await sign(devKey, { aud: "other" });
    const error = await refusal(token);
    const serialised = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    expect(serialised.includes(token.split(".")[2] as string)).toBe(false);
  });
});
