//! WASI preview1 (placeholder).
