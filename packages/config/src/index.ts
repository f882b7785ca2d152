export { ConfigError, applyAliases, parseEnv, parseEnvFile, withEnvFile, type RawEnv } from './env';
export { databaseEnv, envFields, gitlabEnv, logEnv, storageConfigFrom, storageEnv, temporalEnv, tutorTestEnv } from './fragments';
export { decryptSecret, encryptSecret } from './secrets';
