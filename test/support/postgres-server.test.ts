import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import { ThrowawayPostgresServer } from "./postgres-server.js";

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

it("serves a test database of its own on 127.0.0.1, without durability, until stopped", async () => {
  const directory = await mkdtemp(join(tmpdir(), "postgres-server-test-"));
  try {
    const server = await ThrowawayPostgresServer.start(directory);
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/test`);
      expect(server.port).not.toBe(5432);
      const [settings] = await query(
        server.url,
        "SELECT current_database() AS database, current_setting('fsync') AS fsync",
      );
      expect(settings).toEqual({ database: "test", fsync: "off" });
    } finally {
      await server.stop();
    }
    await expect(query(server.url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
