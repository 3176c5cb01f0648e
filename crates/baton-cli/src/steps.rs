//! The `--invoke` / `--write-memory` / `--read-memory` steps: parsing them in
//! command-line order, parsing arguments per parameter type (including `@N`
//! references to earlier results and `size:FILE`), and printing results.

use anyhow::{anyhow, bail, Context as _, Result};
use baton::{Val, ValType};
use clap::ArgMatches;

/// One step of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Call { name: String, args: Vec<String> },
    WriteMemory { addr: String, file: String },
    ReadMemory { addr: String, len: String, file: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
}

/// Builds the step list in command-line order.
pub fn collect(
    invoke: &[String],
    write: &[String],
    read: &[String],
    trailing: &[String],
    matches: &ArgMatches,
) -> Result<Vec<Step>> {
    let idx = |id: &str| -> Vec<usize> { matches.indices_of(id).map(|i| i.collect()).unwrap_or_default() };
    let mut tagged: Vec<(usize, Step)> = Vec::new();
    let single = invoke.len() == 1;
    for (pos, spec) in idx("invoke").into_iter().zip(invoke) {
        let mut words = spec.split_whitespace().map(str::to_owned);
        let name = words.next().ok_or_else(|| anyhow!("--invoke needs a function name"))?;
        let mut args: Vec<String> = words.collect();
        if single && args.is_empty() {
            args = trailing.to_vec();
        }
        tagged.push((pos, Step { kind: StepKind::Call { name, args } }));
    }
    for (pos, spec) in idx("write_memory").into_iter().zip(write) {
        let (addr, file) =
            spec.split_once(':').ok_or_else(|| anyhow!("invalid --write-memory `{spec}`: expected ADDR:FILE"))?;
        tagged.push((pos, Step { kind: StepKind::WriteMemory { addr: addr.into(), file: file.into() } }));
    }
    for (pos, spec) in idx("read_memory").into_iter().zip(read) {
        let (addr, rest) =
            spec.split_once(':').ok_or_else(|| anyhow!("invalid --read-memory `{spec}`: expected ADDR:LEN:FILE"))?;
        // LEN may itself be `size:FILE`.
        let (len, file) = if let Some(r) = rest.strip_prefix("size:") {
            let (f, out) =
                r.split_once(':').ok_or_else(|| anyhow!("invalid --read-memory `{spec}`: expected ADDR:LEN:FILE"))?;
            (format!("size:{f}"), out.to_string())
        } else {
            let (l, out) = rest
                .split_once(':')
                .ok_or_else(|| anyhow!("invalid --read-memory `{spec}`: expected ADDR:LEN:FILE"))?;
            (l.to_string(), out.to_string())
        };
        tagged.push((pos, Step { kind: StepKind::ReadMemory { addr: addr.into(), len, file } }));
    }
    if invoke.is_empty() && !tagged.is_empty() {
        bail!("--write-memory and --read-memory need at least one --invoke step");
    }
    tagged.sort_by_key(|(pos, _)| *pos);
    Ok(tagged.into_iter().map(|(_, s)| s).collect())
}

/// The value `@N` or `@N.K` refers to.
fn reference(token: &str, results: &[Vec<Val>]) -> Result<Val> {
    let body = &token[1..];
    let (step, k) = match body.split_once('.') {
        Some((s, k)) => (s, k.parse::<usize>().map_err(|_| anyhow!("bad result index in `{token}`"))?),
        None => (body, 1),
    };
    let step: usize = step.parse().map_err(|_| anyhow!("bad step number in `{token}`"))?;
    if step == 0 || step > results.len() {
        bail!("`{token}` refers to step {step}, but only {} step(s) ran before", results.len());
    }
    let vals = &results[step - 1];
    if k == 0 || k > vals.len() {
        bail!("step {step} has {} result(s); `{token}` asks for result {k}", vals.len());
    }
    Ok(vals[k - 1])
}

fn file_size(path: &str) -> Result<u64> {
    Ok(std::fs::metadata(path).with_context(|| format!("cannot read `{path}`"))?.len())
}

fn parse_int(s: &str) -> Option<i128> {
    let s = s.replace('_', "");
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, s.strip_prefix('+').unwrap_or(&s).to_string()),
    };
    let v = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else {
        digits.parse::<i128>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Parses one argument for a parameter of type `ty`.
pub fn arg_value(token: &str, ty: ValType, results: &[Vec<Val>]) -> Result<Val> {
    if token.starts_with('@') {
        let v = reference(token, results)?;
        if v.ty() != ty {
            bail!("`{token}` is {} but the parameter is {ty}", v.ty());
        }
        return Ok(v);
    }
    if let Some(path) = token.strip_prefix("size:") {
        let n = file_size(path)?;
        return match ty {
            ValType::I32 => {
                Ok(Val::I32(u32::try_from(n).map_err(|_| anyhow!("`{path}` is too large for i32"))? as i32))
            }
            ValType::I64 => Ok(Val::I64(n as i64)),
            _ => bail!("size:FILE needs an i32 or i64 parameter, not {ty}"),
        };
    }
    match ty {
        ValType::I32 => {
            let v = parse_int(token).ok_or_else(|| anyhow!("not an integer"))?;
            if v < i32::MIN as i128 || v > u32::MAX as i128 {
                bail!("out of range for i32");
            }
            Ok(Val::I32(v as i64 as i32))
        }
        ValType::I64 => {
            let v = parse_int(token).ok_or_else(|| anyhow!("not an integer"))?;
            if v < i64::MIN as i128 || v > u64::MAX as i128 {
                bail!("out of range for i64");
            }
            Ok(Val::I64(v as i64))
        }
        ValType::F32 => Ok(Val::from_f32(token.replace('_', "").parse::<f32>().map_err(|_| anyhow!("not a number"))?)),
        ValType::F64 => Ok(Val::from_f64(token.replace('_', "").parse::<f64>().map_err(|_| anyhow!("not a number"))?)),
        ValType::FuncRef if token == "null" => Ok(Val::FuncRef(None)),
        ValType::ExternRef if token == "null" => Ok(Val::ExternRef(None)),
        ValType::FuncRef | ValType::ExternRef => bail!("only `null` can be passed for a reference"),
    }
}

/// Parses an address or length: an integer, `@N[.K]` (an i32/i64 result) or `size:FILE`.
pub fn address(token: &str, results: &[Vec<Val>]) -> Result<usize> {
    let v: i128 = if token.starts_with('@') {
        match reference(token, results)? {
            Val::I32(v) => v as u32 as i128,
            Val::I64(v) => v as u64 as i128,
            other => bail!("`{token}` is {}, not an address", other.ty()),
        }
    } else if let Some(path) = token.strip_prefix("size:") {
        file_size(path)? as i128
    } else {
        parse_int(token).ok_or_else(|| anyhow!("`{token}` is not an address"))?
    };
    usize::try_from(v).map_err(|_| anyhow!("`{token}` is not a valid address"))
}

/// Formats a result for printing.
pub fn format_val(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) | Val::ExternRef(Some(_)) => "ref".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_per_type() {
        let r: Vec<Vec<Val>> = vec![vec![Val::I32(7), Val::I64(9)]];
        assert_eq!(arg_value("42", ValType::I32, &r).unwrap(), Val::I32(42));
        assert_eq!(arg_value("-1", ValType::I32, &r).unwrap(), Val::I32(-1));
        assert_eq!(arg_value("0xffffffff", ValType::I32, &r).unwrap(), Val::I32(-1));
        assert_eq!(arg_value("1_000_000", ValType::I64, &r).unwrap(), Val::I64(1_000_000));
        assert_eq!(arg_value("1.5", ValType::F64, &r).unwrap(), Val::from_f64(1.5));
        assert_eq!(arg_value("@1", ValType::I32, &r).unwrap(), Val::I32(7));
        assert_eq!(arg_value("@1.2", ValType::I64, &r).unwrap(), Val::I64(9));
        assert!(arg_value("@1", ValType::I64, &r).is_err());
        assert!(arg_value("@2", ValType::I32, &r).is_err());
        assert!(arg_value("x", ValType::I32, &r).is_err());
        assert!(arg_value("4294967296", ValType::I32, &r).is_err());
        assert_eq!(address("@1", &r).unwrap(), 7);
        assert_eq!(format_val(&Val::from_f64(1.2742241159529095)), "1.2742241159529095");
        assert_eq!(format_val(&Val::I32(-3)), "-3");
    }
}
