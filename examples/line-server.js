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

const net = require('node:net');
const { run, wait, report } = require('..');

/** Lines from a socket, read synchronously inside run(): null at its end. */
function lineReader(socket) {
  const chunks = socket[Symbol.asyncIterator]();
  let buffered = '';
  return () => {
    for (;;) {
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        return line;
      }
      const { value, done } = wait(chunks.next());
      if (done) return null;
      buffered += value.toString('utf8');
    }
  };
}

/** One connection, from its first line to "quit" or its end. */
function serve(socket) {
  const readLine = lineReader(socket);
  let total = 0;
  for (let line; (line = readLine()) !== null;) {
    const [command, argument] = line.split(' ');
    if (command === 'quit') break;
    if (command === 'add' && Number.isFinite(Number(argument))) {
      total += Number(argument);
      socket.write(`${total}\n`);
    } else {
      socket.write(`error: ${JSON.stringify(line)}\n`);
    }
  }
  socket.end();
}

function startServer(port) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {}); // a client that resets; its run() ends with the stream
    run(() => serve(socket)).catch((error) => console.error(error));
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

async function demo(count) {
  const server = await startServer(0);
  const { port } = server.address();
  try {
    // Connected in batches, so that the listen backlog never overflows.
    const clients = [];
    for (let i = 0; i < count; i += 500) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => connect(port)))));
    }
    const steps = [(i) => i, () => 1, (i) => 2 * i];
    let wrong = 0;
    let waiting = 0;
    for (const [round, step] of steps.entries()) {
      const answers = await Promise.all(clients.map((client, i) => ask(client, `add ${step(i)}`)));
      answers.forEach((answer, i) => {
        const expected = steps.slice(0, round + 1).reduce((sum, s) => sum + s(i), 0);
        if (answer !== String(expected)) wrong++;
      });
      // Every connection's handler is now back in readLine(), waiting.
      if (round === 0) waiting = report().suspended;
    }
    const closed = clients.map((client) => new Promise((resolve) => client.on('close', resolve)));
    for (const client of clients) client.end('quit\n');
    await Promise.all(closed);
    console.log(`${count} connections open at once, ${waiting} handlers waiting in readLine()`);
    console.log(`${count * steps.length} lines answered, ${wrong} wrong`);
    if (wrong !== 0) process.exitCode = 1;
  } finally {
    server.close();
  }
}

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const port = option('--port');
if (port !== undefined) {
  startServer(port).then((server) => console.log(`serving on 127.0.0.1:${server.address().port}`));
} else {
  demo(option('--clients') ?? 2000).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
