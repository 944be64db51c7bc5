'use strict';
// Generators in worker threads that are terminated.

const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { Generator, suspend } = require('..');

const entry = JSON.stringify(require.resolve('..'));

function exitOf(worker) {
  return new Promise((resolve) => worker.on('exit', resolve));
}

describe('worker_threads', () => {
  it('terminating a worker with suspended generators leaves the main thread healthy', async () => {
    const main = new Generator(() => {
      let total = 0;
      for (;;) total += suspend(total);
    });
    main.resume();
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(
        `const { parentPort } = require('worker_threads');
         const { Generator, suspend } = require(${entry});
         const parked = [];
         for (let i = 0; i < 500; i++) {
           const g = new Generator(() => { const o = { i }; try { suspend(o); } finally { o.i = -1; } });
           g.resume();
           parked.push(g);
         }
         parentPort.postMessage(parked.length);
         setInterval(() => {}, 1000);`,
        { eval: true },
      );
      const parked = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      assert.equal(parked, 500);
      await worker.terminate();
      assert.equal(main.resume(round + 1), ((round + 1) * (round + 2)) / 2);
    }
    // Generators still work on the main thread, and in new workers.
    assert.deepEqual([...new Generator(() => [1, 2, 3].forEach((x) => suspend(x)))], [1, 2, 3]);
  });

  it('terminating a worker while a generator runs an endless loop ends the worker; the main thread goes on', async () => {
    const worker = new Worker(
      `const { parentPort } = require('worker_threads');
       const { Generator } = require(${entry});
       new Generator(() => { parentPort.postMessage('running'); for (;;) {} }).resume();`,
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const code = await worker.terminate();
    assert.equal(code, 1);
    assert.equal(new Generator(() => 'still fine').resume(), 'still fine');
  });

  it('terminating a worker while a nested generator loops, with its resumers and others suspended, ends the worker', async () => {
    // The running generator is three deep (each resumed by the one above),
    // 200 frames down, after having suspended once; 300 others are
    // suspended, some in finally blocks.
    const worker = new Worker(
      `const { parentPort } = require('worker_threads');
       const { Generator, suspend } = require(${entry});
       const parked = [];
       for (let i = 0; i < 300; i++) {
         const g = new Generator(() => { try { suspend(); } finally { if (i % 2) suspend('cleaning'); } });
         g.resume();
         if (i % 3 === 0) g.return();
         parked.push(g);
       }
       const spin = (n) => { if (n > 0) return spin(n - 1) + 1; parentPort.postMessage('spinning'); for (;;) {} };
       const level = (depth) => new Generator(() => {
         if (depth === 0) { suspend('once'); return spin(200); }
         const inner = level(depth - 1);
         inner.resume();
         return inner.resume();
       });
       level(3).resume();`,
      { eval: true },
    );
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(await worker.terminate(), 1);
    assert.equal(new Generator(() => 'still fine').resume(), 'still fine');
  });

  it('terminating a worker while it switches between generators without pause ends the worker', async () => {
    // Termination is requested while every few hundred nanoseconds a switch
    // archives one V8 state and restores another.
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(
        `const { parentPort } = require('worker_threads');
         const { Generator, suspend } = require(${entry});
         const ring = [];
         for (let i = 0; i < 50; i++) ring.push(new Generator(() => { let n = 0; for (;;) n += suspend(n); }));
         let sent = false;
         for (let k = 0; ; k++) {
           ring[k % ring.length].resume(1);
           if (!sent && k === 10000) { parentPort.postMessage('switching'); sent = true; }
         }`,
        { eval: true },
      );
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 5 * round));
      assert.equal(await worker.terminate(), 1);
    }
    assert.deepEqual([...new Generator(() => [1, 2].forEach((x) => suspend(x)))], [1, 2]);
  });
});

describe('worker_threads without fringe on the main thread', () => {
  // Node unloads an addon when the only worker that loaded it ends, while
  // the worker's isolate is still being torn down (and calls into the addon).
  it('a worker that loaded fringe, ran generators and left some suspended ends cleanly, three times over', () => {
    const { runScript, describe: explain } = require('./helpers/child');
    const result = runScript(`
      const { Worker } = require('node:worker_threads');
      (async () => {
        for (let round = 0; round < 3; round++) {
          const worker = new Worker(\`
            const { Generator, suspend } = require(process.env.FRINGE_ROOT);
            const parked = [];
            for (let i = 0; i < 50; i++) { const g = new Generator(() => suspend(i)); g.resume(); parked.push(g); }
            require('node:worker_threads').parentPort.postMessage(parked.length);
          \`, { eval: true });
          // Both listeners first: a worker that ends before its message is
          // handled has it delivered by the exit handling, which emits
          // 'exit' in the same tick, before an await could add a listener.
          const message = new Promise((resolve) => worker.once('message', resolve));
          const exit = new Promise((resolve) => worker.once('exit', resolve));
          const count = await message;
          const code = await exit;
          console.log(count, code);
        }
      })();
    `);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout, '50 0\n50 0\n50 0\n');
  });
});
