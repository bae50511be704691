/**
 * The policy file: loaded at start (a bad file then is fatal), reloaded on change (fs.watch, plus a
 * periodic stat for file systems where watch events are lost: bind mounts, ConfigMap symlink swaps).
 * A bad file on reload is refused with a message naming the field; the last good policy stays.
 */
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { parsePolicy, type Policy } from '../domain/policy';

/** The policy the actuator runs with when ACTUATOR_POLICY_FILE is not set. */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../config/policy.json', import.meta.url));

/** Reads and validates a policy file; a bad one throws, naming the file and the field. */
export function loadPolicyFile(path: string): Policy {
  const parsed = parsePolicy(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.message}`);
  return parsed.policy;
}

export class PolicyFile {
  private current: Policy;
  private signature: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  /** The last refusal message (cleared by a good reload); for tests and /status. */
  lastError: string | undefined;
  reloads = 0;

  constructor(private readonly path: string, private readonly log: Logger) {
    this.current = loadPolicyFile(path);
    this.signature = PolicyFile.sig(statSync(path));
  }

  private static sig(s: { mtimeMs: number; size: number; ino: number }): string {
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  }

  get policy(): Policy {
    return this.current;
  }

  /** Starts watching; `pollMs` is the stat fallback period. */
  start(pollMs = 5_000): void {
    try {
      this.watcher = watch(this.path, { persistent: false }, () => void this.reload());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => {
      void stat(this.path).then((s) => {
        if (PolicyFile.sig(s) !== this.signature) return this.reload();
        return undefined;
      }, () => undefined);
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Reads and validates the file now; keeps the old policy when the new one is bad. */
  reload(): Promise<void> {
    this.reloading ??= this.reloadNow().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    let text: string;
    let signature: string;
    try {
      const s = await stat(this.path);
      signature = PolicyFile.sig(s);
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      this.lastError = `policy file unreadable: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error({ path: this.path, problem: this.lastError }, 'policy reload refused; keeping the last good policy');
      return;
    }
    if (signature === this.signature && this.lastError === undefined) return;
    this.signature = signature;
    const parsed = parsePolicy(text);
    if (!parsed.ok) {
      this.lastError = parsed.message;
      this.log.error({ path: this.path, problem: parsed.message }, 'policy reload refused; keeping the last good policy');
      return;
    }
    this.current = parsed.policy;
    this.lastError = undefined;
    this.reloads++;
    this.log.info({ path: this.path }, 'policy reloaded');
  }
}
