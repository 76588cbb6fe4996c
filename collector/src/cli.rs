//! Command-line options. Hand-parsed: four flags do not justify a parser dependency, and the
//! exact spelling matters to every test harness that starts the collector.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const USAGE: &str = "usage: trulayer-collector [--addr HOST:PORT] [--db PATH] [--key KEY=PROJECT]...

  --addr HOST:PORT   listen address (default 127.0.0.1:8080; port 0 picks a free port)
  --db PATH          SQLite database file (default ./trulayer.db)
  --key KEY=PROJECT  accept API key KEY for project PROJECT; may repeat
                     (also TRULAYER_COLLECTOR_KEYS=\"k1=p1,k2=p2\")
With no key at all, one development key for project `default` is created and printed.";

#[derive(Debug, PartialEq)]
pub struct Options {
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// API key → project name.
    pub keys: HashMap<String, String>,
}

#[derive(Debug, PartialEq)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

/// Parses the arguments (without the program name) and the value of TRULAYER_COLLECTOR_KEYS.
pub fn parse(args: impl IntoIterator<Item = String>, env_keys: Option<&str>) -> Result<Command, String> {
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().expect("valid default address");
    let mut db = PathBuf::from("./trulayer.db");
    let mut keys = HashMap::new();
    if let Some(list) = env_keys {
        for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            add_key(&mut keys, pair, "TRULAYER_COLLECTOR_KEYS")?;
        }
    }
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--addr" => {
                let v = value("--addr")?;
                addr = v.parse().map_err(|_| format!("--addr: `{v}` is not HOST:PORT (e.g. 127.0.0.1:8080)"))?;
            }
            "--db" => db = PathBuf::from(value("--db")?),
            "--key" => add_key(&mut keys, &value("--key")?, "--key")?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Run(Options { addr, db, keys }))
}

fn add_key(keys: &mut HashMap<String, String>, pair: &str, source: &str) -> Result<(), String> {
    match pair.split_once('=') {
        Some((k, p)) if !k.trim().is_empty() && !p.trim().is_empty() => {
            keys.insert(k.trim().to_owned(), p.trim().to_owned());
            Ok(())
        }
        _ => Err(format!("{source}: `{pair}` is not KEY=PROJECT")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: Option<&str>) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()), env)? {
            Command::Run(o) => Ok(o),
            other => panic!("expected options, got {other:?}"),
        }
    }

    #[test]
    fn defaults_flags_and_env_keys_combine() {
        let o = run(&[], None).unwrap();
        assert_eq!(o.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(o.db, PathBuf::from("./trulayer.db"));
        assert!(o.keys.is_empty());
        let o = run(&["--addr", "127.0.0.1:0", "--db=/tmp/x.db", "--key", "a=p1", "--key=b=p2"], Some("c=p3, d=p4")).unwrap();
        assert_eq!(o.addr.port(), 0);
        assert_eq!(o.db, PathBuf::from("/tmp/x.db"));
        assert_eq!(o.keys.len(), 4);
        assert_eq!(o.keys["b"], "p2");
        assert_eq!(o.keys["d"], "p4");
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(run(&["--key", "nokey"], None).unwrap_err().contains("KEY=PROJECT"));
        assert!(run(&["--addr", "localhost"], None).unwrap_err().contains("HOST:PORT"));
        assert!(run(&["--db"], None).unwrap_err().contains("needs a value"));
        assert!(run(&["--bogus"], None).unwrap_err().contains("unknown argument"));
        assert!(run(&[], Some("x=")).unwrap_err().contains("TRULAYER_COLLECTOR_KEYS"));
    }
}
