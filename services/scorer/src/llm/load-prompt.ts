import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promptTemplateSchema, type PromptTemplate } from './prompt';

const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

/** Loads and validates `prompts/<version>.json` (e.g. `refine.v1`). */
export function loadPrompt(version: string, dir: string = PROMPTS_DIR): PromptTemplate {
  if (!/^[a-z][a-z0-9-]*\.v\d+$/.test(version)) throw new Error(`invalid prompt version ${JSON.stringify(version)}`);
  const template = promptTemplateSchema.parse(JSON.parse(readFileSync(`${dir}${version}.json`, 'utf8')));
  if (template.version !== version) throw new Error(`prompt file ${version}.json declares version ${template.version}`);
  return template;
}
