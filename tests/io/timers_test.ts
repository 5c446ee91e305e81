import assert from "node:assert/strict";
import {
  Backoff,
  Deadline,
  IdleWatch,
  settlesWithin,
  sleep,
  whenAborted,
} from "../../lib/io/timers.ts";

Deno.test("Deadline fires once: calls onExpire, aborts its signal, reports expired", async () => {
  let calls = 0;
  using deadline = new Deadline(5, () => calls++);
  assert.equal(deadline.expired, false);
  const signal = deadline.signal;
  assert.equal(signal.aborted, false);
  using aborted = whenAborted(signal);
  await aborted.promise;
  assert.equal(deadline.expired, true);
  assert.equal(calls, 1);
  assert.ok(signal.reason instanceof Deno.errors.TimedOut);
  assert.equal(deadline.remainingMs, 0);
});

Deno.test("Deadline disposed in time never fires; Infinity never arms", async () => {
  let fired = false;
  {
    using _deadline = new Deadline(20, () => fired = true);
  }
  await sleep(40);
  assert.equal(fired, false);
  using never = new Deadline(Infinity);
  assert.equal(never.remainingMs, Infinity);
});

Deno.test("Deadline's signal asked for after it fired is already aborted", async () => {
  using deadline = new Deadline(1);
  await sleep(20);
  assert.equal(deadline.expired, true);
  assert.equal(deadline.signal.aborted, true);
});

Deno.test("Deadline.remainingMs counts down from its limit", async () => {
  using deadline = new Deadline(10_000);
  const first = deadline.remainingMs;
  assert.ok(first <= 10_000 && first > 9_000, String(first));
  await sleep(30);
  assert.ok(deadline.remainingMs < first);
});

Deno.test("whenAborted() takes its listener off a long-lived signal when disposed", async () => {
  const controller = new AbortController();
  let resolved = false;
  {
    using waiting = whenAborted(controller.signal);
    waiting.promise.then(() => resolved = true);
  }
  controller.abort();
  await sleep(0);
  assert.equal(resolved, false, "a disposed wait is no longer told");
  using already = whenAborted(controller.signal);
  await already.promise;
});

Deno.test("sleep() ends early when its signal aborts, and settlesWithin() says whether a promise made it", async () => {
  const controller = new AbortController();
  const started = performance.now();
  const slept = sleep(60_000, controller.signal);
  controller.abort();
  await slept;
  assert.ok(performance.now() - started < 1000);
  assert.equal(await settlesWithin(sleep(1), 5000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error("x")), 5000), true);
  assert.equal(await settlesWithin(new Promise(() => {}), 5), false);
});

Deno.test("IdleWatch fires after a quiet period, not while held", async () => {
  let idle = 0;
  using watch = new IdleWatch(30, () => idle++);
  const hold = watch.hold();
  await sleep(80);
  assert.equal(idle, 0, "held: not idle");
  hold[Symbol.dispose]();
  await sleep(100);
  assert.equal(idle, 1);
  assert.equal(watch.fired, true);
});

Deno.test("Backoff doubles up to its cap and starts over", async () => {
  const backoff = new Backoff(1, 4);
  assert.equal(backoff.nextMs, 1);
  await backoff.wait();
  await backoff.wait();
  await backoff.wait();
  assert.equal(backoff.nextMs, 4);
  backoff.reset();
  assert.equal(backoff.nextMs, 1);
});
