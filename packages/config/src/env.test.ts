import { z } from 'zod';
import { ConfigError, parseEnv, parseEnvFile } from './env';
import { databaseEnv, storageEnv, temporalEnv } from './fragments';

const schema = z.object({ ...databaseEnv, ...temporalEnv, ...storageEnv });

describe('parseEnv', () => {
  it('accepts the original deployment variable names', () => {
    const parsed = parseEnv(schema, {
      POSTGRES_HOST: 'db',
      POSTGRES_USER: 'u',
      POSTGRES_PASSWORD: 'p@ss',
      POSTGRES_DB: 'computor',
      TEMPORAL_HOST: 'temporal',
      MINIO_ENDPOINT: 'minio:9000',
      MINIO_ACCESS_KEY: 'a',
      MINIO_SECRET_KEY: 's',
      MINIO_DEFAULT_BUCKET: 'bucket-x',
    });
    expect(parsed.DATABASE_URL).toBe('postgresql://u:p%40ss@db:5432/computor');
    expect(parsed.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(parsed.S3_ENDPOINT).toBe('http://minio:9000');
    expect(parsed.S3_BUCKET).toBe('bucket-x');
  });

  it('names every bad variable', () => {
    expect.assertions(2);
    try {
      parseEnv(schema, { DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'nohost', S3_ACCESS_KEY_ID: 'a' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['DATABASE_URL', 'S3_SECRET_ACCESS_KEY', 'TEMPORAL_ADDRESS']);
    }
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=value lines and ignores comments', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\n\nC=x=y\n')).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });
});
