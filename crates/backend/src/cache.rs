//! Short-lived in-memory copies of hot, rarely changed reads: who a session or token belongs to
//! and what they may do, the project list, the cluster directory. Every request needs them, so
//! without this each page poll and REST call would cost several database round trips.
//!
//! A copy is dropped as soon as this process writes anything it depends on (each write bumps
//! its topic's epoch, shared by every clone of the [`Database`]), and at the latest after
//! [`TTL`], which bounds how long a change made by another replica takes to show here.
use crate::Database;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a copy is trusted when this process wrote nothing it depends on.
pub const TTL: Duration = Duration::from_secs(2);

/// Entries kept at most; when full, expired ones go first, then everything.
const CAPACITY: usize = 10_000;

/// What a cached copy depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Users, roles, grants, projects and memberships, sessions and tokens.
    Access,
    /// The cluster directory.
    Clusters,
}

/// One change counter per topic.
#[derive(Debug, Default)]
pub struct Epochs {
    access: AtomicU64,
    clusters: AtomicU64,
}

impl Epochs {
    fn counter(&self, topic: Topic) -> &AtomicU64 {
        match topic {
            Topic::Access => &self.access,
            Topic::Clusters => &self.clusters,
        }
    }

    pub fn bump(&self, topic: Topic) {
        self.counter(topic).fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self, topic: Topic) -> u64 {
        self.counter(topic).load(Ordering::SeqCst)
    }
}

struct Entry<V> {
    at: Instant,
    epoch: u64,
    value: V,
}

/// Values by key that depend on one topic. Cheap to clone (clones share the entries).
pub struct Cache<K, V> {
    topic: Topic,
    epochs: Arc<Epochs>,
    ttl: Duration,
    entries: Arc<Mutex<HashMap<K, Entry<V>>>>,
}

impl<K, V> Clone for Cache<K, V> {
    fn clone(&self) -> Self {
        Self { topic: self.topic, epochs: self.epochs.clone(), ttl: self.ttl, entries: self.entries.clone() }
    }
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("topic", &self.topic).field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    pub fn new(db: &Database, topic: Topic) -> Self {
        Self::with_ttl(db, topic, TTL)
    }

    pub fn with_ttl(db: &Database, topic: Topic, ttl: Duration) -> Self {
        Self { topic, epochs: db.epochs(), ttl, entries: Arc::default() }
    }

    /// The fresh copy under `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        let epoch = self.epochs.get(self.topic);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|e| e.epoch == epoch && e.at.elapsed() < self.ttl).map(|e| e.value.clone())
    }

    /// The fresh copy under `key`, or what `load` reads (kept when it succeeds). A write that
    /// happens while `load` runs leaves the copy already stale, so it is never served.
    pub async fn get_or_load<E, Fut>(&self, key: K, load: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let epoch = self.epochs.get(self.topic);
        let value = load().await?;
        self.put(key, epoch, value.clone());
        Ok(value)
    }

    /// Keeps `value`, read when the topic was at `epoch`.
    pub fn put(&self, key: K, epoch: u64, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            let current = self.epochs.get(self.topic);
            entries.retain(|_, e| e.epoch == current && e.at.elapsed() < self.ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, Entry { at: Instant::now(), epoch, value });
    }

    /// The topic's current epoch (read it before loading a value to [`put`](Self::put)).
    pub fn epoch(&self) -> u64 {
        self.epochs.get(self.topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> Database {
        Database::connect("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn a_copy_is_served_until_its_topic_changes_or_it_expires() {
        let db = db().await;
        let cache: Cache<u8, u32> = Cache::with_ttl(&db, Topic::Access, Duration::from_millis(200));
        let loads = std::sync::atomic::AtomicU32::new(0);
        let load = || async { Ok::<_, ()>(loads.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(cache.get_or_load(1, load).await, Ok(1));
        assert_eq!(cache.get_or_load(1, load).await, Ok(1), "served from memory");
        db.changed(Topic::Clusters);
        assert_eq!(cache.get_or_load(1, load).await, Ok(1), "another topic's change leaves it");
        db.changed(Topic::Access);
        assert_eq!(cache.get_or_load(1, load).await, Ok(2), "its topic's change drops it");
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(cache.get_or_load(1, load).await, Ok(3), "expired");
        assert_eq!(cache.get(&2), None);
    }

    #[tokio::test]
    async fn a_value_read_across_a_write_is_not_served_and_failures_are_not_kept() {
        let db = db().await;
        let cache: Cache<&str, u32> = Cache::new(&db, Topic::Clusters);
        let v = cache
            .get_or_load("k", || async {
                db.changed(Topic::Clusters);
                Ok::<_, ()>(7)
            })
            .await;
        assert_eq!(v, Ok(7));
        assert_eq!(cache.get(&"k"), None, "read before the write finished: stale at once");
        assert_eq!(cache.get_or_load("k", || async { Err::<u32, _>("down") }).await, Err("down"));
        assert_eq!(cache.get(&"k"), None);
    }

    #[tokio::test]
    async fn a_clone_of_the_database_shares_the_epochs() {
        let db = db().await;
        let cache: Cache<u8, u8> = Cache::new(&db, Topic::Access);
        cache.put(1, cache.epoch(), 5);
        assert_eq!(cache.get(&1), Some(5));
        db.clone().changed(Topic::Access);
        assert_eq!(cache.get(&1), None);
    }
}
