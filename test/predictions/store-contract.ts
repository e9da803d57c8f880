import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/predictions/prediction-record.js";
import type { PredictionStore } from "../../src/predictions/prediction-store.js";
import { collect, sampleRecord } from "./fixtures.js";

/** Behaviour every PredictionStore must have; `open` gives a fresh, empty, unmigrated store. */
export function describeStoreContract(
  name: string,
  open: () => Promise<{ store: PredictionStore; dispose(): Promise<void> }>,
): void {
  describe(`${name} (store contract)`, () => {
    let store: PredictionStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
      await dispose();
    });

    it("returns every field of a stored record", async () => {
      const record = sampleRecord({ createdAt: new Date("2026-01-02T03:04:05.678Z") });
      await store.insertBatch([record]);
      expect(await collect(store.exportRows())).toEqual([record]);
    });

    it("keeps only the SHA-256 of the text when the text is not logged", async () => {
      const record = sampleRecord({ text: "a private tweet" }, false);
      await store.insertBatch([record]);
      const [stored] = await collect(store.exportRows());
      expect([stored?.text, stored?.textSha256]).toEqual([null, sha256Hex("a private tweet")]);
    });

    it("keeps text with quotes, commas, newlines and emoji unchanged", async () => {
      const text = 'she said "hi, you"\r\nthen left 😀, \\ and \u00e9';
      await store.insertBatch([sampleRecord({ text })]);
      const [stored] = await collect(store.exportRows());
      expect(stored?.text).toBe(text);
    });

    it("can migrate again without changing anything", async () => {
      await store.insertBatch([sampleRecord()]);
      await store.migrate();
      expect(await collect(store.exportRows())).toHaveLength(1);
    });

    it("stores a record written twice only once (a retried write)", async () => {
      const record = sampleRecord();
      await store.insertBatch([record]);
      await store.insertBatch([record, sampleRecord()]);
      expect(await collect(store.exportRows())).toHaveLength(2);
    });

    it("stores a large batch whole and in order, a retried record in it only once", async () => {
      // 37 records: more than one multi-row statement's worth, and a remainder.
      const records = Array.from({ length: 37 }, (_, i) => sampleRecord({ text: `tweet ${i}` }));
      await store.insertBatch([records[20] as (typeof records)[number]]);
      await store.insertBatch(records);
      const exported = await collect(store.exportRows());
      expect(exported.map((r) => r.text).sort()).toEqual(records.map((r) => r.text).sort());
      expect(exported.slice(1)).toEqual(records.filter((_, i) => i !== 20));
    });

    it("exports in insertion order across pages", async () => {
      const records = Array.from({ length: 7 }, () => sampleRecord());
      await store.insertBatch(records.slice(0, 3));
      await store.insertBatch(records.slice(3));
      const exported = await collect(store.exportRows({ pageSize: 2 }));
      expect(exported.map((r) => r.id)).toEqual(records.map((r) => r.id));
    });

    it("exports only records from since (inclusive) to until (exclusive)", async () => {
      const at = (iso: string) => sampleRecord({ createdAt: new Date(iso) });
      const records = [
        at("2026-03-01T00:00:00.000Z"),
        at("2026-03-02T00:00:00.000Z"),
        at("2026-03-03T00:00:00.000Z"),
      ];
      await store.insertBatch(records);
      const exported = await collect(
        store.exportRows({
          since: new Date("2026-03-02T00:00:00.000Z"),
          until: new Date("2026-03-03T00:00:00.000Z"),
        }),
      );
      expect(exported.map((r) => r.id)).toEqual([records[1]?.id]);
    });

    it("refuses to write once closed", async () => {
      await store.close();
      await expect(store.insertBatch([sampleRecord()])).rejects.toMatchObject({
        code: "store_closed",
      });
    });
  });
}
