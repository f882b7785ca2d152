import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, toTemporalLogger } from './logger';

function capture(logger: winston.Logger): string[] {
  const lines: string[] = [];
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }) }));
  return lines;
}

describe('createLogger', () => {
  it('writes JSON lines with the service name and metadata', () => {
    const logger = createLogger({ service: 'api', level: 'debug' });
    const lines = capture(logger);
    logger.info('started', { port: 8000 });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', message: 'started', service: 'api', port: 8000 });
    expect(entry.timestamp).toEqual(expect.any(String));
  });

  it('prints every level, trace included, in the pretty format', () => {
    const logger = createLogger({ service: 'worker', level: 'trace', format: 'pretty' });
    const lines = capture(logger);
    logger.log('trace', 'fine detail');
    logger.error('broken');
    expect(lines.join('')).toMatch(/fine detail/);
    expect(lines.join('')).toMatch(/broken/);
  });

  it('routes Temporal SDK log levels into winston levels', () => {
    const logger = createLogger({ service: 'worker', level: 'trace' });
    const lines = capture(logger);
    const temporal = toTemporalLogger(logger);
    temporal.log('WARN', 'slow poll', { taskQueue: 'q' });
    temporal.trace('detail');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', message: 'slow poll', taskQueue: 'q', component: 'temporal' }),
      expect.objectContaining({ level: 'trace', message: 'detail' }),
    ]);
  });

  it('drops entries above its level before formatting them (no serialization of their metadata)', () => {
    const logger = createLogger({ service: 'worker', level: 'info' });
    const lines = capture(logger);
    let serialized = 0;
    const meta = { detail: { toJSON: () => { serialized += 1; return 'x'; } } };
    toTemporalLogger(logger).trace('activity started', meta);
    logger.debug('step', meta);
    logger.info('kept', meta);
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['kept']);
    expect(serialized).toBe(1);
  });
});
