/**
 * Stream helpers in the spirit of libosmo-netif: a reconnecting {@link StreamClient} and a {@link StreamServer} with
 * per-connection {@link StreamServerConn} objects, over TCP and Unix stream sockets.
 */
export { StreamClient } from './stream-client.js';
export type { StreamClientOptions, StreamClientState } from './stream-client.js';
export { StreamServer, StreamServerConn } from './stream-server.js';
export type { StreamServerOptions } from './stream-server.js';
