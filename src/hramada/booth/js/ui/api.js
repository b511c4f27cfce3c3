// Calls to the server's JSON API, and its {"error": {"check", "message"}} answers as messages.
import { has, t } from './i18n.js';

/** A refused or failed request: HTTP status (0 when the server was not reached), check, message. */
export class ApiError extends Error {
  constructor(status, check, message) {
    super(message);
    this.status = status;
    this.check = check;
  }
}

/**
 * Send a request and return the JSON answer (null when empty). `body` is sent as JSON, or as it
 * is when `raw` (text that already is JSON, such as a ballot or a credentials file); `token`, a
 * session kept in the page's memory, goes as a bearer token.
 */
export async function api(method, path, body = undefined, { raw = false, token = null } = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = raw ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', t('js.network'));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === 'object' ? data.error : null;
    throw new ApiError(
      response.status,
      error && typeof error.check === 'string' ? error.check : '',
      error && typeof error.message === 'string' ? error.message : t('js.http', { status: response.status }),
    );
  }
  return data;
}

/** What to tell the user about an error: the translated check, then the server's own words. */
export function errorText(error) {
  if (error instanceof ApiError && error.check && has('check.' + error.check)) {
    return `${t('check.' + error.check)} (${error.message})`;
  }
  return error && error.message ? error.message : String(error);
}

/**
 * What to tell a voter about a refused request, in the page's language only: the translated
 * check, or a general message by status (the server's English words go to the console).
 */
export function checkText(error) {
  if (!(error instanceof ApiError)) return t('js.failed');
  if (error.message) console.warn(error.message);
  if (error.check && has('check.' + error.check)) return t('check.' + error.check);
  return error.status === 0 ? t('js.network') : t('js.http', { status: error.status });
}
