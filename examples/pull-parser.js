'use strict';
// A pull parser over a stream: a recursive-descent parser for arithmetic
// that pulls its tokens synchronously, while the tokens come from a Readable
// in chunks that split numbers and lines anywhere. When the lexer runs out of
// text it wait()s for the stream's next chunk, from however deep in the
// grammar the parser is; the parser itself has no callbacks and no awaits.
//
//   node examples/pull-parser.js [file]   (default: a built-in program, streamed
//                                          in small chunks with delays)
//
// Each statement is an expression ending in ';'; the program prints
// "<line>: <value>" for each.

const fs = require('node:fs');
const { Readable } = require('node:stream');
const { setTimeout: sleep } = require('node:timers/promises');
const { run, wait } = require('..');

/** Characters from a stream, pulled one chunk at a time. */
class Source {
  constructor(stream) {
    // Decoded here, so that a character split between two chunks is whole.
    stream.setEncoding('utf8');
    this.chunks = stream[Symbol.asyncIterator]();
    this.text = '';
    this.at = 0;
    this.line = 1;
    this.ended = false;
  }
  /** The next character without taking it ('' at the end). */
  peek() {
    while (this.at === this.text.length && !this.ended) {
      const { value, done } = wait(this.chunks.next());
      if (done) this.ended = true;
      else {
        this.text = value;
        this.at = 0;
      }
    }
    return this.ended && this.at === this.text.length ? '' : this.text[this.at];
  }
  take() {
    const c = this.peek();
    this.at++;
    if (c === '\n') this.line++;
    return c;
  }
}

/** Tokens: numbers, operators, parentheses, ';', and { type: 'end' }. */
class Lexer {
  constructor(source) {
    this.source = source;
    this.ahead = undefined;
  }
  peek() {
    return (this.ahead ??= this.read());
  }
  next() {
    const token = this.peek();
    this.ahead = undefined;
    return token;
  }
  read() {
    const s = this.source;
    while (/\s/.test(s.peek())) s.take();
    const line = s.line;
    const c = s.peek();
    if (c === '') return { type: 'end', line };
    if (/[0-9.]/.test(c)) {
      let digits = '';
      while (/[0-9.]/.test(s.peek())) digits += s.take();
      return { type: 'number', value: Number(digits), line };
    }
    if ('+-*/();'.includes(c)) return { type: s.take(), line };
    throw new SyntaxError(`line ${line}: unexpected character ${JSON.stringify(c)}`);
  }
}

// expression := term (('+' | '-') term)*
// term       := factor (('*' | '/') factor)*
// factor     := number | '-' factor | '(' expression ')'
function expression(lexer) {
  let value = term(lexer);
  while (lexer.peek().type === '+' || lexer.peek().type === '-') {
    value = lexer.next().type === '+' ? value + term(lexer) : value - term(lexer);
  }
  return value;
}
function term(lexer) {
  let value = factor(lexer);
  while (lexer.peek().type === '*' || lexer.peek().type === '/') {
    value = lexer.next().type === '*' ? value * factor(lexer) : value / factor(lexer);
  }
  return value;
}
function factor(lexer) {
  const token = lexer.next();
  if (token.type === 'number') return token.value;
  if (token.type === '-') return -factor(lexer);
  if (token.type === '(') {
    const value = expression(lexer);
    expect(lexer, ')');
    return value;
  }
  throw new SyntaxError(`line ${token.line}: unexpected ${token.type}`);
}
function expect(lexer, type) {
  const token = lexer.next();
  if (token.type !== type) throw new SyntaxError(`line ${token.line}: expected '${type}', got ${token.type}`);
}

function program(lexer) {
  let count = 0;
  while (lexer.peek().type !== 'end') {
    const line = lexer.peek().line;
    const value = expression(lexer);
    expect(lexer, ';');
    console.log(`${line}: ${value}`);
    count++;
  }
  return count;
}

/** The built-in program, in chunks of 1 to 7 characters, each after a short delay. */
function builtIn() {
  const deep = 300;
  const text = [
    '1 + 2 * 3;',
    '(1 + 2) * 3;',
    '-(4 - 10) / 3;',
    '12.5 * 4 - 0.5;',
    // Nested 300 parentheses deep: the parser recurses as deep to read it.
    `${'('.repeat(deep)}1${' + 1)'.repeat(deep)};`,
    '2 * (3 + 4) * (5 - -1);',
  ].join('\n');
  return Readable.from((async function* chunks() {
    let seed = 7;
    for (let at = 0; at < text.length;) {
      seed = (seed * 48271) % 2147483647;
      const size = 1 + (seed % 7);
      await sleep(seed % 2);
      yield text.slice(at, at + size);
      at += size;
    }
  })(), { objectMode: false });
}

const file = process.argv[2];
const stream = file ? fs.createReadStream(file) : builtIn();

run(() => {
  const count = program(new Lexer(new Source(stream)));
  console.log(`${count} statements`);
}).catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
