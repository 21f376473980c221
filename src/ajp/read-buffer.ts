// The buffer an AJP socket reads into, reused from read to read (see the comment on READ_BUFFER_SIZE).

/** Takes the bytes of one read, synchronously; they may be overwritten by the next read unless retired. */
export interface ChunkReader {
  onChunk(chunk: Buffer): void;
}

/**
 * Node would read every chunk into a fresh 64 KiB buffer; glibc hands such short-lived blocks back to the
 * kernel and takes them again, so each read of a large download page-faulted its buffer in anew (reusing one
 * halved ajplb's CPU per 1 MiB response). A connection instead keeps one buffer and reads into it again as long
 * as the sink says the last read's chunks were written through. It starts small (most responses fit) and grows
 * to Node's read size the first time a read fills it.
 */
const READ_BUFFER_SIZE = 64 * 1024;
const FIRST_READ_BUFFER_SIZE = 16 * 1024;

/** The socket's onread hooks, made before the connection exists (onread is fixed when the socket is made). */
export class ReadTarget {
  /** Where the socket's next read goes: Node asks (nextBuffer) after every read. */
  buffer: Buffer = Buffer.allocUnsafeSlow(FIRST_READ_BUFFER_SIZE);
  /** Who handles the bytes; set once the connection exists. */
  conn: ChunkReader | null = null;
  readonly nextBuffer = (): Buffer => this.buffer;
  readonly onRead = (nread: number, into: Uint8Array): boolean => {
    this.conn?.onChunk((into as Buffer).subarray(0, nread));
    if (nread === into.length && this.buffer.length < READ_BUFFER_SIZE) this.buffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    return true; // backpressure pauses the socket itself (AjpConnection.onBody)
  };

  /** The last read's bytes are still referenced: leave them be, read on into a new buffer. */
  retire(): void {
    this.buffer = Buffer.allocUnsafeSlow(this.buffer.length);
  }
}
