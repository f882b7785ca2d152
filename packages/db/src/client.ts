import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { createSql, type Sql } from './sql';

export interface DbOptions {
  databaseUrl: string;
  /** Pool size per process (shared by Prisma and `sqlOf`). */
  maxConnections?: number;
  /**
   * Keep every connection once opened (no idle timeout below the pool size); with `openPool` at
   * start, a burst after a quiet spell does not open connections while it runs (each costs a TCP
   * connect and a SCRAM handshake, ~4 ms of this process's CPU). For the worker.
   */
  keepOpen?: boolean;
}

const sqlByClient = new WeakMap<PrismaClient, Sql>();
const poolByClient = new WeakMap<PrismaClient, pg.Pool>();

/** A Prisma client on the pg driver adapter (no query-engine binary); `sqlOf(db)` reaches the same pool. */
export function createDb(options: DbOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    ...(options.keepOpen ? { min: options.maxConnections ?? 10 } : {}),
    connectionTimeoutMillis: 5_000,
  });
  // $disconnect ends the pool, as when the adapter owned it.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  sqlByClient.set(db, createSql(pool));
  poolByClient.set(db, pool);
  return db;
}

/** Opens the whole pool at once (a connection is open, authenticated, once `connect` answers). */
export async function openPool(db: PrismaClient): Promise<void> {
  const pool = poolByClient.get(db);
  if (!pool) throw new Error('openPool: this Prisma client was not made by createDb');
  const clients = await Promise.allSettled(Array.from({ length: pool.options.max ?? 10 }, () => pool.connect()));
  for (const c of clients) if (c.status === 'fulfilled') c.value.release();
  const failed = clients.find((c) => c.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Plain SQL on the client's pool (see `Sql`): for the statements a deadline burst repeats. */
export function sqlOf(db: PrismaClient): Sql {
  const sql = sqlByClient.get(db);
  if (!sql) throw new Error('sqlOf: this Prisma client was not made by createDb');
  return sql;
}

export type Db = PrismaClient;
