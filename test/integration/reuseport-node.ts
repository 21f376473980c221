// The Node that runs the tests of what needs SO_REUSEPORT listeners (Node >= 22.12): --procs threads and the
// front's several acceptors; also where Node 22's garbage collector is measured. The machines run Node 20:
// scripts/test fetches one (scripts/node-reuseport) and passes its path here.

import { nodeHasReusePort } from '../../src/procs/port-sharing.js';

export function reuseportNode(): string {
  const given = process.env['AJPLB_REUSEPORT_NODE'];
  if (given !== undefined && given !== '') return given;
  if (nodeHasReusePort(process.version)) return process.execPath;
  // A failure, not a skip: without it the threads kind of --procs would go untested.
  throw new Error(`SO_REUSEPORT listeners need Node >= 22.12 and this is ${process.version}: run the tests through scripts/test, `
    + 'which fetches one, or set AJPLB_REUSEPORT_NODE to one');
}
