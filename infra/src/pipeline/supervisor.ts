/**
 * Runs Seam's services as separate OS processes (`node --import tsx services/<name>/src/main.ts`),
 * the way a deployment runs them: each with its own environment, HTTP port and log file; ready when
 * its /readyz answers 200; stopped with SIGTERM (the kit drains and commits) or killed with SIGKILL
 * (crash tests), and restarted with the same environment.
 *
 * `node --import tsx` rather than `npx tsx`: npx does not forward SIGTERM, so a stage would never
 * drain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface ServiceSpec {
  /** Service name; also the log file's name. */
  readonly name: string;
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  /** The service's whole configuration; the parent's environment is not inherited apart from PATH/HOME. */
  readonly env: Readonly<Record<string, string>>;
  /** The kit's HTTP port (HTTP_PORT), for /readyz. */
  readonly httpPort: number;
}

export interface SupervisorOptions {
  readonly repoRoot: string;
  readonly logDir: string;
  /**
   * A service that exits on its own (a fatal error: the kit exits when Kafka stays unreachable past
   * kafkajs's retries) is started again after `delayMs`, at most `max` times — what a container
   * platform's restart policy does. Default: 1 s, 10 times.
   */
  readonly restart?: { readonly delayMs: number; readonly max: number };
  /** Called with every state change (for progress output). */
  readonly onEvent?: (event: ServiceEvent) => void;
}

export type ServiceEvent =
  | { readonly kind: 'started'; readonly service: string; readonly pid: number }
  | { readonly kind: 'ready'; readonly service: string; readonly ms: number }
  | { readonly kind: 'restarting'; readonly service: string; readonly restarts: number }
  | { readonly kind: 'exited'; readonly service: string; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly expected: boolean };

/** A free loopback port (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ServiceProcess {
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exit: Promise<void> = Promise.resolve();
  #expectExit = false;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  /** Exit codes of every run so far (crash tests look at them). */
  readonly exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];

  constructor(
    readonly spec: ServiceSpec,
    private readonly options: SupervisorOptions,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get logPath(): string {
    return join(this.options.logDir, `${this.spec.name}.log`);
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    mkdirSync(this.options.logDir, { recursive: true });
    this.#log ??= createWriteStream(this.logPath, { flags: 'a' });
    const env: Record<string, string> = { ...this.spec.env, HTTP_PORT: String(this.spec.httpPort) };
    for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
      const value = process.env[name];
      if (value !== undefined && env[name] === undefined) env[name] = value;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry], { cwd: this.options.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#expectExit = false;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    this.#exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exits.push({ code, signal });
        const expected = this.#expectExit;
        this.options.onEvent?.({ kind: 'exited', service: this.spec.name, code, signal, expected });
        resolve();
        const policy = this.options.restart ?? { delayMs: 1_000, max: 10 };
        if (!expected && this.#restarts < policy.max) {
          this.#restarts++;
          this.options.onEvent?.({ kind: 'restarting', service: this.spec.name, restarts: this.#restarts });
          this.#restartTimer = setTimeout(() => {
            this.#restartTimer = undefined;
            if (!this.running && !this.#expectExit) this.start();
          }, policy.delayMs);
        }
      });
    });
    this.options.onEvent?.({ kind: 'started', service: this.spec.name, pid: child.pid ?? -1 });
  }

  /** Resolves once /readyz answers 200; rejects (naming the log file) if the process exits or time runs out. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const started = Date.now();
    const url = `http://127.0.0.1:${this.spec.httpPort}/readyz`;
    while (Date.now() - started < timeoutMs) {
      if (!this.running) throw new Error(`${this.spec.name} exited before it was ready (see ${this.logPath})`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        if (response.status === 200) {
          this.options.onEvent?.({ kind: 'ready', service: this.spec.name, ms: Date.now() - started });
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.spec.name} not ready after ${timeoutMs} ms (see ${this.logPath})`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 20_000): Promise<void> {
    this.#cancelRestart();
    const child = this.#child;
    if (child === undefined || !this.running) return;
    this.#expectExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }

  /** SIGKILL now (a crash); resolves when the process is gone. */
  async kill(): Promise<void> {
    this.#cancelRestart();
    const child = this.#child;
    if (child === undefined || !this.running) return;
    this.#expectExit = true;
    child.kill('SIGKILL');
    await this.#exit;
  }

  #cancelRestart(): void {
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    const log = this.#log;
    this.#log = undefined;
    if (log !== undefined) await new Promise<void>((resolve) => log.end(resolve));
  }
}

/** The services of one pipeline run, started in order and stopped in reverse order. */
export class Supervisor {
  readonly services = new Map<string, ServiceProcess>();

  constructor(private readonly options: SupervisorOptions) {}

  add(spec: ServiceSpec): ServiceProcess {
    if (this.services.has(spec.name)) throw new Error(`service ${spec.name} added twice`);
    const service = new ServiceProcess(spec, this.options);
    this.services.set(spec.name, service);
    return service;
  }

  get(name: string): ServiceProcess {
    const service = this.services.get(name);
    if (service === undefined) throw new Error(`no service ${name}`);
    return service;
  }

  /** Starts every service, then waits until all are ready (they start in parallel). */
  async startAll(readyTimeoutMs = 90_000): Promise<void> {
    for (const service of this.services.values()) service.start();
    await Promise.all([...this.services.values()].map((service) => service.waitReady(readyTimeoutMs)));
  }

  async stopAll(): Promise<void> {
    for (const service of [...this.services.values()].reverse()) await service.close();
  }
}
