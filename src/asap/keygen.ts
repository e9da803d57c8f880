import { generateKeyPair as generateKeyPairCallback, type KeyObject } from "node:crypto";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { type AsapAlgorithm, isAsapAlgorithm } from "./algorithms.js";
import { validateKid } from "./kid.js";
import { formatPrivateKeyDataUri } from "./sign.js";

const generateKeyPair = promisify(generateKeyPairCallback);

export const DEFAULT_KEY_ALGORITHM: AsapAlgorithm = "RS256";

export interface CreateKeyPairOptions {
  issuer: string;
  /** The key name; the kid is `<issuer>/<name>`. */
  name: string;
  alg?: AsapAlgorithm;
  /** The private key goes to `<privateDir>/<issuer>/<name>.pem` (mode 0600). */
  privateDir: string;
  /** The public key goes to `<publicDir>/<issuer>/<name>` (the ASAP key repository layout). */
  publicDir: string;
  /** Replace an existing key with the same kid. Default false. */
  force?: boolean;
}

export interface CreatedKeyPair {
  kid: string;
  alg: AsapAlgorithm;
  privateKeyPath: string;
  publicKeyPath: string;
  /** The `ASAP_PRIVATE_KEY` value for this key. */
  dataUri: string;
}

export type KeygenErrorCode = "invalid_key_name" | "unsupported_algorithm" | "key_exists";

export class KeygenError extends Error {
  constructor(
    readonly code: KeygenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeygenError";
  }
}

const KEY_NAME = /^[A-Za-z0-9_.+-]+$/;

/** Generates an ASAP key pair and writes it in the layout the key repository and `mint` expect. */
export async function createKeyPair(options: CreateKeyPairOptions): Promise<CreatedKeyPair> {
  const alg = options.alg ?? DEFAULT_KEY_ALGORITHM;
  if (!isAsapAlgorithm(alg)) {
    throw new KeygenError("unsupported_algorithm", `unsupported algorithm ${String(alg)}`);
  }
  const kid = checkedKid(options.issuer, options.name);
  const privateKeyPath = path.join(options.privateDir, ...`${kid}.pem`.split("/"));
  const publicKeyPath = path.join(options.publicDir, ...kid.split("/"));
  if (!options.force) {
    for (const file of [privateKeyPath, publicKeyPath]) {
      if (await exists(file)) {
        throw new KeygenError("key_exists", `${file} already exists (use force to replace it)`);
      }
    }
  }

  const { privateKey, publicKey } = await generateFor(alg);
  const pkcs8Pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const pkcs8Der = privateKey.export({ type: "pkcs8", format: "der" });
  const spkiPem = publicKey.export({ type: "spki", format: "pem" }) as string;

  // Only the issuer folders under privateDir are private; parents keep the usual mode.
  await mkdir(options.privateDir, { recursive: true });
  await mkdir(path.dirname(privateKeyPath), { recursive: true, mode: 0o700 });
  await mkdir(path.dirname(publicKeyPath), { recursive: true, mode: 0o755 });
  const flag = options.force ? "w" : "wx";
  await writeFile(privateKeyPath, pkcs8Pem, { mode: 0o600, flag });
  await chmod(privateKeyPath, 0o600); // `mode` only applies when the file is created.
  await writeFile(publicKeyPath, spkiPem, { mode: 0o644, flag });

  return {
    kid,
    alg,
    privateKeyPath,
    publicKeyPath,
    dataUri: formatPrivateKeyDataUri(kid, pkcs8Der),
  };
}

function checkedKid(issuer: string, name: string): string {
  if (!KEY_NAME.test(name) || name === "." || name === "..") {
    throw new KeygenError("invalid_key_name", "the key name may only use [A-Za-z0-9_.+-]");
  }
  try {
    return validateKid(`${issuer}/${name}`);
  } catch {
    throw new KeygenError(
      "invalid_key_name",
      "the issuer may only use [A-Za-z0-9_.+/-] without empty, . or .. segments",
    );
  }
}

async function generateFor(
  alg: AsapAlgorithm,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg.startsWith("ES")) {
    const namedCurve = { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg as "ES256"];
    return generateKeyPair("ec", { namedCurve });
  }
  // RS* and PS* share plain RSA keys (rsaEncryption SPKI), which every ASAP library reads.
  return generateKeyPair("rsa", { modulusLength: 2048 });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
