/**
 * The actuator stage: `verdicts` → lifecycle → `actions` (one ActionRecord per state change, keyed
 * by actionId). Transitions made outside the consume loop (approvals, expiry sweeper, approved
 * executions) are produced by the stage's own producer through `emitter`.
 */
import { defineStage, type Codec, type ProducerPort, type StageLifecycleContext } from '@seam/kit';
import { actionRecordSchema, type ActionRecord } from '@seam/schemas/records/action';
import { verdictSchema } from '@seam/schemas/records/verdict';
import type { ActionLifecycle } from './lifecycle';

export interface ActuatorStageOptions {
  readonly topics: { readonly verdicts: string; readonly actions: string };
  readonly codecs: { readonly verdict: Codec<unknown>; readonly action: Codec<ActionRecord> };
  readonly lifecycle: ActionLifecycle;
  /** Background work to start and stop with the stage (policy watch, sweeper, emitter producer). */
  readonly background?: { start(ctx: StageLifecycleContext): Promise<void> | void; stop(ctx: StageLifecycleContext): Promise<void> | void };
}

export function actuatorStage(options: ActuatorStageOptions) {
  return defineStage({
    name: 'actuator',
    inputs: { verdicts: { topic: options.topics.verdicts, codec: options.codecs.verdict, schema: verdictSchema } },
    outputs: { actions: { topic: options.topics.actions, codec: options.codecs.action, schema: actionRecordSchema } },
    eventId: (record) => `${record.value.incidentId}@v${record.value.verdictVersion}`,
    async handle(record) {
      const records = await options.lifecycle.handleVerdict(record.value);
      return records.map((value) => ({ to: 'actions' as const, key: value.actionId, value }));
    },
    async onStart(ctx) {
      await options.background?.start(ctx);
    },
    async onStop(ctx) {
      await options.background?.stop(ctx);
      await options.lifecycle.idle();
    },
  });
}

/** Encodes and produces ActionRecords with a producer of its own (acks=all). */
export class ActionEmitter {
  private connected: Promise<void> | undefined;

  constructor(private readonly producer: ProducerPort, private readonly codec: Codec<ActionRecord>, private readonly topic: string) {}

  async emit(records: readonly ActionRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    const messages = await Promise.all(records.map(async (r) => ({ key: r.actionId, value: await this.codec.encode(actionRecordSchema.parse(r), this.topic), headers: {} })));
    await this.producer.sendBatch([{ topic: this.topic, messages }]);
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.producer.disconnect();
    this.connected = undefined;
  }
}
