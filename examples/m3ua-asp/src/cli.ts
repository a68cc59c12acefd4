/**
 * m3ua-asp --stp IP:PORT [--dpc PC] [--beat-ms N] [--json]: bring an M3UA ASP up against an STP and keep it
 * active until SIGINT/SIGTERM (then ASPDN, exit 0). One line per event (--json: JSON lines); a summary at the end.
 */
import { getBackend } from '@osmo/io';
import { M3uaAsp, type AspOptions } from './asp.js';
import { parsePointCode } from './m3ua.js';

const USAGE = 'usage: m3ua-asp --stp IP:PORT [--dpc PC] [--beat-ms N] [--json]';

export async function main(argv: string[]): Promise<number> {
  let stp: AspOptions['stp'] | null = null, dpc = parsePointCode('0.23.2'), beatMs = 0, json = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--json') json = true;
      else if (a === '--stp') {
        const m = /^(.+):(\d+)$/.exec(argv[++i] ?? '');
        if (!m) throw new Error('--stp wants IP:PORT');
        stp = { address: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
      } else if (a === '--dpc') dpc = parsePointCode(argv[++i] ?? '');
      else if (a === '--beat-ms') beatMs = Number(argv[++i]);
      else throw new Error(`unknown argument ${a}`);
    }
    if (!stp) throw new Error('--stp is required');
  } catch (e) {
    console.error(`m3ua-asp: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const asp = new M3uaAsp({ stp, dpc, beatMs });
  const t0 = Date.now();
  asp.on('event', (ev: Record<string, unknown>) => {
    if (json) console.log(JSON.stringify({ t: Date.now() - t0, ...ev }));
    else console.log(`${((Date.now() - t0) / 1000).toFixed(3)} ${ev.event} ${Object.entries(ev).filter(([k]) => k !== 'event')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}`);
  });
  if (!json) console.log(`m3ua-asp: backend ${getBackend()}, STP ${stp.address}:${stp.port}`);
  asp.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const state = asp.state;
  await asp.stop();
  const summary = { event: 'summary', stateAtStop: state, routingContext: asp.routingContext, ...asp.counts, backend: getBackend() };
  console.log(json ? JSON.stringify(summary) : `summary: ${JSON.stringify(summary)}`);
  return 0;
}
