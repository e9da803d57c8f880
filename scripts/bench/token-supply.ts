/**
 * Token files for wrk: sets of fresh tokens (unique jti, long enough exp) minted ahead in worker
 * threads and written one per line. A set is handed to each replay store at most once, so one set
 * serves several servers (each remembers only its own jtis) and minting stays off the measured runs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BenchIssuer, mintInThreads } from "./token-minter.js";

export interface TokenFile {
  readonly file: string;
  readonly count: number;
}

interface TokenSet extends TokenFile {
  readonly id: number;
  /** Milliseconds since the epoch when the tokens stop being valid. */
  readonly expiresAtMs: number;
  /** Replay scopes (a server process, or one of its stores) that already received this set. */
  readonly usedBy: Set<string>;
}

export class TokenSupply {
  private readonly sets: TokenSet[] = [];
  private nextId = 1;
  /** Tokens minted so far. */
  minted = 0;

  constructor(
    private readonly issuer: BenchIssuer,
    private readonly dir: string,
    private readonly lifetimeSeconds: number,
  ) {}

  /**
   * A file of at least `count` tokens that `scope` has never been sent, valid for `validForSeconds`
   * more; mints a new set when none fits.
   */
  async take(scope: string, count: number, validForSeconds: number): Promise<TokenFile> {
    const validUntil = Date.now() + validForSeconds * 1000;
    let set = this.sets.find(
      (candidate) =>
        candidate.count >= count &&
        candidate.expiresAtMs > validUntil &&
        !candidate.usedBy.has(scope),
    );
    if (set === undefined) {
      const expiresAtMs = Date.now() + this.lifetimeSeconds * 1000;
      const tokens = await mintInThreads(this.issuer.spec, count, this.lifetimeSeconds);
      const id = this.nextId++;
      const file = join(this.dir, `tokens-${this.issuer.alg}-${id}.txt`);
      writeFileSync(file, `${tokens.join("\n")}\n`);
      this.minted += tokens.length;
      set = { id, file, count: tokens.length, expiresAtMs, usedBy: new Set() };
      this.sets.push(set);
    }
    set.usedBy.add(scope);
    return { file: set.file, count: set.count };
  }

  /** `count` tokens for callers that reuse them (replay protection off), in a file of their own. */
  async reusable(count: number): Promise<TokenFile & { tokens: readonly string[] }> {
    const tokens = await mintInThreads(this.issuer.spec, count, this.lifetimeSeconds);
    const file = join(this.dir, `tokens-${this.issuer.alg}-reused-${this.nextId++}.txt`);
    writeFileSync(file, `${tokens.join("\n")}\n`);
    this.minted += tokens.length;
    return { file, count: tokens.length, tokens };
  }
}
