//! The baton CLI (placeholder).
fn main() {}
