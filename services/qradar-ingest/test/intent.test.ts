import { describe, expect, it } from 'vitest';
import { parseIntent, rangesToRead, serializeIntent, versionOfPayload, versionsToMark, type ProduceIntent } from '../src/domain/intent';

const intent: ProduceIntent = {
  versions: [
    { id: 753, persistedAt: 1000 },
    { id: 754, persistedAt: 1001 },
    { id: 755, persistedAt: 1002 },
  ],
  offsets: [
    { partition: 0, offset: '10' },
    { partition: 1, offset: '0' },
    { partition: 2, offset: '7' },
  ],
};

describe('produce intent recovery decision', () => {
  it('marks exactly the intended versions found in the topic', () => {
    expect(versionsToMark(intent, [{ id: 754, persistedAt: 1001 }, { id: 753, persistedAt: 1000 }])).toEqual([
      { id: 753, persistedAt: 1000 },
      { id: 754, persistedAt: 1001 },
    ]);
  });

  it('marks nothing when the crash came before the produce reached the broker', () => {
    expect(versionsToMark(intent, [])).toEqual([]);
  });

  it('marks everything when the whole page was acknowledged', () => {
    expect(versionsToMark(intent, [...intent.versions].reverse())).toEqual(intent.versions);
  });

  it('ignores other versions of the same offense and records outside the intent; marks each version once', () => {
    const found = [
      { id: 753, persistedAt: 999 }, // an older version of 753 produced earlier
      { id: 9999, persistedAt: 1000 }, // a record of another page
      { id: 755, persistedAt: 1002 },
      { id: 755, persistedAt: 1002 },
    ];
    expect(versionsToMark(intent, found)).toEqual([{ id: 755, persistedAt: 1002 }]);
  });

  it('reads only the partitions that grew since the intent, from the recorded offset to the end now', () => {
    const endNow = [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '4' },
      { partition: 2, offset: '9' },
      { partition: 3, offset: '2' }, // added after the intent: read whole
    ];
    expect(rangesToRead(intent, endNow)).toEqual([
      { partition: 1, from: 0n, to: 4n },
      { partition: 2, from: 7n, to: 9n },
      { partition: 3, from: 0n, to: 2n },
    ]);
  });

  it('round-trips through its stored form and rejects a malformed one', () => {
    expect(parseIntent(serializeIntent(intent))).toEqual(intent);
    expect(() => parseIntent('{"versions":[{"id":"x","persistedAt":1}],"offsets":[]}')).toThrow();
    expect(() => parseIntent('{"versions":[],"offsets":[{"partition":0,"offset":"abc"}]}')).toThrow();
    expect(() => parseIntent('[]')).toThrow();
  });

  it('derives the version of a record from its payload like versionOf', () => {
    expect(versionOfPayload('{"id":753,"last_persisted_time":1000,"last_updated_time":900}')).toEqual({ id: 753, persistedAt: 1000 });
    expect(versionOfPayload('{"id":753,"last_updated_time":900}')).toEqual({ id: 753, persistedAt: 900 });
    expect(versionOfPayload('{"id":753}')).toEqual({ id: 753, persistedAt: 0 });
    expect(versionOfPayload('{"last_persisted_time":1}')).toBeUndefined();
    expect(versionOfPayload('not json')).toBeUndefined();
  });
});
