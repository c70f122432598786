// A thread-pool worker (see thread-pool.ts for the protocol). Plain JavaScript with no imports and no top-level
// await, written for a browser worker's global `self`: the build copies it to wasm/simdconv-worker.js, where
// bundlers emit it as they find it (a classic or a module worker alike), and Node runs it behind a few lines
// that give it a `self` (src/platform/node.ts). It receives the compiled kernel module, the shared
// WebAssembly.Memory and the shared control block in one message, instantiates the module on that memory,
// answers { ready: true } and then never returns to its event loop: it blocks in Atomics.wait between jobs
// until the pool sets the shutdown word.

// Control block layout: keep in sync with thread-pool.ts. A header line (workers still busy, shutdown flag),
// then a line per worker: generation, function index, the call's one argument (its argument struct's byte
// offset), error flag and length, sleeping flag, failure word (an i32 index in wasm memory set to 1 when a
// call fails, so that barriers let go; 0: none).
const [REMAINING, SHUTDOWN, HEADER_INTS, SLOT_INTS, MESSAGE_BYTES] = [0, 1, 16, 16, 1024];
const [GO, FN, ARG, ERROR, ERROR_LENGTH, SLEEPING, FAIL_WORD] = [0, 1, 2, 3, 4, 5, 6];

function post(message) {
  self.postMessage(message);
}

self.addEventListener('message', (event) => start(event.data), { once: true });

async function start(init) {
  let fns;
  try {
    const instance = await WebAssembly.instantiate(init.module, {
      env: {
        memory: init.memory,
        abort: (_msg, _file, line, col) => {
          throw new Error(`simdconv wasm abort at ${line}:${col}`);
        },
      },
    });
    fns = init.names.map((name) => instance.exports[name]);
  } catch (error) {
    post({ ready: false, error: String(error && error.stack ? error.stack : error) });
    return;
  }
  post({ ready: true });
  // Let the ready message leave before this thread blocks for good (browsers deliver it from the event loop).
  setTimeout(() => loop(init, fns), 0);
}

function loop(init, fns) {
  const ctrl = new Int32Array(init.control);
  const message = new Uint8Array(init.control, init.messagesOffset + init.index * MESSAGE_BYTES, MESSAGE_BYTES);
  const slot = HEADER_INTS + init.index * SLOT_INTS;
  const spinMs = init.spinMicros / 1000;
  const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
  // Generations start at 0 and only the caller bumps them: a job dispatched before this loop started is not missed.
  let gen = 0;
  for (;;) {
    // Spin a little (back-to-back jobs are common in one op), then sleep until the generation changes.
    if (Atomics.load(ctrl, slot + GO) === gen && spinMs > 0) {
      const until = now() + spinMs;
      let i = 0;
      while (Atomics.load(ctrl, slot + GO) === gen) {
        if ((++i & 255) === 0 && now() > until) break;
      }
    }
    while (Atomics.load(ctrl, slot + GO) === gen) {
      Atomics.store(ctrl, slot + SLEEPING, 1);
      Atomics.wait(ctrl, slot + GO, gen);
      Atomics.store(ctrl, slot + SLEEPING, 0);
    }
    gen = Atomics.load(ctrl, slot + GO);
    if (Atomics.load(ctrl, SHUTDOWN) !== 0) break;
    try {
      fns[ctrl[slot + FN]](ctrl[slot + ARG] >>> 0);
    } catch (error) {
      // "name\nmessage": the caller rebuilds a WebAssembly.RuntimeError for traps, as on one thread.
      let text;
      try {
        text = error instanceof Error ? `${error.name}\n${error.message}` : `Error\n${String(error)}`;
      } catch {
        text = 'Error\nunknown error';
      }
      const bytes = new TextEncoder().encode(text).subarray(0, MESSAGE_BYTES);
      message.set(bytes);
      ctrl[slot + ERROR_LENGTH] = bytes.length;
      ctrl[slot + ERROR] = 1;
      const failWord = ctrl[slot + FAIL_WORD];
      if (failWord) Atomics.store(new Int32Array(init.memory.buffer), failWord, 1);
    }
    // The last worker to finish wakes the caller; the atomic RMW publishes this thread's memory writes.
    if (Atomics.sub(ctrl, REMAINING, 1) === 1) Atomics.notify(ctrl, REMAINING);
  }
  self.close();
}
