import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { Secret } from './secret';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON with service and redacts secret paths and Secret values', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'enricher', destination, redactPaths: ['custom.apiToken'] });
    log.info({ topic: 't', partition: 1, offset: '5', password: 'p1', sasl: { password: 'p2' }, custom: { apiToken: 'p3' }, key: new Secret('p4') }, 'record processed');
    const line = lines[0];
    expect(line).toMatchObject({ service: 'enricher', level: 'info', msg: 'record processed', topic: 't', partition: 1, offset: '5' });
    const text = JSON.stringify(line);
    for (const secret of ['p1', 'p2', 'p3', 'p4']) expect(text).not.toContain(`"${secret}"`);
  });
});
