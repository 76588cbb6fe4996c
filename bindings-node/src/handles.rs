//! Clients by number, for the one call made per trace. napi-rs checks and tracks the borrow
//! of `self` on every method call of a class, which costs about half a microsecond: more
//! than the rest of the crossing. `finish` is therefore a plain function that takes the
//! client's number and finds its intake here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use crate::intake::Intake;

static NEXT: AtomicU32 = AtomicU32::new(1);
static INTAKES: RwLock<Option<HashMap<u32, Arc<Intake>>>> = RwLock::new(None);

/// Registers an intake; its number stays valid until `unregister`.
pub fn register(intake: Arc<Intake>) -> u32 {
    let handle = NEXT.fetch_add(1, Ordering::Relaxed);
    INTAKES.write().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashMap::new).insert(handle, intake);
    handle
}

pub fn unregister(handle: u32) {
    if let Some(map) = INTAKES.write().unwrap_or_else(|e| e.into_inner()).as_mut() {
        map.remove(&handle);
    }
}

/// Runs `f` with the intake registered as `handle`, or returns None when there is none.
pub fn with<R>(handle: u32, f: impl FnOnce(&Arc<Intake>) -> R) -> Option<R> {
    let map = INTAKES.read().unwrap_or_else(|e| e.into_inner());
    map.as_ref()?.get(&handle).map(f)
}
