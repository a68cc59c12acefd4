/**
 * Identifier rules of libosmocore (utils.c): a CTRL variable is a '.'-separated identifier. Every other
 * character must be 7-bit printable ASCII and not one of the reserved characters below. Empty is invalid;
 * separators themselves may appear anywhere (also doubled or leading), as upstream allows.
 */
export const IDENTIFIER_ILLEGAL_CHARS = "., {}[]()<>|~\\^`'\"?=;/+*&%$#!";

export function isValidIdentifier(str: string, separators = ''): boolean {
  if (str.length === 0) return false;
  for (let i = 0; i < str.length; i++) {
    const ch = str[i]!;
    if (separators.includes(ch)) continue;
    const c = str.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
    if (IDENTIFIER_ILLEGAL_CHARS.includes(ch)) return false;
  }
  return true;
}

/** osmo_separated_identifiers_valid(var, ".") */
export function isValidCtrlVariable(variable: string): boolean {
  return isValidIdentifier(variable, '.');
}

/** CTRL ids are all ASCII digits (isdigit); at least one. */
export function isValidCtrlId(id: string): boolean {
  if (id.length === 0) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
