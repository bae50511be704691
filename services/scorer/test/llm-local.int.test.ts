import { describe, expect, it } from 'vitest';
import { llmInferenceSchema, verdictSchema } from '@seam/schemas';
import { createOpenAiChat } from '../src/adapters/openai-chat';
import { severityRank } from '../src/domain/index';
import { DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt } from '../src/llm/index';
import { defaultModel } from './fixtures';
import { baselineOf, hybridIncident } from './llm-helpers';

// Refines a real incident through the real local model (infra/llm-up.sh). On 2 shared cores a
// 135M model answers in tens of seconds, so the budget here is generous.
function endpoint(): { baseURL: string; model: string; apiKey: string } {
  const baseURL = process.env.LLM_BASE_URL;
  const apiKey = process.env.LLM_API_KEY;
  if (baseURL === undefined || baseURL === '' || apiKey === undefined || apiKey === '') {
    throw new Error('LLM_BASE_URL and LLM_API_KEY are not set: run `bash infra/llm-up.sh` and `set -a; . .local/llm/endpoint.env; set +a` first');
  }
  return { baseURL, apiKey, model: process.env.LLM_MODEL ?? 'local' };
}

describe('LLM refinement through the real local model', () => {
  it('refines a hybrid incident into a valid llm verdict citing real members', async () => {
    const { baseURL, apiKey, model } = endpoint();
    const { incident, events } = hybridIncident({}, true);
    const baseline = baselineOf(incident, events);
    const refiner = new Refiner(
      { ...DEFAULT_REFINER_SETTINGS, prompt: loadPrompt('refine.v1'), timeoutMs: 240_000, deadlineMs: 290_000, maxTransportAttempts: 1 },
      { chat: createOpenAiChat({ baseURL, apiKey, model, timeoutMs: 240_000 }), riskModel: defaultModel, cache: new LruRefinementCache() },
    );
    const started = Date.now();
    const result = await refiner.refine({ incident, events }, baseline);
    const seconds = (Date.now() - started) / 1000;
    for (const record of result.audit) llmInferenceSchema.parse(record);
    console.info(JSON.stringify({ phase: result.phase, outcome: result.outcome, seconds, audit: result.audit.map((a) => ({ outcome: a.outcome, tokensIn: a.tokensIn, tokensOut: a.tokensOut, latencyMs: a.latencyMs, error: a.error })) }));

    expect(verdictSchema.parse(result.verdict)).toEqual(result.verdict);
    // The grammar-constrained answer parses and cites only members, so the model's verdict stands.
    expect(result.phase, `audit: ${JSON.stringify(result.audit.map((a) => [a.outcome, a.error]))}`).toBe('llm');
    const members = new Set(incident.members.map((m) => m.eventId));
    expect(result.verdict.evidence.length).toBeGreaterThan(0);
    for (const id of result.verdict.evidence) expect(members.has(id)).toBe(true);
    expect(Math.abs(severityRank(result.verdict.severity) - severityRank(baseline.severity))).toBeLessThanOrEqual(1);
    expect(severityRank(result.verdict.severity)).toBeGreaterThanOrEqual(severityRank('medium')); // critical-asset floor
    expect(result.verdict.model).toMatchObject({ name: model, promptVersion: 'refine.v1' });
    expect(result.verdict.model?.tokensOut).toBeGreaterThan(0);
  }, 300_000);
});
