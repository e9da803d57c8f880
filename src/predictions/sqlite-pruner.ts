import { statSync } from "node:fs";
import type Database from "better-sqlite3";
import type { StoreUsage } from "./prediction-store.js";

/** How the SQLite log's size cap is split between the database file, the WAL and the shm. */
export interface SqliteCapPlan {
  /** WAL bytes after which SQLite checkpoints (wal_autocheckpoint) and to which it truncates the WAL (journal_size_limit). */
  walLimitBytes: number;
  /** Live pages above which the oldest rows are pruned. */
  highWaterPages: number;
  /** Live pages pruning goes down to, once started (hysteresis: not a prune per write). */
  lowWaterPages: number;
  /** Most pages freed by one pruning step (one short transaction). */
  stepPages: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Splits `maxBytes` (file + WAL + shm): the WAL gets an eighth (256 KiB to 64 MiB) plus room for
 * the largest write batch (a transaction is appended whole before the checkpoint can run), the shm
 * its index (32 KiB per 4096 WAL frames), and the database file the rest.
 */
export function planSqliteCap(
  maxBytes: number,
  pageSize: number,
  maxBatchBytes: number,
): SqliteCapPlan {
  const walLimitBytes = Math.min(64 * MiB, Math.max(256 * KiB, Math.floor(maxBytes / 8)));
  const shmBytes = 32 * KiB * (1 + Math.ceil((walLimitBytes + maxBatchBytes) / pageSize / 4096));
  const fileBytes = maxBytes - walLimitBytes - maxBatchBytes - shmBytes;
  const highWaterPages = Math.max(16, Math.floor(fileBytes / pageSize));
  // One step frees at most 4 MiB (a few ms of the writer) and at most half the WAL allowance.
  const stepPages = Math.max(8, Math.floor(Math.min(4 * MiB, walLimitBytes / 2) / pageSize));
  const lowWaterPages = Math.max(8, Math.floor(highWaterPages * 0.9));
  return { walLimitBytes, highWaterPages, lowWaterPages, stepPages };
}

export interface SqlitePrunerOptions {
  /** Cap on file + WAL + shm in bytes; null: no cap. */
  maxBytes: number | null;
  /** Records older than this are deleted by maintain(); null: kept. */
  retentionMs: number | null;
  /** The largest write batch in bytes (see writeBatchBytes). */
  maxBatchBytes: number;
}

/** Most rows one retention step deletes (a few ms of the writer). */
const RETENTION_STEP_ROWS = 5000;
/** Longest a maintain() call keeps the writer, in ms; the rest waits for the next call. */
const MAINTENANCE_BUDGET_MS = 200;
/** Longest the pruning after one insert keeps the writer, in ms. */
const INSERT_PRUNE_BUDGET_MS = 50;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Keeps the SQLite log within its cap and retention, in the writer thread (so never on the
 * request path). The oldest rows are deleted in short steps (one transaction each, by `seq`
 * range, which is insertion order); SQLite reuses the freed pages for new rows, and
 * `incremental_vacuum` returns pages past the high water mark to the filesystem. The WAL is
 * bounded by wal_autocheckpoint + journal_size_limit.
 */
export class SqlitePruner {
  private readonly plan: SqliteCapPlan | undefined;
  private readonly pageSize: number;
  private readonly statements: {
    bounds: Database.Statement;
    createdAtOfSeq: Database.Statement;
    deleteBelowSeq: Database.Statement;
    deleteOlderThan: Database.Statement;
    oldest: Database.Statement;
  };
  /** Set while between the high and the low water mark. */
  private pruning = false;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly options: SqlitePrunerOptions,
  ) {
    this.pageSize = db.pragma("page_size", { simple: true }) as number;
    if (options.maxBytes !== null) {
      this.plan = planSqliteCap(options.maxBytes, this.pageSize, options.maxBatchBytes);
      db.pragma(`journal_size_limit = ${this.plan.walLimitBytes}`);
      db.pragma(
        `wal_autocheckpoint = ${Math.max(16, Math.floor(this.plan.walLimitBytes / this.pageSize))}`,
      );
    }
    this.statements = {
      bounds: db.prepare("SELECT min(seq) AS first, max(seq) AS last FROM prediction_rows"),
      createdAtOfSeq: db
        .prepare("SELECT created_at FROM prediction_rows WHERE seq < ? ORDER BY seq DESC LIMIT 1")
        .pluck(),
      deleteBelowSeq: db.prepare("DELETE FROM prediction_rows WHERE seq < ?"),
      deleteOlderThan: db.prepare(
        `DELETE FROM prediction_rows WHERE seq IN
          (SELECT seq FROM prediction_rows WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
      ),
      oldest: db.prepare("SELECT created_at FROM prediction_rows ORDER BY seq LIMIT 1").pluck(),
    };
  }

  /** After a write: prunes for the cap if needed (time-boxed) and reports the usage. */
  afterInsert(): StoreUsage {
    const usage = emptyUsage();
    this.enforceCap(usage, INSERT_PRUNE_BUDGET_MS);
    return this.finish(usage);
  }

  /** Periodically: deletes records past retention, then enforces the cap (time-boxed). */
  maintain(nowMs: number): StoreUsage {
    const usage = emptyUsage();
    const started = performance.now();
    if (this.options.retentionMs !== null) {
      const cutoff = nowMs - this.options.retentionMs;
      while (performance.now() - started < MAINTENANCE_BUDGET_MS) {
        const stepStarted = performance.now();
        const deleted = this.statements.deleteOlderThan.run(cutoff, RETENTION_STEP_ROWS).changes;
        if (deleted > 0) {
          usage.longestPruneStepMs = Math.max(
            usage.longestPruneStepMs,
            performance.now() - stepStarted,
          );
        }
        usage.prunedByRetention += deleted;
        if (deleted < RETENTION_STEP_ROWS) break;
      }
    }
    this.enforceCap(usage, MAINTENANCE_BUDGET_MS);
    // Also after a restart with a lower cap: the file keeps its size until vacuumed.
    this.releaseFreePages(MAINTENANCE_BUDGET_MS);
    return this.finish(usage);
  }

  private enforceCap(usage: StoreUsage, budgetMs: number): void {
    const plan = this.plan;
    if (plan === undefined) return;
    const started = performance.now();
    let live = this.livePages();
    if (live > plan.highWaterPages) this.pruning = true;
    while (this.pruning && performance.now() - started < budgetMs) {
      if (live <= plan.lowWaterPages) {
        this.pruning = false;
        break;
      }
      const bounds = this.statements.bounds.get() as { first: number | null; last: number | null };
      if (bounds.first === null || bounds.last === null) {
        this.pruning = false;
        break;
      }
      const rows = bounds.last - bounds.first + 1;
      const pagesPerRow = live / rows;
      const pagesToFree = Math.min(plan.stepPages, live - plan.lowWaterPages);
      // Never the newest row: a record just written is the one most worth keeping.
      const count = Math.min(rows - 1, Math.max(1, Math.ceil(pagesToFree / pagesPerRow)));
      if (count < 1) {
        this.pruning = false;
        break;
      }
      const below = bounds.first + count;
      const stepStarted = performance.now();
      const newest = this.statements.createdAtOfSeq.get(below) as number | undefined;
      const deleted = this.statements.deleteBelowSeq.run(below).changes;
      usage.longestPruneStepMs = Math.max(
        usage.longestPruneStepMs,
        performance.now() - stepStarted,
      );
      usage.prunedByCap += deleted;
      if (newest !== undefined) {
        usage.capPrunedNewestMs = Math.max(usage.capPrunedNewestMs ?? 0, newest);
      }
      live = this.livePages();
    }
    if (usage.prunedByCap > 0) this.releaseFreePages(0);
  }

  /**
   * Returns free pages above the high water mark to the filesystem, a step at a time while
   * `budgetMs` lasts (at least one step).
   */
  private releaseFreePages(budgetMs: number): void {
    const plan = this.plan;
    if (plan === undefined) return;
    const started = performance.now();
    let released = false;
    do {
      const pages = this.db.pragma("page_count", { simple: true }) as number;
      const free = this.db.pragma("freelist_count", { simple: true }) as number;
      const excess = Math.min(free, pages - plan.highWaterPages);
      if (excess <= 0) break;
      this.db.pragma(`incremental_vacuum(${Math.min(excess, plan.stepPages)})`);
      released = true;
    } while (performance.now() - started < budgetMs);
    // In WAL mode the file shrinks only when a checkpoint copies the vacuumed pages back.
    if (released) this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  private livePages(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const free = this.db.pragma("freelist_count", { simple: true }) as number;
    return pages - free;
  }

  private finish(usage: StoreUsage): StoreUsage {
    usage.bytesOnDisk =
      fileSize(this.path) + fileSize(`${this.path}-wal`) + fileSize(`${this.path}-shm`);
    const oldest = this.statements.oldest.get() as number | undefined;
    usage.oldestRecordMs = oldest ?? null;
    return usage;
  }
}

function emptyUsage(): StoreUsage {
  return {
    prunedByCap: 0,
    prunedByRetention: 0,
    capPrunedNewestMs: null,
    bytesOnDisk: null,
    oldestRecordMs: null,
    longestPruneStepMs: 0,
  };
}
