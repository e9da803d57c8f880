import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PublicKeyRepository } from "../../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import {
  fixedClock,
  makeKey,
  makeKeyRepository,
  NOW_SECONDS,
  removeDir,
  signRs256WithHeader,
} from "./fixtures.js";

// Tokens shaped exactly as Atlassian's ASAP libraries (atlassian-jwt-auth for Python, the Java
// and Node clients) mint them: RS256, header {alg, kid, typ: "JWT"}, kid "<iss>/<name>",
// 60 s lifetime, whole-second iat/nbf/exp, a random uuid jti, sub absent or different from iss.
const micros = makeKey("micros/sentiment-client/key-2024-01", "RS256");
const plain = makeKey("svc-a/svc-a-key", "RS256");

let dir: string;
let repository: PublicKeyRepository;

beforeAll(async () => {
  ({ dir, repository } = await makeKeyRepository([micros, plain]));
});

afterAll(async () => {
  await removeDir(dir);
});

function atlassianToken(issuer: string, kid: string, claims: Record<string, unknown>) {
  const key = issuer === "svc-a" ? plain : micros;
  return signRs256WithHeader(
    key,
    { alg: "RS256", typ: "JWT", kid },
    {
      iss: issuer,
      exp: NOW_SECONDS + 60,
      iat: NOW_SECONDS,
      nbf: NOW_SECONDS,
      jti: randomUUID(),
      ...claims,
    },
  );
}

function verify(token: string) {
  return verifyAsapToken(token, {
    keyRepository: repository,
    replayGuard: new MemoryReplayGuard({ clock: fixedClock }),
    audience: "sentiment-api",
    clock: fixedClock,
  });
}

describe("tokens minted by Atlassian's libraries", () => {
  it("accepts aud as a string and no sub", async () => {
    const verified = await verify(
      atlassianToken("svc-a", "svc-a/svc-a-key", { aud: "sentiment-api" }),
    );
    expect([verified.iss, verified.sub]).toEqual(["svc-a", "svc-a"]);
  });

  it("accepts aud as a list", async () => {
    const verified = await verify(
      atlassianToken("svc-a", "svc-a/svc-a-key", { aud: ["other", "sentiment-api"] }),
    );
    expect(verified.aud).toEqual(["other", "sentiment-api"]);
  });

  it("accepts a sub different from iss", async () => {
    const verified = await verify(
      atlassianToken("svc-a", "svc-a/svc-a-key", { aud: "sentiment-api", sub: "account-1234" }),
    );
    expect(verified.sub).toBe("account-1234");
  });

  it("accepts a slash-separated micros issuer with its kid", async () => {
    const verified = await verify(
      atlassianToken("micros/sentiment-client", "micros/sentiment-client/key-2024-01", {
        aud: "sentiment-api",
      }),
    );
    expect(verified.kid).toBe("micros/sentiment-client/key-2024-01");
  });

  it("accepts a token without nbf (older clients)", async () => {
    const token = signRs256WithHeader(
      plain,
      { alg: "RS256", typ: "JWT", kid: "svc-a/svc-a-key" },
      {
        iss: "svc-a",
        aud: "sentiment-api",
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 60,
        jti: randomUUID(),
      },
    );
    expect((await verify(token)).nbf).toBe(NOW_SECONDS);
  });

  it("accepts a token without typ in the header", async () => {
    const token = signRs256WithHeader(
      plain,
      { alg: "RS256", kid: "svc-a/svc-a-key" },
      {
        iss: "svc-a",
        aud: "sentiment-api",
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 60,
        jti: randomUUID(),
      },
    );
    expect((await verify(token)).iss).toBe("svc-a");
  });
});
