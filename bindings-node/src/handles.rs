//! Clients by number, for the one call made per trace. napi-rs checks and tracks the borrow
//! of `self` on every method call of a class, which costs about half a microsecond: more
//! than the rest of the crossing. `finish` is therefore a plain function that takes the
//! client's number and finds its intake here.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use crate::intake::Intake;

static NEXT: AtomicU32 = AtomicU32::new(1);
static INTAKES: RwLock<Option<HashMap<u32, Arc<Intake>>>> = RwLock::new(None);

thread_local! {
    /// The intake this thread found last: a JS thread nearly always finishes its traces with
    /// one client, and this spares it the registry's lock and hashing per trace. Handles are
    /// never reused, and `unregister` (a finalizer, on the same JS thread) clears it.
    static LAST: RefCell<Option<(u32, Arc<Intake>)>> = const { RefCell::new(None) };
}

/// Registers an intake; its number stays valid until `unregister`.
pub fn register(intake: Arc<Intake>) -> u32 {
    let handle = NEXT.fetch_add(1, Ordering::Relaxed);
    INTAKES.write().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashMap::new).insert(handle, intake);
    handle
}

pub fn unregister(handle: u32) {
    LAST.with(|last| {
        // Busy only if called from inside `with`: the entry is then replaced on a later call.
        if let Ok(mut last) = last.try_borrow_mut() {
            if last.as_ref().is_some_and(|(h, _)| *h == handle) {
                *last = None;
            }
        }
    });
    if let Some(map) = INTAKES.write().unwrap_or_else(|e| e.into_inner()).as_mut() {
        map.remove(&handle);
    }
}

/// Runs `f` with the intake registered as `handle`, or returns None when there is none.
pub fn with<R>(handle: u32, f: impl FnOnce(&Arc<Intake>) -> R) -> Option<R> {
    LAST.with(|last| {
        if let Some((h, intake)) = &*last.borrow() {
            if *h == handle {
                return Some(f(intake));
            }
        }
        let intake = INTAKES.read().unwrap_or_else(|e| e.into_inner()).as_ref()?.get(&handle)?.clone();
        let result = f(&intake);
        *last.borrow_mut() = Some((handle, intake));
        Some(result)
    })
}
