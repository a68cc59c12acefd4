/** @osmo/bsc-link-sim: BSC-style IPA link simulator (BTS side and BSC side), and its OML/RSL codecs. */
export * from './oml.js';
export * from './rsl.js';
export { OmlBringup, TS_PER_TRX, DEFAULT_FEATURES, NACK_OBJ_INST_UNKNOWN, NACK_CANT_PERFORM, type MoState, type BringupEvent, type BringupResult, type OmlBringupOptions } from './oml-bringup.js';
export { BscOml, type BscOmlOptions, type BscOmlEvent } from './bsc-oml.js';
export { BtsSide, type BtsSideOptions, type BtsSideEvents } from './bts.js';
export { BscSide, type BscSideOptions, type BscSideEvents, type BscBtsState, type BscTrxState } from './bsc.js';
export { buildCtrlTree, startCtrl, type CtrlHandle } from './ctrl-tree.js';
export { SeqCheck, CpuMeter, formatSummary, type SimSummary } from './stats.js';
export { loadTransport, type Transport, type TransportKind, type ClientLink, type ServerLink, type ServerConn } from './transport.js';
export { runSimulation, pickTransport, DEFAULTS, type SimOptions, type SimProgress, type SimRun } from './sim.js';
