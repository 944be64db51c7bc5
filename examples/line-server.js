'use strict';
// A TCP server with one run() per connection, its handler written as
// blocking code: readLine() waits for the socket's next chunk, and the
// connection's state is a local variable. Every connection that waits for a
// line is a suspended generator.
//
// The protocol: "add N" answers the connection's running total, "quit"
// closes it.
//
//   node examples/line-server.js              serve on 127.0.0.1, connect 2 000
//                                             clients that all stay open, and
//                                             check every answer
//   node examples/line-server.js --clients N  the same with N clients
//   node examples/line-server.js --port P     serve on 127.0.0.1:P until stopped
//   --handler async                           the same handler written with
//                                             async/await, for comparison
//   --stats                                   a last line of JSON: the time
//                                             taken and the memory per
//                                             connection (bench/limits.js)

const net = require('node:net');
const { run, wait, report } = require('..');

let reading = 0; // handlers waiting for a chunk in readLine(), of either kind

/** The first whole line in `buffer.text`, taken out of it, or null while there is none. */
function takeLine(buffer) {
  const end = buffer.text.indexOf('\n');
  if (end < 0) return null;
  const line = buffer.text.slice(0, end);
  buffer.text = buffer.text.slice(end + 1);
  return line;
}

/** What a connection whose running total is `total` answers to `line`: null for "quit". */
function answer(total, line) {
  const [command, argument] = line.split(' ');
  if (command === 'quit') return null;
  if (command === 'add' && Number.isFinite(Number(argument))) {
    const sum = total + Number(argument);
    return { total: sum, reply: `${sum}\n` };
  }
  return { total, reply: `error: ${JSON.stringify(line)}\n` };
}

/** Lines from a socket, read synchronously inside run(): null at its end. */
function lineReader(socket) {
  const chunks = socket[Symbol.asyncIterator]();
  const buffer = { text: '' };
  return () => {
    for (;;) {
      const line = takeLine(buffer);
      if (line !== null) return line;
      reading++;
      const { value, done } = wait(chunks.next());
      reading--;
      if (done) return null;
      buffer.text += value.toString('utf8');
    }
  };
}

/** One connection, from its first line to "quit" or its end. */
function serve(socket) {
  const readLine = lineReader(socket);
  let total = 0;
  for (let line; (line = readLine()) !== null;) {
    const answered = answer(total, line);
    if (answered === null) break;
    total = answered.total;
    socket.write(answered.reply);
  }
  socket.end();
}

/** serve() as it is written without run(): every function that waits is async. */
function lineReaderAsync(socket) {
  const chunks = socket[Symbol.asyncIterator]();
  const buffer = { text: '' };
  return async () => {
    for (;;) {
      const line = takeLine(buffer);
      if (line !== null) return line;
      reading++;
      const { value, done } = await chunks.next();
      reading--;
      if (done) return null;
      buffer.text += value.toString('utf8');
    }
  };
}
async function serveAsync(socket) {
  const readLine = lineReaderAsync(socket);
  let total = 0;
  for (let line; (line = await readLine()) !== null;) {
    const answered = answer(total, line);
    if (answered === null) break;
    total = answered.total;
    socket.write(answered.reply);
  }
  socket.end();
}

function startServer(port, handler) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {}); // a client that resets; its handler ends with the stream
    const served = handler === 'async' ? serveAsync(socket) : run(() => serve(socket));
    served.catch((error) => console.error(error));
  });
  return new Promise((resolve) => server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => resolve(server)));
}

/** A client: connects, then answers `next` with each line the server sends. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    socket.setEncoding('utf8');
    let buffered = '';
    socket.lines = [];
    socket.on('data', (data) => {
      buffered += data;
      for (let end; (end = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(end + 1)) {
        socket.lines.push(buffered.slice(0, end));
        socket.emit('line');
      }
    });
  });
}

const ask = (socket, line) =>
  new Promise((resolve) => {
    socket.once('line', () => resolve(socket.lines.at(-1)));
    socket.write(`${line}\n`);
  });

async function demo(count, handler, stats) {
  const server = await startServer(0, handler);
  const { port } = server.address();
  const start = process.hrtime.bigint();
  const rssBefore = stats ? residentAfterGc() : 0;
  let rssPerConnection = 0;
  try {
    // Connected in batches, so that the listen backlog never overflows.
    const clients = [];
    for (let i = 0; i < count; i += 500) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => connect(port)))));
    }
    const steps = [(i) => i, () => 1, (i) => 2 * i];
    let wrong = 0;
    let waiting = '';
    for (const [round, step] of steps.entries()) {
      const answers = await Promise.all(clients.map((client, i) => ask(client, `add ${step(i)}`)));
      answers.forEach((answer, i) => {
        const expected = steps.slice(0, round + 1).reduce((sum, s) => sum + s(i), 0);
        if (answer !== String(expected)) wrong++;
      });
      // Every connection's handler is now back in readLine(), waiting.
      if (round === 0) {
        waiting = `${reading} handlers waiting in readLine()`;
        if (handler === 'run') waiting += `, ${report().suspended} generators suspended`;
        if (stats) rssPerConnection = (residentAfterGc() - rssBefore) / count;
      }
    }
    const closed = clients.map((client) => new Promise((resolve) => client.on('close', resolve)));
    for (const client of clients) client.end('quit\n');
    await Promise.all(closed);
    console.log(`${count} connections open at once, ${waiting}`);
    console.log(`${count * steps.length} lines answered, ${wrong} wrong`);
    if (wrong !== 0) process.exitCode = 1;
    if (stats) {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      console.log(JSON.stringify({ ms, rssPerConnectionKiB: rssPerConnection / 1024 }));
    }
  } finally {
    server.close();
  }
}

/** Anonymous resident memory (RssAnon) after a full GC, where --expose-gc gives one. */
function residentAfterGc() {
  globalThis.gc?.();
  const status = require('node:fs').readFileSync('/proc/self/status', 'utf8');
  return 1024 * Number(/RssAnon:\s+(\d+) kB/.exec(status)[1]);
}

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const handlerIndex = args.indexOf('--handler');
const handler = handlerIndex >= 0 ? args[handlerIndex + 1] : 'run';
if (handler !== 'run' && handler !== 'async') throw new Error(`--handler run|async, not ${handler}`);
const port = option('--port');
if (port !== undefined) {
  startServer(port, handler).then((server) => console.log(`serving on 127.0.0.1:${server.address().port}`));
} else {
  demo(option('--clients') ?? 2000, handler, args.includes('--stats')).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
