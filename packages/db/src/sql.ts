import pg from 'pg';

/**
 * Plain SQL on the Prisma client's own connection pool, for the hot paths of a deadline burst. A
 * Prisma statement costs 0.7 to 2 ms of CPU in the calling process (the query compiler runs as
 * wasm on every call), a `$queryRaw` about 0.3 ms and this about 0.15 ms (measured on a
 * single-row read by primary key; `packages/db/README.md`). Values are always parameters (`$1` ...),
 * never spliced into the text.
 *
 *   const [row] = await sqlOf(db)<{ id: string }>`SELECT id FROM results WHERE id = ${id}::uuid`;
 *
 * Conventions, the same as Prisma's: `timestamp(3)` columns hold UTC without a zone, so a Date
 * parameter is sent as its ISO string (a zone in the input is ignored for `timestamp`) and a
 * `timestamp` value read comes back as the Date of that UTC time, whatever the process's time zone.
 * Enum columns come back as strings, JSON as parsed values.
 */
export interface SqlQuery {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
}

export interface Sql extends SqlQuery {
  /** One transaction on one connection: committed when `fn` resolves, rolled back when it throws. */
  transaction<T>(fn: (sql: SqlQuery) => Promise<T>): Promise<T>;
  /**
   * A join's rows split by table: `SELECT a.*, b.* FROM a JOIN b ...` answers `[a, b]` per row, each
   * the columns of one table (split where the columns' table changes; a table twice in a row is one).
   * One statement for what would otherwise be one per table, for `modelRow`.
   */
  tables(strings: TemplateStringsArray, ...values: unknown[]): Promise<Array<Array<Record<string, unknown>>>>;
}

const TIMESTAMP_OID = 1114;
const TIMESTAMP_ARRAY_OID = 1115;
const TEXT_ARRAY_OID = 1009;
const utc = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMP_OID) return utc;
    if (oid === TIMESTAMP_ARRAY_OID) {
      const parseArray = pg.types.getTypeParser(TEXT_ARRAY_OID as never) as (text: string) => Array<string | null>;
      return (text: string) => parseArray(text).map((t) => (t === null ? null : utc(t)));
    }
    return pg.types.getTypeParser(oid as never, format as never);
  }) as typeof pg.types.getTypeParser,
};

function param(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(param);
  return value;
}

function statement(strings: TemplateStringsArray, values: unknown[]): pg.QueryConfig {
  let text = strings[0]!;
  for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
  return { text, values: values.map(param), types } as pg.QueryConfig;
}

function queryOn(client: pg.Pool | pg.PoolClient): SqlQuery {
  return async <T>(strings: TemplateStringsArray, ...values: unknown[]) => (await client.query(statement(strings, values))).rows as T[];
}

function splitByTable(result: pg.QueryArrayResult): Array<Array<Record<string, unknown>>> {
  const groups: Array<{ from: number; to: number }> = [];
  result.fields.forEach((field, i) => {
    if (i === 0 || field.tableID !== result.fields[i - 1]!.tableID) groups.push({ from: i, to: i + 1 });
    else groups[groups.length - 1]!.to = i + 1;
  });
  return result.rows.map((row) =>
    groups.map(({ from, to }) => {
      const record: Record<string, unknown> = {};
      for (let i = from; i < to; i++) record[result.fields[i]!.name] = row[i];
      return record;
    }),
  );
}

export function createSql(pool: pg.Pool): Sql {
  const sql = queryOn(pool) as Sql;
  sql.tables = async (strings, ...values) => splitByTable(await pool.query({ ...statement(strings, values), rowMode: 'array' }));
  sql.transaction = async <T>(fn: (q: SqlQuery) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const out = await fn(queryOn(client));
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e;
      });
      throw error;
    } finally {
      // A connection whose rollback failed is not handed out again.
      client.release(broken instanceof Error ? broken : undefined);
    }
  };
  return sql;
}

const camelKeys = new Map<string, string>();
const camel = (column: string) => {
  let key = camelKeys.get(column);
  if (key === undefined) {
    key = column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelKeys.set(column, key);
  }
  return key;
};

/**
 * A `SELECT *` row as its Prisma model: the schema maps every field to its snake_case column
 * (`gitlabGroupId` to `gitlab_group_id`), so the keys are turned back to camelCase. Only for tables
 * whose every column follows that rule (`apps/migrations/src/schema.int.test.ts` compares the
 * models read this way with Prisma's own).
 */
export function modelRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const column in row) out[camel(column)] = row[column];
  return out as T;
}
