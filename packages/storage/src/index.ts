export { Storage, ObjectNotFoundError, type StorageConfig, type StoredObject } from './storage';
