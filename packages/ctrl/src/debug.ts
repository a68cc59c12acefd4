import { debuglog } from 'node:util';
/** NODE_DEBUG=osmo-ctrl */
export const debug = debuglog('osmo-ctrl');
