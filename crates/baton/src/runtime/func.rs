//! Functions: wasm and host functions behind one handle, typed calls, and the
//! conversions between Rust closures and the interpreter's slot convention.
//!
//! Host functions see their arguments in a `&mut [u64]` of
//! `max(params, results)` slots and write their results back into it.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::runtime::instance::Extern;
use crate::runtime::store::{AsContext, AsContextMut, FuncEntity, Store};
use crate::runtime::values::{ExternRef, Val};
use crate::types::{FuncType, ValType};

/// Host function in slot form.
pub(crate) type HostFunc<T> = dyn Fn(Caller<'_, T>, &mut [u64]) -> Result<()> + Send + Sync;

/// A function of a store: a wasm function of some instance or a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) u32);

/// What a host function sees of its caller: the store's data and the calling instance's exports.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<u32>,
}

impl<'a, T> Caller<'a, T> {
    pub fn data(&self) -> &T {
        self.store.data()
    }
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }
    pub fn engine(&self) -> &crate::Engine {
        self.store.engine()
    }
    /// An export of the calling instance, e.g. its `"memory"`.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let inst = self.instance?;
        self.store.inner.instances[inst as usize].exports.get(name).copied()
    }
}

impl Func {
    /// A host function from a closure; its wasm type comes from the closure's
    /// signature (`Fn(Caller<T>, A1, .., An) -> R` or `Fn(A1, .., An) -> R`).
    pub fn wrap<T, Params, Results>(
        mut ctx: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_func();
        Func::from_host(ctx.store_mut(), ty, host)
    }

    /// A host function of any type, working on [`Val`]s.
    pub fn new<T: 'static>(
        mut ctx: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let host = dyn_host_func(ty.clone(), f);
        Func::from_host(ctx.store_mut(), ty, host)
    }

    pub(crate) fn from_host<T>(store: &mut Store<T>, ty: FuncType, host: Arc<HostFunc<T>>) -> Func {
        store.host_funcs.push(host);
        let type_id = store.inner.engine.type_id(&ty);
        let host = (store.host_funcs.len() - 1) as u32;
        let slots = ty.params().len().max(ty.results().len()) as u32;
        Func(store.inner.alloc_func(FuncEntity::Host { host, ty, type_id, slots }))
    }

    /// The function's signature.
    pub fn ty(&self, ctx: impl AsContext) -> FuncType {
        ctx.store().inner.func_type(self.0)
    }

    /// Calls the function with dynamically typed arguments; `results` must have
    /// room for exactly the function's results.
    pub fn call<T>(&self, mut ctx: impl AsContextMut<Data = T>, params: &[Val], results: &mut [Val]) -> Result<()> {
        let store = ctx.store_mut();
        if self.0 as usize >= store.inner.funcs.len() {
            return Err(Error::BadCall("the function does not belong to this store".into()));
        }
        let ty = store.inner.func_type(self.0);
        if params.len() != ty.params().len() {
            return Err(Error::BadCall(format!("expected {} arguments, got {}", ty.params().len(), params.len())));
        }
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if p.ty() != *t {
                return Err(Error::BadCall(format!("argument {i} must be {t}, got {}", p.ty())));
            }
        }
        if results.len() != ty.results().len() {
            return Err(Error::BadCall(format!(
                "expected room for {} results, got {}",
                ty.results().len(),
                results.len()
            )));
        }
        // Up to 16 slots live on the native stack (no allocation per call).
        let n = params.len().max(results.len());
        let (mut buf, mut heap) = ([0u64; 16], Vec::new());
        let slots: &mut [u64] = if n <= buf.len() {
            &mut buf[..n]
        } else {
            heap.resize(n, 0);
            &mut heap
        };
        for (s, p) in slots.iter_mut().zip(params) {
            *s = p.to_raw();
        }
        crate::exec::invoke(store, self.0, slots)?;
        for ((r, s), t) in results.iter_mut().zip(slots.iter()).zip(ty.results()) {
            *r = Val::from_raw(*s, *t);
        }
        Ok(())
    }

    /// A statically typed view of this function; fails if the types differ.
    pub fn typed<P: WasmParams, R: WasmResults>(&self, ctx: impl AsContext) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(ctx);
        if !P::matches(ty.params()) || !R::matches(ty.results()) {
            return Err(Error::BadCall(format!("function type mismatch: the function is {ty}")));
        }
        Ok(TypedFunc { func: *self, _marker: PhantomData })
    }
}

pub(crate) fn dyn_host_func<T>(
    ty: FuncType,
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> Arc<HostFunc<T>> {
    Arc::new(move |caller: Caller<'_, T>, slots: &mut [u64]| {
        let params: Vec<Val> = ty.params().iter().zip(slots.iter()).map(|(t, s)| Val::from_raw(*s, *t)).collect();
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        f(caller, &params, &mut results)?;
        for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
            if r.ty() != *t {
                return Err(Error::BadCall(format!("host function result {i} must be {t}, got {}", r.ty())));
            }
            slots[i] = r.to_raw();
        }
        Ok(())
    })
}

/// A function with a statically known signature: `P` the parameters (a type or
/// a tuple), `R` the results.
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    pub fn func(&self) -> Func {
        self.func
    }
    pub fn call<T>(&self, mut ctx: impl AsContextMut<Data = T>, params: P) -> Result<R> {
        // A translated wasm function: the arguments go straight into the
        // value stack and the results come straight out of it.
        let store = ctx.store_mut();
        let mut io = TypedIo::<P, R> { params, results: None };
        match crate::exec::invoke_io(store, self.func.0, &mut io) {
            Some(Ok(())) => io.results.ok_or_else(|| Error::BadCall("the call returned no results".into())),
            Some(Err(e)) => Err(e),
            None => self.call_slow(store, params),
        }
    }
    /// [`call`](Self::call) through a slot buffer (host functions, functions
    /// not translated yet, the first call of a store): the common small
    /// signatures zero only 4 slots (`n` is a constant here).
    #[cold]
    #[inline(never)]
    fn call_slow<T>(&self, store: &mut Store<T>, params: P) -> Result<R> {
        let n = P::LEN.max(R::LEN);
        if n <= 4 {
            self.call_in(store, params, &mut [0u64; 4][..n])
        } else if n <= 16 {
            self.call_in(store, params, &mut [0u64; 16][..n])
        } else {
            self.call_in(store, params, &mut vec![0u64; n])
        }
    }
    fn call_in<T>(&self, store: &mut Store<T>, params: P, slots: &mut [u64]) -> Result<R> {
        params.store(slots);
        crate::exec::invoke(store, self.func.0, slots)?;
        Ok(R::load(slots))
    }
}

/// Typed arguments and results of one call, moved to and from the value
/// stack without a slot buffer in between.
struct TypedIo<P, R> {
    params: P,
    results: Option<R>,
}

impl<P: WasmParams, R: WasmResults> crate::exec::CallIo for TypedIo<P, R> {
    #[inline(always)]
    fn slots(&self) -> usize {
        P::LEN.max(R::LEN)
    }
    #[inline(always)]
    unsafe fn put_args(&mut self, dst: *mut u64) {
        // SAFETY: `dst` holds `max(P::LEN, R::LEN)` slots (the caller's
        // contract), not aliased by `self`.
        self.params.store(unsafe { std::slice::from_raw_parts_mut(dst, P::LEN) });
    }
    #[inline(always)]
    unsafe fn take_results(&mut self, src: *const u64) {
        // SAFETY: as in `put_args`.
        self.results = Some(R::load(unsafe { std::slice::from_raw_parts(src, R::LEN) }));
    }
}

/// A Rust type that is a wasm value type.
pub trait WasmTy: Sized + Copy {
    fn ty() -> ValType;
    fn to_raw(self) -> u64;
    fn from_raw(raw: u64) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, |$s:ident| $to:expr, |$r:ident| $from:expr) => {
        impl WasmTy for $t {
            fn ty() -> ValType {
                ValType::$vt
            }
            fn to_raw(self) -> u64 {
                let $s = self;
                $to
            }
            fn from_raw($r: u64) -> Self {
                $from
            }
        }
    };
}
wasm_ty!(i32, I32, |s| s as u32 as u64, |r| r as u32 as i32);
wasm_ty!(u32, I32, |s| s as u64, |r| r as u32);
wasm_ty!(i64, I64, |s| s as u64, |r| r as i64);
wasm_ty!(u64, I64, |s| s, |r| r);
wasm_ty!(f32, F32, |s| s.to_bits() as u64, |r| f32::from_bits(r as u32));
wasm_ty!(f64, F64, |s| s.to_bits(), |r| f64::from_bits(r));
wasm_ty!(Option<Func>, FuncRef, |s| s.map_or(0, |f| f.0 as u64 + 1), |r| r.checked_sub(1).map(|i| Func(i as u32)));
wasm_ty!(Option<ExternRef>, ExternRef, |s| s.map_or(0, |e| e.0 as u64 + 1), |r| r
    .checked_sub(1)
    .map(|i| ExternRef(i as u32)));

/// Parameters of a typed call: a [`WasmTy`] or a tuple of them.
pub trait WasmParams: Sized + Copy {
    const LEN: usize;
    fn matches(tys: &[ValType]) -> bool;
    fn store(self, slots: &mut [u64]);
    fn load(slots: &[u64]) -> Self;
    fn types() -> Vec<ValType>;
}

/// Results of a typed call: same shapes as [`WasmParams`].
pub trait WasmResults: WasmParams {}
impl<P: WasmParams> WasmResults for P {}

impl<A: WasmTy> WasmParams for A {
    const LEN: usize = 1;
    fn matches(tys: &[ValType]) -> bool {
        tys == [A::ty()]
    }
    fn store(self, slots: &mut [u64]) {
        slots[0] = self.to_raw();
    }
    fn load(slots: &[u64]) -> Self {
        A::from_raw(slots[0])
    }
    fn types() -> Vec<ValType> {
        vec![A::ty()]
    }
}

macro_rules! count {
    () => { 0 };
    ($h:ident $($t:ident)*) => { 1 + count!($($t)*) };
}

macro_rules! tuple_params {
    ($($n:ident)*) => {
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmParams for ($($n,)*) {
            const LEN: usize = count!($($n)*);
            fn matches(tys: &[ValType]) -> bool {
                tys == [$($n::ty()),*]
            }
            fn store(self, slots: &mut [u64]) {
                let ($($n,)*) = self;
                let mut i = 0;
                $( slots[i] = $n.to_raw(); i += 1; )*
            }
            fn load(slots: &[u64]) -> Self {
                let mut i = 0;
                ($( { let v = $n::from_raw(slots[i]); i += 1; v }, )*)
            }
            fn types() -> Vec<ValType> {
                vec![$($n::ty()),*]
            }
        }
    };
}

/// What a host closure may return: results, or `Result` of them.
pub trait HostReturn {
    type Results: WasmResults;
    fn into_result(self) -> Result<Self::Results>;
}
impl<R: WasmResults> HostReturn for R {
    type Results = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}
impl<R: WasmResults> HostReturn for Result<R> {
    type Results = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// Closures that can become host functions. `Params` is a marker for the
/// closure's shape, inferred.
pub trait IntoFunc<T, Params, Results> {
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Arc<HostFunc<T>>);
}

/// Marker for closures that take a [`Caller`] first.
pub struct WithCaller<P>(PhantomData<P>);

macro_rules! into_func {
    ($($n:ident)*) => {
        tuple_params!($($n)*);

        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T, F, R, $($n: WasmTy + 'static),*> IntoFunc<T, ($($n,)*), R> for F
        where
            F: Fn($($n),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_func(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(<($($n,)*) as WasmParams>::types(), R::Results::types());
                let f = move |_caller: Caller<'_, T>, slots: &mut [u64]| -> Result<()> {
                    let mut i = 0;
                    $( let $n = $n::from_raw(slots[i]); i += 1; )*
                    let r = (self)($($n),*).into_result()?;
                    r.store(slots);
                    Ok(())
                };
                (ty, Arc::new(f))
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T, F, R, $($n: WasmTy + 'static),*> IntoFunc<T, WithCaller<($($n,)*)>, R> for F
        where
            F: Fn(Caller<'_, T>, $($n),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_func(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(<($($n,)*) as WasmParams>::types(), R::Results::types());
                let f = move |caller: Caller<'_, T>, slots: &mut [u64]| -> Result<()> {
                    let mut i = 0;
                    $( let $n = $n::from_raw(slots[i]); i += 1; )*
                    let r = (self)(caller, $($n),*).into_result()?;
                    r.store(slots);
                    Ok(())
                };
                (ty, Arc::new(f))
            }
        }
    };
}

into_func!();
into_func!(A1);
into_func!(A1 A2);
into_func!(A1 A2 A3);
into_func!(A1 A2 A3 A4);
into_func!(A1 A2 A3 A4 A5);
into_func!(A1 A2 A3 A4 A5 A6);
into_func!(A1 A2 A3 A4 A5 A6 A7);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16);
