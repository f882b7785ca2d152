import winston from 'winston';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** JSON lines for production; colourised single lines for a terminal. */
  format?: LogFormat;
}

const levels = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
// colorize() throws on a level without a colour, and `trace` is not one of winston's defaults.
winston.addColors({ error: 'red', warn: 'yellow', info: 'green', debug: 'blue', trace: 'gray' });

export type Logger = winston.Logger;

export function createLogger(options: LoggerOptions): Logger {
  const threshold = levels[options.level ?? 'info'];
  // winston formats every entry and leaves the level to its transports, so a dropped `trace` (the
  // Temporal SDK logs several per activity and workflow task) still cost its JSON serialization:
  // about a tenth of the worker's main thread in a burst. Entries above the level stop here, first.
  const enabled = winston.format((info) => ((levels[info.level as LogLevel] ?? 0) <= threshold ? info : false))();
  const format =
    options.format === 'pretty'
      ? winston.format.combine(
          enabled,
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level, message, service, ...meta }) => {
            const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level} [${String(service)}] ${String(message)}${rest}`;
          }),
        )
      : winston.format.combine(enabled, winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json());
  return winston.createLogger({
    levels,
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** Temporal's Logger interface, structurally (keeps this package free of Temporal). */
export interface TemporalLoggerLike {
  log(level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string, meta?: Record<string, unknown>): void;
  trace(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Routes the Temporal SDK's logs (worker, activities, workflow sinks) into winston. */
export function toTemporalLogger(logger: Logger): TemporalLoggerLike {
  const child = logger.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: Record<string, unknown>) => child.log(level, message, meta ?? {});
  return {
    log: (level, message, meta) => write(level.toLowerCase() as LogLevel, message, meta),
    trace: (message, meta) => write('trace', message, meta),
    debug: (message, meta) => write('debug', message, meta),
    info: (message, meta) => write('info', message, meta),
    warn: (message, meta) => write('warn', message, meta),
    error: (message, meta) => write('error', message, meta),
  };
}
