import type { z } from 'zod';
import { fromZod } from './errors';

/** Parses request input with a contract schema; 400 with field paths on failure. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
}
