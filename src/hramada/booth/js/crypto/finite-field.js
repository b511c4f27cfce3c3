// The order-q subgroups of Z_p^* (BELENIOS-2048, RFC-3526-2048): elements are decimal strings.
import { mod, parseDecimal } from './encoding.js';
import { FixedBaseTable, jacobi, modPow } from './modpow.js';

export class FiniteFieldGroup {
  constructor(name, p, q, g) {
    this.name = name;
    this.p = p;
    this.q = q;
    this.g = g;
    this.one = 1n;
    // For a safe prime p = 2q + 1 the subgroup is the quadratic residues: a Jacobi symbol
    // decides membership without an exponentiation.
    this.safePrime = p === 2n * q + 1n;
    this.gTable = null;
  }

  encode(x) {
    return x.toString();
  }

  /** Parse a canonical element string; throw unless it is in the order-q subgroup. */
  decode(s) {
    const x = parseDecimal(s);
    if (x === null) {
      throw new Error(`not a canonical decimal group element: ${String(s).slice(0, 40)}`);
    }
    if (!(x > 0n && x < this.p) || !this.isMember(x)) {
      throw new Error(`not an element of the order-q subgroup of ${this.name}`);
    }
    return x;
  }

  isMember(x) {
    if (this.safePrime) return jacobi(x, this.p) === 1;
    return modPow(x, this.q, this.p) === 1n;
  }

  eq(a, b) {
    return a === b;
  }

  mul(a, b) {
    return (a * b) % this.p;
  }

  /** a^k for a subgroup element a and any integer k (variable base). */
  pow(a, k) {
    return modPow(a, mod(k, this.q), this.p);
  }

  /** What makes many exponentiations of one base fast: pow(k) = base^k. */
  fixedBase(base) {
    const table = new FixedBaseTable(base, this.p);
    return { pow: (k) => table.pow(mod(k, this.q)) };
  }

  gPow(k) {
    this.gTable ??= this.fixedBase(this.g);
    return this.gTable.pow(k);
  }
}
