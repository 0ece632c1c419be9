//! Results kept per data version — the last finished import (`Db::data_version`): only imports change
//! what the pages read, so a result stays right until the next import. The territory list, the home and
//! transparency pages' models (by month), the municipality selection's facts, the RECAP chart and the
//! hot-spot analyses are kept here; after an import the worker computes the selection's
//! default table again ([`warm`]), so the first page after an import does not pay for it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Up to `cap` results of one data version, by key; a new version empties it.
pub struct Versioned<K, V> {
    cap: usize,
    entries: Mutex<VecDeque<(i64, K, Arc<V>)>>,
}

impl<K, V> std::fmt::Debug for Versioned<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("Versioned")
            .field("cap", &self.cap)
            .field("kept", &kept)
            .finish()
    }
}

impl<K: PartialEq, V> Versioned<K, V> {
    /// An empty cache of at most `cap` results.
    pub fn new(cap: usize) -> Self {
        Versioned {
            cap,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The result for `key` computed on `version`, if kept.
    pub fn get(&self, version: i64, key: &K) -> Option<Arc<V>> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(v, k, _)| *v == version && k == key)
            .map(|(_, _, r)| r.clone())
    }

    /// The result for `key` on `version`, computed by `compute` when not kept (and kept then).
    pub async fn get_or<E>(
        &self,
        version: i64,
        key: K,
        compute: impl std::future::Future<Output = Result<V, E>>,
    ) -> Result<Arc<V>, E> {
        if let Some(v) = self.get(version, &key) {
            return Ok(v);
        }
        let value = Arc::new(compute.await?);
        self.put(version, key, value.clone());
        Ok(value)
    }

    /// How many results are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys kept, of whatever version, the latest kept first: after an import, the results asked
    /// for last on the old data are the first to compute again on the new.
    pub fn recent_keys(&self, n: usize) -> Vec<K>
    where
        K: Clone,
    {
        self.entries
            .lock()
            .map(|e| e.iter().rev().take(n).map(|(_, k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// Keeps `value` for `key` on `version`, forgetting other versions and the oldest beyond `cap`.
    pub fn put(&self, version: i64, key: K, value: Arc<V>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(v, k, _)| *v == version && *k != key);
            entries.push_back((version, key, value));
            while entries.len() > self.cap {
                entries.pop_front();
            }
        }
    }
}

/// Computes again what the first pages after an import would otherwise wait for: the home page's
/// model and CompStat brief, the municipality selection of the month before today's, the RECAP page's chart of its
/// default quarter, and the hot-spot analyses `/zonas-quentes` opens on or was asked last.
pub async fn warm(st: &crate::AppState) {
    let Some(end) = atalaia_core::Month::of(st.config.clock.today())
        .ok()
        .and_then(atalaia_core::Month::pred)
    else {
        return;
    };
    if let Err(e) = crate::pages::home::warm(st).await {
        tracing::error!(error = %e, "warming the home page");
    }
    if let Err(e) = crate::pages::igesp::compstat::warm(st).await {
        tracing::error!(error = %e, "warming the CompStat brief");
    }
    if let Err(e) = crate::pages::igesp::selection::facts(st, end).await {
        tracing::error!(error = %e, "warming the selection table");
    }
    if let Err(e) = crate::pages::recap::warm(st).await {
        tracing::error!(error = %e, "warming the RECAP chart");
    }
    if let Err(e) = crate::pages::igesp::hotspots::warm(st).await {
        tracing::error!(error = %e, "warming the hot-spot analyses");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_version_forgets_the_old_and_the_oldest_goes_first() {
        let c: Versioned<&str, u32> = Versioned::new(2);
        c.put(1, "a", Arc::new(10));
        c.put(1, "b", Arc::new(20));
        assert_eq!(c.get(1, &"a").as_deref(), Some(&10));
        c.put(1, "c", Arc::new(30));
        assert_eq!(c.get(1, &"a"), None, "beyond the cap");
        assert_eq!(c.get(1, &"c").as_deref(), Some(&30));
        assert_eq!(c.get(2, &"c"), None, "another version");
        assert_eq!(c.recent_keys(5), vec!["c", "b"], "the latest kept first");
        c.put(2, "b", Arc::new(21));
        assert_eq!(c.get(1, &"b"), None, "the old version is gone");
        assert_eq!(c.get(2, &"b").as_deref(), Some(&21));
        assert_eq!(c.recent_keys(1), vec!["b"]);
    }
}
