/**
 * Remembers token ids so a token is accepted once. Throws AsapError `token_replayed` for a
 * (issuer, jti) seen before and not yet expired, or `replay_store_unavailable` when it cannot
 * decide (callers must then refuse the token: fail closed).
 */
export interface ReplayGuard {
  checkAndRemember(issuer: string, jti: string, expiresAtSeconds: number): Promise<void>;
}
