export { ConfigError, applyAliases, parseEnv, parseEnvFile, withEnvFile, type RawEnv } from './env';
export { databaseEnv, envFields, logEnv, storageConfigFrom, storageEnv, temporalEnv } from './fragments';
