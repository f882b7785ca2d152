export { createDb, openPool, sqlOf, type Db, type DbOptions } from './client';
export { modelRow, type Sql, type SqlQuery } from './sql';
export { createApiToken, findUserByToken, hashToken } from './tokens';
export { Prisma } from './generated/prisma/client';
export * from './generated/prisma/enums';
export type * from './generated/prisma/models';
