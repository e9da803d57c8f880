import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAsapError } from "../../src/asap/errors.js";
import type { PublicKeyRepository } from "../../src/asap/keys/repository.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import {
  AUDIENCE,
  asapClaims,
  fixedClock,
  makeKey,
  makeKeyRepository,
  removeDir,
  signRaw,
} from "./fixtures.js";

const rsa = makeKey("dev/key1", "RS256");
const ec = makeKey("ec/key1", "ES256");

let dir: string;
let repository: PublicKeyRepository;
let validTokens: string[];

beforeAll(async () => {
  ({ dir, repository } = await makeKeyRepository([rsa, ec]));
  validTokens = [await signRaw(rsa, asapClaims("dev")), await signRaw(ec, asapClaims("ec"))];
});

afterAll(async () => {
  await removeDir(dir);
});

// Replay protection off, so a mutated token could only be refused for what it is.
const verify = (token: string) =>
  verifyAsapToken(token, {
    keyRepository: repository,
    replayGuard: null,
    audience: AUDIENCE,
    clock: fixedClock,
  });

/** "accepted", or the AsapError code; anything else thrown fails the property. */
async function outcome(token: string): Promise<string> {
  try {
    await verify(token);
    return "accepted";
  } catch (error) {
    if (isAsapError(error)) return error.code;
    throw error;
  }
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const tokenCharacter = fc.constantFrom(...`${BASE64URL}.=+/ %\u0000`.split(""));

type Mutation = { kind: "flip" | "insert" | "delete"; position: number; character: string };

const mutation = fc.record({
  kind: fc.constantFrom<Mutation["kind"]>("flip", "insert", "delete"),
  position: fc.nat(),
  character: tokenCharacter,
});

function mutate(token: string, { kind, position, character }: Mutation): string {
  const index = position % token.length;
  if (kind === "delete") return token.slice(0, index) + token.slice(index + 1);
  if (kind === "insert") return token.slice(0, index) + character + token.slice(index);
  const current = token.charAt(index);
  const replacement = character === current ? (current === "A" ? "B" : "A") : character;
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

describe("verifyAsapToken under random input", () => {
  it("accepts the unmutated tokens (the property below is not vacuous)", async () => {
    expect(await Promise.all(validTokens.map(outcome))).toEqual(["accepted", "accepted"]);
  });

  it("never accepts a random string and only throws AsapError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.string({ unit: tokenCharacter, maxLength: 400 })),
        async (token) => {
          expect(await outcome(token)).not.toBe("accepted");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never accepts three random base64url segments", async () => {
    const segment = fc.string({ unit: fc.constantFrom(...BASE64URL.split("")), maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(segment, segment, segment, async (a, b, c) => {
        expect(await outcome(`${a}.${b}.${c}`)).not.toBe("accepted");
      }),
      { numRuns: 300 },
    );
  });

  it("never accepts a valid token after one or more character mutations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (which, mutations) => {
          const original = validTokens[which] as string;
          const mutated = mutations.reduce(mutate, original);
          fc.pre(mutated !== original);
          expect(await outcome(mutated)).not.toBe("accepted");
        },
      ),
      { numRuns: 600 },
    );
  });

  it("never accepts a token whose header or payload JSON was re-encoded with other values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.boolean(),
        async (extra, inHeader) => {
          const [header, payload, signature] = (validTokens[0] as string).split(".");
          const decode = (part: string | undefined) =>
            JSON.parse(Buffer.from(part ?? "", "base64url").toString());
          const encode = (value: unknown) =>
            Buffer.from(JSON.stringify(value)).toString("base64url");
          const changed = inHeader
            ? `${encode({ ...decode(header), ...extra, x: 1 })}.${payload}.${signature}`
            : `${header}.${encode({ ...decode(payload), ...extra, x: 1 })}.${signature}`;
          expect(await outcome(changed)).not.toBe("accepted");
        },
      ),
      { numRuns: 200 },
    );
  });
});
