import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { createKeyPair, KeygenError } from "../asap/keygen.js";

export interface DevKeySettings {
  readonly publicDir: string;
  readonly privateDir: string;
  readonly issuer: string;
}

/** Creates the development key pair when the default public-key directory holds no key at all. */
export async function ensureDevKeyPair(
  settings: DevKeySettings,
): Promise<{ kid: string; privateKeyPath: string } | null> {
  if (holdsAnyKey(resolve(settings.publicDir))) return null;
  try {
    const created = await createKeyPair({
      issuer: settings.issuer,
      name: "default",
      alg: "RS256",
      privateDir: settings.privateDir,
      publicDir: settings.publicDir,
    });
    return { kid: created.kid, privateKeyPath: created.privateKeyPath };
  } catch (error) {
    // Two services started at once in a fresh checkout: the other one is writing this pair. A
    // private key left without its public key by an earlier crash stays an error.
    if (isConflict(error) && (await publicKeyAppears(resolve(settings.publicDir)))) return null;
    throw error;
  }
}

async function publicKeyAppears(dir: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (holdsAnyKey(dir)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

function isConflict(error: unknown): boolean {
  if (error instanceof KeygenError) return error.code === "key_exists";
  return (error as NodeJS.ErrnoException | undefined)?.code === "EEXIST";
}

function holdsAnyKey(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some(
    (entry) => entry.isFile() && !entry.name.startsWith("."),
  );
}
