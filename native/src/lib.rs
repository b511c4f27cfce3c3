//! Native group arithmetic for Hramada, one module per kind of group.

mod ed25519;
mod ff;

use pyo3::prelude::*;

/// The native module and the library it computes with.
#[pymodule]
fn hramada_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BACKEND", "curve25519-dalek 4.1")?;
    ed25519::register(m)?;
    ff::register(m)?;
    Ok(())
}
