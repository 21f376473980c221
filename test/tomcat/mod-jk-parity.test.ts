// The same bytes sent through Apache httpd + mod_jk and through ajplb, with the same workers.properties, to one
// real Tomcat: what the servlet sees (/echo) and what the client gets back must match, field for field, apart
// from what cannot be the same (the fronts' ports, the clients' source ports, the Server/Date headers, and how
// a body is framed). Operators judge ajplb by exactly this comparison.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTomcat, type TomcatHandle } from './harness/index.js';
import { freePorts } from './harness/net.js';
import { describeModJk, startParityFronts, type ParityFronts } from './mod-jk-env.js';
import { exchangeRaw, req, withBody, type RawResponse } from './raw-http.js';

interface Case {
  name: string;
  /** The request as sent, `PORT` replaced by the front's port. */
  request: string;
  /** Compare the servlet's view of the request (/echo JSON) instead of the body bytes. */
  echo?: boolean;
  /** Answered by the front itself: only the status can match (each front has its own error page). */
  statusOnly?: boolean;
}

const CRLF = '\r\n';

const CASES: Case[] = [
  { name: 'query with escapes', echo: true, request: req('GET /echo?a=1&b=%20x&c=%C3%A9&d=a+b HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'Host with a port', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com:8080', 'Connection: close') },
  { name: 'HTTP/1.0 without Host', echo: true, request: req('GET /echo?v=10 HTTP/1.0') },
  {
    name: 'repeated, empty and padded headers', echo: true,
    request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'X-Multi: a', 'x-multi: b', 'X-Empty:', 'X-Padded:   padded   ',
      'Accept-Language: ko-KR,ko;q=0.9', 'User-Agent: parity/1.0', 'X-Forwarded-For: 10.0.0.1', 'Connection: close'),
  },
  { name: 'cookies with a session id', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: a=1; JSESSIONID=ABC.was1; b=2', 'Connection: close') },
  { name: 'path parameter session id', echo: true, request: req('GET /echo;jsessionid=ABC.was1?x=1 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'escaped path', echo: true, request: req('GET /echo/%7Euser/a%20b/%C3%A9 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'encoded slash', statusOnly: true, request: req('GET /echo/a%2Fb HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'fragment in the request target', statusOnly: true, request: req('GET /echo?a=1#frag HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'encoded NUL', statusOnly: true, request: req('GET /echo/a%00b HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'malformed escape after an encoded slash', statusOnly: true, request: req('GET /echo/a%2Fb/%zz HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'characters httpd re-encodes, nothing to decode', echo: true, request: req('GET /echo/<a>{b}`c"d|e^f HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'dot segments', echo: true, request: req('GET /x/../echo/./y HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  {
    name: 'form POST read as parameters', echo: true,
    request: withBody(['POST /echo?param=name HTTP/1.1', 'Host: a-site.com', 'Content-Type: application/x-www-form-urlencoded',
      'Content-Length: 18', 'Connection: close'], 'name=J%C3%B6rg&x=1'),
  },
  {
    name: 'chunked POST', echo: true,
    request: withBody(['POST /echo HTTP/1.1', 'Host: a-site.com', 'Content-Type: text/plain; charset=ISO-8859-1',
      'Transfer-Encoding: chunked', 'Connection: close'], `5${CRLF}hello${CRLF}7${CRLF}, world${CRLF}0${CRLF}${CRLF}`),
  },
  {
    name: 'POST with Expect: 100-continue', echo: true,
    request: withBody(['POST /echo HTTP/1.1', 'Host: a-site.com', 'Expect: 100-continue', 'Content-Length: 4', 'Connection: close'], 'ping'),
  },
  { name: 'empty query', echo: true, request: req('GET /echo? HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'a 6 KB cookie', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', `Cookie: big=${'x'.repeat(6000)}`, 'Connection: close') },
  { name: 'an empty POST', echo: true, request: withBody(['POST /echo HTTP/1.1', 'Host: a-site.com', 'Content-Length: 0', 'Connection: close'], '') },
  { name: 'OPTIONS *', statusOnly: true, request: req('OPTIONS * HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'absolute-form request target', echo: true, request: req('GET http://a-site.com/echo?x=1 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'Host in capitals', echo: true, request: req('GET /echo HTTP/1.1', 'Host: A-Site.COM', 'Connection: close') },
  { name: 'IPv6 literal Host', echo: true, request: req('GET /echo HTTP/1.1', 'Host: [::1]:8080', 'Connection: close') },
  { name: 'two Cookie headers', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: a=1', 'Cookie: JSESSIONID=ABC.was1', 'Connection: close') },
  { name: 'underscore in a header name', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'X_Under_Score: 1', 'Connection: close') },
  { name: 'non-ASCII bytes in a header value', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'X-Name: \xc3\xa9\xea\xb0\x80', 'Connection: close') },
  { name: 'a body on DELETE', echo: true, request: withBody(['DELETE /echo HTTP/1.1', 'Host: a-site.com', 'Content-Length: 3', 'Connection: close'], 'abc') },
  { name: 'a 9 KB header line', statusOnly: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', `X-Big: ${'y'.repeat(9000)}`, 'Connection: close') },
  { name: 'a 9 KB request line', statusOnly: true, request: req(`GET /echo?q=${'z'.repeat(9000)} HTTP/1.1`, 'Host: a-site.com', 'Connection: close') },
  { name: 'a 7 KB query', echo: true, request: req(`GET /echo?q=${'z'.repeat(7000)} HTTP/1.1`, 'Host: a-site.com', 'Connection: close') },
  { name: 'HEAD', request: req('HEAD /echo HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'OPTIONS', echo: true, request: req('OPTIONS /echo HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'WebDAV method', echo: true, request: req('PROPFIND /echo HTTP/1.1', 'Host: a-site.com', 'Depth: 0', 'Connection: close') },
  { name: 'Basic credentials', echo: true, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Authorization: Basic dXNlcjpwYXNz', 'Connection: close') },
  { name: 'a 404 from Tomcat', request: req('GET /status?code=404 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'a 204 from Tomcat', request: req('GET /status?code=204 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'a 304 from Tomcat', request: req('GET /status?code=304 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  {
    name: 'a 304 with validators and cache headers',
    request: req(`GET /status?code=304&h=ETag:%22v1%22&h=Last-Modified:Mon,%2007%20Dec%202026%2010:00:00%20GMT&h=Cache-Control:max-age=60&h=Expires:Mon,%2007%20Dec%202026%2011:00:00%20GMT&h=Vary:Accept&h=X-Custom:1&h=Content-Language:ko HTTP/1.1`, 'Host: a-site.com', 'Connection: close'),
  },
  { name: 'a 500 from Tomcat', request: req('GET /status?code=500 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'a response header repeated', request: req('GET /status?code=200&h=X-A:1&h=X-A:2&h=Vary:Accept&h=Vary:Cookie HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'fifty response headers', request: req('GET /headers-many?n=50 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'three Set-Cookie headers', request: req('GET /cookies?n=3 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'streamed body of unknown length', request: req('GET /bytes?size=100000 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  { name: 'body with Content-Length', request: req('GET /bytes?size=100000&cl=1 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
];

/** Response headers each front sets on its own (who it is, when, and how the body is framed on this connection). */
const FRONT_HEADERS = new Set(['date', 'server', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * httpd rewrites every Vary into one field of unique, comma-joined names ("Accept,Cookie"); ajplb passes the
 * fields on as Tomcat wrote them. A cache reads both the same way, so Vary compares as a set of names.
 */
function varyNames(values: string[]): string[] {
  return [...new Set(values.flatMap((v) => v.split(',')).map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))].sort();
}

function answerOf(res: RawResponse): Record<string, unknown> {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of res.headers) {
    if (!FRONT_HEADERS.has(name)) headers[name] = name === 'vary' ? varyNames(values) : values;
  }
  return { status: res.status, headers, bodyLength: res.body.length, body: res.body.toString('latin1') };
}

/** The servlet's view, minus what differs by nature between two fronts on two ports. */
function echoOf(res: RawResponse, frontPort: number): Record<string, unknown> {
  expect(res.status, res.body.toString()).toBe(200);
  const j = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  delete j['remotePort'];
  const attributes = { ...(j['attributes'] as Record<string, unknown>) };
  delete attributes['AJP_REMOTE_PORT'];
  j['attributes'] = attributes;
  j['attributeNames'] = [...(j['attributeNames'] as string[])].sort();
  if (j['serverPort'] === frontPort) j['serverPort'] = 'front port';
  return j;
}

/** Where ajplb answers differently on purpose (docs/config-differences.md says why): status via mod_jk, via ajplb. */
const KNOWN_DIFFERENCES: { name: string; request: string; modJk: number; ajplb: number }[] = [
  // Node's HTTP parser refuses bytes above 0x7F in the request target; httpd passes them on. Clients that follow
  // RFC 3986 (every browser) percent-encode them.
  { name: 'raw UTF-8 bytes in the query', modJk: 200, ajplb: 400, request: req('GET /echo?name=\xc3\xa9 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
  // Over LimitRequestFields (100): httpd says 400, ajplb 431, the code RFC 6585 made for it.
  { name: '120 header fields', modJk: 400, ajplb: 431, request: req('GET /echo HTTP/1.1', 'Host: a-site.com', ...Array.from({ length: 120 }, (_, i) => `X-F${i}: ${i}`), 'Connection: close') },
  // httpd (TraceEnable On by default) echoes a TRACE, cookies and credentials included; ajplb forwards it and
  // Tomcat refuses it (allowTrace=false), which is what hardening guides make httpd do.
  { name: 'TRACE', modJk: 200, ajplb: 405, request: req('TRACE /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: JSESSIONID=secret', 'Connection: close') },
];

describeModJk('ajplb and Apache + mod_jk, same workers.properties, same Tomcat', () => {
  let tomcat: TomcatHandle;
  let fronts: ParityFronts;

  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'was1', httpPort: false });
    // Both members on the one Tomcat: every request lands there whichever member either front picks.
    fronts = await startParityFronts([tomcat.ajpPort, tomcat.ajpPort], [tomcat.pid]);
  }, 120_000);

  afterAll(async () => {
    await fronts?.stop();
    await tomcat?.stop();
  });

  for (const d of KNOWN_DIFFERENCES) {
    it(`differs on purpose: ${d.name}`, async () => {
      expect((await exchangeRaw(fronts.modJkPort, d.request)).status).toBe(d.modJk);
      expect((await exchangeRaw(fronts.ajplbPort, d.request)).status).toBe(d.ajplb);
    });
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const viaModJk = await exchangeRaw(fronts.modJkPort, c.request);
      const viaAjplb = await exchangeRaw(fronts.ajplbPort, c.request);
      if (c.echo) {
        expect(echoOf(viaAjplb, fronts.ajplbPort)).toEqual(echoOf(viaModJk, fronts.modJkPort));
        expect(viaAjplb.headers.get('x-route')).toEqual(viaModJk.headers.get('x-route'));
      } else if (c.statusOnly) {
        expect(viaAjplb.status).toBe(viaModJk.status);
      } else {
        expect(answerOf(viaAjplb)).toEqual(answerOf(viaModJk));
      }
    });
  }
});

describeModJk('ajplb and Apache + mod_jk with no Tomcat listening', () => {
  let fronts: ParityFronts;

  beforeAll(async () => {
    // A port that was free a moment ago: connecting to it is refused, as to a Tomcat that is down.
    const [closed] = (await freePorts(1)) as [number];
    fronts = await startParityFronts([closed, closed], []);
  }, 120_000);

  afterAll(async () => {
    await fronts?.stop();
  });

  it('answers the same status, for the first request and once the members are marked in error', async () => {
    const request = req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Connection: close');
    for (let i = 0; i < 2; i++) {
      const viaModJk = await exchangeRaw(fronts.modJkPort, request);
      const viaAjplb = await exchangeRaw(fronts.ajplbPort, request);
      expect(viaModJk.status).toBe(503);
      expect(viaAjplb.status, `request ${i + 1}`).toBe(viaModJk.status);
    }
  });
});
