import { z } from 'zod';
import type { TPyValue } from '../../compare/py-value';

// The report the Python driver (src/languages/python/driver.py) writes at the end of a run. It arrives from
// the student's process, so it is parsed strictly: anything of another shape is a tampered run.

const ZPyFloat = z.union([z.number(), z.enum(['nan', 'inf', '-inf'])]);
const ZExtra = { pytype: z.string().optional(), str: z.string().optional() };
/** An array element or numpy scalar as the driver writes it: number, bool, text, or [re, im]. */
const ZElement = z.union([z.number(), z.string(), z.boolean(), z.tuple([ZPyFloat, ZPyFloat])]);

// Arrays reach millions of elements: primitives are checked without zod.
function validElement(raw: unknown): boolean {
  const type = typeof raw;
  if (type === 'number' || type === 'string' || type === 'boolean') return true;
  return ZElement.safeParse(raw).success || ZPyValue.safeParse(raw).success;
}

export const ZPyValue: z.ZodType<TPyValue> = z.lazy(() =>
  z.discriminatedUnion('t', [
    z.object({ t: z.literal('none'), ...ZExtra }).strict(),
    z.object({ t: z.literal('bool'), v: z.boolean(), ...ZExtra }).strict(),
    z.object({ t: z.literal('int'), v: z.union([z.number(), z.string().regex(/^-?\d+$/)]), ...ZExtra }).strict(),
    z.object({ t: z.literal('float'), v: ZPyFloat, ...ZExtra }).strict(),
    z.object({ t: z.literal('complex'), re: ZPyFloat, im: ZPyFloat, ...ZExtra }).strict(),
    z.object({ t: z.literal('str'), v: z.string(), truncated: z.boolean().optional(), len: z.number().int().optional(), ...ZExtra }).strict(),
    z.object({ t: z.literal('bytes'), v: z.string(), ...ZExtra }).strict(),
    z.object({ t: z.literal('list'), items: z.array(ZPyValue), ...ZExtra }).strict(),
    z.object({ t: z.literal('tuple'), items: z.array(ZPyValue), ...ZExtra }).strict(),
    z.object({ t: z.literal('set'), items: z.array(ZPyValue), ...ZExtra }).strict(),
    z.object({ t: z.literal('frozenset'), items: z.array(ZPyValue), ...ZExtra }).strict(),
    z.object({ t: z.literal('dict'), items: z.array(z.tuple([ZPyValue, ZPyValue])), ...ZExtra }).strict(),
    z
      .object({ t: z.literal('ndarray'), dtype: z.string(), kind: z.string(), shape: z.array(z.number().int().nonnegative()), data: z.array(z.unknown()), ...ZExtra })
      .strict()
      .refine((a) => a.shape.reduce((n, d) => n * d, 1) === a.data.length && a.data.every(validElement), 'not an array the driver writes'),
    z.object({ t: z.literal('npscalar'), dtype: z.string(), kind: z.string(), v: ZElement, ...ZExtra }).strict(),
    z.object({ t: z.literal('object'), type: z.string(), repr: z.string(), ...ZExtra }).strict(),
    z.object({ t: z.literal('unsupported'), type: z.string(), reason: z.string(), ...ZExtra }).strict(),
  ]),
) as z.ZodType<TPyValue>;

export const ZDriverValue = z.union([
  z.object({ ok: z.literal(true), value: ZPyValue }).strict(),
  /** `limit`: the value did not fit the run's value budget (`output_limit` for its check). */
  z.object({ ok: z.literal(false), error: z.string(), limit: z.boolean().optional() }).strict(),
]);
export type TDriverValue = z.infer<typeof ZDriverValue>;

export const ZDriverError = z
  .object({
    type: z.string(),
    message: z.string(),
    traceback: z.string(),
    location: z.object({ file: z.string(), line: z.number().int() }).strict().nullable(),
    memory: z.boolean(),
  })
  .strict();
export type TDriverError = z.infer<typeof ZDriverError>;

/** Phases of a `run`, in the only order the driver goes through them. */
export const RUN_PHASES = ['entryPoint', 'setUpCode', 'tearDownCode', 'values'] as const;

export const ZDriverReport = z
  .object({
    /** `tampered`: the driver found the interpreter changed under it (`tamper` says what). */
    status: z.enum(['completed', 'error', 'memory_exceeded', 'output_limit', 'tampered']),
    exitCode: z.number().int(),
    phases: z.array(z.enum(RUN_PHASES)).max(RUN_PHASES.length),
    phase: z.string().optional(),
    tamper: z.string().max(2000).optional(),
    warnings: z.array(z.string()).max(100),
    error: ZDriverError.optional(),
    graphicsError: z.string().optional(),
    values: z.record(z.string(), ZDriverValue).optional(),
    tokens: z.array(z.tuple([z.string(), z.string()])).optional(),
    needles: z.record(z.string(), z.array(z.string()).nullable()).optional(),
  })
  .strict();
export type TDriverReport = z.infer<typeof ZDriverReport>;

/** The phases of a report must be a prefix of RUN_PHASES (all of them for a completed run). */
export function phasesInOrder(report: TDriverReport, mode: 'run' | 'tokenize' | 'compile'): boolean {
  if (mode !== 'run') return report.phases.length === 0;
  const inOrder = report.phases.every((phase, index) => RUN_PHASES[index] === phase);
  if (!inOrder) return false;
  return report.status !== 'completed' || report.phases.length === RUN_PHASES.length;
}

/** Parses a report payload; undefined when it is not one the driver could have written. */
export function parseDriverReport(payload: Buffer, mode: 'run' | 'tokenize' | 'compile'): TDriverReport | undefined {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ZDriverReport.safeParse(json);
  if (!parsed.success || !phasesInOrder(parsed.data, mode)) return undefined;
  return parsed.data;
}
