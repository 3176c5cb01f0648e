//! The `baton` command: runs WASI commands (`_start`) and calls exported
//! functions, like `wasmtime run`. See `baton run --help` for the options and
//! the step syntax used to drive benchmark-style call sequences.

mod steps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use baton::{Config, Engine, Instance, Linker, Module, Store, Val, ValType};
use baton_wasi::{WasiCtx, WasiCtxBuilder};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use steps::{Step, StepKind};

/// Process exit status when the guest traps (128 + SIGABRT, as wasmtime does on Unix).
pub const TRAP_EXIT_CODE: u8 = 134;

const RUN_AFTER_HELP: &str = "\
STEPS
  Without --invoke, the module's `_start` is run as a WASI command (after
  `_initialize`, if exported). With --invoke, the listed steps run in
  command-line order instead; each step is numbered from 1, counting every
  --invoke, --write-memory and --read-memory:

    --invoke 'NAME [ARG...]'   call export NAME and print its results, one per line
    --write-memory ADDR:FILE   copy host FILE into the exported `memory` at ADDR
    --read-memory ADDR:LEN:FILE
                               copy LEN bytes of memory at ADDR into host FILE
                               (`-` for stdout)

  An ARG, ADDR or LEN is one of:
    42, -7, 0xff, 1_000_000    an integer (wrapped to the parameter's width)
    1.5, -inf, nan             a float (for f32/f64 parameters)
    null                       a null reference
    @N / @N.K                  the first / K-th result of step N
    size:FILE                  the length in bytes of host FILE

  With a single --invoke NAME, the trailing ARGS are its arguments
  (`baton run --invoke add m.wat 1 2`, as with wasmtime).

  Results print as: i32/i64 signed decimal; f32/f64 shortest round-trip decimal
  (`NaN`, `inf`); references as `null` or `ref`.

HOST FUNCTIONS
  `wasi_snapshot_preview1` is always available. If the module imports them,
  Baton also defines `env.clock_ms` (`() -> i64`: wall-clock milliseconds since
  the Unix epoch; `() -> i32`: milliseconds since the program started) and the
  sightglass markers `bench.start` / `bench.end` (`() -> ()`, no-ops).

EXIT STATUS
  0 on success; the guest's status when it calls `proc_exit`; 134 when the guest
  traps (the trap and a wasm backtrace are printed to stderr); 1 for any other
  error (missing file, malformed module, missing import, bad argument); 2 for
  command-line usage errors.

EXAMPLES
  baton hello.wasm arg1 arg2
  baton run --dir ./data::/data --env LANG=C prog.wasm
  baton run --invoke fib fib.wat 30
  baton run --invoke 'setup size:alice29.txt' --invoke 'input_ptr @1' \\
            --write-memory @2:alice29.txt --invoke 'run @1' \\
            --invoke 'len_compressed @1' --invoke 'teardown @1' compression.wasm";

#[derive(Parser)]
#[command(name = "baton", version, about = "Run WebAssembly programs with the Baton interpreter")]
#[command(after_help = "`baton FILE [ARGS...]` is shorthand for `baton run FILE [ARGS...]`.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WebAssembly module (binary or .wat text)
    #[command(after_long_help = RUN_AFTER_HELP)]
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Call export(s) instead of `_start`: 'NAME [ARG...]' (repeatable; see STEPS)
    #[arg(long, value_name = "NAME [ARG...]")]
    invoke: Vec<String>,
    /// Copy a host file into guest memory at an address: ADDR:FILE (a step)
    #[arg(long, value_name = "ADDR:FILE")]
    write_memory: Vec<String>,
    /// Copy guest memory into a host file: ADDR:LEN:FILE (a step; FILE `-` is stdout)
    #[arg(long, value_name = "ADDR:LEN:FILE")]
    read_memory: Vec<String>,
    /// Preopen host directory HOST, seen by the guest as GUEST (default: HOST)
    #[arg(long, value_name = "HOST[::GUEST]")]
    dir: Vec<String>,
    /// Set an environment variable for the guest (`K` alone copies the host's value)
    #[arg(long, value_name = "K=V")]
    env: Vec<String>,
    /// Meter execution: trap after N units of fuel
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// The module (a .wasm binary or a .wat text file), then the arguments for
    /// the guest (argv[1..]) or for a single --invoke'd function. Everything
    /// after FILE goes to the guest, flags included.
    #[arg(required = true, trailing_var_arg = true, value_name = "FILE [ARGS]...")]
    module_and_args: Vec<String>,
}

impl RunArgs {
    fn file(&self) -> PathBuf {
        PathBuf::from(self.module_and_args.first().cloned().unwrap_or_default())
    }
    fn guest_args(&self) -> &[String] {
        self.module_and_args.get(1..).unwrap_or_default()
    }
}

/// The store's host data.
struct Host {
    wasi: WasiCtx,
    start: Instant,
}

/// How a run ended, when it did not fail.
enum Outcome {
    Done,
    Exit(i32),
}

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().collect();
    // `baton FILE ...` and `baton [OPTIONS] FILE ...` mean `baton run ...`.
    if let Some(first) = argv.get(1) {
        let known = ["run", "help", "-h", "--help", "-V", "--version"];
        if !known.contains(&first.as_str()) {
            argv.insert(1, "run".into());
        }
    }
    let matches = Cli::command().get_matches_from(argv);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let Command::Run(args) = cli.command;
    let Some(run_matches) = matches.subcommand_matches("run") else {
        return ExitCode::from(2);
    };
    match run(args, run_matches) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Exit(code)) => ExitCode::from(code as u8),
        Err(e) => report(&e),
    }
}

/// Prints an error (one line, or a trap with its backtrace) and picks the exit code.
fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(err) = e.downcast_ref::<baton::Error>() {
        if let Some(code) = err.trap_code() {
            eprintln!("Error: wasm trap: {code}");
            let bt = err.backtrace();
            if !bt.is_empty() {
                eprintln!("wasm backtrace:");
                for (i, f) in bt.iter().enumerate() {
                    eprintln!("  {i:>3}: {f}");
                }
            }
            return ExitCode::from(TRAP_EXIT_CODE);
        }
    }
    let msg = format!("{e:#}");
    let one_line: Vec<&str> = msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    eprintln!("Error: {}", one_line.join(" "));
    ExitCode::FAILURE
}

fn run(args: RunArgs, matches: &ArgMatches) -> Result<Outcome> {
    let mut config = Config::default();
    if args.fuel.is_some() {
        config.consume_fuel(true);
    }
    let engine = Engine::new(&config);
    let file = args.file();
    let display = file.display().to_string();
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read `{display}`"))?;
    let module =
        Module::new(&engine, &bytes).map_err(|e| anyhow!("cannot load `{display}`: {}", tidy(&e, &display)))?;

    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio().arg(&display).args(args.guest_args().iter().cloned());
    for e in &args.env {
        match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => builder.env(k, v),
            None if !e.is_empty() => match std::env::var(e) {
                Ok(v) => builder.env(e.as_str(), v),
                Err(_) => continue,
            },
            _ => bail!("invalid --env `{e}`: expected K=V"),
        };
    }
    for d in &args.dir {
        let (host, guest) = match d.split_once("::") {
            Some((h, g)) => (h, g),
            None => (d.as_str(), d.as_str()),
        };
        if host.is_empty() || guest.is_empty() {
            bail!("invalid --dir `{d}`: expected HOST[::GUEST]");
        }
        builder.preopened_dir(host, guest);
    }
    let wasi = builder.build()?;

    let mut store = Store::new(&engine, Host { wasi, start: Instant::now() });
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel)?;
    }
    let mut linker: Linker<Host> = Linker::new(&engine);
    baton_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)?;
    define_extra_imports(&mut linker, &module)?;
    let instance = linker.instantiate(&mut store, &module)?;

    let steps = steps::collect(&args.invoke, &args.write_memory, &args.read_memory, args.guest_args(), matches)?;
    let result = if steps.is_empty() {
        run_command(&mut store, instance)
    } else {
        if let Some(init) = instance.get_func(&store, "_initialize") {
            init.call(&mut store, &[], &mut [])?;
        }
        run_steps(&mut store, instance, &steps)
    };
    match result {
        Ok(()) => Ok(Outcome::Done),
        Err(e) => match e.downcast_ref::<baton::Error>().and_then(baton::Error::i32_exit_status) {
            Some(code) => Ok(Outcome::Exit(code)),
            None => Err(e),
        },
    }
}

/// One line for a load error: the text parser's multi-line report becomes
/// `message (at FILE:LINE:COL)`.
fn tidy(e: &baton::Error, file: &str) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim().to_string();
    match lines.find_map(|l| l.trim().strip_prefix("-->")) {
        Some(at) => format!("{first} (at {})", at.trim().replace("<anon>", file)),
        None => first,
    }
}

/// Defines `env.clock_ms` and `bench.start`/`bench.end` when the module imports them.
fn define_extra_imports(linker: &mut Linker<Host>, module: &Module) -> Result<()> {
    for imp in module.imports() {
        let baton::ExternType::Func(ty) = imp.ty() else { continue };
        match (imp.module(), imp.name(), ty.params(), ty.results()) {
            ("env", "clock_ms", [], [ValType::I64]) => {
                linker.func_wrap("env", "clock_ms", || -> i64 {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as i64)
                })?;
            }
            ("env", "clock_ms", [], [ValType::I32]) => {
                linker.func_wrap("env", "clock_ms", |caller: baton::Caller<'_, Host>| -> i32 {
                    caller.data().start.elapsed().as_millis() as i32
                })?;
            }
            ("bench", name @ ("start" | "end"), [], []) => {
                linker.func_wrap("bench", name, || {})?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn run_command(store: &mut Store<Host>, instance: Instance) -> Result<()> {
    if let Some(init) = instance.get_func(&*store, "_initialize") {
        init.call(&mut *store, &[], &mut [])?;
    }
    let Some(start) = instance.get_func(&*store, "_start") else {
        bail!(
            "the module exports no `_start`; use --invoke NAME (exported functions: {})",
            exported_funcs(store, instance)
        );
    };
    start.call(&mut *store, &[], &mut [])?;
    Ok(())
}

/// The instance's exported function names, listed for an error message.
fn exported_funcs(store: &Store<Host>, instance: Instance) -> String {
    let funcs: Vec<String> = instance
        .exports(store)
        .into_iter()
        .filter(|(_, e)| matches!(e, baton::Extern::Func(_)))
        .map(|(n, _)| n)
        .collect();
    if funcs.is_empty() {
        "none".into()
    } else {
        funcs.join(", ")
    }
}

fn run_steps(store: &mut Store<Host>, instance: Instance, steps: &[Step]) -> Result<()> {
    let mut results: Vec<Vec<Val>> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let out = match &step.kind {
            StepKind::Call { name, args } => {
                let func = instance.get_func(&*store, name).ok_or_else(|| {
                    anyhow!(
                        "no exported function named `{name}` (exported functions: {})",
                        exported_funcs(store, instance)
                    )
                })?;
                let ty = func.ty(&*store);
                if args.len() != ty.params().len() {
                    let tys: Vec<String> = ty.params().iter().map(|t| t.to_string()).collect();
                    bail!("`{name}` takes {} argument(s) ({}), got {}", ty.params().len(), tys.join(" "), args.len());
                }
                let mut vals = Vec::with_capacity(args.len());
                for (k, (a, t)) in args.iter().zip(ty.params()).enumerate() {
                    let v = steps::arg_value(a, *t, &results)
                        .with_context(|| format!("invalid argument `{a}` for parameter {} ({t}) of `{name}`", k + 1))?;
                    vals.push(v);
                }
                let mut outs: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
                func.call(&mut *store, &vals, &mut outs)?;
                for v in &outs {
                    println!("{}", steps::format_val(v));
                }
                outs
            }
            StepKind::WriteMemory { addr, file } => {
                let addr = steps::address(addr, &results).with_context(|| format!("step {}", i + 1))?;
                let data = std::fs::read(file).with_context(|| format!("cannot read `{file}`"))?;
                let mem =
                    instance.get_memory(&*store, "memory").ok_or_else(|| anyhow!("the module exports no `memory`"))?;
                mem.write(&mut *store, addr, &data).map_err(|_| {
                    anyhow!("--write-memory: {} bytes at {addr:#x} fall outside guest memory", data.len())
                })?;
                Vec::new()
            }
            StepKind::ReadMemory { addr, len, file } => {
                let addr = steps::address(addr, &results).with_context(|| format!("step {}", i + 1))?;
                let len = steps::address(len, &results).with_context(|| format!("step {}", i + 1))?;
                let mem =
                    instance.get_memory(&*store, "memory").ok_or_else(|| anyhow!("the module exports no `memory`"))?;
                let mut buf = vec![0u8; len];
                mem.read(&*store, addr, &mut buf)
                    .map_err(|_| anyhow!("--read-memory: {len} bytes at {addr:#x} fall outside guest memory"))?;
                if file == "-" {
                    use std::io::Write;
                    std::io::stdout().write_all(&buf)?;
                } else {
                    std::fs::write(file, &buf).with_context(|| format!("cannot write `{file}`"))?;
                }
                Vec::new()
            }
        };
        results.push(out);
    }
    Ok(())
}
