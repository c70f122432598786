// Work sharing between the threads that run one set of kernel calls: guided self-scheduling over a queue in
// shared memory. Every thread gets the same call over the whole range of work units and claims chunks of it
// until none are left; a chunk is half of what remains divided among the threads (at least one unit),
// so chunks are large at first and shrink towards the end, where they even out the finish.
// Why not equal static ranges: on a shared machine a thread can lose its core for milliseconds, and the
// others then wait for its half (2-thread runs of the dense layers measured 6-11% of their time waiting).
//
// A queue is two i32s the host writes before each run: [next unit, threads]. Chunks are contiguous, taken in
// order, so a thread still sweeps neighbouring units (the callers' unit order keeps weights and inputs hot).
// The host's queue block (64 bytes) holds two queues, at 0 and 16 bytes, a count at 24 (see finish()) and a
// failure word at 28: the second queue and the count serve work that must be complete before the first
// queue's starts.

// The end of the chunk that starts at unit u: half of what remains per thread, at least one unit.
// @ts-ignore: decorator
@inline
function guidedEnd(u: i32, end: i32, threads: i32): i32 {
  return min(end, u + max(1, (end - u) / (threads << 1)));
}

// Claims the next chunk of [.., end): returns its first unit, or `end` when the work is all taken.
function claim(queue: usize, end: i32): i32 {
  const threads = load<i32>(queue, 4);
  if (ASC_FEATURE_THREADS) {
    for (;;) {
      const u = atomic.load<i32>(queue);
      if (u >= end) return end;
      if (atomic.cmpxchg<i32>(queue, u, guidedEnd(u, end, threads)) == u) return u;
    }
  }
  const u = load<i32>(queue);
  if (u < end) store<i32>(queue, guidedEnd(u, end, threads));
  return min(u, end);
}

// A call's loop over its chunks of the units [begin, end), the same with or without a queue:
//   for (let b = firstChunk(queue, begin, end); b < end; b = nextChunk(queue, end)) work(b, chunkEnd(queue, b, end));
// With a queue the chunks are claimed (the queue starts at `begin`); with queue = 0 there is one chunk, all of it.

// @ts-ignore: decorator
@inline
export function firstChunk(queue: usize, begin: i32, end: i32): i32 {
  return queue ? claim(queue, end) : begin;
}

// @ts-ignore: decorator
@inline
export function nextChunk(queue: usize, end: i32): i32 {
  return queue ? claim(queue, end) : end;
}

// The end of the chunk that starts at `begin`: the same function of begin as the claim used, so claiming needs
// no second return value.
// @ts-ignore: decorator
@inline
export function chunkEnd(queue: usize, begin: i32, end: i32): i32 {
  return queue ? guidedEnd(begin, end, load<i32>(queue, 4)) : end;
}

// Counts `n` units of the block's first-phase work as finished (the count at byte 24).
export function finish(queue: usize, n: i32): void {
  if (ASC_FEATURE_THREADS) atomic.add<i32>(queue, n, 24);
  else store<i32>(queue, load<i32>(queue, 24) + n, 24);
}

// Returns once `total` units are counted finished: a barrier between two phases of one call. It spins (wasm
// has no pause instruction, and a browser's main thread may not block), so the phase before it must be short.
// The atomics also order the memory: what other threads wrote before finish() is visible after it. It also
// returns when the block's failure word (byte 28) is set: the host sets it when a thread's call fails (a
// trap), whose share would otherwise never be counted; the host then reports the failure.
export function waitFinished(queue: usize, total: i32): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.load<i32>(queue, 24) < total && atomic.load<i32>(queue, 28) == 0) {}
  }
}
