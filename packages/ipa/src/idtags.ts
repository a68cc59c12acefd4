/** CCM identity tags (ID_GET / ID_RESP) and the mapping to a friendly identity object. */
import { formatUnitId, type UnitId } from './unit-id.js';

export const IpaIdTag = {
  SERNR: 0x00,
  UNITNAME: 0x01,
  LOCATION1: 0x02,
  LOCATION2: 0x03,
  EQUIPVERS: 0x04,
  SWVERSION: 0x05,
  IPADDR: 0x06,
  MACADDR: 0x07,
  UNIT: 0x08,
  USERNAME: 0x09,
  PASSWORD: 0x0a,
  ACCESS_CLASS: 0x0b,
  APP_PROTO_VER: 0x0c,
} as const;
export type IpaIdTagName = keyof typeof IpaIdTag;

const tagLongNames: Record<number, string> = {
  0x00: 'Serial_Number',
  0x01: 'Unit_Name',
  0x02: 'Location_1',
  0x03: 'Location_2',
  0x04: 'Equipment_Version',
  0x05: 'Software_Version',
  0x06: 'IP_Address',
  0x07: 'MAC_Address',
  0x08: 'Unit_ID',
  0x09: 'Username',
  0x0a: 'Password',
  0x0b: 'Access_Class',
  0x0c: 'App_Proto_Version',
};

/** 'Unit_ID', 'Serial_Number', ... or `unknown 0x42` */
export function ipaIdTagName(tag: number): string {
  return tagLongNames[tag] ?? `unknown 0x${tag.toString(16).padStart(2, '0')}`;
}

/** The tags an Osmocom server asks for in its ID_GET (upstream order: 08 07 02 03 04 05 01 00). */
export const IPA_DEFAULT_ID_GET_TAGS: readonly number[] = [
  IpaIdTag.UNIT, IpaIdTag.MACADDR, IpaIdTag.LOCATION1, IpaIdTag.LOCATION2,
  IpaIdTag.EQUIPVERS, IpaIdTag.SWVERSION, IpaIdTag.UNITNAME, IpaIdTag.SERNR,
];

/** Upstream IPA_STRING_MAX is 64 including the NUL: strings are cut to 63 characters. */
export const IPA_ID_STRING_MAX = 63;

/** The identity a unit reports in ID_RESP. All fields are the textual tag values (NUL removed). */
export interface IpaIdentity {
  serialNumber?: string;
  unitName?: string;
  location1?: string;
  /** Location_2, used as "unit type" by osmo-bts */
  location2?: string;
  equipmentVersion?: string;
  swVersion?: string;
  ipAddress?: string;
  /** "aa:bb:cc:dd:ee:ff" */
  macAddress?: string;
  /** "site/bts/trx" */
  unitId?: string;
  username?: string;
  password?: string;
  accessClass?: string;
  appProtoVersion?: string;
}

const fieldOfTag: Record<number, keyof IpaIdentity> = {
  0x00: 'serialNumber',
  0x01: 'unitName',
  0x02: 'location1',
  0x03: 'location2',
  0x04: 'equipmentVersion',
  0x05: 'swVersion',
  0x06: 'ipAddress',
  0x07: 'macAddress',
  0x08: 'unitId',
  0x09: 'username',
  0x0a: 'password',
  0x0b: 'accessClass',
  0x0c: 'appProtoVersion',
};

/** identity field name for a tag, undefined for unknown tags */
export function identityFieldOfTag(tag: number): keyof IpaIdentity | undefined {
  return fieldOfTag[tag];
}

/** One ID_GET / ID_RESP item: the tag and its raw value bytes as on the wire (ID_RESP strings end with a NUL). */
export interface IpaIdItem {
  tag: number;
  value: Buffer;
}

/** Value bytes for a string: UTF-8, cut to 63 bytes, NUL appended (what upstream generators send). */
export function idStringValue(s: string): Buffer {
  let b = Buffer.from(s, 'utf8');
  if (b.length > IPA_ID_STRING_MAX) b = b.subarray(0, IPA_ID_STRING_MAX);
  return Buffer.concat([b, Buffer.of(0)]);
}

/** The text of a value: up to the first NUL (or the whole value when there is none), decoded as UTF-8. */
export function idValueString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return Buffer.from(value.buffer, value.byteOffset, nul < 0 ? value.byteLength : nul).toString('utf8');
}

/** What a client answers with: unit id as a struct or text, plus the other identity strings. */
export type IpaIdentityInit = Omit<IpaIdentity, 'unitId'> & { unitId?: UnitId | string };

function unitIdText(u: UnitId | string | undefined): string | undefined {
  if (u === undefined || typeof u === 'string') return u;
  return formatUnitId(u);
}

/**
 * ID_RESP items answering `requested` tags: known tags without a configured value are answered with "" (just the
 * NUL, as upstream does), except the unit id, which defaults to "0/0/0" (upstream always formats its numeric
 * site/bts/trx; osmo-stp rejects an ID_RESP whose tag 0x08 is not "a/b/c"); the unit name defaults to the MAC
 * address with '-' separators; unknown tag numbers are skipped (upstream would send no ID_RESP at all, which no
 * peer benefits from).
 */
export function identityToIdItems(identity: IpaIdentityInit, requested: readonly number[] = IPA_DEFAULT_ID_GET_TAGS): IpaIdItem[] {
  const items: IpaIdItem[] = [];
  for (const tag of requested) {
    const field = fieldOfTag[tag];
    if (field === undefined) continue;
    let v: string | undefined;
    if (field === 'unitId') v = unitIdText(identity.unitId) ?? '0/0/0';
    else v = identity[field];
    if (v === undefined && field === 'unitName' && identity.macAddress !== undefined) v = identity.macAddress.replace(/:/g, '-');
    // unset tags are answered with "" (upstream does the same; osmo-bts-omldummy's ID_RESP carries several, and
    // osmo-bsc, osmo-hlr and osmo-stp 1.6 accept them: interop test). Only an empty/non-"a/b/c" tag 0x08 is refused
    // by osmo-stp, hence the "0/0/0" default above.
    items.push({ tag, value: idStringValue(v ?? '') });
  }
  return items;
}

/** Maps ID_RESP items to an identity object (unknown tags ignored; a repeated tag: the last one wins). */
export function idItemsToIdentity(items: readonly IpaIdItem[]): IpaIdentity {
  const id: IpaIdentity = {};
  for (const it of items) {
    const field = fieldOfTag[it.tag];
    if (field !== undefined) id[field] = idValueString(it.value);
  }
  return id;
}
