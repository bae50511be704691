export { TokenBudget, type TokenBudgetLimits } from './budget';
export { LruRefinementCache, type CachedRefinement, type RefinementCache } from './cache';
export { buildLlmVerdict, guardSeverity, inventedEvidence } from './guard';
export { loadPrompt } from './load-prompt';
export {
  REASON_CODES, REFINEMENT_SCHEMA_NAME, parseRefinementOutput, refinementJsonSchema, refinementOutputSchema,
  type RefinementOutput,
} from './output';
export { ChatError, type ChatModel, type ChatRequest, type ChatResponse } from './port';
export { promptTemplateSchema, renderPrompt, untrusted, type PromptTemplate, type RenderedPrompt } from './prompt';
export { DEFAULT_REFINER_SETTINGS, Refiner, type RefineResult, type RefinerDeps, type RefinerSettings } from './refiner';
export { Semaphore } from './semaphore';
