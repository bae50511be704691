import type { Incident } from '@seam/schemas';

/**
 * Keeps an Incident record under a byte budget. An incident has no size limit (a busy identity links
 * event after event as long as the gaps stay under W), but a Kafka record has one (`correlated` has
 * the broker default `max.message.bytes`, 1 MiB): at ~235 B per member a version of ~4,500 members no
 * longer fits, the produce fails, and the stage stops and retries it forever. Over the budget, the
 * record lists the earliest and the latest members (the start of the incident and what it does now),
 * the links between listed members, the first keys and the first absorbed ids, and says how many
 * it left out (`membersOmitted`, `linksOmitted`, `keysOmitted`, `absorbedOmitted`). Before that, a
 * member title longer than MEMBER_TITLE_MAX_BYTES is cut, with a marker saying so: one event with a
 * huge title (an offense description is free text) would otherwise crowd out every other member, or,
 * alone, keep the record over the limit and stop the stage. The whole title stays on the member's
 * enriched event. The hot keys and the tactics have no bound of their own either (thousands of
 * distinct NAT or proxy addresses can turn hot in one incident): over the budget they are listed up
 * to a share of the room (`hotKeysOmitted`, `tacticsOmitted`, Incident v3), so no record is ever
 * over the budget: before, such a record failed its produce and sent the batch's input to the DLQ
 * with every other version riding on it. `sources` (one entry per source system) stays whole.
 */

/** The longest member title (UTF-8 bytes) a record over the budget keeps whole. */
export const MEMBER_TITLE_MAX_BYTES = 1_024;

/** A title within MEMBER_TITLE_MAX_BYTES (cut at a code point, then the marker), or itself. */
export const cutMemberTitle = (title: string): string => {
  const total = Buffer.byteLength(title, 'utf8');
  if (total <= MEMBER_TITLE_MAX_BYTES) return title;
  let bytes = 0;
  let end = 0;
  for (const ch of title) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MEMBER_TITLE_MAX_BYTES) break;
    bytes += size;
    end += ch.length;
  }
  return `${title.slice(0, end)} [title cut: ${total - bytes} more bytes]`;
};

/** Upper bound of a varint-prefixed Avro string (length < 2^28: at most 5 bytes of length). */
const str = (text: string): number => 5 + Buffer.byteLength(text, 'utf8');
const LONG = 10;
const INT = 5;
const ENUM = 5;
/** An array or map: block count (≤ 10 bytes) and the terminating 0. */
const BLOCKS = 11;

const memberBytes = (member: Incident['members'][number]): number => str(member.eventId) + ENUM + LONG + str(member.title) + INT;
const keyBytes = (key: Incident['keys'][number]): number => ENUM + str(key.value);
const linkBytes = (link: Incident['links'][number]): number => str(link.from) + str(link.to) + ENUM + str(link.value);
const lateBytes = (late: Incident['late'][number]): number => str(late.eventId) + LONG + LONG;
const hotKeyBytes = (key: Incident['hotKeys'][number]): number => ENUM + str(key.value) + INT + LONG;

/** The record without its cuttable lists (members with their late entries, links, keys, absorbed, hot keys, tactics). */
const fixedBytes = (record: Incident): number =>
  str(record.incidentId) +
  LONG + // version
  ENUM + // status
  3 * LONG + // firstSeen, lastSeen, updatedAt
  3 * BLOCKS + // members, keys, links
  1 + // hybrid
  BLOCKS +
  Object.keys(record.sources).reduce((sum, source) => sum + str(source) + INT, 0) +
  BLOCKS + // tactics
  BLOCKS + // absorbed
  INT + // mergedInto union branch
  (record.mergedInto === null ? 0 : str(record.mergedInto)) +
  BLOCKS + // hot keys
  BLOCKS + // late
  6 * INT; // the omitted counts

/** An upper bound of the record's Avro binary encoding (bytes; the registry's 5-byte header not included). */
export const incidentSizeBound = (record: Incident): number =>
  fixedBytes(record) +
  record.members.reduce((sum, member) => sum + memberBytes(member), 0) +
  record.late.reduce((sum, late) => sum + lateBytes(late), 0) +
  record.keys.reduce((sum, key) => sum + keyBytes(key), 0) +
  record.links.reduce((sum, link) => sum + linkBytes(link), 0) +
  record.absorbed.reduce((sum, id) => sum + str(id), 0) +
  record.hotKeys.reduce((sum, key) => sum + hotKeyBytes(key), 0) +
  record.tactics.reduce((sum, tactic) => sum + str(tactic), 0);

/** The longest prefix of `items` whose sizes add up to at most `room`. */
const prefixWithin = <T>(items: readonly T[], size: (item: T) => number, room: number): { readonly kept: T[]; readonly bytes: number } => {
  let bytes = 0;
  let count = 0;
  for (const item of items) {
    const next = bytes + size(item);
    if (next > room) break;
    bytes = next;
    count += 1;
  }
  return { kept: items.slice(0, count), bytes };
};

/** The first `count` members of a kept set: half from the start, the rest from the end. */
const keptIndexes = (total: number, count: number): number[] => {
  const head = Math.ceil(count / 2);
  const tail = count - head;
  return [...Array.from({ length: head }, (_, i) => i), ...Array.from({ length: tail }, (_, i) => total - tail + i)];
};

/**
 * The record itself when its size bound is within `maxBytes`; otherwise a copy with long member
 * titles cut (`titlesCut` counts the listed members whose title was cut) and, if that is not enough, fewer members,
 * links, keys, absorbed ids, hot keys and tactics (tactics take at most a sixteenth of what the
 * fixed part leaves, hot keys at most an eighth of the rest, absorbed ids at most a quarter of the
 * rest, keys at most half of the rest, the members as many as fit in what remains) and the omitted
 * counts set. At least one member (the earliest: the incident's root) stays: `fits` is false only
 * when that member's id alone (titles are cut to 1 KB) is over the budget.
 */
export const fitIncidentRecord = (whole: Incident, maxBytes: number): { readonly record: Incident; readonly fits: boolean; readonly titlesCut: number } => {
  if (incidentSizeBound(whole) <= maxBytes) return { record: whole, fits: true, titlesCut: 0 };
  const cutIds = new Set<string>();
  const members = whole.members.map((member) => {
    const title = cutMemberTitle(member.title);
    if (title === member.title) return member;
    cutIds.add(member.eventId);
    return { ...member, title };
  });
  const record = cutIds.size === 0 ? whole : { ...whole, members };
  if (cutIds.size > 0 && incidentSizeBound(record) <= maxBytes) return { record, fits: true, titlesCut: cutIds.size };
  const room = maxBytes - fixedBytes(record);
  // Whole while they fit in their share (as they always do but in extreme incidents).
  const tactics = prefixWithin(record.tactics, str, Math.max(0, room / 16));
  const hotKeys = prefixWithin(record.hotKeys, hotKeyBytes, Math.max(0, (room - tactics.bytes) / 8));
  const listed = room - tactics.bytes - hotKeys.bytes;
  const absorbed = prefixWithin(record.absorbed, str, Math.max(0, listed / 4));
  const keys = prefixWithin(record.keys, keyBytes, Math.max(0, (listed - absorbed.bytes) / 2));
  const left = listed - absorbed.bytes - keys.bytes;
  const build = (count: number) => {
    const members = keptIndexes(record.members.length, count).map((i) => record.members[i] as Incident['members'][number]);
    const listed = new Set(members.map((member) => member.eventId));
    const links = record.links.filter((link) => listed.has(link.from) && listed.has(link.to));
    const late = record.late.filter((entry) => listed.has(entry.eventId));
    const bytes =
      members.reduce((sum, member) => sum + memberBytes(member), 0) +
      late.reduce((sum, entry) => sum + lateBytes(entry), 0) +
      links.reduce((sum, link) => sum + linkBytes(link), 0);
    return { members, links, late, bytes };
  };
  // The most members that fit (their links shrink with them, so the size grows with the count).
  let low = Math.min(1, record.members.length);
  let high = record.members.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (build(mid).bytes <= left) low = mid;
    else high = mid - 1;
  }
  const kept = build(low);
  const cut: Incident = {
    ...record,
    members: kept.members,
    links: kept.links,
    keys: keys.kept,
    absorbed: absorbed.kept,
    hotKeys: hotKeys.kept,
    tactics: tactics.kept,
    late: kept.late,
    membersOmitted: record.membersOmitted + record.members.length - kept.members.length,
    linksOmitted: record.linksOmitted + record.links.length - kept.links.length,
    keysOmitted: record.keysOmitted + record.keys.length - keys.kept.length,
    absorbedOmitted: record.absorbedOmitted + record.absorbed.length - absorbed.kept.length,
    hotKeysOmitted: record.hotKeysOmitted + record.hotKeys.length - hotKeys.kept.length,
    tacticsOmitted: record.tacticsOmitted + record.tactics.length - tactics.kept.length,
  };
  return { record: cut, fits: incidentSizeBound(cut) <= maxBytes, titlesCut: cut.members.filter((member) => cutIds.has(member.eventId)).length };
};
