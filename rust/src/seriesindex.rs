//! The in-memory side of a series file: series key <-> series id for each partition, ids
//! assigned as InfluxDB 1.x assigns them (partition p hands out p+1, p+9, p+17, ...), and the
//! segment entries to append for new series and tombstones.
//!
//! Memory per series: the key once in the partition's arena, an 8-byte span, and a 4-byte slot
//! in a hash table (slot i of partition p is series id p + 1 + 8i).

use std::collections::HashSet;

use hashbrown::HashTable;

use crate::hash::xxh64;
use crate::serieskey;

pub const SEGMENT_HEADER_SIZE: usize = 5;
pub const FLAG_INSERT: u8 = 0x01;
pub const FLAG_TOMBSTONE: u8 = 0x02;

pub struct Partition {
    id: u64,
    n: u64,
    arena: Vec<u8>,
    spans: Vec<(u32, u32)>,
    table: HashTable<u32>,
    tombstones: HashSet<u64>,
}

impl Partition {
    fn new(id: u64, n: u64) -> Self {
        Partition {
            id,
            n,
            arena: Vec::new(),
            spans: Vec::new(),
            table: HashTable::new(),
            tombstones: HashSet::new(),
        }
    }

    /// The id the next insert gets.
    pub fn next_id(&self) -> u64 {
        self.id + 1 + self.n * self.spans.len() as u64
    }

    fn slot_id(&self, slot: u32) -> u64 {
        self.id + 1 + self.n * slot as u64
    }

    fn slot_of(&self, id: u64) -> Option<usize> {
        if id == 0 || (id - 1) % self.n != self.id {
            return None;
        }
        let slot = ((id - 1 - self.id) / self.n) as usize;
        (slot < self.spans.len()).then_some(slot)
    }

    fn key_at(&self, slot: u32) -> &[u8] {
        let (s, l) = self.spans[slot as usize];
        &self.arena[s as usize..(s + l) as usize]
    }

    /// The live id of `key` (0 if there is none or it was deleted).
    pub fn find(&self, key: &[u8], hash: u64) -> u64 {
        match self.table.find(hash, |&slot| self.key_at(slot) == key) {
            Some(&slot) => {
                let id = self.slot_id(slot);
                if self.tombstones.contains(&id) {
                    0
                } else {
                    id
                }
            }
            None => 0,
        }
    }

    /// Records an insert of `key` with the next id, replacing a deleted entry for the same key.
    fn insert(&mut self, key: &[u8], hash: u64) -> u64 {
        let slot = self.spans.len() as u32;
        let start = self.arena.len();
        // Spans are 32-bit: refuse loudly rather than wrap (a partition this large would hold
        // some hundred million series).
        assert!(
            start + key.len() <= u32::MAX as usize,
            "series file partition holds over 4 GiB of keys"
        );
        self.arena.extend_from_slice(key);
        self.spans.push((start as u32, key.len() as u32));
        let Partition {
            table,
            arena,
            spans,
            ..
        } = self;
        let key_of = |s: u32| {
            let (a, l) = spans[s as usize];
            &arena[a as usize..(a + l) as usize]
        };
        match table.find_mut(hash, |&s| key_of(s) == key) {
            Some(existing) => *existing = slot,
            None => {
                table.insert_unique(hash, slot, |&s| xxh64(key_of(s)));
            }
        }
        self.slot_id(slot)
    }

    pub fn key(&self, id: u64) -> Option<&[u8]> {
        self.slot_of(id).map(|slot| self.key_at(slot as u32))
    }

    pub fn is_deleted(&self, id: u64) -> bool {
        self.tombstones.contains(&id) || self.slot_of(id).is_none()
    }

    /// Marks `id` deleted; false if it already was (or never existed).
    pub fn delete(&mut self, id: u64) -> bool {
        if self.is_deleted(id) {
            return false;
        }
        self.tombstones.insert(id);
        true
    }

    pub fn count(&self) -> usize {
        self.spans.len() - self.tombstones.len()
    }

    /// Replays the entries of one segment from `pos`; returns where the valid entries end.
    /// An entry is valid only if it is whole and consistent: an insert must carry the next id
    /// of this partition and one well-formed key, a tombstone an id this partition handed out.
    /// So a torn write or garbage after the last entry ends the replay there.
    pub fn load(&mut self, data: &[u8], mut pos: usize) -> usize {
        while pos + 9 <= data.len() {
            let flag = data[pos];
            let id = u64::from_be_bytes(data[pos + 1..pos + 9].try_into().unwrap());
            match flag {
                FLAG_INSERT => {
                    if id != self.next_id() {
                        break;
                    }
                    let Ok((key, _)) = serieskey::read_key(&data[pos + 9..]) else {
                        break;
                    };
                    if !serieskey::is_well_formed(key) {
                        break;
                    }
                    self.insert(key, xxh64(key));
                    pos += 9 + key.len();
                }
                FLAG_TOMBSTONE => {
                    if self.slot_of(id).is_none() {
                        break;
                    }
                    self.tombstones.insert(id);
                    pos += 9;
                }
                _ => break,
            }
        }
        pos
    }
}

/// Appends a series-segment insert entry.
pub fn append_insert(dst: &mut Vec<u8>, id: u64, key: &[u8]) {
    dst.push(FLAG_INSERT);
    dst.extend_from_slice(&id.to_be_bytes());
    dst.extend_from_slice(key);
}

/// Appends a series-segment tombstone entry.
pub fn append_tombstone(dst: &mut Vec<u8>, id: u64) {
    dst.push(FLAG_TOMBSTONE);
    dst.extend_from_slice(&id.to_be_bytes());
}

pub struct SeriesIndex {
    pub partitions: Vec<Partition>,
}

/// What `create` added to one partition: its segment entries and their sizes.
#[derive(Default, Debug)]
pub struct NewEntries {
    pub data: Vec<u8>,
    pub sizes: Vec<u32>,
}

impl SeriesIndex {
    pub fn new(partition_n: usize) -> Self {
        SeriesIndex {
            partitions: (0..partition_n as u64)
                .map(|p| Partition::new(p, partition_n as u64))
                .collect(),
        }
    }

    pub fn partition_of_key(&self, hash: u64) -> usize {
        (hash % self.partitions.len() as u64) as usize
    }

    pub fn partition_of_id(&self, id: u64) -> Option<usize> {
        (id != 0).then(|| ((id - 1) % self.partitions.len() as u64) as usize)
    }

    pub fn find(&self, key: &[u8]) -> u64 {
        let h = xxh64(key);
        self.partitions[self.partition_of_key(h)].find(key, h)
    }

    /// Ids for `keys`, creating the missing ones (one id per distinct key, first come first
    /// served within the call); `out` gets each partition's new entries.
    pub fn create<'a, I: IntoIterator<Item = &'a [u8]>>(
        &mut self,
        keys: I,
        out: &mut [NewEntries],
    ) -> Vec<u64> {
        let mut ids = Vec::new();
        for key in keys {
            let h = xxh64(key);
            let p = self.partition_of_key(h);
            let part = &mut self.partitions[p];
            let mut id = part.find(key, h);
            if id == 0 {
                id = part.insert(key, h);
                let before = out[p].data.len();
                append_insert(&mut out[p].data, id, key);
                out[p].sizes.push((out[p].data.len() - before) as u32);
            }
            ids.push(id);
        }
        ids
    }

    pub fn key(&self, id: u64) -> Option<&[u8]> {
        self.partition_of_id(id)
            .and_then(|p| self.partitions[p].key(id))
    }

    pub fn is_deleted(&self, id: u64) -> bool {
        match self.partition_of_id(id) {
            Some(p) => self.partitions[p].is_deleted(id),
            None => true,
        }
    }

    pub fn count(&self) -> usize {
        self.partitions.iter().map(|p| p.count()).sum()
    }

    /// Groups `ids` by measurement, tag key and tag value (keys read from this index), in order
    /// of first appearance; ids without a key are left out. This is the inverted-index update
    /// for a batch, so that the index can apply it per distinct value instead of per series.
    pub fn invert(&self, ids: &[u64]) -> Vec<MeasurementGroup<'_>> {
        use std::collections::HashMap;
        let mut out: Vec<MeasurementGroup<'_>> = Vec::new();
        let mut by_name: HashMap<&[u8], usize> = HashMap::new();
        // per measurement: tag key -> (its place in the group, tag value -> its place)
        type Places<'k> = HashMap<&'k [u8], (usize, HashMap<&'k [u8], usize>)>;
        let mut by_tag: Vec<Places<'_>> = Vec::new();
        for &id in ids {
            let Some(key) = self.key(id) else { continue };
            let Ok((name, tags)) = serieskey::parse(key) else {
                continue;
            };
            let m = *by_name.entry(name).or_insert_with(|| {
                out.push(MeasurementGroup {
                    name,
                    ids: Vec::new(),
                    tags: Vec::new(),
                });
                by_tag.push(HashMap::new());
                out.len() - 1
            });
            let group = &mut out[m];
            group.ids.push(id);
            for (k, v) in tags {
                let (ki, values) = by_tag[m].entry(k).or_insert_with(|| {
                    group.tags.push((k, Vec::new()));
                    (group.tags.len() - 1, HashMap::new())
                });
                let tag_values = &mut group.tags[*ki].1;
                let vi = *values.entry(v).or_insert_with(|| {
                    tag_values.push((v, Vec::new()));
                    tag_values.len() - 1
                });
                tag_values[vi].1.push(id);
            }
        }
        out
    }
}

/// A tag key with the ids of each of its values.
pub type TagIds<'a> = (&'a [u8], Vec<(&'a [u8], Vec<u64>)>);

/// The series of one measurement in a batch, by tag key and value.
pub struct MeasurementGroup<'a> {
    pub name: &'a [u8],
    pub ids: Vec<u64>,
    pub tags: Vec<TagIds<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, tags: &[(&str, &str)]) -> Vec<u8> {
        let tags: Vec<(&[u8], &[u8])> = tags
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        let mut out = vec![];
        serieskey::append_series_key(&mut out, name.as_bytes(), &tags);
        out
    }

    #[test]
    fn ids_as_influxdb_assigns_them() {
        let mut idx = SeriesIndex::new(8);
        let mut out: Vec<NewEntries> = (0..8).map(|_| NewEntries::default()).collect();
        let keys = [
            key("cpu", &[("host", "a")]),
            key("mem", &[("host", "b")]),
            key("disk", &[("host", "c")]),
            key("cpu", &[("host", "z")]),
            key("cpu", &[("host", "a")]),
        ];
        let ids = idx.create(keys.iter().map(|k| k.as_slice()), &mut out);
        // The oracle README: cpu,host=a -> 7; mem,host=b -> 5; disk,host=c -> 6; cpu,host=z -> 14.
        assert_eq!(ids, vec![7, 5, 6, 14, 7]);
        assert_eq!(out[6].data[..9], [1, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(idx.key(14), Some(keys[3].as_slice()));
        assert_eq!(idx.count(), 4);
        assert!(idx.partitions[6].delete(7));
        assert!(!idx.partitions[6].delete(7));
        assert_eq!(idx.find(&keys[0]), 0);
        let again = idx.create([keys[0].as_slice()], &mut out);
        assert_eq!(again, vec![15]);
        assert_eq!(idx.count(), 4);
    }

    #[test]
    fn load_stops_at_bad_entries() {
        let mut data = b"SSEG\x01".to_vec();
        let k = key("cpu", &[("host", "a")]);
        append_insert(&mut data, 7, &k);
        append_tombstone(&mut data, 7);
        let good = data.len();
        append_insert(&mut data, 99, &k); // not the next id of partition 6
        let mut p = Partition::new(6, 8);
        assert_eq!(p.load(&data, 5), good);
        assert!(p.is_deleted(7));
        for cut in 5..good {
            let mut q = Partition::new(6, 8);
            let end = q.load(&data[..cut], 5);
            assert!(end == 5 || end == 5 + 9 + k.len(), "cut {cut} end {end}");
        }
    }
}
