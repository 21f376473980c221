/** What tests pass to startTomcat/startCluster and get back. */
export interface TomcatOptions {
  /** Engine jvmRoute. */
  jvmRoute?: string;
  /** 0/undefined = pick a free loopback port. */
  ajpPort?: number;
  /** HTTP/1.1 connector on 127.0.0.1 (free port when undefined/0); false = none. */
  httpPort?: number | false;
  /** AJP connector secret (secretRequired=true); undefined => secretRequired="false". */
  secret?: string;
  /** AJP connector packetSize (e.g. 65536). */
  packetSize?: number;
  /** AJP connector maxThreads. */
  maxThreads?: number;
  /** AJP connector keepAliveTimeout and connectionTimeout. */
  keepAliveTimeoutMs?: number;
  /** Any other AJP connector attributes, e.g. { tomcatAuthentication: 'false' }; they win over the above. */
  ajpConnectorAttributes?: Record<string, string>;
  /**
   * DeltaManager over static membership on 127.0.0.1 (no multicast). `syncReplication`: channelSendOptions 6
   * (the peer acknowledges after applying the change) instead of the seeds' 8 (asynchronous), so a response
   * leaves only once its session change is on every node.
   */
  cluster?: { receiverPort: number; peers: { port: number; uniqueIndex: number }[]; uniqueIndex: number; syncReplication?: boolean };
  /** Additional files for the ROOT webapp, path -> content. */
  extraJsp?: Record<string, string>;
  /** How long start/restart may take before failing with catalina.out's tail; default 60 s. */
  startTimeoutMs?: number;
}

export interface TomcatHandle {
  ajpPort: number;
  httpPort?: number;
  pid: number;
  base: string;
  jvmRoute?: string;
  /** Graceful (SIGTERM, Tomcat's shutdown hook), SIGKILL after a deadline; removes the base. Idempotent. */
  stop(): Promise<void>;
  /** Sends the signal (default SIGKILL) and resolves when the process is dead (a zombie counts as dead). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(): void;
  resume(): void;
  /** Starts again on the same ports and base (stopping first if still running) and waits until ready. */
  restart(): Promise<void>;
  /** catalina.out, for diagnostics. */
  log(): Promise<string>;
  /** Milliseconds from spawn to ready on the last start/restart. */
  readonly startMs: number;
}
