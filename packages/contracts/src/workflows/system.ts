import { z } from 'zod';

export const WF_SYSTEM_CHECK = 'systemCheckWorkflow';

export const ZSystemCheckParams = z.object({ note: z.string().max(200).optional() });
export type TSystemCheckParams = z.infer<typeof ZSystemCheckParams>;

export const ZDependencyCheck = z.object({ name: z.string(), ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
export const ZSystemCheckResult = z.object({
  worker: z.string(),
  checks: z.array(ZDependencyCheck),
});
export type TSystemCheckResult = z.infer<typeof ZSystemCheckResult>;
