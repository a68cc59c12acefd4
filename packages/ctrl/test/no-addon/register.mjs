// node --import <this file>: installs hooks.mjs (no @osmo/io in this process)
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
