// Listener addresses as operators write them: `8080`, `127.0.0.1:8080`, `[::1]:8080`, `http://…`, `https://…`.

export interface ListenAddress {
  host: string;
  port: number;
  tls: boolean;
  /** `ADDR=PORT`: the port virtual hosts are matched against (the httpd Listen port this replaces). */
  vhostPort?: number;
}

export function parseListen(text: string): ListenAddress {
  let rest = text.trim();
  let vhostPort: number | undefined;
  const eq = rest.lastIndexOf('=');
  if (eq > 0) {
    vhostPort = Number(rest.slice(eq + 1));
    if (!Number.isInteger(vhostPort) || vhostPort <= 0 || vhostPort > 65535) throw new Error(`listen address "${text}": bad vhost port after '='`);
    rest = rest.slice(0, eq);
  }
  let tls = false;
  if (rest.startsWith('https://')) {
    tls = true;
    rest = rest.slice(8);
  } else if (rest.startsWith('http://')) {
    rest = rest.slice(7);
  }
  rest = rest.replace(/\/$/, '');
  let host = '0.0.0.0';
  let portText = rest;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else if (rest.includes(':')) {
    const colon = rest.lastIndexOf(':');
    host = rest.slice(0, colon) || '0.0.0.0';
    portText = rest.slice(colon + 1);
  }
  if (host === '*') host = '0.0.0.0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listen address "${text}": expected [http://|https://]HOST:PORT or PORT`);
  }
  return vhostPort === undefined ? { host, port, tls } : { host, port, tls, vhostPort };
}
