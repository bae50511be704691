import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@seam/kit';
import { z } from 'zod';

/** Slack's replay window: a request whose timestamp is further than this from now is refused. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export interface SlackSignatureInput {
  /** The raw request body, exactly as received (the signature covers these bytes). */
  readonly rawBody: Buffer;
  /** X-Slack-Request-Timestamp: Unix seconds. */
  readonly timestamp: string | undefined;
  /** X-Slack-Signature: `v0=` + hex HMAC-SHA256. */
  readonly signature: string | undefined;
}

export type SlackVerification = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'stale' | 'mismatch' };

/** Computes Slack's v0 signature: HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), hex. */
export function slackSignature(signingSecret: Secret, timestamp: string, rawBody: Buffer): string {
  const hmac = createHmac('sha256', signingSecret.reveal());
  hmac.update(`v0:${timestamp}:`, 'utf8');
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Verifies Slack's request signing: the timestamp must be within five minutes of now (replays of a
 * captured request are refused after that) and the signature must match, compared in constant time.
 */
export function verifySlackRequest(input: SlackSignatureInput, signingSecret: Secret, nowMs: number): SlackVerification {
  const { timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, input.rawBody), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  // The expected length is public (v0= plus 64 hex digits); only the content must not leak.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** The part of a block_actions (or legacy interactive_message) payload the callback uses. */
export const SlackInteractionSchema = z.object({
  type: z.string().max(64),
  user: z.object({ id: z.string().min(1).max(64) }),
  actions: z
    .array(
      z.object({
        action_id: z.string().max(255).optional(),
        /** Legacy interactive messages name the button with `name` instead of `action_id`. */
        name: z.string().max(255).optional(),
        value: z.string().min(1).max(2000),
      }),
    )
    .min(1),
});

export type SlackInteraction = z.infer<typeof SlackInteractionSchema>;

/** Reads `payload=<json>` from an application/x-www-form-urlencoded body; undefined when it is not there or not valid. */
export function parseSlackInteraction(rawBody: Buffer): SlackInteraction | undefined {
  const payload = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (payload === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const parsed = SlackInteractionSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
