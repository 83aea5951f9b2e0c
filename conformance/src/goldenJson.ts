/** A parsed JSON value, not yet checked. */
export type Json = unknown;

/** Reports a malformed field at a JSON path (throws). */
export type Fail = (path: string, problem: string) => never;

/** The document's root object: `json` parsed first when it is text. */
export function rootObject(json: Json, fail: Fail): Record<string, Json> {
  let root = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch (error) {
      fail('$', `not JSON (${(error as Error).message})`);
    }
  }
  return jsonObject(root, '$', fail);
}

/** `raw` as an object, or a failure at `path`. */
export function jsonObject(raw: Json, path: string, fail: Fail): Record<string, Json> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(path, `expected an object, got ${show(raw)}`);
  return raw as Record<string, Json>;
}

/** A short rendering of a value for messages. */
export function show(value: Json): string {
  if (value === undefined) return 'nothing (missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
