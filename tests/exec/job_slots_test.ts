import assert from "node:assert/strict";
import { JobSlots } from "../../lib/exec/job_slots.ts";

Deno.test("JobSlots runs at most N, queues at most Q, and hands slots on in order", async () => {
  const slots = new JobSlots(2, 1);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const queued = slots.acquire();
  assert.equal(await slots.acquire(), null, "busy past the queue");
  assert.equal(slots.running, 2);
  assert.equal(slots.waiting, 1);
  a!();
  a!(); // Releasing twice gives back one slot only.
  const c = await queued;
  assert.ok(c);
  assert.equal(slots.running, 2);
  b!();
  c!();
  assert.equal(slots.running, 0);
});

Deno.test("JobSlots drops a waiter whose signal aborts", async () => {
  const slots = new JobSlots(1, 4);
  const held = await slots.acquire();
  const abort = new AbortController();
  const waiting = slots.acquire(abort.signal);
  abort.abort();
  assert.equal(await waiting, null);
  assert.equal(slots.waiting, 0);
  held!();
  assert.equal(slots.running, 0);
});
