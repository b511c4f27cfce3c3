// Modular exponentiation on BigInt: sliding-window modPow, fixed-base tables, Jacobi symbol.

/** Window width of the sliding-window method for an exponent of `bits` bits. */
function windowFor(bits) {
  if (bits > 768) return 6;
  if (bits > 240) return 5;
  if (bits > 80) return 4;
  if (bits > 24) return 3;
  return 1;
}

/** base^exp mod m for exp >= 0, m > 1, left to right over a sliding window of odd powers. */
export function modPow(base, exp, m) {
  if (exp < 0n) throw new RangeError('negative exponent');
  base %= m;
  if (base < 0n) base += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const w = windowFor(bits.length);
  const odd = [base]; // base^1, base^3, ..., base^(2^w - 1)
  if (w > 1) {
    const square = (base * base) % m;
    for (let i = 1; i < 1 << (w - 1); i++) odd.push((odd[i - 1] * square) % m);
  }
  let acc = 1n;
  let i = 0;
  while (i < bits.length) {
    if (bits[i] === '0') {
      acc = (acc * acc) % m;
      i++;
      continue;
    }
    let j = Math.min(i + w, bits.length) - 1; // the longest window starting here ending in a 1
    while (bits[j] === '0') j--;
    if (acc !== 1n) for (let k = i; k <= j; k++) acc = (acc * acc) % m;
    const digit = parseInt(bits.slice(i, j + 1), 2);
    acc = acc === 1n ? odd[digit >> 1] : (acc * odd[digit >> 1]) % m;
    i = j + 1;
  }
  return acc;
}

const TABLE_WINDOW = 5n; // bits per row: 31 entries a row, one multiplication per 5 exponent bits

/**
 * Exponentiation of one base known in advance: row i holds base^(d * 32^i) for d = 1..31, so
 * base^k costs one multiplication per non-zero base-32 digit of k (no squaring at all).
 * Rows are built on first use, as far as the exponents reach (row(i) builds every row up to i).
 */
export class FixedBaseTable {
  constructor(base, m) {
    this.m = m;
    this.rows = [];
    this.next = base % m; // base^(32^rows.length)
  }

  row(i) {
    const { m } = this;
    while (this.rows.length <= i) {
      const b = this.next;
      const row = [1n, b];
      for (let d = 2; d < 1 << Number(TABLE_WINDOW); d++) row.push((row[d - 1] * b) % m);
      this.rows.push(row);
      this.next = (row[row.length - 1] * b) % m;
    }
    return this.rows[i];
  }

  /** base^k for k >= 0. */
  pow(k) {
    if (k < 0n) throw new RangeError('negative exponent');
    const mask = (1n << TABLE_WINDOW) - 1n;
    let acc = 1n;
    for (let i = 0; k > 0n; i++, k >>= TABLE_WINDOW) {
      const digit = Number(k & mask);
      if (digit) {
        const entry = this.row(i)[digit];
        acc = acc === 1n ? entry : (acc * entry) % this.m;
      }
    }
    return acc;
  }
}

/** The Jacobi symbol (a / n) for odd n > 0: 1, -1, or 0 when they share a factor. */
export function jacobi(a, n) {
  if (n <= 0n || (n & 1n) === 0n) throw new RangeError('n must be odd and positive');
  a %= n;
  if (a < 0n) a += n;
  let t = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) t = -t;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}
