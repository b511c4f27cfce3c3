//! The prime-order subgroup of edwards25519 through curve25519-dalek.
//!
//! A `Point` is decoded and checked once (canonical encoding, on the curve, in the prime-order
//! subgroup) and then crosses the Python boundary as an opaque handle. Scalars cross as 32
//! little-endian bytes that Python has reduced modulo q; anything else is refused.
//! Multiplications that may carry secrets (`mul`, `Table.mul`) are constant-time; the
//! `*_vartime` ones are for public values only (verification).

use std::os::raw::{c_int, c_uint, c_void};
use std::ptr;

use once_cell::sync::OnceCell;

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, ED25519_BASEPOINT_TABLE};
use curve25519_dalek::edwards::{
    CompressedEdwardsY, EdwardsBasepointTable, EdwardsPoint, VartimeEdwardsPrecomputation,
};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    BasepointTable, Identity, IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyTuple};

/// A point of the prime-order subgroup, with its RFC 8032 encoding once computed. A point
/// unpickled from another of our processes keeps only its encoding until it is used.
#[pyclass(frozen, module = "hramada_native")]
struct Point {
    p: OnceCell<EdwardsPoint>,
    enc: OnceCell<[u8; 32]>,
}

impl Point {
    fn new(p: EdwardsPoint) -> Self {
        Point {
            p: OnceCell::from(p),
            enc: OnceCell::new(),
        }
    }

    fn known(p: EdwardsPoint, enc: [u8; 32]) -> Self {
        Point {
            p: OnceCell::from(p),
            enc: OnceCell::from(enc),
        }
    }

    fn point(&self) -> &EdwardsPoint {
        self.p.get_or_init(|| {
            let enc = self
                .enc
                .get()
                .expect("a point has its coordinates or its encoding");
            decompress(*enc).expect("pickled by our own processes from a valid point")
        })
    }

    fn bytes(&self) -> &[u8; 32] {
        self.enc.get_or_init(|| self.point().compress().to_bytes())
    }
}

/// Whether an encoding is the one `compress` would give its point. Decompression accepts two
/// others: y >= p (taken modulo p) and the sign bit on x = 0, which only y = 1 and y = p - 1
/// have. Checked on the bytes, instead of a round trip that costs a field inversion.
fn is_canonical(arr: &[u8; 32]) -> bool {
    const P_MINUS_1: [u8; 32] = {
        let mut b = [0xff; 32];
        b[0] = 0xec;
        b[31] = 0x7f;
        b
    };
    let mut y = *arr;
    y[31] &= 0x7f;
    // y >= p = 2^255 - 19: bits 8 to 254 all set and the low byte at least 0xed.
    let y_too_big = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    let y_is_one = y[0] == 1 && y[1..].iter().all(|&b| b == 0);
    let negative_zero_x = arr[31] >> 7 == 1 && (y_is_one || y == P_MINUS_1);
    !(y_too_big || negative_zero_x)
}

/// The point a canonical encoding names.
fn decompress(arr: [u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical(&arr) {
        return None;
    }
    CompressedEdwardsY(arr).decompress()
}

/// [l]P = 0, in variable time: P is public. (l - 1)P + P avoids the unreduced scalar l.
fn in_subgroup(p: &EdwardsPoint) -> bool {
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&-Scalar::ONE, p, &Scalar::ZERO) + p)
        .is_identity()
}

/// Belenios writes a point as its RFC 8032 bytes reversed, in lowercase hex.
fn from_belenios_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut arr = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        arr[31 - i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(arr)
}

/// Append Belenios's string of an encoding: its bytes reversed, in lowercase hex.
fn push_belenios_hex(s: &mut String, enc: &[u8; 32]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in enc.iter().rev() {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
}

fn hex_array(s: &str) -> PyResult<[u8; 32]> {
    from_belenios_hex(s).ok_or_else(|| PyValueError::new_err("not 64 lowercase hex digits"))
}

fn checked(arr: [u8; 32]) -> PyResult<Point> {
    match decompress(arr) {
        Some(p) if in_subgroup(&p) => Ok(Point::known(p, arr)),
        _ => Err(PyValueError::new_err(
            "not a point of the prime-order subgroup of Ed25519",
        )),
    }
}

fn unchecked(arr: [u8; 32]) -> PyResult<Point> {
    decompress(arr)
        .map(|p| Point::known(p, arr))
        .ok_or_else(|| PyValueError::new_err("not an Ed25519 point"))
}

fn array(b: &[u8], what: &str) -> PyResult<[u8; 32]> {
    b.try_into()
        .map_err(|_| PyValueError::new_err(format!("{what} is 32 bytes")))
}

fn scalar(b: &[u8]) -> PyResult<Scalar> {
    Option::from(Scalar::from_canonical_bytes(array(b, "a scalar")?))
        .ok_or_else(|| PyValueError::new_err("scalar not reduced modulo q"))
}

#[pymethods]
impl Point {
    /// Parse Belenios's reversed lowercase hex; ValueError unless a point of the prime-order
    /// subgroup.
    #[staticmethod]
    fn from_hex(s: &str) -> PyResult<Point> {
        checked(hex_array(s)?)
    }

    /// Parse Belenios hex already checked once.
    #[staticmethod]
    fn from_hex_unchecked(s: &str) -> PyResult<Point> {
        unchecked(hex_array(s)?)
    }

    /// The standard base point.
    #[staticmethod]
    fn base() -> Point {
        Point::new(ED25519_BASEPOINT_POINT)
    }

    /// The neutral element.
    #[staticmethod]
    fn identity() -> Point {
        Point::new(EdwardsPoint::identity())
    }

    /// RFC 8032 compressed bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.bytes())
    }

    /// Belenios's string: the RFC 8032 bytes reversed, in lowercase hex.
    fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        push_belenios_hex(&mut s, self.bytes());
        s
    }

    fn __add__(&self, other: &Point) -> Point {
        Point::new(self.point() + other.point())
    }

    fn __neg__(&self) -> Point {
        Point::new(-self.point())
    }

    /// k * self in constant time (k may be secret), k as 32 bytes reduced modulo q.
    fn mul(&self, k: &[u8]) -> PyResult<Point> {
        Ok(Point::new(self.point() * scalar(k)?))
    }

    fn __eq__(&self, other: &Point) -> bool {
        match (self.enc.get(), other.enc.get()) {
            (Some(a), Some(b)) => a == b, // canonical encodings: equal exactly when the points are
            _ => self.point() == other.point(),
        }
    }

    fn __hash__(&self) -> u64 {
        let b = self.bytes();
        u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
    }

    fn __repr__(&self) -> String {
        format!("Point({})", self.hex())
    }

    /// Pickled as its bytes, between our own processes: rebuilt without a second check, and
    /// decompressed only when it is used.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let rebuild = py.get_type::<Point>().getattr("_from_pickle")?;
        let args = PyTuple::new(py, [slf.get().to_bytes(py)])?;
        PyTuple::new(py, [rebuild.into_any(), args.into_any()])
    }

    #[staticmethod]
    fn _from_pickle(b: &[u8]) -> PyResult<Point> {
        Ok(Point {
            p: OnceCell::new(),
            enc: OnceCell::from(array(b, "a point")?),
        })
    }
}

/// Precomputed multiples of one base: a constant-time table for secret exponents and a
/// variable-time one for verification. The standard base point uses dalek's static tables.
#[pyclass(frozen, module = "hramada_native")]
struct Table {
    tables: Option<(Box<EdwardsBasepointTable>, VartimeEdwardsPrecomputation)>,
}

#[pymethods]
impl Table {
    #[new]
    fn new(base: &Point) -> Table {
        if *base.point() == ED25519_BASEPOINT_POINT {
            return Table { tables: None };
        }
        Table {
            tables: Some((
                Box::new(EdwardsBasepointTable::create(base.point())),
                VartimeEdwardsPrecomputation::new([base.point()]),
            )),
        }
    }

    /// k * base in constant time.
    fn mul(&self, k: &[u8]) -> PyResult<Point> {
        let k = scalar(k)?;
        Ok(Point::new(match &self.tables {
            None => ED25519_BASEPOINT_TABLE * &k,
            Some((ct, _)) => &**ct * &k,
        }))
    }

    /// k * base + c * x in variable time: public values only (a verified commitment).
    fn mul_add_vartime(&self, k: &[u8], x: &Point, c: &[u8]) -> PyResult<Point> {
        let (k, c) = (scalar(k)?, scalar(c)?);
        Ok(Point::new(match &self.tables {
            None => EdwardsPoint::vartime_double_scalar_mul_basepoint(&c, x.point(), &k),
            Some((_, vt)) => vt.vartime_mixed_multiscalar_mul([k], [c], [x.point()]),
        }))
    }

    /// The commitments of a disjunctive proof, as its Fiat-Shamir hash reads them. Branch i is
    /// (alpha, beta, shift) with its challenge c and response r at `scalars[64i..64i + 64]`
    /// (32 bytes each); its commitments are g^r alpha^c and base^r (beta + shift)^c (shift
    /// is g^-m for the plaintext m, or None for 0). Returns them in Belenios hex, joined by
    /// commas, encoded with one field inversion for all. Variable time: public values only.
    fn or_commitments(&self, branches: Vec<Branch<'_>>, scalars: &[u8]) -> PyResult<String> {
        if scalars.len() != 64 * branches.len() {
            return Err(PyValueError::new_err("two 32-byte scalars a branch"));
        }
        let proofs = scalars
            .chunks_exact(64)
            .map(|cr| Ok((scalar(&cr[..32])?, scalar(&cr[32..])?)))
            .collect::<PyResult<Vec<_>>>()?;
        let mut text = String::new();
        push_belenios_list(&mut text, &self.commitments(&branches, &proofs));
        Ok(text)
    }

    /// Check a disjunctive proof whose challenges and responses are the decimal strings of the
    /// wire (the challenges must add up to SHA-256 of `prefix` and the commitments, mod q).
    /// None, before any arithmetic, if a string is not a canonical decimal below q: the caller
    /// then parses them on the reference path to name the error. Public values only.
    fn or_verify(
        &self,
        prefix: &str,
        branches: Vec<Branch<'_>>,
        proofs: Vec<(PyBackedStr, PyBackedStr)>,
    ) -> Option<bool> {
        let proofs = proofs
            .iter()
            .map(|(c, r)| Some((decimal_scalar(c)?, decimal_scalar(r)?)))
            .collect::<Option<Vec<_>>>()?;
        if proofs.len() != branches.len() {
            return Some(false);
        }
        let mut text = String::from(prefix);
        push_belenios_list(&mut text, &self.commitments(&branches, &proofs));
        let mut digest = sha256(text.as_bytes());
        digest.reverse(); // Belenios reads the digest as a big-endian integer
        let challenges: Scalar = proofs.iter().map(|(c, _)| c).sum();
        Some(challenges == Scalar::from_bytes_mod_order(digest))
    }
}

impl Table {
    /// g^r alpha^c and base^r (beta + shift)^c for each branch and its (c, r).
    fn commitments(
        &self,
        branches: &[Branch<'_>],
        proofs: &[(Scalar, Scalar)],
    ) -> Vec<EdwardsPoint> {
        let mut out = Vec::with_capacity(2 * branches.len());
        for ((alpha, beta, shift), (c, r)) in branches.iter().zip(proofs) {
            let beta = match shift {
                None => *beta.point(),
                Some(s) => beta.point() + s.point(),
            };
            out.push(EdwardsPoint::vartime_double_scalar_mul_basepoint(
                c,
                alpha.point(),
                r,
            ));
            out.push(match &self.tables {
                None => EdwardsPoint::vartime_double_scalar_mul_basepoint(c, &beta, r),
                Some((_, vt)) => vt.vartime_mixed_multiscalar_mul([r], [c], [beta]),
            });
        }
        out
    }
}

/// A canonical decimal scalar as the wire writes it (digits only, no leading zero) below q.
fn decimal_scalar(s: &str) -> Option<Scalar> {
    let digits = s.as_bytes();
    if digits.is_empty() || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut limbs = [0u64; 4]; // little-endian, at most 2^256 - 1
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let mut carry = u128::from(d - b'0');
        for limb in limbs.iter_mut() {
            let v = u128::from(*limb) * 10 + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    let mut bytes = [0u8; 32];
    for (chunk, limb) in bytes.chunks_exact_mut(8).zip(limbs) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    Scalar::from_canonical_bytes(bytes).into()
}

// SHA-256 from the system's libcrypto, which the finite-field core links already.
#[repr(C)]
struct EvpMd {
    _opaque: [u8; 0],
}

#[link(name = "crypto")]
extern "C" {
    fn EVP_sha256() -> *const EvpMd;
    fn EVP_Digest(
        data: *const u8,
        count: usize,
        md: *mut u8,
        size: *mut c_uint,
        kind: *const EvpMd,
        engine: *mut c_void,
    ) -> c_int;
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut md = [0u8; 32];
    // SAFETY: `data` is readable for its length, `md` has room for the 32 bytes of SHA-256, and
    // a null size pointer and engine are allowed.
    let ok = unsafe {
        EVP_Digest(
            data.as_ptr(),
            data.len(),
            md.as_mut_ptr(),
            ptr::null_mut(),
            EVP_sha256(),
            ptr::null_mut(),
        )
    };
    assert_eq!(ok, 1, "OpenSSL's SHA-256 failed");
    md
}

/// One branch of a disjunctive proof: alpha, beta and the shift g^-m of its plaintext m.
type Branch<'py> = (
    PyRef<'py, Point>,
    PyRef<'py, Point>,
    Option<PyRef<'py, Point>>,
);

/// Append points in Belenios hex joined by commas, compressed with one batch inversion.
fn push_belenios_list(s: &mut String, points: &[EdwardsPoint]) {
    s.reserve(65 * points.len());
    for (i, enc) in EdwardsPoint::compress_batch_alloc(points)
        .iter()
        .enumerate()
    {
        if i > 0 {
            s.push(',');
        }
        push_belenios_hex(s, enc.as_bytes());
    }
}

/// sum of k_i * P_i in variable time: public values only.
#[pyfunction]
fn multiscalar_vartime(scalars: Vec<Vec<u8>>, points: Vec<PyRef<'_, Point>>) -> PyResult<Point> {
    if points.len() != scalars.len() {
        return Err(PyValueError::new_err("as many points as scalars"));
    }
    let ks = scalars
        .iter()
        .map(|k| scalar(k))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Point::new(EdwardsPoint::vartime_multiscalar_mul(
        ks,
        points.iter().map(|p| *p.point()),
    )))
}

/// Add the Ed25519 classes and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Point>()?;
    m.add_class::<Table>()?;
    m.add_function(wrap_pyfunction!(multiscalar_vartime, m)?)?;
    Ok(())
}
