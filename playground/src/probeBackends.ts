import { createBackend, type Dtype, type ILossBackend, listBackends } from '@mlml/loss';

/** What this page found out about one registered backend. */
export interface BackendStatus {
  /** Its registered name. */
  readonly name: string;
  /** Its `auto` priority. */
  readonly priority: number;
  /** The live backend, when it initialised here (the page keeps it for its calls). */
  readonly backend?: ILossBackend;
  /** Why it did not initialise. */
  readonly reason?: string;
}

/** The dtypes, thread count and notes a backend declares, in one line. */
export function describeCapabilities(backend: ILossBackend): string {
  const { dtypes, threads, notes } = backend.capabilities as {
    dtypes: readonly Dtype[];
    threads?: number;
    notes?: readonly string[];
  };
  const parts = [dtypes.join(', ')];
  if (threads !== undefined) parts.push(`${threads} thread${threads === 1 ? '' : 's'}`);
  return [parts.join('; '), ...(notes ?? [])].join(' — ');
}

/**
 * Tries to create every registered backend, highest priority first (as `auto` would), and keeps
 * those that initialise; the others carry the registry's reason.
 */
export async function probeBackends(): Promise<BackendStatus[]> {
  return Promise.all(
    listBackends().map(async ({ name, priority }) => {
      try {
        return { name, priority, backend: await createBackend(name) };
      } catch (error) {
        const attempts = (error as { attempts?: readonly { reason: string }[] }).attempts;
        const reason = attempts?.[0]?.reason ?? (error instanceof Error ? error.message : String(error));
        return { name, priority, reason };
      }
    }),
  );
}
