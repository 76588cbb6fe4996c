//! SQLite storage: WAL mode, one writer thread that batches queued jobs into one transaction,
//! and a small pool of reader connections used from blocking tasks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use crate::ingest::NewTrace;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS traces (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    id TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    has_error INTEGER NOT NULL,
    latency_ms INTEGER,
    total_tokens INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    span_count INTEGER NOT NULL,
    cost REAL,
    model TEXT,
    created_us INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (project, id)
);
CREATE INDEX IF NOT EXISTS traces_by_time ON traces (project, started_us DESC, seq DESC);
CREATE INDEX IF NOT EXISTS traces_by_error ON traces (project, has_error, started_us DESC, seq DESC);
CREATE INDEX IF NOT EXISTS traces_by_latency ON traces (project, latency_ms);
CREATE INDEX IF NOT EXISTS traces_by_tokens ON traces (project, total_tokens);
-- Model, failure type and tag of each trace, kept in list order (started_us, seq) so a
-- filtered page is a walk along one index range.
CREATE TABLE IF NOT EXISTS facets (
    project TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    trace_seq INTEGER NOT NULL,
    PRIMARY KEY (project, kind, value, started_us, trace_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    label TEXT NOT NULL,
    score REAL,
    comment TEXT,
    metadata TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_trace ON feedback (project, trace_id);
CREATE TABLE IF NOT EXISTS evals (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    evaluator_type TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    label TEXT,
    reasoning TEXT,
    config TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
";

/// Jobs the writer may batch into one transaction before committing.
const MAX_JOBS_PER_COMMIT: usize = 512;
/// Queued write jobs; beyond this a write is refused with 503 + Retry-After.
const QUEUE_CAPACITY: usize = 4096;

#[derive(Debug)]
pub enum StoreError {
    /// The write queue is full.
    Busy,
    /// The store is shutting down.
    Closed,
    Db(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

type Finisher = Box<dyn FnOnce(Result<(), String>) + Send>;
/// Runs inside the writer's transaction; says whether it succeeded and how to report back
/// once the transaction's fate is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finisher) + Send>;

pub struct Store {
    path: PathBuf,
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
}

fn open(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Opens (creating if needed) a database with the collector's schema in WAL mode.
pub fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(SCHEMA)?;
    // Index statistics let the planner choose between walking the time index and using a
    // filter's own index; 0x10002 also analyses tables that have never been analysed.
    // analysis_limit keeps this a sampling pass, quick even on a large database.
    conn.execute_batch("PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;")?;
    Ok(conn)
}

/// Inserts traces that are not stored yet; returns, per trace, whether it was new.
pub fn insert_traces(conn: &Connection, project: &str, traces: &[NewTrace]) -> rusqlite::Result<Vec<bool>> {
    let mut trace_stmt = conn.prepare_cached(
        "INSERT INTO traces (project, id, started_us, has_error, latency_ms, total_tokens, prompt_tokens,
             completion_tokens, span_count, cost, model, created_us, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (project, id) DO NOTHING",
    )?;
    let mut facet_stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO facets (project, kind, value, started_us, trace_seq) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let now = crate::timefmt::now_micros();
    let mut fresh = Vec::with_capacity(traces.len());
    for t in traces {
        let inserted = trace_stmt.execute(params![
            project,
            t.id,
            t.started_us,
            t.has_error,
            t.latency_ms,
            t.prompt_tokens + t.completion_tokens,
            t.prompt_tokens,
            t.completion_tokens,
            t.span_count,
            t.cost,
            t.model,
            now,
            t.body
        ])? == 1;
        if inserted {
            let seq = conn.last_insert_rowid();
            for (kind, value) in &t.facets {
                facet_stmt.execute(params![project, kind, value, t.started_us, seq])?;
            }
        }
        fresh.push(inserted);
    }
    Ok(fresh)
}

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Arc<Store>> {
        let conn = open_writer(path)?;
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let writer = std::thread::Builder::new()
            .name("trulayer-writer".into())
            .spawn(move || run_writer(conn, rx))
            .expect("spawning the writer thread");
        Ok(Arc::new(Store {
            path: path.to_owned(),
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            readers: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `f` in the writer's next transaction and returns its result once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let sender = self.sender.lock().unwrap().clone().ok_or(StoreError::Closed)?;
        let (reply, answer) = oneshot::channel::<Result<T, String>>();
        let job: Job = Box::new(move |conn| match f(conn) {
            Ok(v) => (true, Box::new(move |commit: Result<(), String>| drop(reply.send(commit.map(|()| v))))),
            Err(e) => {
                let msg = e.to_string();
                (false, Box::new(move |_| drop(reply.send(Err(msg)))))
            }
        });
        sender.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Busy,
            mpsc::error::TrySendError::Closed(_) => StoreError::Closed,
        })?;
        answer.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Db)
    }

    /// Runs `f` on a reader connection in a blocking task.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let pooled = store.readers.lock().unwrap().pop();
            let conn = match pooled {
                Some(c) => c,
                None => open(&store.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?,
            };
            let result = f(&conn);
            store.readers.lock().unwrap().push(conn);
            Ok(result?)
        })
        .await
        .map_err(|e| StoreError::Db(e.to_string()))?
    }

    /// Stops taking writes, lets the writer finish every queued job, and closes the database.
    pub fn close(&self) {
        self.sender.lock().unwrap().take();
        if let Some(writer) = self.writer.lock().unwrap().take() {
            let _ = writer.join();
        }
        self.readers.lock().unwrap().clear();
    }
}

/// How often the writer refreshes index statistics while data grows.
const OPTIMIZE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let mut optimized = std::time::Instant::now();
    while let Some(first) = jobs.blocking_recv() {
        if optimized.elapsed() > OPTIMIZE_EVERY {
            let _ = conn.execute_batch("PRAGMA optimize;");
            optimized = std::time::Instant::now();
        }
        let mut batch = vec![first];
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, batch);
    }
    let _ = conn.execute_batch("PRAGMA optimize;");
    // Fold the WAL back into the main file so the database is complete on its own.
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        eprintln!("trulayer-collector: checkpoint on shutdown failed: {e}");
    }
    if let Err((_, e)) = conn.close() {
        eprintln!("trulayer-collector: closing the database failed: {e}");
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Another process holds the database; each job still runs, in autocommit mode.
        eprintln!("trulayer-collector: could not start a transaction ({e}); writing without one");
        for job in batch {
            let (_, finish) = job(conn);
            finish(Ok(()));
        }
        return;
    }
    let mut finishers = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = conn.execute_batch("SAVEPOINT job");
        let (ok, finish) = job(conn);
        if savepoint.is_ok() {
            let end = if ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
            let _ = conn.execute_batch(end);
        }
        finishers.push(finish);
    }
    let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for finish in finishers {
        finish(commit.clone());
    }
}
