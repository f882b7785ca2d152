import { z } from 'zod';
import { decodeRValue, RDecodeError, type TRValueJson } from './decode';
import type { TPyValue } from '../../compare/py-value';

// The report the R driver (driver.R) writes at the end of a run. It arrives from the student's
// process, so it is parsed strictly: anything of another shape is a tampered run.
// Payload: "<JSON byte length>\n<JSON><binary>", where vectors of logical, integer, double and
// complex values point into <binary> (`at`: byte offset, `n`: elements).

const ZCount = z.number().int().nonnegative();
const ZStrings = z
  .object({ v: z.array(z.string().nullable()), cut: z.array(ZCount).optional(), cutLen: z.array(ZCount).optional() })
  .strict()
  .refine((s) => (s.cut?.length ?? 0) === (s.cutLen?.length ?? 0), 'cut and cutLen differ');
const ZAttrs = {
  dim: z.array(ZCount).optional(),
  class: z.array(z.string()).optional(),
  levels: ZStrings.optional(),
};
const binary = (t: 'logical' | 'integer' | 'double' | 'complex' | 'raw') => z.object({ t: z.literal(t), n: ZCount, at: ZCount, ...ZAttrs }).strict();

export const ZRValue: z.ZodType<TRValueJson> = z.lazy(() =>
  z.discriminatedUnion('t', [
    z.object({ t: z.literal('null') }).strict(),
    binary('logical'),
    binary('integer'),
    binary('double'),
    binary('complex'),
    binary('raw'),
    z
      .object({ t: z.literal('character'), v: z.array(z.string().nullable()), cut: z.array(ZCount).optional(), cutLen: z.array(ZCount).optional(), ...ZAttrs })
      .strict(),
    z.object({ t: z.literal('list'), items: z.array(ZRValue), names: ZStrings.optional(), nrow: ZCount.optional(), rowNames: ZStrings.optional(), ...ZAttrs }).strict(),
    z.object({ t: z.literal('function'), src: z.string() }).strict(),
    z.object({ t: z.literal('language'), type: z.string(), src: z.string() }).strict(),
    z.object({ t: z.literal('unsupported'), type: z.string(), reason: z.string() }).strict(),
  ]),
) as z.ZodType<TRValueJson>;

const ZReportValue = z.union([
  z.object({ ok: z.literal(true), value: ZRValue }).strict(),
  /** `limit`: the value did not fit the run's value budget; `missing`: no such variable. */
  z.object({ ok: z.literal(false), error: z.string(), limit: z.literal(true).optional(), missing: z.literal(true).optional() }).strict(),
]);

export const R_PHASES = ['setUpCode', 'script', 'tearDownCode', 'values'] as const;

export const ZRError = z
  .object({
    message: z.string(),
    call: z.string().optional(),
    phase: z.enum(['setUpCode', 'script', 'tearDownCode']),
    file: z.string().optional(),
    line: z.number().int().optional(),
  })
  .strict();
export type TRError = z.infer<typeof ZRError>;

const ZRReport = z
  .object({
    status: z.enum(['completed', 'error', 'memory_exceeded']),
    exitCode: z.number().int(),
    phases: z.array(z.enum(R_PHASES)).max(R_PHASES.length),
    warnings: z.array(z.string()).max(100),
    error: ZRError.optional(),
    values: z.record(z.string(), ZReportValue),
  })
  .strict();

/** A value as the collection sees it: decoded into the comparison's representation. */
export type TRDriverValue = { ok: true; value: TPyValue } | { ok: false; error: string; limit?: boolean; missing?: boolean };

export interface TRReport {
  status: 'completed' | 'error' | 'memory_exceeded';
  exitCode: number;
  phases: Array<(typeof R_PHASES)[number]>;
  warnings: string[];
  error: TRError | undefined;
  /** By variable name; evaluated expressions (reference `evalString`) under `=<expression>`. */
  values: Record<string, TRDriverValue>;
}

/** Parses a report payload; undefined when it is not one the driver could have written. */
export function parseRReport(payload: Buffer): TRReport | undefined {
  const newline = payload.indexOf(0x0a);
  if (newline < 1 || newline > 20) return undefined;
  const digits = payload.subarray(0, newline).toString('ascii');
  if (!/^\d+$/.test(digits)) return undefined;
  const jsonBytes = Number(digits);
  if (newline + 1 + jsonBytes > payload.length) return undefined;
  const blob = payload.subarray(newline + 1 + jsonBytes);
  let json: unknown;
  try {
    json = JSON.parse(payload.subarray(newline + 1, newline + 1 + jsonBytes).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ZRReport.safeParse(json);
  if (!parsed.success) return undefined;
  const report = parsed.data;
  if (!report.phases.every((phase, index) => R_PHASES[index] === phase)) return undefined;
  if ((report.status === 'completed') !== (report.phases.length === R_PHASES.length)) return undefined;
  if (report.status !== 'completed' && !report.error) return undefined;
  const values: Record<string, TRDriverValue> = {};
  try {
    for (const [key, value] of Object.entries(report.values)) {
      values[key] = value.ok ? { ok: true, value: decodeRValue(value.value, blob) } : value;
    }
  } catch (error) {
    if (error instanceof RDecodeError) return undefined;
    throw error;
  }
  return { status: report.status, exitCode: report.exitCode, phases: report.phases, warnings: report.warnings, error: report.error, values };
}
