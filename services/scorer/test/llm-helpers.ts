import type { Incident, SecurityEvent } from '@seam/schemas';
import type { Verdict } from '@seam/schemas/records/verdict';
import { createOpenAiChat } from '../src/adapters/openai-chat';
import { scoreBaseline } from '../src/domain/index';
import {
  DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt, type RefinementCache, type RefinerSettings,
} from '../src/llm/index';
import { STAMP, T0, actorIdentity, actorIp, asset, defaultModel, event, incidentOf, targetIp } from './fixtures';

export const TEST_KEY = 'sk-test-fake-0123456789';

export interface AttackFields {
  offenseDescription?: string;
  offenseTitle?: string;
  userName?: string;
  userAgent?: string;
  requestParameters?: unknown;
  findingTitle?: string;
}

/** A hybrid incident: a QRadar offense, a CloudTrail call and a Security Hub finding, every attacker-controlled field settable. */
export function hybridIncident(attack: AttackFields = {}, critical = false): { incident: Incident; events: SecurityEvent[] } {
  const user = attack.userName ?? 'jdoe';
  const offense = event({
    source: 'qradar', sourceId: '4242', title: attack.offenseTitle ?? 'Multiple Login Failures for the Same User', sourceSeverity: 60,
    entities: { ips: [actorIp('203.0.113.7'), targetIp('10.0.0.5')], identities: [actorIdentity(user)] },
    enrichment: critical ? { assets: [asset('10.0.0.5', 5)] } : {},
    raw: JSON.stringify({ id: 4242, description: attack.offenseDescription ?? 'Multiple Login Failures for the Same User\n', offense_source: user }),
  });
  const call = event({
    source: 'cloudtrail', sourceId: 'ct-1111', title: 'ConsoleLogin', sourceSeverity: 40, observedAt: T0 + 60_000,
    entities: { ips: [actorIp('203.0.113.7')], identities: [actorIdentity(user, user, 'iam_user')] },
    raw: JSON.stringify({
      eventID: 'ct-1111', eventName: 'ConsoleLogin', userAgent: attack.userAgent ?? 'Mozilla/5.0',
      userIdentity: { type: 'IAMUser', userName: user },
      requestParameters: attack.requestParameters ?? { bucketName: 'reports' },
    }),
  });
  const finding = event({
    source: 'securityhub', sourceId: 'arn:aws:securityhub:eu-west-1:111122223333:finding/abc', title: attack.findingTitle ?? 'S3 bucket policy allows public read',
    sourceSeverity: 50, observedAt: T0 + 120_000,
    entities: { ips: [actorIp('203.0.113.7')] },
    raw: JSON.stringify({ Title: attack.findingTitle ?? 'S3 bucket policy allows public read', Description: 'finding' }),
  });
  const events = [offense, call, finding];
  return { incident: incidentOf(events, { incidentId: 'inc-llm' }), events };
}

export function baselineOf(incident: Incident, events: readonly SecurityEvent[]): Verdict {
  return scoreBaseline({ incident, events }, defaultModel, STAMP);
}

export function refinerFor(baseURL: string, overrides: Partial<RefinerSettings> = {}, cache?: RefinementCache): Refiner {
  const settings: RefinerSettings = {
    ...DEFAULT_REFINER_SETTINGS,
    prompt: loadPrompt('refine.v1'),
    timeoutMs: 1_000,
    deadlineMs: 5_000,
    backoff: { initialMs: 5, maxMs: 50, multiplier: 2 },
    maxRetryAfterMs: 2_000,
    ...overrides,
  };
  const chat = createOpenAiChat({ baseURL, model: 'fake-model', apiKey: TEST_KEY });
  return new Refiner(settings, { chat, riskModel: defaultModel, cache: cache ?? new LruRefinementCache() });
}
