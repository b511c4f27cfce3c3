//! Native group arithmetic for Hramada: the prime-order subgroup of edwards25519 through
//! curve25519-dalek. Points cross the boundary as 32-byte RFC 8032 compressed encodings that
//! Python has already validated once (`ed25519_is_valid`); scalars as 32 little-endian bytes.
//! Single multiplications are constant-time (they may carry secrets); only `ed25519_multiscalar_vartime`,
//! used on public values by the verifiers, is variable-time.

mod ff;

use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn point(b: &[u8]) -> PyResult<EdwardsPoint> {
    let arr: [u8; 32] = b
        .try_into()
        .map_err(|_| PyValueError::new_err("an Ed25519 point is 32 bytes"))?;
    CompressedEdwardsY(arr)
        .decompress()
        .ok_or_else(|| PyValueError::new_err("not an Ed25519 point"))
}

fn scalar(b: &[u8]) -> PyResult<Scalar> {
    let arr: [u8; 32] = b
        .try_into()
        .map_err(|_| PyValueError::new_err("a scalar is 32 bytes"))?;
    Option::from(Scalar::from_canonical_bytes(arr))
        .ok_or_else(|| PyValueError::new_err("scalar not reduced modulo q"))
}

fn out<'py>(py: Python<'py>, p: &EdwardsPoint) -> Bound<'py, PyBytes> {
    PyBytes::new(py, p.compress().as_bytes())
}

/// True when `b` is the canonical encoding of a point of the prime-order subgroup
/// (the identity included).
#[pyfunction]
fn ed25519_is_valid(b: &[u8]) -> bool {
    let Ok(arr) = <[u8; 32]>::try_from(b) else {
        return false;
    };
    match CompressedEdwardsY(arr).decompress() {
        Some(p) => p.compress().to_bytes() == arr && p.is_torsion_free(),
        None => false,
    }
}

/// a + b.
#[pyfunction]
fn ed25519_add<'py>(py: Python<'py>, a: &[u8], b: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(out(py, &(point(a)? + point(b)?)))
}

/// -a.
#[pyfunction]
fn ed25519_neg<'py>(py: Python<'py>, a: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(out(py, &(-point(a)?)))
}

/// k * a, constant-time.
#[pyfunction]
fn ed25519_mul<'py>(py: Python<'py>, a: &[u8], k: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(out(py, &(point(a)? * scalar(k)?)))
}

/// k * B for the standard base point B, constant-time, with dalek's precomputed table.
#[pyfunction]
fn ed25519_base_mul<'py>(py: Python<'py>, k: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(out(py, &(ED25519_BASEPOINT_TABLE * &scalar(k)?)))
}

/// sum of k_i * P_i, variable-time: only for public points and scalars (verification).
#[pyfunction]
fn ed25519_multiscalar_vartime<'py>(
    py: Python<'py>,
    points: Vec<Vec<u8>>,
    scalars: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyBytes>> {
    if points.len() != scalars.len() {
        return Err(PyValueError::new_err("as many points as scalars"));
    }
    if points.is_empty() {
        return Ok(out(py, &EdwardsPoint::identity()));
    }
    let ps = points
        .iter()
        .map(|p| point(p))
        .collect::<PyResult<Vec<_>>>()?;
    let ks = scalars
        .iter()
        .map(|k| scalar(k))
        .collect::<PyResult<Vec<_>>>()?;
    let r = py.allow_threads(|| EdwardsPoint::vartime_multiscalar_mul(ks, ps));
    Ok(out(py, &r))
}

/// The native module: which backend this build uses.
#[pymodule]
fn hramada_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BACKEND", "curve25519-dalek 4.1")?;
    m.add_function(wrap_pyfunction!(ed25519_is_valid, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_add, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_neg, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_mul, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_base_mul, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_multiscalar_vartime, m)?)?;
    ff::register(m)?;
    Ok(())
}
