//! Finite-field groups (BELENIOS-2048, RFC-3526-2048) for verification: Montgomery
//! multiplication through OpenSSL's Bignum, a fixed-base comb for g and the election key, and
//! per-base square chains that several exponents of the same base share.
//!
//! Everything here is variable-time and for public inputs only (verification). Elements cross
//! the Python boundary as big-endian bytes; exponents as big-endian bytes that Python has
//! reduced into range (a `FfChain` takes exponents below 2^bits, a `FfTable` below
//! 256^rows), and anything longer is refused.

use std::cell::RefCell;
use std::os::raw::c_int;
use std::ptr;

use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

// The part of OpenSSL's public Bignum API (bn.h) used here, from the system's libcrypto
// (libssl-dev to build): opaque handles and plain C functions, stable across OpenSSL 1.1 and 3.
#[repr(C)]
struct Bignum {
    _opaque: [u8; 0],
}
#[repr(C)]
struct BnCtx {
    _opaque: [u8; 0],
}
#[repr(C)]
struct BnMontCtx {
    _opaque: [u8; 0],
}

#[link(name = "crypto")]
extern "C" {
    fn BN_CTX_new() -> *mut BnCtx;
    fn BN_CTX_free(ctx: *mut BnCtx);
    fn BN_new() -> *mut Bignum;
    fn BN_free(a: *mut Bignum);
    fn BN_dup(a: *const Bignum) -> *mut Bignum;
    fn BN_bin2bn(s: *const u8, len: c_int, ret: *mut Bignum) -> *mut Bignum;
    fn BN_bn2binpad(a: *const Bignum, to: *mut u8, tolen: c_int) -> c_int;
    fn BN_cmp(a: *const Bignum, b: *const Bignum) -> c_int;
    fn BN_is_zero(a: *const Bignum) -> c_int;
    fn BN_is_odd(a: *const Bignum) -> c_int;
    fn BN_MONT_CTX_new() -> *mut BnMontCtx;
    fn BN_MONT_CTX_set(mont: *mut BnMontCtx, m: *const Bignum, ctx: *mut BnCtx) -> c_int;
    fn BN_MONT_CTX_free(mont: *mut BnMontCtx);
    fn BN_mod_mul_montgomery(
        r: *mut Bignum,
        a: *const Bignum,
        b: *const Bignum,
        mont: *mut BnMontCtx,
        ctx: *mut BnCtx,
    ) -> c_int;
    fn BN_to_montgomery(
        r: *mut Bignum,
        a: *const Bignum,
        mont: *mut BnMontCtx,
        ctx: *mut BnCtx,
    ) -> c_int;
    fn BN_from_montgomery(
        r: *mut Bignum,
        a: *const Bignum,
        mont: *mut BnMontCtx,
        ctx: *mut BnCtx,
    ) -> c_int;
}

thread_local! {
    // OpenSSL's scratch space; a BnCtx must not be shared between threads.
    static CTX: RefCell<Ctx> = RefCell::new(Ctx(unsafe { BN_CTX_new() }));
}

struct Ctx(*mut BnCtx);

impl Drop for Ctx {
    fn drop(&mut self) {
        unsafe { BN_CTX_free(self.0) }
    }
}

fn with_ctx<T>(f: impl FnOnce(*mut BnCtx) -> T) -> T {
    CTX.with(|c| f(c.borrow().0))
}

/// An owned Bignum. Read-only once built, so it may be shared between threads.
struct Bn(*mut Bignum);

unsafe impl Send for Bn {}
unsafe impl Sync for Bn {}

impl Drop for Bn {
    fn drop(&mut self) {
        unsafe { BN_free(self.0) }
    }
}

impl Bn {
    fn new() -> PyResult<Bn> {
        let b = unsafe { BN_new() };
        if b.is_null() {
            return Err(PyMemoryError::new_err("BN_new"));
        }
        Ok(Bn(b))
    }

    fn from_bytes(bytes: &[u8]) -> PyResult<Bn> {
        let len = c_int::try_from(bytes.len()).map_err(|_| PyValueError::new_err("too long"))?;
        let b = unsafe { BN_bin2bn(bytes.as_ptr(), len, ptr::null_mut()) };
        if b.is_null() {
            return Err(PyMemoryError::new_err("BN_bin2bn"));
        }
        Ok(Bn(b))
    }

    fn dup(&self) -> PyResult<Bn> {
        let r = unsafe { BN_dup(self.0) };
        if r.is_null() {
            return Err(PyMemoryError::new_err("BN_dup"));
        }
        Ok(Bn(r))
    }
}

fn check(ok: c_int, what: &str) -> PyResult<()> {
    if ok == 1 {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!("OpenSSL {what} failed")))
    }
}

/// The modulus p with its Montgomery constants.
struct Modulus {
    mont: *mut BnMontCtx,
    p: Bn,
    nbytes: usize,
}

unsafe impl Send for Modulus {}
unsafe impl Sync for Modulus {}

impl Drop for Modulus {
    fn drop(&mut self) {
        unsafe { BN_MONT_CTX_free(self.mont) }
    }
}

impl Modulus {
    /// r = a * b in the Montgomery domain.
    fn mul(&self, r: &Bn, a: &Bn, b: &Bn, ctx: *mut BnCtx) -> PyResult<()> {
        check(
            unsafe { BN_mod_mul_montgomery(r.0, a.0, b.0, self.mont, ctx) },
            "BN_mod_mul_montgomery",
        )
    }

    /// acc = acc * b, where None is the empty product.
    fn times(&self, acc: &mut Option<Bn>, b: &Bn, ctx: *mut BnCtx) -> PyResult<()> {
        match acc {
            None => *acc = Some(b.dup()?),
            Some(a) => self.mul(a, a, b, ctx)?,
        }
        Ok(())
    }

    /// An element 0 < x < p, into the Montgomery domain.
    fn enter(&self, bytes: &[u8], ctx: *mut BnCtx) -> PyResult<Bn> {
        let x = Bn::from_bytes(bytes)?;
        let below = unsafe { BN_cmp(x.0, self.p.0) } < 0;
        if unsafe { BN_is_zero(x.0) } == 1 || !below {
            return Err(PyValueError::new_err("not in [1, p)"));
        }
        let r = Bn::new()?;
        check(
            unsafe { BN_to_montgomery(r.0, x.0, self.mont, ctx) },
            "BN_to_montgomery",
        )?;
        Ok(r)
    }

    /// Out of the Montgomery domain, as nbytes big-endian bytes (1 for an empty product).
    fn leave(&self, x: Option<Bn>, ctx: *mut BnCtx) -> PyResult<Vec<u8>> {
        let mut out = vec![0u8; self.nbytes];
        match x {
            None => out[self.nbytes - 1] = 1,
            Some(x) => {
                let r = Bn::new()?;
                check(
                    unsafe { BN_from_montgomery(r.0, x.0, self.mont, ctx) },
                    "BN_from_montgomery",
                )?;
                let len = c_int::try_from(self.nbytes).expect("2048-bit modulus");
                check(
                    (unsafe { BN_bn2binpad(r.0, out.as_mut_ptr(), len) } == len) as c_int,
                    "BN_bn2binpad",
                )?;
            }
        }
        Ok(out)
    }
}

/// The group Z_p^*: its modulus and Montgomery constants.
#[pyclass(frozen, module = "hramada_native")]
struct FfGroup {
    m: std::sync::Arc<Modulus>,
}

#[pymethods]
impl FfGroup {
    #[new]
    fn new(p: &[u8]) -> PyResult<Self> {
        let pb = Bn::from_bytes(p)?;
        if unsafe { BN_is_odd(pb.0) } != 1 || p.len() < 2 {
            return Err(PyValueError::new_err("the modulus must be odd"));
        }
        let mont = unsafe { BN_MONT_CTX_new() };
        if mont.is_null() {
            return Err(PyMemoryError::new_err("BN_MONT_CTX_new"));
        }
        let m = Modulus {
            mont,
            p: pb,
            nbytes: p.len(),
        };
        with_ctx(|ctx| {
            check(
                unsafe { BN_MONT_CTX_set(m.mont, m.p.0, ctx) },
                "BN_MONT_CTX_set",
            )
        })?;
        Ok(FfGroup {
            m: std::sync::Arc::new(m),
        })
    }

    /// x^(2^i) for i < bits, for exponents below 2^bits of the element x.
    fn chain(&self, py: Python<'_>, x: &[u8], bits: usize) -> PyResult<FfChain> {
        let m = self.m.clone();
        py.allow_threads(|| {
            with_ctx(|ctx| {
                let mut powers = Vec::with_capacity(bits);
                let cur = m.enter(x, ctx)?;
                for i in 0..bits {
                    powers.push(cur.dup()?);
                    if i + 1 < bits {
                        m.mul(&cur, &cur, &cur, ctx)?;
                    }
                }
                Ok(FfChain {
                    m: m.clone(),
                    powers,
                })
            })
        })
    }

    /// base^(d * 256^i) for every byte value d and i < rows: exponents below 256^rows cost
    /// one multiplication a byte.
    fn table(&self, py: Python<'_>, base: &[u8], rows: usize) -> PyResult<FfTable> {
        let m = self.m.clone();
        py.allow_threads(|| {
            with_ctx(|ctx| {
                let mut out = Vec::with_capacity(rows);
                let b = m.enter(base, ctx)?;
                for _ in 0..rows {
                    let mut row: Vec<Bn> = Vec::with_capacity(255);
                    row.push(b.dup()?);
                    for _ in 1..255 {
                        let next = Bn::new()?;
                        m.mul(&next, row.last().expect("not empty"), &b, ctx)?;
                        row.push(next);
                    }
                    m.mul(&b, row.last().expect("not empty"), &b, ctx)?; // base^(256^(i+1))
                    out.push(row);
                }
                Ok(FfTable {
                    m: m.clone(),
                    rows: out,
                })
            })
        })
    }

    /// The product of table_i^k_i and chain_j^e_j, as big-endian bytes of the length of p.
    fn product<'py>(
        &self,
        py: Python<'py>,
        fixed: Vec<(PyRef<'py, FfTable>, Vec<u8>)>,
        variable: Vec<(PyRef<'py, FfChain>, Vec<u8>)>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        for (t, _) in &fixed {
            self.same(&t.m)?;
        }
        for (c, _) in &variable {
            self.same(&c.m)?;
        }
        let fixed: Vec<(&FfTable, &[u8])> = fixed.iter().map(|(t, k)| (&**t, &k[..])).collect();
        let variable: Vec<(&FfChain, &[u8])> =
            variable.iter().map(|(c, e)| (&**c, &e[..])).collect();
        let m = &self.m;
        let bytes = py.allow_threads(|| {
            with_ctx(|ctx| {
                let mut acc: Option<Bn> = None;
                for (t, k) in &fixed {
                    if let Some(x) = t.pow(k, ctx)? {
                        m.times(&mut acc, &x, ctx)?;
                    }
                }
                for (c, e) in &variable {
                    if let Some(x) = c.pow(e, ctx)? {
                        m.times(&mut acc, &x, ctx)?;
                    }
                }
                m.leave(acc, ctx)
            })
        })?;
        Ok(PyBytes::new(py, &bytes))
    }
}

impl FfGroup {
    fn same(&self, other: &std::sync::Arc<Modulus>) -> PyResult<()> {
        if std::sync::Arc::ptr_eq(&self.m, other) {
            Ok(())
        } else {
            Err(PyValueError::new_err("a table or chain of another group"))
        }
    }
}

/// The squares x^(2^i) of one element, paid once; each exponent then costs only Yao's
/// multiplications over a sliding window: about 60 for a 256-bit exponent.
#[pyclass(frozen, module = "hramada_native")]
struct FfChain {
    m: std::sync::Arc<Modulus>,
    powers: Vec<Bn>,
}

/// Bit i (0 = least significant) of a big-endian byte string.
fn bit(e: &[u8], i: usize) -> usize {
    e.len()
        .checked_sub(1 + i / 8)
        .map_or(0, |at| usize::from(e[at] >> (i % 8) & 1))
}

impl FfChain {
    fn pow(&self, e: &[u8], ctx: *mut BnCtx) -> PyResult<Option<Bn>> {
        let nbits = e.len() * 8;
        let w = if nbits <= 320 { 4 } else { 6 };
        // e = sum of odd window values v_i * 2^i: bucket[v] collects the powers x^(2^i).
        let mut buckets: Vec<Option<Bn>> = (0..1usize << (w - 1)).map(|_| None).collect();
        let mut i = 0;
        while i < nbits {
            if bit(e, i) == 0 {
                i += 1;
                continue;
            }
            let v = (0..w).fold(0, |v, k| v | bit(e, i + k) << k);
            let power = self
                .powers
                .get(i)
                .ok_or_else(|| PyValueError::new_err("exponent too long for the chain"))?;
            self.m.times(&mut buckets[v >> 1], power, ctx)?;
            i += w;
        }
        // prod B_v^v = T^2 * prod B_v with T = prod B_v^((v-1)/2), by running products.
        let (mut running, mut half): (Option<Bn>, Option<Bn>) = (None, None);
        for bucket in buckets.iter().skip(1).rev() {
            if let Some(b) = bucket {
                self.m.times(&mut running, b, ctx)?;
            }
            if let Some(r) = &running {
                self.m.times(&mut half, r, ctx)?;
            }
        }
        if let Some(b) = &buckets[0] {
            self.m.times(&mut running, b, ctx)?;
        }
        match (running, half) {
            (None, _) => Ok(None),
            (Some(all), None) => Ok(Some(all)),
            (Some(all), Some(t)) => {
                self.m.mul(&t, &t, &t, ctx)?;
                let mut out = Some(t);
                self.m.times(&mut out, &all, ctx)?;
                Ok(out)
            }
        }
    }
}

/// A fixed-base comb: rows[i][d - 1] = base^(d * 256^i).
#[pyclass(frozen, module = "hramada_native")]
struct FfTable {
    m: std::sync::Arc<Modulus>,
    rows: Vec<Vec<Bn>>,
}

impl FfTable {
    fn pow(&self, k: &[u8], ctx: *mut BnCtx) -> PyResult<Option<Bn>> {
        let mut acc = None;
        for (i, &d) in k.iter().rev().enumerate() {
            if d != 0 {
                let row = self
                    .rows
                    .get(i)
                    .ok_or_else(|| PyValueError::new_err("exponent too long for the table"))?;
                self.m.times(&mut acc, &row[d as usize - 1], ctx)?;
            }
        }
        Ok(acc)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FfGroup>()?;
    m.add_class::<FfChain>()?;
    m.add_class::<FfTable>()?;
    Ok(())
}
