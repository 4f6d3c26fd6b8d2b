// Zeroes every chunk the local API reads from a socket, once the HTTP parser has taken it.
// Node's HTTP server normally lets its C++ parser read the socket into one static 64 KiB buffer
// shared by every connection: a login request's bytes (the password in its JSON body) stay there
// until a longer request overwrites them, out of reach of the edge's own wiping (edge.ts). A 'data'
// listener added after the server's own makes Node hand the socket back to JavaScript (the server
// "unconsumes" its parser), so each read arrives as a fresh Buffer that the parser executes first
// (its listener was added first) and this one then zeroes. The parser keeps no pointer into a
// chunk (header fragments are copied; body chunks reach the request as copies), and a local API
// carries a few small requests a second, so the JavaScript read path costs nothing that matters.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function wipeReadChunks(server: Server): void {
  server.on('connection', (socket: Socket) => {
    socket.on('data', (chunk: Buffer) => {
      chunk.fill(0);
    });
  });
}
