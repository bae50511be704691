// Everything the emulated console knows: offenses (as QRadar delivers them), the source and local
// destination address records their ids point to, notes, closing reasons, offense types,
// reference sets, Ariel searches, and a log of every write a client made. Pure in-memory state;
// the HTTP layer (server.ts) only translates requests into calls on this class.

import { ArielSearches, type EventSource } from './ariel';
import type { AqlRow } from './aql';
import { errors } from './errors';
import { ReferenceSets } from './reference-sets';
import { toSeed, type OffenseSeed, type OffenseSeedInput } from './scenario';
import { offenseTypes } from './offense-types';

export type JsonRecord = Record<string, unknown>;

export interface ClosingReason {
  is_deleted: boolean;
  is_reserved: boolean;
  text: string;
  id: number;
}

/** The reasons in reference-payloads/qradar/xsoar_closing_reasons_response.json. */
export const defaultClosingReasons: readonly ClosingReason[] = [
  { is_deleted: false, is_reserved: false, text: 'False-Positive, Tuned', id: 2 },
  { is_deleted: false, is_reserved: false, text: 'Non-Issue', id: 1 },
];

/** Offense fields IBM documents (12.0+); a filter/sort/fields on anything else is a 422. */
const documentedOffenseFields = [
  'id', 'description', 'assigned_to', 'categories', 'category_count', 'policy_category_count',
  'security_category_count', 'close_time', 'closing_user', 'closing_reason_id', 'credibility',
  'relevance', 'severity', 'magnitude', 'destination_networks', 'source_network', 'device_count',
  'event_count', 'flow_count', 'inactive', 'last_updated_time', 'last_persisted_time',
  'first_persisted_time', 'local_destination_count', 'offense_source', 'offense_type', 'protected',
  'follow_up', 'remote_destination_count', 'source_count', 'start_time', 'status', 'username_count',
  'source_address_ids', 'local_destination_address_ids', 'domain_id', 'rules', 'log_sources',
];

export const sourceAddressFields = [
  'id', 'source_ip', 'magnitude', 'network', 'offense_ids', 'local_destination_address_ids',
  'event_flow_count', 'first_event_flow_seen', 'last_event_flow_seen', 'domain_id',
];
export const localDestinationAddressFields = [
  'id', 'local_destination_ip', 'magnitude', 'network', 'offense_ids', 'source_address_ids',
  'event_flow_count', 'first_event_flow_seen', 'last_event_flow_seen', 'domain_id',
];

export interface Note {
  note_text: string;
  create_time: number;
  id: number;
  username: string;
}

interface StoredOffense {
  record: JsonRecord;
  /** Emulator time at which the offense became visible; its events show up `eventLagMs` later. */
  appearedAt: number;
  events: JsonRecord[];
}

export interface RecordedWrite {
  seq: number;
  at: number;
  kind: 'offense.update' | 'offense.note' | 'reference_set.create' | 'reference_set.value' | 'reference_set.bulk_load' | 'ariel.search' | 'ariel.delete' | 'other';
  method: string;
  path: string;
  params: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface StateOptions {
  now?: () => number;
  /** Username recorded on notes and as closing_user, as QRadar shows an authorized service. */
  apiUser?: string;
  closingReasons?: readonly ClosingReason[];
  /** When set, assigned_to must name one of these users (422 otherwise), like a real console. */
  knownUsers?: readonly string[];
  /** Events of an offense become visible to Ariel this long after the offense appears. */
  eventLagMs?: number;
  /** How long an Ariel search takes to reach COMPLETED. */
  searchDurationMs?: number;
}

export interface SyntheticOptions {
  count: number;
  firstId?: number;
  /** start_time of the first offense; later ones are `stepMs` apart. Defaults to now - count*stepMs. */
  startTime?: number;
  stepMs?: number;
  status?: 'OPEN' | 'HIDDEN' | 'CLOSED';
}

const offenseStatuses = ['OPEN', 'HIDDEN', 'CLOSED'] as const;

function parseBoolean(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw errors.untransformable(name);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function idList(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is number => typeof item === 'number' && Number.isInteger(item));
}

export class EmulatorState {
  readonly now: () => number;
  eventLagMs: number;
  searchDurationMs: number;
  readonly apiUser: string;
  readonly referenceSets: ReferenceSets;
  readonly searches: ArielSearches;

  private readonly offenses = new Map<number, StoredOffense>();
  private readonly sourceAddresses = new Map<number, JsonRecord>();
  private readonly localDestinations = new Map<number, JsonRecord>();
  private readonly sourceIdByIp = new Map<string, number>();
  private readonly localIdByIp = new Map<string, number>();
  private readonly notes = new Map<number, Note[]>();
  private nextNoteId = 1;
  private closingReasons: ClosingReason[];
  private readonly knownUsers: ReadonlySet<string> | undefined;
  private writes: RecordedWrite[] = [];
  private nextWriteSeq = 1;
  private offenseFieldNames = new Set(documentedOffenseFields);
  private readonly maxAddressId = { source: 0, local: 0 };

  constructor(
    private readonly seeds: readonly OffenseSeed[] = [],
    private readonly options: StateOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.eventLagMs = options.eventLagMs ?? 0;
    this.searchDurationMs = options.searchDurationMs ?? 50;
    this.apiUser = options.apiUser ?? 'API_user: seam';
    this.knownUsers = options.knownUsers ? new Set(options.knownUsers) : undefined;
    this.closingReasons = (options.closingReasons ?? defaultClosingReasons).map((reason) => ({ ...reason }));
    this.referenceSets = new ReferenceSets(this.now);
    this.searches = new ArielSearches(this.now, () => this.searchDurationMs);
    for (const seed of seeds) this.addOffense(seed);
  }

  /** Back to the seeded scenario (or empty), forgetting writes, notes, sets and searches. */
  reset(options: { empty?: boolean } = {}): void {
    this.offenses.clear();
    this.sourceAddresses.clear();
    this.localDestinations.clear();
    this.sourceIdByIp.clear();
    this.localIdByIp.clear();
    this.maxAddressId.source = 0;
    this.maxAddressId.local = 0;
    this.notes.clear();
    this.nextNoteId = 1;
    this.closingReasons = (this.options.closingReasons ?? defaultClosingReasons).map((reason) => ({ ...reason }));
    this.referenceSets.clear();
    this.searches.clear();
    this.writes = [];
    this.nextWriteSeq = 1;
    this.offenseFieldNames = new Set(documentedOffenseFields);
    if (!options.empty) for (const seed of this.seeds) this.addOffense(seed);
  }

  // ---- offenses -------------------------------------------------------------------------------

  isOffenseField = (name: string): boolean => this.offenseFieldNames.has(name);

  /**
   * Adds an offense exactly as given. Two fields a current console always sends are filled in when
   * the payload lacks them (older captures such as the XSOAR samples predate them):
   * `last_persisted_time` (from last_updated_time) and `first_persisted_time` (from start_time).
   */
  addOffense(input: OffenseSeed | OffenseSeedInput): JsonRecord {
    const seed = 'offense' in input ? input : toSeed(input);
    const record = this.insertOffense(structuredClone(seed.offense), seed.sourceIps, seed.localDestinationIps, structuredClone(seed.events));
    return structuredClone(record);
  }

  /** Takes ownership of `record` and `events` (no copies: synthetic load adds thousands). */
  private insertOffense(record: JsonRecord, sourceIps: readonly string[], localIps: readonly string[], events: JsonRecord[]): JsonRecord {
    const id = record['id'];
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new Error('offense payload needs an integer id');
    if (this.offenses.has(id)) throw new Error(`offense ${id} already exists`);
    const now = this.now();
    if (!('last_persisted_time' in record)) record['last_persisted_time'] = numberOr(record['last_updated_time'], now);
    if (!('first_persisted_time' in record)) record['first_persisted_time'] = numberOr(record['start_time'], now);
    this.bindAddresses(record, sourceIps, 'source');
    this.bindAddresses(record, localIps, 'local');
    for (const key of Object.keys(record)) this.offenseFieldNames.add(key);
    this.offenses.set(id, { record, appearedAt: now, events });
    return record;
  }

  /** Test-side change (not an API write): merges fields and bumps last_persisted_time. */
  changeOffense(id: number, changes: JsonRecord): JsonRecord {
    const stored = this.requireOffense(id);
    Object.assign(stored.record, structuredClone(changes));
    if (!('last_persisted_time' in changes)) this.bumpPersisted(stored.record);
    for (const key of Object.keys(changes)) this.offenseFieldNames.add(key);
    return structuredClone(stored.record);
  }

  addEvents(id: number, events: readonly JsonRecord[]): void {
    this.requireOffense(id).events.push(...structuredClone(events));
  }

  offenseCount(): number {
    return this.offenses.size;
  }

  maxOffenseId(): number {
    let max = 0;
    for (const id of this.offenses.keys()) max = Math.max(max, id);
    return max;
  }

  /** Live records (not copies): callers must not mutate; the HTTP layer projects before sending. */
  offenseRecords(): readonly JsonRecord[] {
    return [...this.offenses.values()].map((stored) => stored.record);
  }

  getOffense(id: number): JsonRecord {
    return structuredClone(this.requireOffense(id).record);
  }

  /** POST /siem/offenses/{id}: the update parameters are query parameters. */
  updateOffense(id: number, params: Readonly<Record<string, string | undefined>>): JsonRecord {
    const stored = this.requireOffense(id);
    const record = stored.record;
    const { status, closing_reason_id: reasonText, assigned_to: assignedTo, follow_up: followUp } = params;
    const protectedParam = params['protected'];

    if (status !== undefined && !(offenseStatuses as readonly string[]).includes(status)) throw errors.untransformable('status');
    let reasonId: number | undefined;
    if (reasonText !== undefined) {
      if (!/^-?\d+$/.test(reasonText)) throw errors.untransformable('closing_reason_id');
      reasonId = Number(reasonText);
    }
    const follow = followUp === undefined ? undefined : parseBoolean('follow_up', followUp);
    const protect = protectedParam === undefined ? undefined : parseBoolean('protected', protectedParam);
    if (assignedTo !== undefined && this.knownUsers && !this.knownUsers.has(assignedTo)) {
      throw errors.invalidParameter(`assigned_to value ${assignedTo} is not a valid user.`);
    }
    if (status === 'CLOSED') {
      if (reasonId === undefined) throw errors.invalidParameter('closing_reason_id must be provided when closing an offense.');
      const reason = this.closingReasons.find((r) => r.id === reasonId);
      if (!reason || reason.is_deleted) throw errors.invalidParameter(`closing_reason_id ${reasonId} is not a valid closing reason.`);
    }
    if (record['status'] === 'CLOSED' && (status === 'OPEN' || status === 'HIDDEN')) {
      throw errors.conflict(1008, 'Request cannot be completed due to the state of the offense.', `Offense ${id} is closed and cannot be reopened or hidden.`);
    }

    let changed = false;
    const set = (key: string, value: unknown): void => {
      record[key] = value;
      changed = true;
    };
    if (assignedTo !== undefined) set('assigned_to', assignedTo);
    if (follow !== undefined) set('follow_up', follow);
    if (protect !== undefined) set('protected', protect);
    if (status === 'CLOSED') {
      set('status', 'CLOSED');
      set('closing_reason_id', reasonId);
      set('closing_user', this.apiUser.replace(/^API_user: /, ''));
      set('close_time', this.now());
    } else if (status !== undefined) {
      set('status', status);
    }
    if (changed) this.bumpPersisted(record);
    return structuredClone(record);
  }

  // ---- notes ----------------------------------------------------------------------------------

  listNotes(offenseId: number): Note[] {
    this.requireOffense(offenseId);
    return (this.notes.get(offenseId) ?? []).map((note) => ({ ...note }));
  }

  addNote(offenseId: number, text: string | undefined): Note {
    this.requireOffense(offenseId);
    if (text === undefined || text === '') throw errors.missingParameter('note_text');
    const note: Note = { note_text: text, create_time: this.now(), id: this.nextNoteId, username: this.apiUser };
    this.nextNoteId += 1;
    const list = this.notes.get(offenseId) ?? [];
    list.push(note);
    this.notes.set(offenseId, list);
    return { ...note };
  }

  // ---- addresses, reasons, types --------------------------------------------------------------

  sourceAddressRecords(): readonly JsonRecord[] {
    return [...this.sourceAddresses.values()];
  }

  localDestinationRecords(): readonly JsonRecord[] {
    return [...this.localDestinations.values()];
  }

  closingReasonRecords(options: { includeDeleted: boolean; includeReserved: boolean }): JsonRecord[] {
    return this.closingReasons
      .filter((reason) => (options.includeDeleted || !reason.is_deleted) && (options.includeReserved || !reason.is_reserved))
      .map((reason) => ({ ...reason }));
  }

  closingReason(id: number): JsonRecord {
    const reason = this.closingReasons.find((r) => r.id === id);
    if (!reason) {
      throw errors.notFound('No closing reason was found for the provided closing_reason_id.', `Closing Reason not found for closing_reason_id: ${id}`);
    }
    return { ...reason };
  }

  offenseTypeRecords(): JsonRecord[] {
    return offenseTypes.map((type) => ({ ...type }));
  }

  // ---- Ariel ----------------------------------------------------------------------------------

  readonly events: EventSource = {
    visibleRows: (offenseId: number | undefined): AqlRow[] => {
      const now = this.now();
      const visible = (stored: StoredOffense): boolean => now >= stored.appearedAt + this.eventLagMs;
      if (offenseId !== undefined) {
        const stored = this.offenses.get(offenseId);
        return stored && visible(stored) ? stored.events : [];
      }
      return [...this.offenses.values()].filter(visible).flatMap((stored) => stored.events);
    },
  };

  // ---- synthetic load -------------------------------------------------------------------------

  /** Adds `count` plausible offenses quickly (no events); answers the id range. */
  generateSynthetic(options: SyntheticOptions): { firstId: number; lastId: number } {
    const stepMs = options.stepMs ?? 1_000;
    const firstId = options.firstId ?? this.maxOffenseId() + 1;
    const startTime = options.startTime ?? this.now() - options.count * stepMs;
    for (let i = 0; i < options.count; i += 1) {
      const id = firstId + i;
      const time = startTime + i * stepMs;
      const host = (i % 250) + 1;
      this.insertOffense(syntheticOffense(id, time, options.status ?? 'OPEN'), [`10.20.${Math.floor(i / 250) % 250}.${host}`], [`192.168.10.${host}`], []);
    }
    return { firstId, lastId: firstId + options.count - 1 };
  }

  /**
   * The "offenses change while paged" fault: new offenses appear, the least recently persisted
   * ones are persisted again (they move to the end of a last_persisted_time order) and the
   * lowest-id open ones are closed (everything after them shifts left in a status=OPEN listing).
   */
  mutateForPaging(mutation: { insert: number; update: number; close: number }): void {
    if (mutation.update > 0) {
      const oldest = [...this.offenses.values()]
        .map((stored) => stored.record)
        .sort((a, b) => numberOr(a['last_persisted_time'], 0) - numberOr(b['last_persisted_time'], 0))
        .slice(0, mutation.update);
      for (const record of oldest) this.bumpPersisted(record);
    }
    if (mutation.close > 0) {
      const reason = this.closingReasons.find((r) => !r.is_deleted);
      const open = [...this.offenses.values()]
        .map((stored) => stored.record)
        .filter((record) => record['status'] === 'OPEN')
        .sort((a, b) => numberOr(a['id'], 0) - numberOr(b['id'], 0))
        .slice(0, mutation.close);
      for (const record of open) {
        Object.assign(record, { status: 'CLOSED', closing_reason_id: reason?.id ?? null, close_time: this.now(), closing_user: 'admin' });
        this.bumpPersisted(record);
      }
    }
    if (mutation.insert > 0) this.generateSynthetic({ count: mutation.insert, startTime: this.now(), stepMs: 1 });
  }

  // ---- recorded writes ------------------------------------------------------------------------

  recordWrite(write: Omit<RecordedWrite, 'seq' | 'at'>): void {
    this.writes.push({ seq: this.nextWriteSeq, at: this.now(), ...structuredClone(write) });
    this.nextWriteSeq += 1;
  }

  recordedWrites(kind?: RecordedWrite['kind']): RecordedWrite[] {
    return this.writes.filter((w) => kind === undefined || w.kind === kind).map((w) => structuredClone(w));
  }

  clearWrites(): void {
    this.writes = [];
  }

  // ---- internals ------------------------------------------------------------------------------

  private requireOffense(id: number): StoredOffense {
    const stored = this.offenses.get(id);
    if (!stored) throw errors.notFound('No offense was found for the provided offense_id.', `Offense not found for offense_id: ${id}`);
    return stored;
  }

  private bumpPersisted(record: JsonRecord): void {
    record['last_persisted_time'] = Math.max(this.now(), numberOr(record['last_persisted_time'], 0) + 1);
  }

  /** Resolves the offense's address ids to the given IPs, creating or extending address records. */
  private bindAddresses(record: JsonRecord, ips: readonly string[], kind: 'source' | 'local'): void {
    const idField = kind === 'source' ? 'source_address_ids' : 'local_destination_address_ids';
    const byId = kind === 'source' ? this.sourceAddresses : this.localDestinations;
    const idByIp = kind === 'source' ? this.sourceIdByIp : this.localIdByIp;
    let ids = idList(record[idField]);
    if (ids === undefined) {
      if (ips.length === 0) return;
      // The payload names no ids: allocate (or reuse) one per IP, as the console would have.
      ids = ips.map((ip) => {
        const known = idByIp.get(ip);
        if (known !== undefined) return known;
        this.maxAddressId[kind] += 1;
        return this.maxAddressId[kind];
      });
      record[idField] = ids;
    } else if (ips.length > 0 && ips.length !== ids.length) {
      throw new Error(`offense ${String(record['id'])}: ${ids.length} ${idField} but ${ips.length} addresses`);
    }
    const otherIds = idList(record[kind === 'source' ? 'local_destination_address_ids' : 'source_address_ids']) ?? [];
    const offenseId = record['id'] as number;
    const first = numberOr(record['start_time'], this.now());
    const last = numberOr(record['last_updated_time'], first);
    const count = numberOr(record['event_count'], 0) + numberOr(record['flow_count'], 0);
    ids.forEach((addressId, index) => {
      const ip = ips[index];
      let address = byId.get(addressId);
      if (!address) {
        if (ip === undefined) return; // ids without IPs stay unresolved, as with a purged address.
        address = newAddress(kind, addressId, ip, record);
        byId.set(addressId, address);
        this.maxAddressId[kind] = Math.max(this.maxAddressId[kind], addressId);
        idByIp.set(ip, addressId);
      } else if (ip !== undefined && address[kind === 'source' ? 'source_ip' : 'local_destination_ip'] !== ip) {
        throw new Error(`address id ${addressId} is bound to two IPs in the scenario`);
      }
      pushUnique(address, 'offense_ids', [offenseId]);
      pushUnique(address, kind === 'source' ? 'local_destination_address_ids' : 'source_address_ids', otherIds);
      address['event_flow_count'] = numberOr(address['event_flow_count'], 0) + count;
      address['first_event_flow_seen'] = Math.min(numberOr(address['first_event_flow_seen'], first), first);
      address['last_event_flow_seen'] = Math.max(numberOr(address['last_event_flow_seen'], last), last);
    });
  }
}

function pushUnique(address: JsonRecord, field: string, values: readonly number[]): void {
  const list = idList(address[field]) ?? [];
  for (const value of values) if (!list.includes(value)) list.push(value);
  list.sort((a, b) => a - b);
  address[field] = list;
}

function newAddress(kind: 'source' | 'local', id: number, ip: string, offense: JsonRecord): JsonRecord {
  const domainId = numberOr(offense['domain_id'], 0);
  if (kind === 'source') {
    return {
      event_flow_count: 0,
      local_destination_address_ids: [],
      first_event_flow_seen: numberOr(offense['start_time'], 0),
      last_event_flow_seen: 0,
      source_ip: ip,
      magnitude: 0,
      id,
      offense_ids: [],
      domain_id: domainId,
      network: typeof offense['source_network'] === 'string' ? offense['source_network'] : 'other',
    };
  }
  const networks = offense['destination_networks'];
  const network = Array.isArray(networks) && typeof networks[0] === 'string' ? networks[0] : 'other';
  return {
    event_flow_count: 0,
    source_address_ids: [],
    first_event_flow_seen: numberOr(offense['start_time'], 0),
    last_event_flow_seen: 0,
    magnitude: 0,
    id,
    offense_ids: [],
    local_destination_ip: ip,
    domain_id: domainId,
    network,
  };
}

function syntheticOffense(id: number, time: number, status: 'OPEN' | 'HIDDEN' | 'CLOSED'): JsonRecord {
  return {
    username_count: 1,
    description: `Synthetic offense ${id}\n`,
    rules: [{ id: 100_000 + (id % 50), type: 'CRE_RULE' }],
    event_count: 1 + (id % 7),
    flow_count: 0,
    assigned_to: null,
    security_category_count: 1,
    follow_up: false,
    source_count: 1,
    inactive: false,
    protected: false,
    closing_user: null,
    destination_networks: ['Net-10-172-192.Net_192_168_0_0'],
    source_network: 'other',
    category_count: 1,
    close_time: null,
    remote_destination_count: 0,
    start_time: time,
    magnitude: 1 + (id % 10),
    last_updated_time: time,
    last_persisted_time: time,
    first_persisted_time: time,
    credibility: 2,
    id,
    categories: ['Suspicious Activity'],
    severity: 1 + (id % 10),
    policy_category_count: 0,
    log_sources: [{ type_name: 'EventCRE', type_id: 18, name: 'Custom Rule Engine-8 :: emulator', id: 63 }],
    closing_reason_id: null,
    device_count: 1,
    offense_type: 0,
    relevance: 0,
    domain_id: 0,
    offense_source: `10.20.0.${(id % 250) + 1}`,
    local_destination_count: 1,
    status,
  };
}
