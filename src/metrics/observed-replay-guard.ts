import { isAsapError } from "../asap/errors.js";
import type { ReplayGuard } from "../asap/replay/replay-guard.js";

/**
 * Wraps a replay guard (memory or Redis) and reports store failures: anything it throws except a
 * detected replay, which is the guard working, not failing. Errors pass through unchanged, so the
 * token is still refused.
 */
export class ObservedReplayGuard implements ReplayGuard {
  constructor(
    private readonly inner: ReplayGuard,
    private readonly onStoreError: () => void,
  ) {}

  async checkAndRemember(issuer: string, jti: string, expiresAtSeconds: number): Promise<void> {
    try {
      await this.inner.checkAndRemember(issuer, jti, expiresAtSeconds);
    } catch (error) {
      if (!(isAsapError(error) && error.code === "token_replayed")) this.onStoreError();
      throw error;
    }
  }
}
