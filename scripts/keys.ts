// npm run keys -- create --iss <issuer> [--name <key>] [--alg RS256|ES256|...] [--force]
import path from "node:path";
import { parseArgs } from "node:util";
import { ASAP_ALGORITHMS, isAsapAlgorithm } from "../src/asap/algorithms.js";
import { createKeyPair, DEFAULT_KEY_ALGORITHM, KeygenError } from "../src/asap/keygen.js";
import { exitQuietlyWhenStdoutCloses } from "./cli/closed-stdout.js";

const USAGE = `Usage: npm run keys -- create --iss <issuer> [options]

Creates an ASAP key pair:
  private key  <private-dir>/<issuer>/<name>.pem   (PKCS#8 PEM, mode 0600; keep it secret)
  public key   <public-dir>/<issuer>/<name>        (SPKI PEM, what the API verifies with)
and prints the kid and the ASAP_PRIVATE_KEY data URI for clients.

Options:
  --iss <issuer>         issuer the key belongs to (default: $ASAP_ISSUER)
  --name <key>           key name; the kid is <issuer>/<name> (default: key-<UTC date-time>)
  --alg <alg>            ${ASAP_ALGORITHMS.join("|")} (default: ${DEFAULT_KEY_ALGORITHM}, what every Atlassian ASAP library accepts)
  --private-dir <dir>    default: keys/private
  --public-dir <dir>     default: keys/public
  --force                replace an existing key with the same kid
  -h, --help             show this help
`;

function fail(message: string, exitCode: number): never {
  process.stderr.write(`keys: ${message}\n`);
  process.exit(exitCode);
}

function defaultKeyName(date: Date): string {
  const iso = date.toISOString(); // 2026-11-26T12:03:41.123Z
  return `key-${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}`;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals[0] !== "create" || positionals.length !== 1) {
    fail(`expected the command "create"\n\n${USAGE}`, 2);
  }
  const issuer = values.iss ?? process.env.ASAP_ISSUER;
  if (issuer === undefined || issuer === "") fail("--iss <issuer> is required", 2);
  const alg = values.alg ?? DEFAULT_KEY_ALGORITHM;
  if (!isAsapAlgorithm(alg)) fail(`--alg must be one of ${ASAP_ALGORITHMS.join(", ")}`, 2);

  try {
    const created = await createKeyPair({
      issuer,
      name: values.name ?? defaultKeyName(new Date()),
      alg,
      privateDir: path.resolve(values["private-dir"]),
      publicDir: path.resolve(values["public-dir"]),
      force: values.force,
    });
    const shown = (file: string) => path.relative(process.cwd(), file) || file;
    process.stdout.write(
      [
        `kid: ${created.kid}`,
        `alg: ${created.alg}`,
        `private key: ${shown(created.privateKeyPath)}`,
        `public key: ${shown(created.publicKeyPath)}`,
        // Single-quoted: the URI's ';' would end a shell command, and it holds no quote itself.
        `ASAP_PRIVATE_KEY='${created.dataUri}'`,
        "",
      ].join("\n"),
    );
  } catch (error) {
    if (error instanceof KeygenError) fail(error.message, error.code === "key_exists" ? 1 : 2);
    throw error;
  }
}

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      iss: { type: "string" },
      name: { type: "string" },
      alg: { type: "string" },
      "private-dir": { type: "string", default: "keys/private" },
      "public-dir": { type: "string", default: "keys/public" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

exitQuietlyWhenStdoutCloses();
main().catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error), 1);
});
