//! Errors and traps: every failure a caller of Baton can see is an [`Error`].
//!
//! Guest-visible failures at run time are traps, identified by a [`TrapCode`]
//! whose `Display` text is the one the WebAssembly specification uses.

use std::fmt;

/// Why a running guest stopped abnormally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// An `unreachable` instruction was executed.
    Unreachable,
    /// A load, store or bulk memory operation went outside linear memory.
    MemoryOutOfBounds,
    /// A table access (`table.get/set/copy/init/fill`, `call_indirect` index) was out of range.
    TableOutOfBounds,
    /// `call_indirect` hit a null entry.
    IndirectCallToNull,
    /// `call_indirect` with an index outside the table.
    UndefinedElement,
    /// `call_indirect` hit a function of another type.
    BadSignature,
    /// Signed division overflow (`INT_MIN / -1`).
    IntegerOverflow,
    /// Division or remainder by zero.
    IntegerDivisionByZero,
    /// A float-to-int truncation of NaN or an out-of-range value.
    BadConversionToInteger,
    /// The guest call stack (frames or value slots) is exhausted.
    StackOverflow,
    /// The store ran out of fuel.
    OutOfFuel,
    /// The execution was interrupted through an [`crate::InterruptHandle`].
    Interrupted,
}

impl TrapCode {
    /// The specification's wording for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A trap raised while running guest code, with the wasm backtrace at the trap.
#[derive(Debug, Clone)]
pub struct Trap {
    pub code: TrapCode,
    /// Innermost frame first: function names (from the name section) or `func[N]`.
    pub backtrace: Vec<String>,
}

/// Every error Baton reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed WebAssembly module.
    #[error("malformed module: {0}")]
    Malformed(String),
    /// The module is well formed but does not validate.
    #[error("invalid module: {0}")]
    Invalid(String),
    /// The module uses something Baton does not support (e.g. SIMD).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An import could not be satisfied, or an extern does not match its import type.
    #[error("link error: {0}")]
    Link(String),
    /// A resource limit (memory, table, instance count, code size) was hit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Guest execution trapped.
    #[error("{}", .0.code)]
    Trap(Trap),
    /// A host function asked to exit the guest with a status (WASI `proc_exit`).
    #[error("exited with status {0}")]
    Exit(i32),
    /// A call from the host was malformed (wrong argument count or types).
    #[error("{0}")]
    BadCall(String),
    /// An error returned by a host function.
    #[error("{0}")]
    Host(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An error that makes the guest exit with `status` (WASI `proc_exit`).
    pub fn i32_exit(status: i32) -> Self {
        Error::Exit(status)
    }

    /// A host error from any message.
    pub fn host(msg: impl Into<String>) -> Self {
        Error::Host(msg.into().into())
    }

    /// The exit status, if this is an [`Error::Exit`].
    pub fn i32_exit_status(&self) -> Option<i32> {
        match self {
            Error::Exit(s) => Some(*s),
            _ => None,
        }
    }

    /// The trap code, if this is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            Error::Trap(t) => Some(t.code),
            _ => None,
        }
    }

    /// The wasm backtrace of a trap (innermost first); empty otherwise.
    pub fn backtrace(&self) -> &[String] {
        match self {
            Error::Trap(t) => &t.backtrace,
            _ => &[],
        }
    }

    pub(crate) fn trap(code: TrapCode) -> Self {
        Error::Trap(Trap { code, backtrace: Vec::new() })
    }
}

impl From<TrapCode> for Error {
    fn from(code: TrapCode) -> Self {
        Error::trap(code)
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
