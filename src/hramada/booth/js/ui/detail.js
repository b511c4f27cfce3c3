// The details of an admin log entry or public decision (a JSON object) as one readable line.
import { utc } from './time.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function value(v) {
  if (typeof v === 'string') return TIME.test(v) ? utc(v) : v;
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'string')) return v.map(value).join(' → ');
  return JSON.stringify(v);
}

/** "reason: outage; opens_at: 2026-11-23 10:00 UTC" for an object; strings as they are. */
export function detailText(detail) {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object' || Array.isArray(detail)) return value(detail);
  return Object.entries(detail)
    .filter(([, v]) => v !== '' && v !== null)
    .map(([k, v]) => `${k}: ${value(v)}`)
    .join('; ');
}
