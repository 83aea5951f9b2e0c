import { type BackendPreference, createBackend, type ILossBackend, isLossError } from '@mlml/core-spec';

/** Which backend a call uses: a preference for the factory, or a backend instance of your own. */
export type BackendChoice = BackendPreference | ILossBackend;

const cache = new Map<string, Promise<ILossBackend>>();
/** The shared backends whose creation has finished, by the same keys as {@link cache}. */
const ready = new Map<string, ILossBackend>();

function keyOf(preference: BackendPreference): string {
  return typeof preference === 'string' ? preference : JSON.stringify(preference);
}

/**
 * The backend for a choice: instances are used as given; preferences are created once through
 * `createBackend` and shared by every call that names the same preference.
 */
export function resolveBackend(choice: BackendChoice = 'auto'): Promise<ILossBackend> {
  if (typeof choice === 'object' && !Array.isArray(choice)) return Promise.resolve(choice as ILossBackend);
  const preference = choice as BackendPreference;
  const key = keyOf(preference);
  let backend = cache.get(key);
  if (backend === undefined) {
    backend = createBackend(preference);
    cache.set(key, backend);
    // A failed creation is not cached: the next call tries again (a device may come back).
    const created = backend;
    created.then(
      (instance) => {
        if (cache.get(key) === created) ready.set(key, instance);
      },
      () => {
        if (cache.get(key) === created) cache.delete(key);
      },
    );
  }
  return backend;
}

/**
 * Runs `call` on the chosen backend with `args`. The caller's arrays must be read when the call
 * is made (a training loop refills them as soon as the promise is returned), so a backend that
 * is ready is called at once; while one is still being created, `call` gets `snapshot(args)`,
 * copies taken now. A shared backend that turns out lost or disposed is dropped from the cache,
 * so the next call creates a fresh one; this call rejects (retrying it would read arrays the
 * caller may have refilled since).
 */
export async function withBackend<A, T>(
  choice: BackendChoice | undefined,
  args: A,
  snapshot: (args: A) => A,
  call: (backend: ILossBackend, args: A) => Promise<T>,
): Promise<T> {
  const now = readyBackend(choice);
  const pending = now === undefined ? resolveBackend(choice) : undefined;
  const own = pending === undefined ? args : snapshot(args);
  const backend = now ?? (await pending!);
  try {
    return await call(backend, own);
  } catch (error) {
    const shared = choice === undefined || typeof choice === 'string' || Array.isArray(choice);
    if (shared && (isLossError(error, 'DEVICE_LOST') || isLossError(error, 'BACKEND_DISPOSED'))) {
      const key = keyOf((choice ?? 'auto') as BackendPreference);
      if (ready.get(key) === backend) {
        ready.delete(key);
        cache.delete(key);
      }
    }
    throw error;
  }
}

/** The chosen backend when it can be called right now: an instance, or a created shared one. */
function readyBackend(choice: BackendChoice = 'auto'): ILossBackend | undefined {
  if (typeof choice === 'object' && !Array.isArray(choice)) return choice as ILossBackend;
  return ready.get(keyOf(choice as BackendPreference));
}

/** Disposes every backend the torch-like API created and forgets them (e.g. before exit). */
export async function disposeSharedBackends(): Promise<void> {
  const pending = [...cache.values()];
  cache.clear();
  ready.clear();
  await Promise.all(pending.map(async (p) => (await p.catch(() => undefined))?.dispose()));
}
