// Every API call that reached the emulator, in order, so tests can assert exactly-once behaviour.

export interface RecordedCall {
  seq: number;
  at: string;
  service: 'securityhub' | 'ssm';
  operation: string;
  /** The parsed request body (Security Hub path/query parameters are not used by these operations). */
  params: unknown;
  status: number;
  errorCode?: string;
  accessKeyId?: string;
}

export class CallLog {
  private calls: RecordedCall[] = [];
  private seq = 0;

  record(call: Omit<RecordedCall, 'seq'>): RecordedCall {
    this.seq += 1;
    const recorded = { seq: this.seq, ...structuredClone(call) };
    this.calls.push(recorded);
    return recorded;
  }

  list(filter: { operation?: string; service?: string; status?: number } = {}): RecordedCall[] {
    return structuredClone(
      this.calls.filter(
        (c) => (filter.operation === undefined || c.operation === filter.operation) && (filter.service === undefined || c.service === filter.service) && (filter.status === undefined || c.status === filter.status),
      ),
    );
  }

  clear(): void {
    this.calls = [];
  }
}
