export { ConfigError, applyAliases, parseEnv, parseEnvFile, withEnvFile, type RawEnv } from './env';
export { databaseEnv, envFields, gitlabEnv, logEnv, storageConfigFrom, storageEnv, temporalEnv } from './fragments';
export { decryptSecret, encryptSecret } from './secrets';
