//! Opaque handles as registry tokens.
//!
//! A handle given to C is a never-reused number dressed as a pointer, never an address: the
//! library looks it up in a registry and never dereferences it. So a handle that was ended or
//! freed, used twice, or passed as the wrong kind simply is not found, and the call returns
//! TL_ERR_CLOSED instead of touching freed memory. Registries are sharded so threads working
//! on different handles rarely meet on one lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::status::{tl_status, Failure, Outcome};

const SHARDS: usize = 64;

/// Shared by every registry, so a token of one kind is never a valid token of another.
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

pub(crate) struct Registry<T> {
    /// The C type name, for messages.
    kind: &'static str,
    shards: [Mutex<BTreeMap<usize, Arc<T>>>; SHARDS],
}

impl<T> Registry<T> {
    pub const fn new(kind: &'static str) -> Self {
        Registry { kind, shards: [const { Mutex::new(BTreeMap::new()) }; SHARDS] }
    }

    /// What the handles are called in messages ("tl_trace").
    pub fn kind_name(&self) -> &'static str {
        self.kind
    }

    fn shard(&self, token: usize) -> MutexGuard<'_, BTreeMap<usize, Arc<T>>> {
        // A panic elsewhere never leaves a map half-updated (insert/remove are single calls),
        // so a poisoned lock is safe to keep using.
        self.shards[token % SHARDS].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `value` and returns its handle.
    pub fn insert<H>(&self, value: T) -> *mut H {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        self.shard(token).insert(token, Arc::new(value));
        // An integer dressed as a pointer, never dereferenced (see the module comment).
        token as *mut H
    }

    /// The live object behind `handle`.
    pub fn get<H>(&self, handle: *const H) -> Outcome<Arc<T>> {
        let token = self.token(handle)?;
        self.shard(token).get(&token).cloned().ok_or_else(|| self.gone())
    }

    /// Unregisters `handle`: later calls with it fail with TL_ERR_CLOSED.
    pub fn remove<H>(&self, handle: *const H) -> Outcome<Arc<T>> {
        let token = self.token(handle)?;
        self.shard(token).remove(&token).ok_or_else(|| self.gone())
    }

    fn token<H>(&self, handle: *const H) -> Outcome<usize> {
        if handle.is_null() {
            return Err(Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, format!("the {} handle is NULL", self.kind)));
        }
        Ok(handle as usize)
    }

    fn gone(&self) -> Failure {
        Failure::new(
            tl_status::TL_ERR_CLOSED,
            format!("the {} handle has already been ended or freed (or is not a {})", self.kind, self.kind),
        )
    }
}
