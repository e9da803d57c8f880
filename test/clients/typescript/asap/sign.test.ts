import { createPublicKey, generateKeyPairSync, webcrypto } from "node:crypto";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatPrivateKeyDataUri,
  parsePrivateKeyDataUri,
} from "../../../../clients/typescript/src/asap/private-key.js";
import {
  type AsapTokenProviderOptions,
  createAsapSigner,
  createAsapTokenProvider,
  signAsapToken,
} from "../../../../clients/typescript/src/asap/sign.js";
import { isSentimentClientError } from "../../../../clients/typescript/src/errors.js";
import type { PublicKeyRepository } from "../../../../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../../../../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../../../../src/asap/verify.js";
import {
  AUDIENCE,
  fixedClock,
  makeKey,
  makeKeyRepository,
  NOW_SECONDS,
  removeDir,
} from "../../../asap/fixtures.js";

const rsa = makeKey("svc/key1", "RS256");
const ec = makeKey("svc/ec1", "ES256");

let dir: string;
let repository: PublicKeyRepository;

beforeAll(async () => {
  ({ dir, repository } = await makeKeyRepository([rsa, ec]));
});

afterAll(async () => {
  await removeDir(dir);
});

function base(overrides: Partial<AsapTokenProviderOptions> = {}): AsapTokenProviderOptions {
  return {
    privateKey: rsa.privateKey,
    kid: rsa.kid,
    issuer: "svc",
    audience: AUDIENCE,
    clock: fixedClock,
    ...overrides,
  };
}

/** The SentimentClientError code a signing attempt fails with, or "accepted". */
async function codeOf(attempt: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof attempt === "function" ? attempt() : attempt);
    return "accepted";
  } catch (error) {
    return isSentimentClientError(error) ? error.code : `not a SentimentClientError: ${error}`;
  }
}

function verify(token: string) {
  return verifyAsapToken(token, {
    keyRepository: repository,
    replayGuard: new MemoryReplayGuard({ clock: fixedClock }),
    audience: AUDIENCE,
    clock: fixedClock,
  });
}

function decode(token: string) {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header ?? "", "base64url").toString()),
    payload: JSON.parse(Buffer.from(payload ?? "", "base64url").toString()),
  };
}

describe("signAsapToken", () => {
  it("mints a token the verifier accepts", async () => {
    const verified = await verify(await signAsapToken(base()));
    expect([verified.iss, verified.kid, verified.alg]).toEqual(["svc", "svc/key1", "RS256"]);
  });

  it("sets iat and nbf to now and exp to now + 60 by default", async () => {
    const { payload } = decode(await signAsapToken(base()));
    expect([payload.iat, payload.nbf, payload.exp]).toEqual([
      NOW_SECONDS,
      NOW_SECONDS,
      NOW_SECONDS + 60,
    ]);
  });

  it("uses a fresh jti for every token", async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 5; i++) jtis.add(decode(await signAsapToken(base())).payload.jti);
    expect(jtis.size).toBe(5);
  });

  it("puts alg, kid and typ in the header", async () => {
    expect(decode(await signAsapToken(base())).header).toEqual({
      alg: "RS256",
      kid: "svc/key1",
      typ: "JWT",
    });
  });

  it("infers ES256 from a P-256 key", async () => {
    const token = await signAsapToken(base({ privateKey: ec.privateKey, kid: ec.kid }));
    expect((await verify(token)).alg).toBe("ES256");
  });

  it("accepts a PKCS#8 PEM string", async () => {
    const pem = rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect((await verify(await signAsapToken(base({ privateKey: pem })))).iss).toBe("svc");
  });

  it("accepts a WebCrypto CryptoKey", async () => {
    const der = rsa.privateKey.export({ type: "pkcs8", format: "der" });
    const cryptoKey = await webcrypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
    expect((await verify(await signAsapToken(base({ privateKey: cryptoKey })))).alg).toBe("RS256");
  });

  it("signs PS256 when asked", async () => {
    expect((await verify(await signAsapToken(base({ alg: "PS256" })))).alg).toBe("PS256");
  });

  it("omits sub unless given, so the verifier defaults it to iss", async () => {
    const token = await signAsapToken(base());
    expect([decode(token).payload.sub, (await verify(token)).sub]).toEqual([undefined, "svc"]);
  });

  it("sets a given subject", async () => {
    expect((await verify(await signAsapToken(base({ subject: "user-1" })))).sub).toBe("user-1");
  });

  it("accepts an audience list", async () => {
    expect((await verify(await signAsapToken(base({ audience: ["x", AUDIENCE] })))).aud).toEqual([
      "x",
      AUDIENCE,
    ]);
  });

  it("adds extra claims but never lets them replace ASAP claims", async () => {
    const { payload } = decode(
      await signAsapToken(
        base({ additionalClaims: { scope: "read", iss: "evil", exp: 1, sub: "someone-else" } }),
      ),
    );
    expect([payload.scope, payload.iss, payload.exp, payload.sub]).toEqual([
      "read",
      "svc",
      NOW_SECONDS + 60,
      undefined,
    ]);
  });

  it("accepts a lifetime of 3600 seconds", async () => {
    const { payload } = decode(await signAsapToken(base({ lifetimeSeconds: 3600 })));
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it("refuses a lifetime over 3600 seconds", async () => {
    expect(await codeOf(signAsapToken(base({ lifetimeSeconds: 3601 })))).toBe("lifetime_too_long");
  });

  it("refuses a zero or fractional lifetime", async () => {
    expect([
      await codeOf(signAsapToken(base({ lifetimeSeconds: 0 }))),
      await codeOf(signAsapToken(base({ lifetimeSeconds: 1.5 }))),
    ]).toEqual(["invalid_options", "invalid_options"]);
  });

  it("refuses a kid not owned by the issuer", async () => {
    expect(await codeOf(signAsapToken(base({ issuer: "other" })))).toBe("kid_issuer_mismatch");
  });

  it("refuses an invalid kid", async () => {
    expect(await codeOf(signAsapToken(base({ kid: "svc/../x" })))).toBe("invalid_kid");
  });

  it("refuses an HMAC algorithm", async () => {
    expect(await codeOf(signAsapToken(base({ alg: "HS256" as "RS256" })))).toBe(
      "unsupported_algorithm",
    );
  });

  it("refuses an algorithm that does not fit the key", async () => {
    expect(await codeOf(signAsapToken(base({ alg: "ES256" })))).toBe("invalid_private_key");
  });

  it("refuses a PEM that is not a private key", async () => {
    expect(await codeOf(signAsapToken(base({ privateKey: "not a pem" })))).toBe(
      "invalid_private_key",
    );
  });

  it("refuses a public key as signing key", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(await codeOf(signAsapToken(base({ privateKey: publicKey })))).toBe(
      "invalid_private_key",
    );
  });
});

describe("createAsapSigner", () => {
  it("signs on this thread with signSync and on the thread pool with sign, both verifiable", async () => {
    const signer = createAsapSigner(base());
    const tokens = [signer.signSync(), await signer.sign()];
    const verified = await Promise.all(tokens.map(verify));
    expect(verified.map((claims) => claims.kid)).toEqual(["svc/key1", "svc/key1"]);
  });

  it.each(["RS256", "PS256", "ES256"] as const)(
    "signs %s tokens that jose, an independent JWS implementation, verifies",
    async (alg) => {
      const key = alg === "ES256" ? ec : rsa;
      const token = createAsapSigner(
        base({ privateKey: key.privateKey, kid: key.kid, alg }),
      ).signSync();
      const { payload, protectedHeader } = await jwtVerify(token, createPublicKey(key.publicPem), {
        algorithms: [alg],
        audience: AUDIENCE,
        issuer: "svc",
        currentDate: new Date(NOW_SECONDS * 1000),
      });
      expect([protectedHeader.kid, payload.exp]).toEqual([key.kid, NOW_SECONDS + 60]);
    },
  );

  it("takes a lifetime per token", () => {
    const { payload } = decode(createAsapSigner(base()).signSync(900));
    expect(payload.exp - payload.iat).toBe(900);
  });

  it.each([
    ["PS384", "RSA"],
    ["RS512", "RSA"],
    ["ES384", "ES384"],
    ["ES512", "ES512"],
  ] as const)("signs %s tokens the verifier accepts", async (alg, family) => {
    const key = family === "RSA" ? rsa : makeKey(`svc/${alg}`, alg);
    const { repository: keys, dir: keyDir } = await makeKeyRepository([
      { ...key, kid: `svc/${alg}` },
    ]);
    try {
      const token = createAsapSigner(
        base({ privateKey: key.privateKey, kid: `svc/${alg}`, alg }),
      ).signSync();
      const verified = await verifyAsapToken(token, {
        keyRepository: keys,
        replayGuard: new MemoryReplayGuard({ clock: fixedClock }),
        audience: AUDIENCE,
        clock: fixedClock,
      });
      expect(verified.alg).toBe(alg);
    } finally {
      await removeDir(keyDir);
    }
  });

  it("refuses, at creation, a key whose type cannot sign ASAP tokens", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    expect(await codeOf(() => createAsapSigner(base({ privateKey })))).toBe("invalid_private_key");
  });

  it("refuses, at creation, an RSA key under 2048 bits, which the service would refuse", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(await codeOf(() => createAsapSigner(base({ privateKey })))).toBe("invalid_private_key");
  });

  it("refuses, at creation, an EC key on another curve than the algorithm's", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    expect(await codeOf(() => createAsapSigner(base({ privateKey, alg: "ES256" })))).toBe(
      "invalid_private_key",
    );
  });

  it("says which kid and algorithm a misfit key was for, and never the key", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    let message = "";
    try {
      createAsapSigner(base({ privateKey: pem, alg: "ES256" }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      "the private key for svc/key1 cannot sign ES256: ES256 needs a key on prime256v1",
    );
  });
});

describe("createAsapTokenProvider", () => {
  it("signs a fresh token per call by default", async () => {
    const provider = createAsapTokenProvider(base());
    const [a, b] = [await provider.token(), await provider.token()];
    expect(decode(a).payload.jti).not.toBe(decode(b).payload.jti);
  });

  it("reuses a token while more than 25% of its lifetime is left", async () => {
    let now = NOW_SECONDS * 1000;
    const provider = createAsapTokenProvider(
      base({ reuse: true, lifetimeSeconds: 600, clock: () => now }),
    );
    const first = await provider.token();
    now += 449_000;
    expect(await provider.token()).toBe(first);
  });

  it("renews a reused token when less than 25% of its lifetime is left", async () => {
    let now = NOW_SECONDS * 1000;
    const provider = createAsapTokenProvider(
      base({ reuse: true, lifetimeSeconds: 600, clock: () => now }),
    );
    const first = await provider.token();
    now += 451_000;
    expect(await provider.token()).not.toBe(first);
  });

  it("renews a short-lived token when less than 10 s are left", async () => {
    let now = NOW_SECONDS * 1000;
    const provider = createAsapTokenProvider(
      base({ reuse: true, lifetimeSeconds: 30, clock: () => now }),
    );
    const first = await provider.token();
    now += 19_000;
    const kept = await provider.token();
    now += 2_000;
    expect([kept === first, (await provider.token()) === first]).toEqual([true, false]);
  });

  it("parses a PEM key once, at creation", () => {
    expect(() => createAsapTokenProvider(base({ privateKey: "garbage" }))).toThrow(
      /cannot be parsed/,
    );
  });
});

describe("private key data URIs", () => {
  it("round-trips a kid and a PKCS#8 key", async () => {
    const der = rsa.privateKey.export({ type: "pkcs8", format: "der" });
    const uri = formatPrivateKeyDataUri("svc/key1", der);
    const parsed = parsePrivateKeyDataUri(uri);
    const token = await signAsapToken(base({ privateKey: parsed.privateKey, kid: parsed.kid }));
    expect([parsed.kid, (await verify(token)).kid]).toEqual(["svc/key1", "svc/key1"]);
  });

  it("url-encodes the kid", () => {
    const der = ec.privateKey.export({ type: "pkcs8", format: "der" });
    expect(formatPrivateKeyDataUri("micros/svc/k+1", der)).toMatch(
      /^data:application\/pkcs8;kid=micros%2Fsvc%2Fk%2B1;base64,/,
    );
  });

  it("reads a kid that Atlassian tools url-encoded", () => {
    const der = ec.privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
    expect(parsePrivateKeyDataUri(`data:application/pkcs8;kid=svc%2Fec1;base64,${der}`).kid).toBe(
      "svc/ec1",
    );
  });

  it.each([
    "data:application/pkcs8;base64,AAAA",
    "data:text/plain;kid=a%2Fb;base64,AAAA",
    "data:application/pkcs8;kid=a%2Fb;base64,AAAA",
    "data:application/pkcs8;kid=..%2Fx;base64,AAAA",
    "",
  ])("refuses %j as invalid_private_key", (uri) => {
    expect(() => parsePrivateKeyDataUri(uri)).toThrow(
      expect.objectContaining({ code: "invalid_private_key" }),
    );
  });

  it("refuses a PEM given where a data URI is expected", () => {
    const pem = ec.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => parsePrivateKeyDataUri(pem)).toThrow(
      expect.objectContaining({ code: "invalid_private_key" }),
    );
  });
});
