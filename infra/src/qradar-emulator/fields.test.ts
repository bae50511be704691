import { describe, expect, it } from 'vitest';
import { checkFields, parseFields, project } from './fields';

const offense = {
  id: 15,
  status: 'OPEN',
  rules: [{ id: 100056, type: 'CRE_RULE' }],
  log_sources: [{ type_name: 'WindowsAuthServer', type_id: 12, name: 'W', id: 112 }],
};

describe('fields', () => {
  it('selects top-level fields in the order asked', () => {
    expect(project(offense, parseFields('status,id'))).toEqual({ status: 'OPEN', id: 15 });
  });

  it('selects subfields of arrays of objects', () => {
    expect(project(offense, parseFields('id, rules(id), log_sources(name,type_name)'))).toEqual({
      id: 15,
      rules: [{ id: 100056 }],
      log_sources: [{ name: 'W', type_name: 'WindowsAuthServer' }],
    });
  });

  it('rejects malformed selections and unknown fields', () => {
    expect(() => parseFields('id,')).toThrow(/not valid/);
    expect(() => parseFields('rules(id')).toThrow(/not valid/);
    expect(() => parseFields('id)')).toThrow(/not valid/);
    expect(() => checkFields(parseFields('id,bogus'), (f) => f in offense)).toThrow(/bogus/);
  });
});
