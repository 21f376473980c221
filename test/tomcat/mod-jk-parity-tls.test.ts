// HTTPS through Apache httpd + mod_ssl + mod_jk (configured as mod_jk's docs say: SSLOptions +StdEnvVars
// +ExportCertData) and through ajplb's TLS listener, same certificates, same Tomcat: what the servlet learns
// about the connection (isSecure, scheme, port, cipher, key size, client certificate) must match.

import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { APACHE_BIN, MODULES, modJkConf, workersProperties } from '../../bench/apache.js';
import { spawnTracked, stopTracked, waitFor } from '../../bench/procs.js';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { startTomcat, type TomcatHandle } from './harness/index.js';
import { freePorts } from './harness/net.js';
import { describeModJk, modJkAvailable } from './mod-jk-env.js';
import { exchangeRaw, type RawResponse } from './raw-http.js';

function selfSigned(dir: string, cn: string): { cert: Buffer; key: Buffer; certFile: string; keyFile: string } {
  const keyFile = join(dir, `${cn}.key`);
  const certFile = join(dir, `${cn}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}

function tlsAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describeModJk('HTTPS: ajplb and Apache + mod_ssl + mod_jk, same certificates, same Tomcat', () => {
  let tomcat: TomcatHandle;
  let apache: ChildProcess | undefined;
  let daemon: Daemon;
  let dir: string;
  let apachePort = 0;
  let ajplbPort = 0;
  let client: { cert: Buffer; key: Buffer };

  beforeAll(async () => {
    const available = modJkAvailable();
    if (!available.ok) throw new Error(available.reason);
    tomcat = await startTomcat({ jvmRoute: 'was1', httpPort: false });
    const backend = { ajpPorts: [tomcat.ajpPort, tomcat.ajpPort] as [number, number] };
    dir = mkdtempSync(join(tmpdir(), 'ajplb-parity-tls-'));
    const server = selfSigned(dir, 'localhost');
    client = selfSigned(dir, 'client');
    [apachePort] = (await freePorts(1)) as [number];
    writeFileSync(join(dir, 'workers.properties'), workersProperties(backend));
    const conf = join(dir, 'httpd.conf');
    writeFileSync(conf, `${modJkConf(dir, apachePort)}
LoadModule ssl_module ${MODULES}/mod_ssl.so
LoadModule socache_shmcb_module ${MODULES}/mod_socache_shmcb.so
SSLSessionCache "shmcb:${dir}/ssl_scache(512000)"
SSLEngine on
SSLCertificateFile "${server.certFile}"
SSLCertificateKeyFile "${server.keyFile}"
SSLVerifyClient optional_no_ca
SSLOptions +StdEnvVars +ExportCertData
`);
    // The children run as www-data when we are root: they must read the key.
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    const log = openSync(join(dir, 'httpd.out'), 'a');
    try {
      apache = spawnTracked(APACHE_BIN, ['-d', dir, '-f', conf, '-DFOREGROUND'], { cwd: dir, stdio: ['ignore', log, log], env: { PATH: process.env['PATH'] ?? '/usr/bin', LANG: 'C' } });
    } finally {
      closeSync(log);
    }
    const started = apache;
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`Apache exited: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      return tlsAnswers(apachePort);
    }, 20_000, `Apache with TLS on ${apachePort}`, 50);

    const config = loadConfig({ workerProperties: workersProperties(backend).split('\n'), mountArgs: ['/*=lb'] });
    daemon = await startDaemon({ config, listen: [{ host: '127.0.0.1', port: 0, tls: { cert: server.cert, key: server.key, requestCert: true } }] });
    ajplbPort = (daemon.addresses[0] as AddressInfo).port;
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop(1000);
    if (apache) await stopTracked(apache, 'SIGTERM', 10_000);
    await tomcat?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The servlet's view of a TLS connection; the session id differs by connection, so only its length counts. */
  function tlsView(res: RawResponse): Record<string, unknown> {
    expect(res.status, res.body.toString()).toBe(200);
    const j = JSON.parse(res.body.toString('utf8')) as Record<string, any>;
    const attributes = j['attributes'] as Record<string, string>;
    return {
      isSecure: j['isSecure'], scheme: j['scheme'], serverName: j['serverName'], serverPort: j['serverPort'],
      localPort: j['localPort'], certificates: j['certificates'],
      cipherSuite: attributes['jakarta.servlet.request.cipher_suite'],
      keySize: attributes['jakarta.servlet.request.key_size'],
      sslSessionLength: attributes['jakarta.servlet.request.ssl_session_id']?.length ?? 0,
      protocol: attributes['AJP_SSL_PROTOCOL'] ?? null,
    };
  }

  const request = 'GET /echo HTTP/1.1\r\nHost: a-site.com\r\nConnection: close\r\n\r\n';

  it('with a client certificate', async () => {
    const tls = { cert: client.cert, key: client.key };
    const viaModJk = tlsView(await exchangeRaw(apachePort, request, tls));
    expect(viaModJk).toMatchObject({ isSecure: true, scheme: 'https', serverPort: 443, certificates: ['CN=client'] });
    expect(tlsView(await exchangeRaw(ajplbPort, request, tls))).toEqual(viaModJk);
  });

  it('without one, and over TLS 1.2', async () => {
    for (const tls of [{}, { maxVersion: 'TLSv1.2' as const }]) {
      const viaModJk = tlsView(await exchangeRaw(apachePort, request, tls));
      expect(viaModJk).toMatchObject({ isSecure: true, certificates: [] });
      expect(tlsView(await exchangeRaw(ajplbPort, request, tls)), JSON.stringify(tls)).toEqual(viaModJk);
    }
  });
});
