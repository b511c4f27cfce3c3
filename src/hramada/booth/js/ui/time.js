// Times: the server's ISO 8601 UTC strings shown as "2026-11-23 10:00 UTC", and UTC form inputs.

function parse(iso) {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/** "2026-11-23 10:00 UTC" ("" for none; the text itself if it is not a time). */
export function utc(iso) {
  const d = parse(iso);
  if (!d) return iso || '';
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** The value of a datetime-local input that holds the UTC time `iso`. */
export function toInput(iso) {
  const d = parse(iso);
  return d ? d.toISOString().slice(0, 16) : '';
}

/** The ISO UTC string of a datetime-local value read as UTC, or null when empty. */
export function fromInput(value) {
  if (!value) return null;
  return (value.length === 16 ? value + ':00' : value.slice(0, 19)) + 'Z';
}
