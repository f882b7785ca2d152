// Driver adapter for Prisma's JavaScript schema engine, so `prisma migrate` runs with nothing
// downloaded. Works around three adapter-pg 6.x problems met here (see shared toolchain notes):
// catalog types `name`/"char" rejected, the shadow database aliased to the main one, and a pool
// that kept the CLI alive after it finished.
const { PrismaPg } = require('@prisma/adapter-pg');

const PG_NAME = 19;
const PG_CHAR = 18;
const PG_TEXT = 25;

let patched = false;
function reportCatalogTypesAsText(adapter) {
  if (patched) return;
  // performIO lives on the queryable base class shared by connections and transactions.
  const base = Object.getPrototypeOf(Object.getPrototypeOf(adapter));
  const original = base.performIO;
  base.performIO = async function performIO(query) {
    const result = await original.call(this, query);
    for (const field of result.fields ?? []) {
      if (field.dataTypeID === PG_NAME || field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
    }
    return result;
  };
  patched = true;
}

function poolConfigFromUrl(databaseUrl) {
  const url = new URL(databaseUrl);
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    allowExitOnIdle: true,
  };
}

class MigrationAdapterFactory extends PrismaPg {
  constructor(config) {
    super(config);
    this.poolConfig = config;
  }

  async connect() {
    const adapter = await super.connect();
    reportCatalogTypesAsText(adapter);
    return adapter;
  }

  async connectToShadowDb() {
    const admin = await this.connect();
    const database = `prisma_shadow_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadowFactory = new PrismaPg({ ...this.poolConfig, database });
    const shadow = await shadowFactory.connect();
    reportCatalogTypesAsText(shadow);
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.dispose();
    };
    return shadow;
  }
}

function createMigrationAdapterFactory(databaseUrl) {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: Prisma migrations need a PostgreSQL connection URL.');
  return new MigrationAdapterFactory(poolConfigFromUrl(databaseUrl));
}

module.exports = { createMigrationAdapterFactory, poolConfigFromUrl };
