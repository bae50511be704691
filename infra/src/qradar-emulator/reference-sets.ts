// Reference sets (/reference_data/sets): create, read, add-or-update one value, bulk load.
// Shapes and errors follow IBM's 12.0 endpoint pages and responses observed on real consoles.

import { isIP } from 'node:net';
import { errors } from './errors';

export const elementTypes = ['ALN', 'ALNIC', 'NUM', 'IP', 'PORT', 'DATE'] as const;
export type ElementType = (typeof elementTypes)[number];
const timeoutTypes = ['UNKNOWN', 'FIRST_SEEN', 'LAST_SEEN'] as const;
type TimeoutType = (typeof timeoutTypes)[number];

interface Element {
  last_seen: number;
  first_seen: number;
  source: string;
  value: string;
  domain_id: null;
}

interface ReferenceSet {
  name: string;
  element_type: ElementType;
  timeout_type: TimeoutType;
  time_to_live?: string;
  creation_time: number;
  data: Map<string, Element>;
}

export interface ReferenceSetCreate {
  name?: string | undefined;
  element_type?: string | undefined;
  timeout_type?: string | undefined;
  time_to_live?: string | undefined;
}

function isElementType(value: string): value is ElementType {
  return (elementTypes as readonly string[]).includes(value);
}

function isTimeoutType(value: string): value is TimeoutType {
  return (timeoutTypes as readonly string[]).includes(value);
}

/** Checks a value against the set's element type; answers the key it is stored under. */
function normaliseValue(type: ElementType, value: string): string {
  const invalid = () => errors.invalidParameter(`Invalid ${type} value: ${value}`);
  switch (type) {
    case 'ALN':
      return value;
    case 'ALNIC':
      return value.toLowerCase();
    case 'IP':
      if (isIP(value) === 0) throw invalid();
      return value;
    case 'NUM':
      if (value.trim() === '' || !Number.isFinite(Number(value))) throw invalid();
      return String(Number(value));
    case 'PORT': {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid();
      return String(port);
    }
    case 'DATE':
      if (!/^\d+$/.test(value)) throw invalid();
      return value;
  }
}

export class ReferenceSets {
  private readonly sets = new Map<string, ReferenceSet>();

  constructor(private readonly now: () => number) {}

  clear(): void {
    this.sets.clear();
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  create(params: ReferenceSetCreate): Record<string, unknown> {
    if (params.name === undefined || params.name === '') throw errors.missingParameter('name');
    if (params.element_type === undefined) throw errors.missingParameter('element_type');
    if (!isElementType(params.element_type)) throw errors.untransformable('element_type');
    const timeoutType = params.timeout_type ?? 'UNKNOWN';
    if (!isTimeoutType(timeoutType)) throw errors.untransformable('timeout_type');
    if (params.time_to_live !== undefined && !/^\s*\d+\s+(second|minute|hour|day|week|month|year)s?\s*$/i.test(params.time_to_live)) {
      throw errors.invalidParameter(`Invalid time to live interval ${params.time_to_live}`);
    }
    if (this.sets.has(params.name)) {
      throw errors.conflict(
        1004,
        'The reference set could not be created, the name provided is already in use. Please change the name and try again.',
        `The name ${params.name} is already in use`,
      );
    }
    const set: ReferenceSet = {
      name: params.name,
      element_type: params.element_type,
      timeout_type: timeoutType,
      creation_time: this.now(),
      data: new Map(),
    };
    if (params.time_to_live !== undefined) set.time_to_live = params.time_to_live;
    this.sets.set(set.name, set);
    return this.view(set, false);
  }

  get(name: string): Record<string, unknown> {
    return this.view(this.find(name), true);
  }

  /** POST /reference_data/sets/{name}?value=…: answers the set with its data. */
  upsert(name: string, value: string | undefined, source: string | undefined): Record<string, unknown> {
    const set = this.find(name);
    if (value === undefined || value === '') throw errors.missingParameter('value');
    this.put(set, value, source ?? 'reference data api');
    return this.view(set, true);
  }

  /** POST /reference_data/sets/bulk_load/{name}: answers the set without its data. */
  bulkLoad(name: string, body: unknown): Record<string, unknown> {
    const set = this.find(name);
    if (!Array.isArray(body)) throw errors.invalidBody('The request body must be a JSON array of values');
    const values = body.map((item) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number') return String(item);
      throw errors.invalidParameter(`Invalid ${set.element_type} value: ${JSON.stringify(item)}`);
    });
    // Validate everything first so a bad element leaves the set untouched.
    for (const value of values) normaliseValue(set.element_type, value);
    for (const value of values) this.put(set, value, 'reference data api');
    return this.view(set, false);
  }

  private put(set: ReferenceSet, value: string, source: string): void {
    const key = normaliseValue(set.element_type, value);
    const now = this.now();
    const existing = set.data.get(key);
    if (existing) {
      existing.last_seen = now;
      existing.source = source;
      return;
    }
    set.data.set(key, { last_seen: now, first_seen: now, source, value, domain_id: null });
  }

  private find(name: string): ReferenceSet {
    const set = this.sets.get(name);
    if (!set) throw errors.notFound('The reference set does not exist.', `${name} does not exist`);
    return set;
  }

  private view(set: ReferenceSet, withData: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      timeout_type: set.timeout_type,
      number_of_elements: set.data.size,
      creation_time: set.creation_time,
      name: set.name,
      element_type: set.element_type,
    };
    if (set.time_to_live !== undefined) out['time_to_live'] = set.time_to_live;
    if (withData && set.data.size > 0) out['data'] = [...set.data.values()].map((element) => ({ ...element }));
    return out;
  }
}
