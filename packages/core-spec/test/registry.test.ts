import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  createBackend,
  createReferenceBackend,
  type ILossBackend,
  isLossError,
  listBackends,
  registerBackend,
  unregisterBackend,
} from '../src/index.js';

const named = (name: string): ILossBackend => Object.assign(createReferenceBackend(), { name });
const registered: string[] = [];
function register(name: string, factory: () => ILossBackend | Promise<ILossBackend>, priority?: number) {
  registerBackend(name, factory, priority === undefined ? {} : { priority });
  registered.push(name);
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterBackend(name);
});

describe('backend registry', () => {
  it('lists backends by priority, ties in registration order', () => {
    register('t-low', () => named('t-low'), 1);
    register('t-high', () => named('t-high'), 9);
    register('t-mid-a', () => named('t-mid-a'), 5);
    register('t-mid-b', () => named('t-mid-b'), 5);
    expect(listBackends().map((b) => b.name)).toEqual(['t-high', 't-mid-a', 't-mid-b', 't-low']);
    expect(listBackends()[0]).toEqual({ name: 't-high', priority: 9 });
  });

  it("'auto' returns the highest-priority backend that initialises", async () => {
    register('t-broken', () => Promise.reject(new Error('no adapter')), 10);
    register('t-ok', () => named('t-ok'), 5);
    register('t-other', () => named('t-other'), 1);
    expect((await createBackend('auto')).name).toBe('t-ok');
    expect((await createBackend()).name).toBe('t-ok');
  });

  it('an ordered list is tried in its order, skipping failures and unknown names', async () => {
    register('t-a', () => named('t-a'), 10);
    register(
      't-b',
      () => {
        throw new Error('sync failure');
      },
      5,
    );
    register('t-c', () => named('t-c'), 1);
    expect((await createBackend(['t-b', 'nope', 't-c', 't-a'])).name).toBe('t-c');
  });

  it('a single unknown name is UNKNOWN_BACKEND', async () => {
    await expect(createBackend('t-missing')).rejects.toMatchObject({ code: 'UNKNOWN_BACKEND' });
  });

  it('when nothing works, the error lists every attempt and its reason', async () => {
    register('t-x', () => Promise.reject(new Error('no adapter found')), 2);
    register(
      't-y',
      () => {
        throw new Error('SIMD missing');
      },
      1,
    );
    const error = await createBackend(['t-x', 't-y', 't-z']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(isLossError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    const { attempts, message } = error as BackendUnavailableError;
    expect(attempts).toEqual([
      { name: 't-x', reason: 'no adapter found' },
      { name: 't-y', reason: 'SIMD missing' },
      { name: 't-z', reason: 'not registered' },
    ]);
    for (const text of ['t-x: no adapter found', 't-y: SIMD missing', 't-z: not registered']) {
      expect(message).toContain(text);
    }
  });

  it('re-registering a name replaces the factory; bad arguments are TypeErrors', async () => {
    register('t-r', () => named('first'));
    register('t-r', () => named('second'));
    expect((await createBackend('t-r')).name).toBe('second');
    expect(() => registerBackend('', () => named('x'))).toThrow(TypeError);
    expect(() => registerBackend('t-bad', 'nope' as never)).toThrow(TypeError);
    expect(() => registerBackend('t-bad', () => named('x'), { priority: Number.NaN })).toThrow(TypeError);
  });
});
