export { createLogger, toTemporalLogger, type Logger, type LoggerOptions, type LogFormat, type LogLevel, type TemporalLoggerLike } from './logger';
