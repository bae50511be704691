import { z } from 'zod';

/** Body of POST /webhook/qradar: the offense id (number or numeric string); other keys are ignored. */
export const webhookBodySchema = z.looseObject({
  offense_id: z.union([z.number().int().positive(), z.string().regex(/^\d{1,15}$/).transform(Number)]).pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
});
export type WebhookBody = z.output<typeof webhookBodySchema>;

/** Signed-request freshness window for HMAC authentication. */
export function timestampFresh(timestampSeconds: string | undefined, nowMs: number, skewMs: number): boolean {
  if (timestampSeconds === undefined || !/^\d{1,12}$/.test(timestampSeconds)) return false;
  return Math.abs(nowMs - Number(timestampSeconds) * 1000) <= skewMs;
}
