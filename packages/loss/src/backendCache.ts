import { type BackendPreference, createBackend, type ILossBackend, isLossError } from '@mlml/core-spec';

/** Which backend a call uses: a preference for the factory, or a backend instance of your own. */
export type BackendChoice = BackendPreference | ILossBackend;

const cache = new Map<string, Promise<ILossBackend>>();

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
    backend.catch(() => {
      if (cache.get(key) === backend) cache.delete(key);
    });
  }
  return backend;
}

/**
 * Runs `call` on the chosen backend. When a shared backend turns out lost or disposed, it is
 * dropped from the cache and the call is retried once on a fresh one.
 */
export async function withBackend<T>(
  choice: BackendChoice | undefined,
  call: (backend: ILossBackend) => Promise<T>,
): Promise<T> {
  const backend = await resolveBackend(choice);
  try {
    return await call(backend);
  } catch (error) {
    const shared = choice === undefined || typeof choice === 'string' || Array.isArray(choice);
    if (!shared || !(isLossError(error, 'DEVICE_LOST') || isLossError(error, 'BACKEND_DISPOSED')))
      throw error;
    cache.delete(keyOf((choice ?? 'auto') as BackendPreference));
    return call(await resolveBackend(choice));
  }
}

/** Disposes every backend the torch-like API created and forgets them (e.g. before exit). */
export async function disposeSharedBackends(): Promise<void> {
  const pending = [...cache.values()];
  cache.clear();
  await Promise.all(pending.map(async (p) => (await p.catch(() => undefined))?.dispose()));
}
