//! Entry point: parse flags, open the database, serve until SIGINT/SIGTERM, then drain the
//! writer and close the database.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use trulayer_collector::cli::{self, Command};
use trulayer_collector::routes::{router, AppState};
use trulayer_collector::store::Store;

fn main() -> ExitCode {
    let args = std::env::args().skip(1);
    let env_keys = std::env::var("TRULAYER_COLLECTOR_KEYS").ok();
    let opts = match cli::parse(args, env_keys.as_deref()) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("trulayer-collector {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("trulayer-collector: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(serve(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trulayer-collector: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(opts: cli::Options) -> Result<(), String> {
    let mut keys = opts.keys;
    let dev_key = keys.is_empty().then(|| format!("tl_dev_{}", trulayer_core::new_id().simple()));
    if let Some(k) = &dev_key {
        keys.insert(k.clone(), "default".into());
    }
    let store = Store::open(&opts.db).map_err(|e| format!("cannot open database {}: {e}", opts.db.display()))?;
    let listener = tokio::net::TcpListener::bind(opts.addr).await.map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Harnesses read this first line to learn the port; keep it exact and flushed.
    println!("trulayer-collector listening on http://{addr}");
    if let Some(k) = &dev_key {
        println!("no --key given; development key for project `default`: {k}");
    }
    let _ = std::io::stdout().flush();

    let keys: HashMap<String, Arc<str>> = keys.into_iter().map(|(k, p)| (k, Arc::from(p))).collect();
    let app = router(AppState { store: Arc::clone(&store), keys: Arc::new(keys) });
    let served = axum::serve(listener, app).with_graceful_shutdown(stop_signal()).await;
    // Every request has been answered; let the writer finish its queue and close the file.
    store.close();
    served.map_err(|e| format!("server error: {e}"))
}

async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
