// The details of an admin log entry or public decision (a JSON object) as one readable line.
import { has, t } from './i18n.js';
import { utc } from './time.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function value(v) {
  if (typeof v === 'string') return TIME.test(v) ? utc(v) : v;
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'string')) return v.map(value).join(' → ');
  if (Array.isArray(v) && v.every(Array.isArray)) return v.map((row) => row.map(value).join(', ')).join(' · ');
  if (Array.isArray(v)) return v.map(value).join(', ');
  if (typeof v === 'boolean') return v ? '✓' : '✗';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A detail's name in the page's language ("reason" -> "Reason"), or the name itself. */
function label(key) {
  return has('detail.' + key) ? t('detail.' + key) : key;
}

/** "Reason: outage; Opens: 2026-11-23 10:00 UTC" for an object; strings as they are. */
export function detailText(detail) {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object' || Array.isArray(detail)) return value(detail);
  return Object.entries(detail)
    .filter(([, v]) => v !== '' && v !== null)
    .map(([k, v]) => `${label(k)}: ${value(v)}`)
    .join('; ');
}
