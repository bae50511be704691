/**
 * One pipeline run through the real components and services: topics and schemas under a per-run
 * prefix, the QRadar emulator, the services as OS processes, the input fed the way the sources
 * deliver it (offenses into the QRadar API that qradar-ingest polls, AWS records as EventBridge
 * events posted to aws-ingest's intake), and an observer on the outputs. Used by the main job,
 * `seam replay` and the end-to-end and crash tests.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRegistryClient, registerAll, registrySubjects } from '@seam/schemas';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { applyTopology } from '@seam/topology/apply';
import { connectCluster } from '@seam/topology/cluster';
import { desiredTopics } from '@seam/topology/topics';
import { startAwsEmulator, type AwsEmulator } from '../aws-emulator/index';
import { startQradarEmulator, type QradarEmulator } from '../qradar-emulator/index';
import { offenseSeedSchema } from '../qradar-emulator/scenario';
import { toEventBridgeEvent } from './eventbridge-envelope';
import { RunObserver } from './observer';
import type { ReplayLine, ReplayLineError } from './replay-input';
import { expectedEventId } from './results';
import { correlatorRedisPrefix, runTopics, serviceSpec, SERVICE_NAMES, type ComponentEndpoints, type RunSettings, type ServiceName } from './services';
import { freePort, Supervisor, type ServiceEvent } from './supervisor';

export interface PipelineRunOptions {
  readonly repoRoot: string;
  readonly endpoints: ComponentEndpoints;
  /** Which services to start (default: all six). */
  readonly services?: readonly ServiceName[];
  /** Per-run prefix of topics, groups and Redis keys (default: `run-<random>.`). */
  readonly prefix?: string;
  readonly logDir?: string;
  readonly extra?: RunSettings['extra'];
  readonly onServiceEvent?: (event: ServiceEvent) => void;
  readonly onChange?: () => void;
}

export interface FeedOptions {
  /** Signal the end of input to the correlator once everything is consumed (default true; see endOfInput). */
  readonly endOfInput?: boolean;
  readonly waveSpanMs?: number;
  readonly waveTimeoutMs?: number;
  readonly onLine?: (done: number) => void;
}

export interface FeedOutcome {
  /** Event ids the pipeline was given (their lines were accepted by the source API). */
  readonly fed: string[];
  /** Lines the source API refused (line number and its reason). */
  readonly refused: ReplayLineError[];
  /** Fed event ids that had reached neither `enriched` nor a DLQ when their wave timed out. */
  readonly stragglers: string[];
  /** Whether the end of input was signalled (the correlator caught up in time). */
  readonly flushed: boolean;
}

/** How long a line is re-delivered to an aws-ingest that is unreachable or answers 429/5xx. */
const DELIVERY_RETRY_MS = 90_000;
/** EventBridge's maximum event size (256 KB, the PutEvents entry limit). */
const EVENTBRIDGE_MAX_EVENT_BYTES = 256 * 1024;

/** HSET field to value only if it raises it (the floor never moves back). */
const RAISE_FLOOR = `local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-inf')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`;

export class PipelineRun {
  readonly prefix: string;
  readonly supervisor: Supervisor;
  readonly observer: RunObserver;
  #qradar: QradarEmulator | undefined;
  #aws: AwsEmulator | undefined;
  /** Approvals tokens of the run: one approver, one viewer (for the main job's page and the tests). */
  readonly approvers = { approver: `approver-${randomBytes(24).toString('hex')}`, viewer: `viewer-${randomBytes(24).toString('hex')}` };
  #settings: RunSettings | undefined;

  constructor(private readonly options: PipelineRunOptions) {
    this.prefix = options.prefix ?? `run-${randomBytes(4).toString('hex')}.`;
    this.supervisor = new Supervisor({
      repoRoot: options.repoRoot,
      logDir: options.logDir ?? join(options.repoRoot, '.local', 'logs', 'runs', this.prefix.replace(/\.$/, '')),
      ...(options.onServiceEvent === undefined ? {} : { onEvent: options.onServiceEvent }),
    });
    this.observer = new RunObserver({
      brokers: options.endpoints.KAFKA_BROKERS.split(','),
      registryUrl: options.endpoints.SCHEMA_REGISTRY_URL,
      prefix: this.prefix,
      ...(options.onChange === undefined ? {} : { onChange: options.onChange }),
    });
  }

  get settings(): RunSettings {
    if (this.#settings === undefined) throw new Error('the run has not started');
    return this.#settings;
  }

  get qradar(): QradarEmulator {
    if (this.#qradar === undefined) throw new Error('the run has not started');
    return this.#qradar;
  }

  get aws(): AwsEmulator {
    if (this.#aws === undefined) throw new Error('the run has not started');
    return this.#aws;
  }

  /**
   * Topics, schemas, emulators, services (ready), observer. The Security Hub findings among
   * `lines` are also seeded into the AWS emulator, as Security Hub would hold them, so the
   * actuator's BatchUpdateFindings has findings to update.
   */
  async start(lines: readonly ReplayLine[] = []): Promise<void> {
    const { endpoints } = this.options;
    const cluster = await connectCluster({ clientId: `${this.prefix}setup`, brokers: endpoints.KAFKA_BROKERS.split(',') });
    try {
      const outcomes = await applyTopology(cluster, desiredTopics({ prefix: this.prefix }));
      const failed = outcomes.filter((o) => o.result === 'failed');
      if (failed.length > 0) throw new Error(`cannot create the run's topics: ${failed.map((o) => o.plan.topic).join(', ')}`);
    } finally {
      await cluster.close();
    }
    await registerAll(createRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL }), registrySubjects(this.prefix));

    const qradarToken = randomBytes(24).toString('hex');
    this.#qradar = await startQradarEmulator({ token: qradarToken, state: { eventLagMs: 0, searchDurationMs: 20 }, faults: {} });
    this.#qradar.state.reset({ empty: true });
    const accessKeyId = `AKID${randomBytes(8).toString('hex').toUpperCase()}`;
    const seeded = lines.filter((line) => line.source === 'securityhub.finding').map((line) => JSON.stringify({ source: line.source, payload: line.payload }));
    this.#aws = await startAwsEmulator({ accessKeyIds: [accessKeyId], adminToken: randomBytes(16).toString('hex'), scenarioText: seeded.join('\n'), state: { automation: { pendingMs: 200, runMs: 1_000 } } });
    const names = this.options.services ?? SERVICE_NAMES;
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = await freePort();
    this.#settings = {
      prefix: this.prefix,
      endpoints,
      qradar: { url: this.#qradar.url, token: qradarToken },
      aws: { url: this.#aws.url, accessKeyId },
      approvalsTokens: JSON.stringify([
        { name: 'analyst-approver', role: 'approver', token: this.approvers.approver },
        { name: 'analyst-viewer', role: 'viewer', token: this.approvers.viewer },
      ]),
      eventBridgeToken: randomBytes(24).toString('hex'),
      ports,
      ...(this.options.extra === undefined ? {} : { extra: this.options.extra }),
    };
    for (const name of names) this.supervisor.add(serviceSpec(name, this.#settings));
    await this.observer.start();
    await this.supervisor.startAll();
  }

  /**
   * Feeds the lines (sorted by event time, as parseReplayText returns them) in waves: a wave is the
   * lines within `waveSpanMs` of event time of its first line, delivered at once; the next wave
   * starts once every line of this one reached `enriched` (or a DLQ), or `waveTimeoutMs` passed.
   * Sources deliver with different delays (qradar-ingest polls; EventBridge pushes); without the
   * waves a replay compresses hours of event time into a second and the slower source would look
   * hours late to the correlator. Within a wave the order is free: the correlator's grace covers it
   * (keep `waveSpanMs` below the grace).
   */
  async feed(lines: readonly ReplayLine[], options: FeedOptions = {}): Promise<FeedOutcome> {
    const waveSpanMs = options.waveSpanMs ?? 120_000;
    const waveTimeoutMs = options.waveTimeoutMs ?? 30_000;
    const fed: string[] = [];
    const refused: ReplayLineError[] = [];
    const stragglers: string[] = [];
    let done = 0;
    for (let start = 0; start < lines.length; ) {
      const first = lines[start] as ReplayLine;
      let end = start;
      while (end < lines.length && (lines[end] as ReplayLine).eventTime <= first.eventTime + waveSpanMs) end++;
      const wave = lines.slice(start, end);
      const waiting: { eventId: string; sourceId: string }[] = [];
      for (const line of wave) {
        const refusal = await this.#deliver(line);
        if (refusal === undefined) {
          const eventId = expectedEventId(line.source, line.sourceId);
          fed.push(eventId);
          waiting.push({ eventId, sourceId: line.sourceId });
        } else {
          refused.push({ lineNumber: line.lineNumber, reason: refusal });
        }
        options.onLine?.(++done);
      }
      const through = (w: { eventId: string; sourceId: string }) => this.observer.enrichedKeys.has(w.eventId) || this.observer.deadLetterKeys.has(w.sourceId);
      const deadline = Date.now() + waveTimeoutMs;
      while (waiting.some((w) => !through(w)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      stragglers.push(...waiting.filter((w) => !through(w)).map((w) => w.eventId));
      start = end;
    }
    const flushed = options.endOfInput === false ? false : await this.endOfInput();
    return { fed, refused, stragglers, flushed };
  }

  /** Delivers one line the way its source would; a refusal reason, or undefined when accepted. */
  async #deliver(line: ReplayLine): Promise<string | undefined> {
    if (line.source === 'qradar.offense') {
      try {
        this.qradar.state.addOffense(offenseSeedSchema.parse({ payload: line.payload, addresses: line.addresses, events: line.events }));
        return undefined;
      } catch (error) {
        return `QRadar refused the offense: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    // EventBridge retries an API destination on connection failures, 429 and 5xx (with backoff, for
    // up to 24 h); the replay does the same for up to `DELIVERY_RETRY_MS`, so an aws-ingest that is
    // restarting (crash tests) delays its lines instead of failing the feed.
    const body = JSON.stringify(toEventBridgeEvent(line));
    // EventBridge refuses an event above 256 KB (PutEvents), so such a line never reaches an intake.
    const size = Buffer.byteLength(body, 'utf8');
    if (size > EVENTBRIDGE_MAX_EVENT_BYTES) return `EventBridge refuses an event of ${size} bytes (its limit is ${EVENTBRIDGE_MAX_EVENT_BYTES} bytes)`;
    const deadline = Date.now() + DELIVERY_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const response = await fetch(`http://127.0.0.1:${this.settings.ports['aws-ingest']}/eventbridge`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.settings.eventBridgeToken}` },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.ok) return undefined;
        failure = `aws-ingest answered ${response.status}: ${text.slice(0, 300)}`;
        if (response.status !== 429 && response.status < 500) return failure;
      } catch (error) {
        failure = `aws-ingest unreachable: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (Date.now() > deadline) return failure;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }

  /**
   * End of input: once the correlator has consumed everything on `enriched` (its group's committed
   * offsets at the end of every partition), raise its watermark floor to the wall clock, so every
   * incident of the recording settles now instead of after the idle advance. The floor is the
   * correlator's own mechanism (services/correlator/STATE.md, "~floor" in the `wm` hash); raising
   * it only ever moves event time forward, as idleness would. Returns false if the correlator did
   * not catch up within `timeoutMs` (nothing is flushed then: in-flight events would turn late).
   */
  async endOfInput(timeoutMs = 120_000): Promise<boolean> {
    const topic = runTopics(this.prefix).enriched;
    const groupId = `${this.prefix}seam.correlator`;
    const kafka = new Kafka({ clientId: `${this.prefix}flush`, brokers: this.options.endpoints.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        const caughtUp = ends.every((end) => BigInt(end.high) === 0n || (at.get(end.partition) ?? -1n) >= BigInt(end.high));
        if (caughtUp) break;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
    const redis = new Redis(this.options.endpoints.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
    try {
      await redis.connect();
      const key = `${correlatorRedisPrefix(this.prefix)}wm`;
      await redis.eval(RAISE_FLOOR, 1, key, '~floor', String(Date.now()));
    } finally {
      redis.disconnect();
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.supervisor.stopAll();
    await this.observer.stop();
    await this.#qradar?.close();
    this.#qradar = undefined;
    await this.#aws?.close();
    this.#aws = undefined;
  }
}
