'use strict';
// An HTTP fetcher written as plain synchronous code: wait() on fetch() and on
// the body, from a recursive crawler. Works offline: with no URL it starts a
// small site of its own on 127.0.0.1 and crawls it, following links depth
// first; with URLs it fetches each one and prints what came back.
//
//   node examples/fetch.js              crawl a site served on 127.0.0.1
//   node examples/fetch.js URL [URL...]  fetch these

const http = require('node:http');
const { run, wait } = require('..');

/** The page's status, type and text, fetched synchronously from inside run(). */
function get(url) {
  const response = wait(fetch(url));
  const text = wait(response.text());
  return { status: response.status, type: response.headers.get('content-type'), text };
}

/** Visits `url` and, depth first, every page it links to on the same site. */
function crawl(url, seen, depth) {
  if (seen.has(url)) return;
  seen.add(url);
  const page = get(url);
  const title = /<title>(.*?)<\/title>/.exec(page.text)?.[1] ?? '';
  console.log(`${'  '.repeat(depth)}${page.status} ${new URL(url).pathname} "${title}" (${page.text.length} bytes)`);
  for (const [, href] of page.text.matchAll(/href="([^"]+)"/g)) crawl(new URL(href, url).href, seen, depth + 1);
}

/** A site of a few pages that link to each other, answered after a short delay. */
function startSite() {
  const pages = {
    '/': ['Home', ['/guide', '/api', '/about']],
    '/guide': ['Guide', ['/guide/install', '/guide/first-run', '/']],
    '/guide/install': ['Installing', ['/guide']],
    '/guide/first-run': ['A first run()', ['/api', '/guide/install']],
    '/api': ['API', ['/api/run', '/api/wait']],
    '/api/run': ['run(fn)', ['/api/wait']],
    '/api/wait': ['wait(value)', ['/api/run', '/missing']],
    '/about': ['About', []],
  };
  const server = http.createServer((req, res) => {
    const page = pages[req.url];
    setTimeout(() => {
      if (!page) {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
        return;
      }
      const [title, links] = page;
      const body = `<title>${title}</title>\n${links.map((l) => `<a href="${l}">${l}</a>`).join('\n')}\n`;
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    }, 2);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const urls = process.argv.slice(2);

run(() => {
  if (urls.length > 0) {
    for (const url of urls) {
      const page = get(url);
      console.log(`${page.status} ${url} ${page.type} (${page.text.length} bytes)`);
    }
    return;
  }
  const server = wait(startSite());
  try {
    const seen = new Set();
    crawl(`http://127.0.0.1:${server.address().port}/`, seen, 0);
    console.log(`${seen.size} pages fetched`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}).catch((error) => {
  console.error(error.cause?.message ?? error.message);
  process.exitCode = 1;
});
