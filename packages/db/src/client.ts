import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface DbOptions {
  databaseUrl: string;
  /** Pool size per process. */
  maxConnections?: number;
}

/** A Prisma client on the pg driver adapter (no query-engine binary). */
export function createDb(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}

export type Db = PrismaClient;
