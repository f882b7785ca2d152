export * from './resources';
export * from './examples';
export * from './submissions';
export * from './documents';
