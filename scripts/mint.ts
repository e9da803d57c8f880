// TOKEN=$(npm run -s mint -- --iss dev): prints one ASAP token and nothing else.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ASAP_ALGORITHMS, isAsapAlgorithm } from "../src/asap/algorithms.js";
import {
  isSentimentClientError,
  MAX_TOKEN_LIFETIME_SECONDS,
  parsePrivateKeyDataUri,
  signAsapToken,
} from "../src/asap/sign.js";
import { exitQuietlyWhenStdoutCloses } from "./cli/closed-stdout.js";

const USAGE = `Usage: npm run -s mint -- --iss <issuer> [options]

Prints an ASAP bearer token (and nothing else) for calling the API:
  TOKEN=$(npm run -s mint -- --iss dev)
  curl -H "Authorization: Bearer $TOKEN" ...

Options:
  --iss <issuer>       token issuer (default: $ASAP_ISSUER)
  --kid <kid>          key id, <issuer>/<name> (default: $ASAP_KEY_ID, else the key's own)
  --aud <audience>     audience, repeatable (default: $ASAP_AUDIENCE or sentiment-api)
  --sub <subject>      subject (default: none, which means the issuer)
  --lifetime <s>       seconds the token is valid, at most ${MAX_TOKEN_LIFETIME_SECONDS} (default: 60)
  --alg <alg>          ${ASAP_ALGORITHMS.join("|")} (default: from the key)
  --key <pem file>     private key file (PKCS#8 PEM)
  --private-dir <dir>  where keys live when neither --key nor $ASAP_PRIVATE_KEY is given
                       (default: keys/private; uses <dir>/<kid>.pem, or the newest <dir>/<iss>/*.pem)
  -h, --help           show this help

The private key comes from --key, else $ASAP_PRIVATE_KEY (data:application/pkcs8;kid=...;base64,...),
else keys/private/<iss>/.
`;

class UsageError extends Error {}

function parseOptions() {
  return parseArgs({
    allowPositionals: false,
    strict: true,
    options: {
      iss: { type: "string" },
      kid: { type: "string" },
      aud: { type: "string", multiple: true },
      sub: { type: "string" },
      lifetime: { type: "string", default: "60" },
      alg: { type: "string" },
      key: { type: "string" },
      "private-dir": { type: "string", default: "keys/private" },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function parseLifetime(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError("--lifetime must be a whole number of seconds, at least 1");
  }
  const lifetime = Number(value);
  if (lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new UsageError(
      `--lifetime ${lifetime} is too long: ASAP tokens live at most ${MAX_TOKEN_LIFETIME_SECONDS} seconds`,
    );
  }
  return lifetime;
}

/** The private key and its default kid, from --key, ASAP_PRIVATE_KEY, or the key directory. */
async function findKey(
  values: ReturnType<typeof parseOptions>,
  issuer: string,
  explicitKid: string | undefined,
): Promise<{ privateKey: KeyObject; kid: string }> {
  if (values.key !== undefined) {
    const privateKey = await readPrivateKey(values.key);
    return { privateKey, kid: explicitKid ?? `${issuer}/${path.basename(values.key, ".pem")}` };
  }
  const dataUri = nonEmpty(process.env.ASAP_PRIVATE_KEY);
  if (dataUri !== undefined) {
    const parsed = parsePrivateKeyDataUri(dataUri);
    return { privateKey: parsed.privateKey, kid: explicitKid ?? parsed.kid };
  }
  const dir = path.resolve(values["private-dir"]);
  if (explicitKid !== undefined) {
    const file = path.join(dir, ...`${explicitKid}.pem`.split("/"));
    return { privateKey: await readPrivateKey(file), kid: explicitKid };
  }
  const issuerDir = path.join(dir, ...issuer.split("/"));
  const newest = await newestPem(issuerDir);
  if (newest === undefined) {
    throw new Error(
      `no private key for issuer "${issuer}" in ${path.relative(process.cwd(), issuerDir) || issuerDir}; ` +
        `create one with: npm run keys -- create --iss ${issuer}`,
    );
  }
  return {
    privateKey: await readPrivateKey(newest),
    kid: `${issuer}/${path.basename(newest, ".pem")}`,
  };
}

async function readPrivateKey(file: string): Promise<KeyObject> {
  return createPrivateKey(await readFile(file, "utf8"));
}

async function newestPem(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const name of names.filter((n) => n.endsWith(".pem")).sort()) {
    const file = path.join(dir, name);
    const info = await stat(file);
    if (info.isFile() && (newest === undefined || info.mtimeMs > newest.mtimeMs)) {
      newest = { file, mtimeMs: info.mtimeMs };
    }
  }
  return newest?.file;
}

async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const issuer = nonEmpty(values.iss) ?? nonEmpty(process.env.ASAP_ISSUER);
  if (issuer === undefined) throw new UsageError("--iss <issuer> (or ASAP_ISSUER) is required");
  const lifetimeSeconds = parseLifetime(values.lifetime);
  const alg = values.alg;
  if (alg !== undefined && !isAsapAlgorithm(alg)) {
    throw new UsageError(`--alg must be one of ${ASAP_ALGORITHMS.join(", ")}`);
  }
  const audience = values.aud ?? [nonEmpty(process.env.ASAP_AUDIENCE) ?? "sentiment-api"];
  const { privateKey, kid } = await findKey(
    values,
    issuer,
    nonEmpty(values.kid) ?? nonEmpty(process.env.ASAP_KEY_ID),
  );
  const token = await signAsapToken({
    privateKey,
    kid,
    issuer,
    audience: audience.length === 1 ? (audience[0] as string) : audience,
    lifetimeSeconds,
    ...(values.sub !== undefined ? { subject: values.sub } : {}),
    ...(alg !== undefined ? { alg } : {}),
  });
  process.stdout.write(`${token}\n`);
}

exitQuietlyWhenStdoutCloses();
main().catch((error: unknown) => {
  const usage =
    error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  const message = error instanceof Error ? error.message : String(error);
  const detail = isSentimentClientError(error) ? ` (${error.code})` : "";
  process.stderr.write(`mint: ${message}${detail}${usage ? "\nRun with --help for usage." : ""}\n`);
  process.exitCode = usage ? 2 : 1;
});
