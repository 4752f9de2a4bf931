//! The PyO3 bindings: `influxlite._native`. Thin by design: argument checks, conversion of
//! results to Python objects, and releasing the GIL around the heavy work.

mod batch;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<batch::ParsedBatch>()?;
    m.add_function(wrap_pyfunction!(batch::parse, m)?)?;
    m.add_function(wrap_pyfunction!(batch::fnv1a64, m)?)?;
    Ok(())
}
