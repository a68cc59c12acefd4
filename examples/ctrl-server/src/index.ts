export { createExampleServer, validGreeting, PROGRAM_NAME, GREETING_MAX, DEFERRED_DELAY_MS, type ExampleServer, type ExampleServerOptions } from './server.js';
export { main } from './cli.js';
