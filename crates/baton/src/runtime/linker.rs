//! The linker: a name space of host definitions and instance exports used to
//! resolve a module's imports by `(module, name)`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::module::Module;
use crate::runtime::func::{Caller, Func, HostFunc, IntoFunc};
use crate::runtime::instance::{Extern, Instance};
use crate::runtime::store::{AsContext, AsContextMut, Engine};
use crate::runtime::values::Val;
use crate::types::{ExternType, FuncType};

enum Definition<T> {
    Extern(Extern),
    /// A host function, materialised in each store that instantiates with it.
    HostFunc(FuncType, Arc<HostFunc<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(t, f) => Definition::HostFunc(t.clone(), f.clone()),
        }
    }
}

/// Resolves imports by name. Host functions defined here can be used with any
/// store of the engine.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker { engine: self.engine.clone(), defs: self.defs.clone(), allow_shadowing: self.allow_shadowing }
    }
}

impl<T> Linker<T> {
    pub fn new(engine: &Engine) -> Self {
        Linker { engine: engine.clone(), defs: HashMap::new(), allow_shadowing: false }
    }

    /// Allow a later definition to replace an earlier one of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::Link(format!("`{module}::{name}` is already defined")));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as an extern of some store.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines a host function from a typed closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, host) = f.into_func();
        self.insert(module, name, Definition::HostFunc(ty, host))
    }

    /// Defines a host function of any type working on [`Val`]s.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self>
    where
        T: 'static,
    {
        let host = crate::runtime::func::dyn_host_func(ty.clone(), f);
        self.insert(module, name, Definition::HostFunc(ty, host))
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(&mut self, ctx: impl AsContext<Data = T>, module: &str, instance: Instance) -> Result<&mut Self> {
        for (name, ext) in instance.exports(&ctx) {
            self.insert(module, &name, Definition::Extern(ext))?;
        }
        Ok(self)
    }

    /// Looks up a definition, materialising host functions in the store.
    pub fn get(&self, mut ctx: impl AsContextMut<Data = T>, module: &str, name: &str) -> Option<Extern> {
        match self.defs.get(&(module.to_string(), name.to_string()))? {
            Definition::Extern(e) => Some(*e),
            Definition::HostFunc(ty, f) => Some(Extern::Func(Func::from_host(ctx.store_mut(), ty.clone(), f.clone()))),
        }
    }

    /// Resolves the module's imports and instantiates it, running its start function.
    pub fn instantiate(&self, mut ctx: impl AsContextMut<Data = T>, module: &Module) -> Result<Instance> {
        if !module.engine().same(&self.engine) {
            return Err(Error::Link("module and linker belong to different engines".into()));
        }
        let store = ctx.store_mut();
        let mut externs = Vec::with_capacity(module.imports().len());
        for imp in module.imports() {
            let ext = self.get(&mut *store, imp.module(), imp.name()).ok_or_else(|| {
                Error::Link(format!("unknown import: `{}::{}` has not been defined", imp.module(), imp.name()))
            })?;
            if let (ExternType::Func(want), Extern::Func(f)) = (imp.ty(), ext) {
                let got = f.ty(&*store);
                if got != *want {
                    return Err(Error::Link(format!(
                        "incompatible import type for `{}::{}`: expected {want}, got {got}",
                        imp.module(),
                        imp.name()
                    )));
                }
            }
            externs.push(ext);
        }
        Instance::new(store, module, &externs)
    }

    /// Instantiates the module and defines its exports under `name`.
    pub fn module(&mut self, mut ctx: impl AsContextMut<Data = T>, name: &str, module: &Module) -> Result<&mut Self> {
        let inst = self.instantiate(&mut ctx, module)?;
        self.instance(&ctx, name, inst)
    }
}
