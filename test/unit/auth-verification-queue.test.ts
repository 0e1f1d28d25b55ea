import { describe, expect, it } from 'vitest';
import { VerificationQueue, VerificationQueueFull } from '../../src/auth/verification-queue.js';

/** A task the test finishes by hand, and a record of when it started. */
function manualTask(started: string[], name: string) {
  let finish: (value: string) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const task = () =>
    new Promise<string>((resolve, reject) => {
      started.push(name);
      finish = resolve;
      fail = reject;
    });
  return { task, finish: () => finish(name), fail: (error: Error) => fail(error) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('verification queue', () => {
  it('runs at most maxRunning tasks at once and starts the waiting ones first come, first served', async () => {
    const queue = new VerificationQueue({ maxRunning: 2, maxWaiting: 8, retryAfterSeconds: 2 });
    const started: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((name) => manualTask(started, name));
    const results = tasks.map((entry) => queue.run(entry.task));
    await flush();
    expect(started).toEqual(['a', 'b']);
    expect(queue.running).toBe(2);
    expect(queue.queued).toBe(2);
    tasks[1]!.finish();
    await flush();
    expect(started).toEqual(['a', 'b', 'c']);
    tasks[0]!.finish();
    await flush();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    tasks[2]!.finish();
    tasks[3]!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.running).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it('refuses at once with VerificationQueueFull and its Retry-After when the wait is full, without running the task', async () => {
    const queue = new VerificationQueue({ maxRunning: 1, maxWaiting: 1, retryAfterSeconds: 3 });
    const started: string[] = [];
    const running = manualTask(started, 'running');
    const waiting = manualTask(started, 'waiting');
    const refused = manualTask(started, 'refused');
    const results = [queue.run(running.task), queue.run(waiting.task)];
    const refusal = queue.run(refused.task).catch((error: unknown) => error);
    const error = await refusal;
    expect(error).toBeInstanceOf(VerificationQueueFull);
    expect((error as VerificationQueueFull).retryAfterSeconds).toBe(3);
    running.finish();
    await flush();
    waiting.finish();
    await Promise.all(results);
    expect(started).toEqual(['running', 'waiting']);
  });

  it('hands the slot on when a task fails', async () => {
    const queue = new VerificationQueue({ maxRunning: 1, maxWaiting: 4, retryAfterSeconds: 1 });
    const started: string[] = [];
    const failing = manualTask(started, 'failing');
    const next = manualTask(started, 'next');
    const failed = queue.run(failing.task).catch((error: unknown) => error);
    const done = queue.run(next.task);
    await flush();
    failing.fail(new Error('boom'));
    expect(await failed).toBeInstanceOf(Error);
    await flush();
    next.finish();
    expect(await done).toBe('next');
    expect(queue.running).toBe(0);
  });
});
