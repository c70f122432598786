// Work sharing between the threads that run one set of kernel calls: each thread sweeps a region of its own
// and steals from the others when it runs dry. Every thread gets the same call over the whole range of work
// units [begin, end); the first claim takes a ticket, and ticket i owns the i-th of `threads` equal regions of
// the range. A thread claims chunks from the front of its region (a quarter of what is left, at least one
// unit); once it is empty, it takes half of what is left in the fullest other region, from the back, as its new
// region. So each thread sweeps long contiguous runs of units (the callers' unit order keeps weights and inputs
// hot along them), and a thread that loses its core for milliseconds on a shared machine has its work taken
// over instead of waited for.
// Why not one shared queue handing out shrinking chunks in order (guided self-scheduling, what this replaced):
// the threads' chunks then interleave over the whole range, so every chunk boundary re-reads a halo of input
// rows or a run of input channels that the other thread also reads. Paired at 2 threads against it
// (bench/ab-builds.mjs, relaxed): sep_spatial 1.085x, grouped 1.086x, depthwise 1.024x, resnet_3x3 1.018x,
// dilated 1.019x, resnet_3x3 batch 8 1.019x, the other layers 0.997-1.009x. Nor a
// static split: a thread slowed by the shared machine then holds up the others (6-11% of a two-thread run).
//
// A queue is a header of two i32s [ticket, threads] (the host writes them before each run: ticket 0, the
// number of calls) and one region per thread on a cache line of its own: an i64 holding next | (end + 1) << 32,
// 0 until the first thread that needs it sets it (the owner, or a thief that got there first). The host's
// queue block (dispatch.ts) holds two queues: the first's header at byte 0, the second's at byte 16, a count at
// 24 (see finish()), a failure word at 28 and 32 bytes the plan may use; then the first queue's regions on the
// following `threads` cache lines and the second's on the `threads` after them. The second queue and the count
// serve work that must be complete before the first queue's starts.
//
// The claim state of the current loop lives in this instance's globals: each thread runs its own instance of
// the module, so they are per thread; one loop over a queue ends before the next begins.
let ownRegion: usize = 0;
let regionsOf: usize = 0;
let loopThreads: i32 = 0;
let loopBegin: i32 = 0;
let loopEnd: i32 = 0;
let claimedEnd: i32 = 0;

// The first region of the queue whose header is at q: the first queue's (header at a line's start) on the next
// line, the second's (header 16 bytes in) `threads` lines further.
// @ts-ignore: decorator
@inline
function regions(q: usize, threads: i32): usize {
  const line = q & ~(<usize>63);
  return line + 64 + (q == line ? 0 : <usize>threads << 6);
}

// @ts-ignore: decorator
@inline
function pack(next: i32, end: i32): i64 {
  return <i64><u32>next | (<i64>(end + 1) << 32);
}

// @ts-ignore: decorator
@inline
function nextOf(word: i64): i32 {
  return <i32>word;
}

// @ts-ignore: decorator
@inline
function endOf(word: i64): i32 {
  return <i32>(word >>> 32) - 1;
}

// @ts-ignore: decorator
@inline
function atomicLoad(p: usize): i64 {
  if (ASC_FEATURE_THREADS) return atomic.load<i64>(p);
  return load<i64>(p);
}

// Sets *p from `expected` to `replacement`; false if another thread changed it first.
// @ts-ignore: decorator
@inline
function atomicSwap(p: usize, expected: i64, replacement: i64): bool {
  if (ASC_FEATURE_THREADS) return atomic.cmpxchg<i64>(p, expected, replacement) == expected;
  if (load<i64>(p) != expected) return false;
  store<i64>(p, replacement);
  return true;
}

// Region j's word, set to its initial bounds first if no thread has touched it yet.
function regionWord(j: i32): i64 {
  const p = regionsOf + (<usize>j << 6);
  const word = atomicLoad(p);
  if (word != 0) return word;
  const span = <i64>(loopEnd - loopBegin);
  const a = loopBegin + <i32>(span * j / loopThreads);
  const b = loopBegin + <i32>(span * (j + 1) / loopThreads);
  atomicSwap(p, 0, pack(a, b)); // fails only where another thread set it, to the same bounds or past them
  return atomicLoad(p);
}

// Claims the next chunk: from this thread's region, else from the back of the fullest other one. Returns the
// chunk's first unit (its end in claimedEnd), or the loop's end when all the work is taken.
function claim(): i32 {
  for (;;) {
    const word = regionWord(<i32>((ownRegion - regionsOf) >> 6));
    const next = nextOf(word), end = endOf(word);
    if (next < end) {
      const e = next + max(1, (end - next) >> 2);
      if (atomicSwap(ownRegion, word, pack(e, end))) {
        claimedEnd = e;
        return next;
      }
      continue; // a thief took some of the back
    }
    // Empty: steal half of what is left in the fullest region.
    let victim = -1, most = 0;
    let victimWord: i64 = 0;
    for (let j = 0; j < loopThreads; j++) {
      const w = regionWord(j);
      const left = endOf(w) - nextOf(w);
      if (left > most) {
        most = left;
        victim = j;
        victimWord = w;
      }
    }
    if (victim < 0) return loopEnd;
    const vEnd = endOf(victimWord);
    const from = vEnd - max(1, most >> 1);
    if (!atomicSwap(regionsOf + (<usize>victim << 6), victimWord, pack(nextOf(victimWord), from))) continue;
    // [from, vEnd) is this thread's alone now: its first chunk, the rest as its region. Nobody else touches an
    // empty region, unless more calls than `threads` share one; then this thread keeps the whole range.
    const e = from + max(1, (vEnd - from) >> 2);
    claimedEnd = atomicSwap(ownRegion, word, pack(e, vEnd)) ? e : vEnd;
    return from;
  }
}

// A call's loop over its chunks of the units [begin, end), the same with or without a queue:
//   for (let b = firstChunk(queue, begin, end); b < end; b = nextChunk(queue, end)) work(b, chunkEnd(queue, b, end));
// With a queue the chunks are claimed; with queue = 0 there is one chunk, all of it.

export function firstChunk(queue: usize, begin: i32, end: i32): i32 {
  if (!queue) return begin;
  loopThreads = load<i32>(queue, 4);
  const ticket = ASC_FEATURE_THREADS ? atomic.add<i32>(queue, 1) : load<i32>(queue);
  if (!ASC_FEATURE_THREADS) store<i32>(queue, ticket + 1);
  regionsOf = regions(queue, loopThreads);
  ownRegion = regionsOf + (<usize>min(ticket, loopThreads - 1) << 6);
  loopBegin = begin;
  loopEnd = end;
  return claim();
}

// @ts-ignore: decorator
@inline
export function nextChunk(queue: usize, end: i32): i32 {
  return queue ? claim() : end;
}

// @ts-ignore: decorator
@inline
export function chunkEnd(queue: usize, begin: i32, end: i32): i32 {
  return queue ? claimedEnd : end;
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

// Test support (test/thread-pool.test.ts): claims the units [begin, end) like a kernel and for each unit adds 1
// to tally[u - begin] and stores `id` in owner[u - begin], spinning `work` times per unit, so a test can check
// that every unit is claimed exactly once and that the others take over a late thread's region. Each call adds
// 1 to the word at `done` when its loop ends; a call with `late` set first waits until `late` others have
// (at most 2^31 spins, so a scheduler that never lets the others finish fails the test instead of hanging it).
// A fixed delay instead made the test depend on the OS: on a loaded 2-CPU machine the calling thread was once
// descheduled for longer than the late call's delay, which then claimed the whole range.
// @driver
export function scheduleTally(queue: usize, begin: i32, end: i32, tally: usize, owner: usize, id: i32, late: i32, work: i32, done: usize): void {
  if (!ASC_FEATURE_THREADS) return; // the single-thread builds have no pool to test
  if (late) {
    for (let i = 0; i < 0x7fffffff && atomic.load<i32>(done) < late; i++) {}
  }
  for (let b = firstChunk(queue, begin, end); b < end; b = nextChunk(queue, end)) {
    const e = chunkEnd(queue, b, end);
    for (let u = b; u < e; u++) {
      const at = <usize>(u - begin) << 2;
      atomic.add<i32>(tally + at, 1);
      atomic.store<i32>(owner + at, id);
      for (let i = 0; i < work; i++) atomic.load<i32>(tally + at);
    }
  }
  atomic.add<i32>(done, 1);
}
