// Optional persistence: the whole emulator state (books, identity and webhook subscriptions) written to one JSON file a
// moment after each change and read back at start, so a demo survives restarts. Written to a
// temporary file and renamed, so a crash mid-write never leaves half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PersistedState {
  version: 1;
  savedAt: string;
  identity: unknown;
  accounting: unknown;
  /** Apps' webhook subscriptions (absent in files written before they were kept). */
  webhooks?: unknown;
}

export class StateFile {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly snapshot: () => Omit<PersistedState, 'version' | 'savedAt'>,
    private readonly debounceMs = 250,
  ) {}

  /** The saved state, or undefined when there is no file yet. A corrupt file is an error, not a reset. */
  load(): PersistedState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const data = JSON.parse(text) as PersistedState;
    if (data.version !== 1) throw new Error(`${this.path}: unsupported state file version ${String(data.version)}`);
    return data;
  }

  scheduleSave(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.saveNow();
    }, this.debounceMs);
    this.#timer.unref();
  }

  saveNow(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const data: PersistedState = { version: 1, savedAt: new Date().toISOString(), ...this.snapshot() };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.path);
  }

  /** Flushes a pending save. */
  close(): void {
    if (this.#timer) this.saveNow();
  }
}
