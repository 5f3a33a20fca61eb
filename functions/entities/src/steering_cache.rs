//! Compiled request recognizers, kept for the requests that bring the same
//! ones again.
//!
//! A client that steers the recognizers sends the same `recognizers`,
//! `allow_list` (with its `allow_list_match`) and `countries` with every
//! request (a request with only `countries` compiles nothing and skips the
//! cache). Compiling them (each
//! pattern's forward program; the first text over 2 KiB adds each pattern's
//! full matcher and the deny lists' automaton, kept with the set) costs up to
//! a millisecond or two, more than a whole analysis of a short text at the
//! default size. The last [`CAPACITY`] distinct sets are kept, each keyed by its exact
//! JSON (compared whole, so two sets never share an entry), each within the
//! request limits on count, size and compiled program size, so the cache holds
//! a few megabytes at most.
//!
//! A request whose set is in the cache is answered a few milliseconds sooner.
//! Someone who can time requests and guesses another client's whole set,
//! byte for byte, could tell that it was used recently in this container;
//! deny lists that are themselves secrets should not be sent, cached or not.

use std::{collections::VecDeque, sync::Arc, sync::Mutex};

use shared::ApiError;

use crate::steering::Steering;

/// How many distinct sets are kept (least recently used dropped first).
pub const CAPACITY: usize = 4;

#[derive(Default)]
pub struct SteeringCache {
    /// Most recently used first.
    entries: Mutex<VecDeque<(String, Arc<Steering>)>>,
}

impl SteeringCache {
    /// The compiled set for `key` (the set's JSON): from the cache, or from
    /// `compile`, which then joins the cache if it succeeds. The lock is not
    /// held while compiling.
    pub fn get_or_compile(
        &self,
        key: String,
        compile: impl FnOnce() -> Result<Steering, ApiError>,
    ) -> Result<Arc<Steering>, ApiError> {
        if let Some(found) = self.take(&key) {
            return Ok(found);
        }
        let compiled = Arc::new(compile()?);
        let mut entries = self.lock();
        if !entries.iter().any(|(k, _)| *k == key) {
            entries.push_front((key, Arc::clone(&compiled)));
            entries.truncate(CAPACITY);
        }
        Ok(compiled)
    }

    /// The entry for `key`, moved to the front.
    fn take(&self, key: &str) -> Option<Arc<Steering>> {
        let mut entries = self.lock();
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at)?;
        let found = Arc::clone(&entry.1);
        entries.push_front(entry);
        Some(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Arc<Steering>)>> {
        // A panic while holding the lock cannot leave a half-written entry
        // (push and truncate are whole), so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many sets are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_set_is_compiled_once_and_the_least_recent_leaves_first() {
        let cache = SteeringCache::default();
        let compiled = Cell::new(0);
        let get = |key: &str| {
            cache
                .get_or_compile(key.to_owned(), || {
                    compiled.set(compiled.get() + 1);
                    Ok(Steering::default())
                })
                .unwrap()
        };
        let first = get("a");
        assert!(Arc::ptr_eq(&first, &get("a")));
        assert_eq!(compiled.get(), 1);
        for key in ["b", "c", "d"] {
            get(key);
        }
        get("a"); // "a" is the most recent again; "b" is now the oldest
        get("e");
        assert_eq!((cache.len(), compiled.get()), (CAPACITY, 5));
        get("a");
        assert_eq!(compiled.get(), 5, "a stayed");
        get("b");
        assert_eq!(compiled.get(), 6, "b had left");
    }

    #[test]
    fn a_set_that_fails_to_compile_is_not_kept() {
        let cache = SteeringCache::default();
        let failed = cache.get_or_compile("x".into(), || Err(ApiError::Validation(Vec::new())));
        assert!(failed.is_err());
        assert!(cache.is_empty());
    }
}
