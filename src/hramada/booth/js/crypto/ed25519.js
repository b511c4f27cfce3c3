// The prime-order subgroup of edwards25519 on noble's points, in Belenios's byte-reversed hex.
import { ed25519 } from '@noble/curves/ed25519.js';
import { mod } from './encoding.js';

const { Point } = ed25519;
const HEX64 = /^[0-9a-f]{64}$/;
const IDENTITY_HEX = '0'.repeat(63) + '1'; // (0, 1): y = 1 little-endian, reversed
// noble's wNAF window for our precomputed tables: about 15 ms to build, then a constant-time
// multiplication costs a third of one without a table.
const TABLE_WINDOW = 6;

function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function reversedBytes(hex) {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[31 - i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export class Ed25519Group {
  constructor() {
    this.name = 'Ed25519';
    this.q = Point.Fn.ORDER;
    this.g = Point.BASE;
    this.one = Point.ZERO;
    this.gTable = null;
  }

  /** Belenios writes the RFC 8032 encoding byte-reversed, in hex. */
  encode(x) {
    return toHex(x.toBytes().reverse());
  }

  /**
   * Parse a canonical point string; throw unless it is in the prime-order subgroup. The
   * identity is accepted, as Belenios and libsodium-based Hramada accept it.
   */
  decode(s) {
    if (typeof s !== 'string' || !HEX64.test(s)) {
      throw new Error(`not a 64-digit lowercase hex Ed25519 point: ${String(s).slice(0, 40)}`);
    }
    if (s === IDENTITY_HEX) return Point.ZERO;
    let point;
    try {
      // RFC 8032 decoding: y < p, and no x = 0 with the sign bit set.
      point = Point.fromBytes(reversedBytes(s), false);
    } catch {
      throw new Error('not a point of Ed25519');
    }
    if (point.isSmallOrder() || !point.isTorsionFree()) {
      throw new Error('not a point of the prime-order subgroup of Ed25519');
    }
    return point;
  }

  eq(a, b) {
    return a.equals(b);
  }

  mul(a, b) {
    return a.add(b);
  }

  /** a^k (that is k·a) for a subgroup point a and any integer k (variable base, public k). */
  pow(a, k) {
    const e = mod(k, this.q);
    return e === 0n ? Point.ZERO : a.multiplyUnsafe(e);
  }

  /**
   * A precomputed wNAF table for one point; pow(k) = k·base in constant time. The table hangs
   * on a fresh copy of the point (for g, noble's own BASE would blind each multiplication,
   * which doubles its cost).
   */
  fixedBase(base) {
    if (base.is0()) return { pow: () => Point.ZERO };
    const point = Point.fromAffine(base.toAffine()).precompute(TABLE_WINDOW);
    return {
      pow: (k) => {
        const e = mod(k, this.q);
        return e === 0n ? Point.ZERO : point.multiply(e);
      },
    };
  }

  gPow(k) {
    this.gTable ??= this.fixedBase(this.g);
    return this.gTable.pow(k);
  }
}
