import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { createSql, type Sql } from './sql';

export interface DbOptions {
  databaseUrl: string;
  /** Pool size per process (shared by Prisma and `sqlOf`). */
  maxConnections?: number;
}

const sqlByClient = new WeakMap<PrismaClient, Sql>();

/** A Prisma client on the pg driver adapter (no query-engine binary); `sqlOf(db)` reaches the same pool. */
export function createDb(options: DbOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // $disconnect ends the pool, as when the adapter owned it.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  sqlByClient.set(db, createSql(pool));
  return db;
}

/** Plain SQL on the client's pool (see `Sql`): for the statements a deadline burst repeats. */
export function sqlOf(db: PrismaClient): Sql {
  const sql = sqlByClient.get(db);
  if (!sql) throw new Error('sqlOf: this Prisma client was not made by createDb');
  return sql;
}

export type Db = PrismaClient;
