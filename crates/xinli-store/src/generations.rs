//! A bounded map that forgets what has not been used lately, without a cliff: the "two
//! generations" approximation of least-recently-used. New and re-inserted entries go to the
//! recent generation; when it is full it becomes the older one and the previous older
//! generation is dropped. An entry therefore lives as long as it is re-inserted at least once
//! per generation, every call is O(1), and at most `2 × generation` entries are held.
//!
//! The writer's cache used to clear a whole map when it reached its bound, so a shop with more
//! active customers than the bound reloaded every profile it met next, all at once.

use std::hash::Hash;

use crate::FastMap;

pub(crate) struct Generations<K, V> {
    recent: FastMap<K, V>,
    older: FastMap<K, V>,
    generation: usize,
}

impl<K: Hash + Eq, V> Generations<K, V> {
    /// Room for two generations of `generation` entries from the start (no rehash as it fills).
    pub(crate) fn new(generation: usize) -> Self {
        let room = || FastMap::with_capacity_and_hasher(generation, foldhash::fast::RandomState::default());
        Generations { recent: room(), older: room(), generation }
    }

    /// The same bound, with maps that grow as entries arrive (a cache that lives one call).
    pub(crate) fn growing(generation: usize) -> Self {
        Generations { recent: FastMap::default(), older: FastMap::default(), generation }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.recent.get(key).or_else(|| self.older.get(key))
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // A key is in one generation at most: `insert` takes it out of the older one.
        self.recent.remove(key).or_else(|| self.older.remove(key))
    }

    /// Inserts into the recent generation, starting a new one first when it is full.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.older.remove(&key);
        if self.recent.len() >= self.generation && !self.recent.contains_key(&key) {
            std::mem::swap(&mut self.recent, &mut self.older);
            // Keeps the allocation: the new recent generation fills without rehashing.
            self.recent.clear();
        }
        self.recent.insert(key, value);
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.recent.retain(&mut keep);
        self.older.retain(keep);
    }

    pub(crate) fn clear(&mut self) {
        self.recent.clear();
        self.older.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.recent.len() + self.older.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_re_inserted_each_generation_stay_and_the_rest_are_forgotten_in_turn() {
        let mut map = Generations::new(4);
        for k in 0..4 {
            map.insert(k, k * 10);
        }
        // A fifth key starts a generation: nothing is lost yet.
        map.insert(4, 40);
        assert_eq!(map.len(), 5);
        assert!((0..5).all(|k| map.get(&k) == Some(&(k * 10))));
        // Key 0 is used again (re-inserted, as the writer does after each commit); 1–3 are not.
        map.insert(0, 1);
        for k in 5..7 {
            map.insert(k, k * 10);
        }
        // The next generation drops the one that held 1–3, not the entries used since.
        map.insert(7, 70);
        assert_eq!(map.get(&0), Some(&1));
        assert!((4..8).all(|k| map.get(&k) == Some(&(k * 10))));
        assert!((1..4).all(|k| map.get(&k).is_none()), "unused entries are forgotten");
        assert!(map.len() <= 8);
    }

    #[test]
    fn a_removed_or_replaced_entry_never_comes_back_from_the_older_generation() {
        let mut map = Generations::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("c", 3); // "a" and "b" are now the older generation
        map.insert("a", 4);
        assert_eq!(map.remove("b"), Some(2));
        assert_eq!(map.get("b"), None);
        map.insert("d", 5); // "c" and "a" (4) become the older generation
        assert_eq!(map.get("a"), Some(&4));
        map.retain(|_, v| *v != 4);
        assert_eq!(map.get("a"), None);
        map.clear();
        assert_eq!(map.len(), 0);
    }
}
