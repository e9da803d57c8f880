import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { createKeyPair } from "../asap/keygen.js";

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
  const created = await createKeyPair({
    issuer: settings.issuer,
    name: "default",
    alg: "RS256",
    privateDir: settings.privateDir,
    publicDir: settings.publicDir,
  });
  return { kid: created.kid, privateKeyPath: created.privateKeyPath };
}

function holdsAnyKey(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some(
    (entry) => entry.isFile() && !entry.name.startsWith("."),
  );
}
