// entry point for running from sources (node --import tsx src/main.ts ...); bin/m3ua-asp.js runs dist
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
