import { LossError } from './LossError.js';
import type { ILossBackend } from './types.js';

/** Makes a backend; may reject (no adapter, no SIMD...) with the reason. */
export type BackendFactory = () => ILossBackend | Promise<ILossBackend>;

/** Options of {@link registerBackend}. */
export interface RegisterOptions {
  /** Higher is tried first by `createBackend('auto')`. @default 0 */
  priority?: number;
}

/** A registered backend as {@link listBackends} reports it. */
export interface BackendEntry {
  /** The name it was registered under. */
  readonly name: string;
  /** Its priority for `'auto'`. */
  readonly priority: number;
}

/** Which backend(s) to create: `'auto'`, one name, or names tried in order. */
export type BackendPreference = 'auto' | (string & {}) | readonly string[];

/** One failed attempt of {@link createBackend}. */
export interface BackendAttempt {
  /** The backend tried. */
  readonly name: string;
  /** Why it could not be created. */
  readonly reason: string;
}

interface Registration extends BackendEntry {
  readonly factory: BackendFactory;
  readonly order: number;
}

/*
 * The registry lives on globalThis so that two copies of this package (a bundler duplicating it,
 * a contributor's backend linked from elsewhere) still share one list.
 */
const REGISTRY_KEY = Symbol.for('@mlml/core-spec/registry');
const globalStore = globalThis as { [REGISTRY_KEY]?: Map<string, Registration> };
const registry: Map<string, Registration> = globalStore[REGISTRY_KEY] ?? new Map();
globalStore[REGISTRY_KEY] = registry;
let registrations = registry.size;

/**
 * Registers (or replaces) a backend under `name`. Nothing is created until asked for.
 * @example registerBackend('my-backend', () => new MyBackend(), { priority: 5 })
 */
export function registerBackend(name: string, factory: BackendFactory, options: RegisterOptions = {}): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('registerBackend: name must be a non-empty string');
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerBackend('${name}'): factory must be a function`);
  }
  const priority = options.priority ?? 0;
  if (!Number.isFinite(priority)) {
    throw new TypeError(`registerBackend('${name}'): priority must be a finite number`);
  }
  registry.set(name, { name, priority, factory, order: registrations++ });
}

/** Removes a backend from the registry; returns whether it was there. */
export function unregisterBackend(name: string): boolean {
  return registry.delete(name);
}

/** The registered backends, highest priority first (ties: first registered first). */
export function listBackends(): readonly BackendEntry[] {
  return sortedRegistrations().map(({ name, priority }) => ({ name, priority }));
}

/**
 * Creates a backend. `'auto'` tries every registered backend from the highest priority down; a
 * list is tried in its order; the first that initialises is returned.
 * @throws {LossError} `UNKNOWN_BACKEND` for a single name that was never registered;
 *   `BACKEND_UNAVAILABLE` when nothing worked, listing every attempt and its reason.
 */
export async function createBackend(preference: BackendPreference = 'auto'): Promise<ILossBackend> {
  const names =
    preference === 'auto'
      ? sortedRegistrations().map((r) => r.name)
      : typeof preference === 'string'
        ? [preference]
        : [...preference];
  if (typeof preference === 'string' && preference !== 'auto' && !registry.has(preference)) {
    throw new LossError(
      'UNKNOWN_BACKEND',
      `no backend named '${preference}' is registered (registered: ${listNames()})`,
    );
  }
  const attempts: BackendAttempt[] = [];
  for (const name of names) {
    const registration = registry.get(name);
    if (registration === undefined) {
      attempts.push({ name, reason: 'not registered' });
      continue;
    }
    try {
      return await registration.factory();
    } catch (error) {
      attempts.push({ name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new BackendUnavailableError(attempts);
}

/** Thrown by {@link createBackend} when no backend could be created; `attempts` says why for each. */
export class BackendUnavailableError extends LossError {
  /** Each backend tried, in order, with its reason. */
  readonly attempts: readonly BackendAttempt[];

  constructor(attempts: readonly BackendAttempt[]) {
    const detail =
      attempts.length === 0
        ? 'no backend is registered (import @mlml/loss, or register one)'
        : attempts.map((a) => `  - ${a.name}: ${a.reason}`).join('\n');
    super('BACKEND_UNAVAILABLE', `no backend could be created; tried:\n${detail}`);
    this.attempts = attempts;
  }
}

function sortedRegistrations(): Registration[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority || a.order - b.order);
}

function listNames(): string {
  return registry.size === 0
    ? 'none'
    : sortedRegistrations()
        .map((r) => r.name)
        .join(', ');
}
