import { describe, expect, it } from 'vitest';
import { FIELD, SCRIPTS } from './redis-scripts';

/**
 * The scripts spell the event hash's field names out as Lua string literals; FIELD is the table the
 * client and the tests use. They must agree: every short name is used by some script, and no script
 * uses a long (pre-session-10) name, which would write a field nothing else reads.
 */
describe('event hash field names in the scripts', () => {
  const lua = Object.values(SCRIPTS).map((script) => script.lua).join('\n');

  it('uses every short name of FIELD', () => {
    for (const [long, short] of Object.entries(FIELD)) expect(lua, `${long} as '${short}'`).toContain(`'${short}'`);
  });

  it('uses no long name as a field', () => {
    for (const long of Object.keys(FIELD)) expect(lua, long).not.toContain(`'${long}'`);
    expect(lua).not.toContain("'event2'");
  });
});
