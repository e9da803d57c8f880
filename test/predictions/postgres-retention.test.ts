import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/predictions/migrations.js";
import {
  dayPartition,
  PostgresPredictionStore,
  partitionEndMs,
} from "../../src/predictions/postgres-prediction-store.js";
import {
  collect,
  sampleRecord,
  TEST_DATABASE_URL,
  uniqueSchema,
  V1_COLUMNS,
  v1RowValues,
} from "./fixtures.js";

const DAY_MS = 86_400_000;

describe("day partitions", () => {
  it("names a partition by its UTC day and knows where that day ends", () => {
    const ms = Date.parse("2030-01-15T23:59:59.999Z");
    expect(dayPartition(ms)).toEqual({
      name: "predictions_p20300115",
      fromMs: Date.parse("2030-01-15T00:00:00Z"),
      toMs: Date.parse("2030-01-16T00:00:00Z"),
    });
    expect(partitionEndMs("predictions_p20300115")).toBe(Date.parse("2030-01-16T00:00:00Z"));
    expect(partitionEndMs("predictions_default")).toBeUndefined();
    expect(partitionEndMs("predictions_p2030011")).toBeUndefined();
  });
});

describe("PostgresPredictionStore retention (real server)", () => {
  const schemas: Array<ReturnType<typeof uniqueSchema>> = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterAll(async () => {
    for (const close of closers) await close();
    await Promise.all(schemas.map((schema) => schema.drop()));
  });

  function newSchema(): string {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema.name;
  }

  function newStore(schema: string, options: { retentionMs?: number; clock?: () => number } = {}) {
    const store = new PostgresPredictionStore(TEST_DATABASE_URL, { schema, ...options });
    closers.push(() => store.close());
    return store;
  }

  async function sql(schema: string) {
    const client = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${schema}`,
    });
    await client.connect();
    closers.push(() => client.end());
    return client;
  }

  async function partitions(client: pg.Client): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'predictions'::regclass ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  /** A schema left by a v1 service: the unpartitioned table, with rows of several days. */
  async function v1Schema(schema: string, createdAt: readonly Date[]) {
    const client = await sql(schema);
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const v1 = MIGRATIONS.find((migration) => migration.version === 1);
    for (const statement of v1?.postgres ?? []) await client.query(statement);
    await client.query("INSERT INTO schema_migrations (version, description) VALUES (1, 'v1')");
    const records = createdAt.map((time) => sampleRecord({ createdAt: time }));
    for (const r of records) {
      await client.query(
        `INSERT INTO predictions (${V1_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        v1RowValues(r),
      );
    }
    return { client, records };
  }

  it("converts an existing unpartitioned table into day partitions, keeping every row in order", async () => {
    const schema = newSchema();
    const now = Date.now();
    const times = [5, 3, 1, 0].map((days) => new Date(now - days * DAY_MS));
    const { client, records } = await v1Schema(schema, times);

    const store = newStore(schema);
    await store.migrate();

    const { rows } = await client.query<{ kind: string }>(
      "SELECT relkind AS kind FROM pg_class WHERE oid = 'predictions'::regclass",
    );
    expect(rows[0]?.kind).toBe("p"); // partitioned
    const names = await partitions(client);
    for (const time of times) expect(names).toContain(dayPartition(time.getTime()).name);
    expect(names).toContain("predictions_default");
    expect(names).toContain(dayPartition(now + 2 * DAY_MS).name); // created ahead

    const later = sampleRecord();
    await store.insertBatch([later]);
    await store.insertBatch([later]); // a retried write is still stored once
    const exported = await collect(store.exportRows());
    expect(exported.map((r) => r.id)).toEqual([...records, later].map((r) => r.id));
    expect(exported[0]).toEqual(records[0]);
  });

  it("drops the partitions wholly older than a 2-day retention, and old rows of the default partition", async () => {
    const schema = newSchema();
    const now = Date.now();
    const times = [6, 5, 3, 1, 0].map((days) => new Date(now - days * DAY_MS));
    const { client, records } = await v1Schema(schema, times);
    const store = newStore(schema, { retentionMs: 2 * DAY_MS });
    await store.migrate();
    // Ten days back has no partition: the row lands in the default partition.
    const stray = sampleRecord({ createdAt: new Date(now - 10 * DAY_MS) });
    await store.insertBatch([stray]);

    const usage = await store.maintain(now);

    expect(usage?.prunedByRetention).toBe(4); // days -6, -5, -3 and the stray row
    const names = await partitions(client);
    for (const days of [6, 5, 3]) {
      expect(names).not.toContain(dayPartition(now - days * DAY_MS).name);
    }
    for (const days of [1, 0]) expect(names).toContain(dayPartition(now - days * DAY_MS).name);
    const kept = await collect(store.exportRows());
    expect(kept.map((r) => r.id)).toEqual(records.slice(3).map((r) => r.id));
    expect(usage?.oldestRecordMs).toBe(times[3]?.getTime());
    expect(usage?.bytesOnDisk).toBeGreaterThan(0);
  });

  it("runs retention on one replica at a time: a held lock makes the others skip", async () => {
    const schema = newSchema();
    const now = Date.now();
    await v1Schema(schema, [new Date(now - 4 * DAY_MS), new Date(now)]);
    const [first, second] = [
      newStore(schema, { retentionMs: DAY_MS }),
      newStore(schema, { retentionMs: DAY_MS }),
    ];
    await first.migrate();
    const holder = await sql(schema);
    await holder.query("SELECT pg_advisory_lock(hashtext($1))", [
      `sentiment-api:predictions:maintenance:${schema}`,
    ]);

    expect((await second.maintain(now))?.prunedByRetention).toBe(0);
    expect(await collect(first.exportRows())).toHaveLength(2);

    await holder.query("SELECT pg_advisory_unlock_all()");
    expect((await second.maintain(now))?.prunedByRetention).toBe(1);
    expect(await collect(first.exportRows())).toHaveLength(1);
  });

  it("creates yesterday's, today's and the next two days' partitions at migrate, by its clock", async () => {
    const schema = newSchema();
    const clock = () => Date.parse("2030-01-15T12:00:00Z");
    await newStore(schema, { clock }).migrate();
    const names = await partitions(await sql(schema));
    expect(names).toEqual([
      "predictions_default",
      "predictions_p20300114",
      "predictions_p20300115",
      "predictions_p20300116",
      "predictions_p20300117",
    ]);
  });
});
