import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/predictions/migrations.js";
import { PostgresPredictionStore } from "../../src/predictions/postgres-prediction-store.js";
import { collect, sampleRecord, TEST_DATABASE_URL, uniqueSchema } from "./fixtures.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("PostgresPredictionStore", async () => {
  const schema = uniqueSchema();
  return {
    store: new PostgresPredictionStore(TEST_DATABASE_URL, { schema: schema.name }),
    dispose: schema.drop,
  };
});

describe("PostgresPredictionStore", () => {
  const schemas: Array<ReturnType<typeof uniqueSchema>> = [];
  const stores: PostgresPredictionStore[] = [];

  function newStore(schema: string): PostgresPredictionStore {
    const store = new PostgresPredictionStore(TEST_DATABASE_URL, { schema });
    stores.push(store);
    return store;
  }

  function newSchema(): string {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema.name;
  }

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(schemas.map((schema) => schema.drop()));
  });

  async function appliedVersions(schema: string): Promise<number[]> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    } finally {
      await client.end();
    }
  }

  it("migrates safely when several processes start at once", async () => {
    const schema = newSchema();
    const starting = Array.from({ length: 4 }, () => newStore(schema));
    await Promise.all(starting.map((store) => store.migrate()));
    expect(await appliedVersions(schema)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("shares records between two stores on the same schema (two replicas)", async () => {
    const schema = newSchema();
    const [first, second] = [newStore(schema), newStore(schema)];
    await Promise.all([first.migrate(), second.migrate()]);
    const records = [sampleRecord(), sampleRecord()];
    await first.insertBatch(records.slice(0, 1));
    await second.insertBatch(records.slice(1));
    expect((await collect(first.exportRows())).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it("stores a text containing a NUL character instead of failing the batch forever", async () => {
    const store = newStore(newSchema());
    await store.migrate();
    await store.insertBatch([sampleRecord({ text: "before\u0000after" })]);
    const [stored] = await collect(store.exportRows());
    expect(stored?.text).toBe("before\ufffdafter");
  });

  it("refuses a schema name that is not a plain identifier", () => {
    expect(() => new PostgresPredictionStore(TEST_DATABASE_URL, { schema: 'x"; drop' })).toThrow(
      expect.objectContaining({ code: "invalid_store_option" }),
    );
  });
});
