import { describe, expect, it } from 'vitest';
import { nodeHasReusePort, portSharing, procsMode } from '../../../src/procs/port-sharing.js';

describe('port sharing between --procs workers', () => {
  it('knows which Node versions have listen({ reusePort })', () => {
    expect(nodeHasReusePort('v20.20.2')).toBe(false);
    expect(nodeHasReusePort('v22.11.0')).toBe(false);
    expect(nodeHasReusePort('v22.12.0')).toBe(true);
    expect(nodeHasReusePort('v23.0.0')).toBe(false);
    expect(nodeHasReusePort('v23.1.0')).toBe(true);
    expect(nodeHasReusePort('v24.0.0')).toBe(true);
  });

  it('uses SO_REUSEPORT only where the kernel spreads connections and every port is fixed', () => {
    expect(portSharing([8080, 8443], 'v22.12.0', 'linux')).toBe('reuseport');
    expect(portSharing([8080], 'v20.20.2', 'linux')).toBe('shared');
    expect(portSharing([8080], 'v24.1.0', 'darwin')).toBe('shared');
    // Port 0 would give every worker a different ephemeral port.
    expect(portSharing([8080, 0], 'v24.1.0', 'linux')).toBe('shared');
  });

  it('runs threads where each can have its own listener, processes otherwise or when asked', () => {
    expect(procsMode('auto', 'reuseport')).toBe('threads');
    expect(procsMode('auto', 'shared')).toBe('processes');
    expect(procsMode('processes', 'reuseport')).toBe('processes');
    expect(procsMode('threads', 'reuseport')).toBe('threads');
    expect(() => procsMode('threads', 'shared', 'v20.20.2')).toThrow(/Node >= 22\.12.*v20\.20\.2.*--procs-mode processes/);
    expect(() => procsMode('fibers', 'reuseport')).toThrow(/auto, threads or processes/);
  });
});
