import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOMCAT_LIB } from './env.js';
import { readZipEntry } from './zip.js';
import type { TomcatOptions } from './types.js';

/** Everything that goes into one CATALINA_BASE's conf/. */
export type BaseConfig = Omit<TomcatOptions, 'ajpPort' | 'httpPort' | 'extraJsp' | 'startTimeoutMs'> & {
  ajpPort: number;
  httpPort?: number;
};

const CATALINA_JAR = join(TOMCAT_LIB, 'catalina.jar');

function attr(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attributes(map: Record<string, string | number | undefined>): string {
  return Object.entries(map)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `${name}="${attr(value)}"`)
    .join(' ');
}

/** Tribes wants a 16-byte id per member; the last byte tells them apart. */
function uniqueId(index: number): string {
  return `{${[...Array<number>(15).fill(0), index].join(',')}}`;
}

function clusterXml(cluster: NonNullable<BaseConfig['cluster']>): string {
  const tribes = 'org.apache.catalina.tribes';
  const members = cluster.peers
    .map((peer) => `        <Member className="${tribes}.membership.StaticMember" host="127.0.0.1" port="${peer.port}" uniqueId="${uniqueId(peer.uniqueIndex)}"/>`)
    .join('\n');
  // Static membership on loopback (no multicast); the recipe from shared/reference/tomcat-harness.md.
  return `
      <Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster" channelSendOptions="${cluster.syncReplication === true ? 6 : 8}">
        <Manager className="org.apache.catalina.ha.session.DeltaManager" expireSessionsOnShutdown="false"
                 notifyListenersOnReplication="true"/>
        <Channel className="${tribes}.group.GroupChannel">
          <Membership className="${tribes}.membership.StaticMembershipService">
            <LocalMember className="${tribes}.membership.StaticMember" uniqueId="${uniqueId(cluster.uniqueIndex)}"/>
${members}
          </Membership>
          <Receiver className="${tribes}.transport.nio.NioReceiver" address="127.0.0.1" port="${cluster.receiverPort}"
                    autoBind="0" selectorTimeout="100" maxThreads="6"/>
          <Sender className="${tribes}.transport.ReplicationTransmitter">
            <Transport className="${tribes}.transport.nio.PooledParallelSender"/>
          </Sender>
          <Interceptor className="${tribes}.group.interceptors.TcpFailureDetector"/>
          <Interceptor className="${tribes}.group.interceptors.MessageDispatchInterceptor"/>
        </Channel>
        <Valve className="org.apache.catalina.ha.tcp.ReplicationValve"
               filter=".*\\.gif|.*\\.js|.*\\.jpeg|.*\\.jpg|.*\\.png|.*\\.htm|.*\\.html|.*\\.css|.*\\.txt|.*\\.bin"/>
        <Valve className="org.apache.catalina.ha.session.JvmRouteBinderValve"/>
        <ClusterListener className="org.apache.catalina.ha.session.ClusterSessionListener"/>
      </Cluster>`;
}

export function serverXml(config: BaseConfig): string {
  const timeout = config.keepAliveTimeoutMs;
  const ajp = attributes({
    protocol: 'AJP/1.3',
    address: '127.0.0.1',
    port: config.ajpPort,
    secretRequired: config.secret === undefined ? 'false' : 'true',
    secret: config.secret,
    packetSize: config.packetSize,
    maxThreads: config.maxThreads,
    keepAliveTimeout: timeout,
    connectionTimeout: timeout,
    ...config.ajpConnectorAttributes,
  });
  // HTTP comes first: connectors start in document order, so an AJP CPong implies HTTP is up too.
  const http = config.httpPort === undefined ? '' :
    `    <Connector protocol="HTTP/1.1" address="127.0.0.1" port="${config.httpPort}" connectionTimeout="20000"/>\n`;
  // port="-1": no shutdown port; the harness stops Tomcat with SIGTERM to its recorded PID.
  return `<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Listener className="org.apache.catalina.startup.VersionLoggerListener"/>
  <Service name="Catalina">
${http}    <Connector ${ajp}/>
    <Engine name="Catalina" defaultHost="localhost"${config.jvmRoute === undefined ? '' : ` jvmRoute="${attr(config.jvmRoute)}"`}>${config.cluster === undefined ? '' : clusterXml(config.cluster)}
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" deployOnStartup="true"/>
    </Engine>
  </Service>
</Server>
`;
}

let mimeMappings: string | undefined;

function mimeMappingXml(): string {
  mimeMappings ??= readZipEntry(CATALINA_JAR, 'org/apache/catalina/startup/MimeTypeMappings.properties')
    .toString('utf8')
    .split('\n')
    .map((line) => /^\s*([^#=\s]+)\s*=\s*(\S+)\s*$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `  <mime-mapping><extension>${match[1]}</extension><mime-type>${match[2]}</mime-type></mime-mapping>`)
    .join('\n');
  return mimeMappings;
}

function webXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet>
    <servlet-name>default</servlet-name>
    <servlet-class>org.apache.catalina.servlets.DefaultServlet</servlet-class>
    <init-param><param-name>listings</param-name><param-value>false</param-value></init-param>
    <load-on-startup>1</load-on-startup>
  </servlet>
  <servlet>
    <servlet-name>jsp</servlet-name>
    <servlet-class>org.apache.jasper.servlet.JspServlet</servlet-class>
    <init-param><param-name>fork</param-name><param-value>false</param-value></init-param>
    <init-param><param-name>xpoweredBy</param-name><param-value>false</param-value></init-param>
    <load-on-startup>3</load-on-startup>
  </servlet>
  <servlet-mapping><servlet-name>default</servlet-name><url-pattern>/</url-pattern></servlet-mapping>
  <servlet-mapping>
    <servlet-name>jsp</servlet-name><url-pattern>*.jsp</url-pattern><url-pattern>*.jspx</url-pattern>
  </servlet-mapping>
  <session-config><session-timeout>30</session-timeout></session-config>
${mimeMappingXml()}
  <welcome-file-list>
    <welcome-file>index.html</welcome-file><welcome-file>index.htm</welcome-file><welcome-file>index.jsp</welcome-file>
  </welcome-file-list>
</web-app>
`;
}

function contextXml(clustered: boolean): string {
  // No classpath jar scanning (nothing there needs it; it costs startup time). Standalone nodes do not persist
  // sessions across restarts; a clustered node must not get a Manager here or DeltaManager is never created.
  return `<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <WatchedResource>WEB-INF/web.xml</WatchedResource>
  <JarScanner scanClassPath="false" scanManifest="false"/>${clustered ? '' : '\n  <Manager pathname=""/>'}
</Context>
`;
}

const LOGGING_PROPERTIES = `handlers = java.util.logging.ConsoleHandler
.handlers = java.util.logging.ConsoleHandler
.level = INFO
java.util.logging.ConsoleHandler.level = FINE
java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter
java.util.logging.ConsoleHandler.encoding = UTF-8
`;

/** Writes conf/ and the empty directories of a CATALINA_BASE. */
export function writeBase(base: string, config: BaseConfig): void {
  for (const dir of ['conf', 'logs', 'work', 'temp', 'webapps']) mkdirSync(join(base, dir), { recursive: true });
  writeFileSync(join(base, 'conf', 'server.xml'), serverXml(config));
  writeFileSync(join(base, 'conf', 'web.xml'), webXml());
  writeFileSync(join(base, 'conf', 'context.xml'), contextXml(config.cluster !== undefined));
  writeFileSync(join(base, 'conf', 'logging.properties'), LOGGING_PROPERTIES);
  writeFileSync(
    join(base, 'conf', 'catalina.properties'),
    readZipEntry(CATALINA_JAR, 'org/apache/catalina/startup/catalina.properties'),
  );
}
