// The Redis and PostgreSQL servers the tests share (each test keeps to its own key prefix or
// schema): the throwaway ones of global-setup.ts, or the caller's own when TEST_REDIS_URL /
// TEST_DATABASE_URL are set. Never a hard-coded 6379 or 5432.

function fromEnvironment(name: "TEST_REDIS_URL" | "TEST_DATABASE_URL"): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run the tests with npm test (or vitest)`);
  return url;
}

export const TEST_REDIS_URL = fromEnvironment("TEST_REDIS_URL");
export const TEST_DATABASE_URL = fromEnvironment("TEST_DATABASE_URL");
