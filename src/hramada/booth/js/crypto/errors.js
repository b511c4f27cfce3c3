// Errors the booth reports to the page: an Error with a machine-readable .code.

/** An Error carrying `code` ("election", "credential-format", "credential-checksum", "choices"). */
export function boothError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}
