//! The prime-order subgroup of edwards25519 through curve25519-dalek.
//!
//! A `Point` is decoded and checked once (canonical encoding, on the curve, in the prime-order
//! subgroup) and then crosses the Python boundary as an opaque handle. Scalars cross as 32
//! little-endian bytes that Python has reduced modulo q; anything else is refused.
//! Multiplications that may carry secrets (`mul`, `Table.mul`) are constant-time; the
//! `*_vartime` ones are for public values only (verification).

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

/// The point an encoding names when it is canonical (decompression accepts y >= p and a
/// "negative" zero x, so the encoding must survive a round trip).
fn decompress(arr: [u8; 32]) -> Option<EdwardsPoint> {
    let p = CompressedEdwardsY(arr).decompress()?;
    (p.compress().to_bytes() == arr).then_some(p)
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
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.bytes().iter().rev() {
            s.push(DIGITS[(b >> 4) as usize] as char);
            s.push(DIGITS[(b & 15) as usize] as char);
        }
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
