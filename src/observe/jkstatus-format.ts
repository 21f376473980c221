// mod_jk's status worker output for scripts, in its three machine formats (mime=txt, prop, xml), written the
// way jk_status.c writes them: line order, key names, which txt values are quoted, and the quirks scripts
// may have learned to parse (every lb member is announced as `worker.<lb>.balance_workers=<member>`, and its
// last_reset keys are printed under the lb's name). Pure: a JkDoc in, a string out.

/** [key, value, quoted in txt output] */
export type JkAtt = readonly [string, string | number, boolean?];

export interface JkMap {
  atts: JkAtt[];
}

export interface JkMember {
  name: string;
  atts: JkAtt[];
  /** last_reset_at / last_reset_ago: printed after the member, under the lb's name in prop. */
  reset: JkAtt[];
}

export interface JkBalancer {
  name: string;
  atts: JkAtt[];
  members: JkMember[];
  maps: JkMap[];
}

export interface JkAjp {
  name: string;
  atts: JkAtt[];
  maps: JkMap[];
}

export interface JkDoc {
  server?: { name: string; port: number } | undefined;
  time?: { datetime: string; tz: string; unix: number } | undefined;
  software?: { webServer: string; jkVersion: string } | undefined;
  /** list: with the count lines; show: only the one worker asked for. */
  counts: boolean;
  balancers: JkBalancer[];
  ajps: JkAjp[];
  result: { ok: boolean; message: string };
}

export type JkMime = 'txt' | 'prop' | 'xml';

export const JK_CONTENT_TYPE: Record<JkMime, string> = { txt: 'text/plain', prop: 'text/plain', xml: 'text/xml' };

export function renderJkStatus(doc: JkDoc, mime: JkMime): string {
  if (mime === 'txt') return renderTxt(doc);
  if (mime === 'prop') return renderProp(doc);
  return renderXml(doc);
}

function txtAtts(atts: readonly JkAtt[]): string {
  let out = '';
  for (const [k, v, quoted] of atts) out += quoted === true ? ` ${k}="${v}"` : ` ${k}=${v}`;
  return out;
}

function renderTxt(doc: JkDoc): string {
  const lines: string[] = [];
  if (doc.server !== undefined) lines.push(`Server: name=${doc.server.name} port=${doc.server.port}`);
  if (doc.time !== undefined) lines.push(`Time: datetime=${doc.time.datetime} tz=${doc.time.tz} unix=${doc.time.unix}`);
  if (doc.software !== undefined) lines.push(`Software: web_server="${doc.software.webServer}" jk_version=${doc.software.jkVersion}`);
  if (doc.counts && doc.balancers.length > 0) lines.push(`Balancer Workers: count=${doc.balancers.length}`);
  for (const lb of doc.balancers) {
    lines.push(`Balancer Worker: name=${lb.name}${txtAtts(lb.atts)}`);
    for (const m of lb.members) lines.push(`Member: name=${m.name}${txtAtts(m.atts)}${txtAtts(m.reset)}`);
    for (const map of lb.maps) lines.push(`Map:${txtAtts(map.atts)}`);
  }
  if (doc.counts && doc.ajps.length > 0) lines.push(`AJP Workers: count=${doc.ajps.length}`);
  for (const w of doc.ajps) {
    lines.push(`AJP Worker: name=${w.name}${txtAtts(w.atts)}`);
    for (const map of w.maps) lines.push(`Map:${txtAtts(map.atts)}`);
  }
  lines.push(`Result: type=${doc.result.ok ? 'OK' : 'ERROR'} message="${doc.result.message}"`);
  return lines.join('\n') + '\n';
}

function renderProp(doc: JkDoc): string {
  const lines: string[] = [];
  const put = (key: string, value: string | number): void => {
    lines.push(`worker.${key}=${value}`);
  };
  const maps = (owner: string, list: readonly JkMap[]): void => {
    list.forEach((map, i) => {
      for (const [k, v] of map.atts) if (k !== 'id') put(`${owner}.map.${i + 1}.${k}`, v);
    });
  };
  if (doc.server !== undefined) {
    put('server_name', doc.server.name);
    put('server_port', doc.server.port);
  }
  if (doc.time !== undefined) {
    put('time_datetime', doc.time.datetime);
    put('time_tz', doc.time.tz);
    put('time_unix', doc.time.unix);
  }
  if (doc.software !== undefined) {
    put('web_server', doc.software.webServer);
    put('jk_version', doc.software.jkVersion);
  }
  if (doc.counts && doc.balancers.length > 0) put('lb_count', doc.balancers.length);
  for (const lb of doc.balancers) {
    put('list', lb.name);
    for (const [k, v] of lb.atts) put(`${lb.name}.${k}`, v);
    for (const m of lb.members) {
      put(`${lb.name}.balance_workers`, m.name);
      for (const [k, v] of m.atts) put(`${m.name}.${k}`, v);
      for (const [k, v] of m.reset) put(`${lb.name}.${k}`, v);
    }
    maps(lb.name, lb.maps);
  }
  if (doc.counts && doc.ajps.length > 0) put('ajp_count', doc.ajps.length);
  for (const w of doc.ajps) {
    put(`${w.name}.list`, w.name);
    for (const [k, v] of w.atts) put(`${w.name}.${k}`, v);
    maps(w.name, w.maps);
  }
  put('result.type', doc.result.ok ? 'OK' : 'ERROR');
  put('result.message', doc.result.message);
  return lines.join('\n') + '\n';
}

function xmlEscape(v: string | number): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlElement(lines: string[], indent: number, tag: string, atts: readonly JkAtt[], open: boolean): void {
  const pad = ' '.repeat(indent);
  lines.push(`${pad}<jk:${tag}`);
  for (const [k, v] of atts) lines.push(`${pad}  ${k}="${xmlEscape(v)}"`);
  lines.push(open ? `${pad}>` : `${pad}/>`);
}

function renderXml(doc: JkDoc): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8" ?>', '<jk:status', '  xmlns:jk="http://tomcat.apache.org">'];
  if (doc.server !== undefined) xmlElement(lines, 0, 'server', [['name', doc.server.name], ['port', doc.server.port]], false);
  if (doc.time !== undefined) xmlElement(lines, 0, 'time', [['datetime', doc.time.datetime], ['tz', doc.time.tz], ['unix', doc.time.unix]], false);
  if (doc.software !== undefined) xmlElement(lines, 0, 'software', [['web_server', doc.software.webServer], ['jk_version', doc.software.jkVersion]], false);
  const lbCount = doc.counts && doc.balancers.length > 0;
  if (lbCount) xmlElement(lines, 0, 'balancers', [['count', doc.balancers.length]], true);
  for (const lb of doc.balancers) {
    xmlElement(lines, 2, 'balancer', [['name', lb.name], ...lb.atts], true);
    for (const m of lb.members) xmlElement(lines, 6, 'member', [['name', m.name], ...m.atts, ...m.reset], false);
    for (const map of lb.maps) xmlElement(lines, 6, 'map', map.atts, false);
    lines.push('  </jk:balancer>');
  }
  if (lbCount) lines.push('</jk:balancers>');
  const ajpCount = doc.counts && doc.ajps.length > 0;
  if (ajpCount) xmlElement(lines, 0, 'ajp_workers', [['count', doc.ajps.length]], true);
  for (const w of doc.ajps) {
    // mod_jk closes an ajp element at once; its maps follow it, not inside it (a balancer holds its own).
    xmlElement(lines, 2, 'ajp', [['name', w.name], ...w.atts], false);
    for (const map of w.maps) xmlElement(lines, 6, 'map', map.atts, false);
  }
  if (ajpCount) lines.push('</jk:ajp_workers>');
  xmlElement(lines, 2, 'result', [['type', doc.result.ok ? 'OK' : 'ERROR'], ['message', doc.result.message]], false);
  lines.push('</jk:status>');
  return lines.join('\n') + '\n';
}
