//! The compact serving index: everything needed to answer one customer's top-N with the blend,
//! in one file that loads with a few bulk copies. Layout (little-endian): the magic
//! `XINLIREC`, a format version, the blend weights, then length-prefixed sections: item ids,
//! customer ids, each customer's purchases (CSR: order counts and time-decayed reorder
//! weights), the BM25 item-kNN and sparsified EASE neighbour lists (CSR), popularity scaled to
//! [0, 1], and the trending list for cold-start visitors.

use crate::csr::{top_k, Csr};
use crate::model::Recommender;
use foldhash::{HashMap, HashMapExt};
use std::path::Path;

const MAGIC: &[u8; 8] = b"XINLIREC";
const VERSION: u32 = 1;
/// Neighbours kept per item for EASE in the index.
const EASE_NEIGHBOURS: usize = 50;
/// Popular items always considered as candidates.
const POPULAR_CANDIDATES: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a xinli recommendation index ({reason})")]
    Format { path: String, reason: String },
}

/// The loaded index.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub weights: [f32; 4],
    pub item_ids: Vec<String>,
    pub customer_ids: Vec<String>,
    customer_index: HashMap<String, u32>,
    /// Customer × item order counts (the item-kNN and EASE input).
    purchases: Csr,
    /// Time-decayed reorder weights, aligned with `purchases.values`.
    reorder: Vec<f32>,
    knn: Csr,
    ease: Csr,
    popularity: Vec<f32>,
    popular: Vec<u32>,
    trending: Vec<u32>,
}

/// Per-thread buffers of [`Index::top`].
pub struct IndexScratch {
    own: Vec<f32>,
    knn: Vec<f32>,
    ease: Vec<f32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
    ranked: Vec<(u32, f32)>,
}

impl Index {
    pub fn build(rec: &Recommender) -> Index {
        let data = rec.data;
        let purchases = data.orders.clone();
        let mut reorder = Vec::with_capacity(purchases.nnz());
        for u in 0..purchases.rows() {
            let (items, _) = purchases.row(u);
            let (decayed_items, decayed) = data.decayed.row(u);
            reorder.extend(items.iter().map(|i| decayed_items.binary_search(i).map_or(0.0, |k| decayed[k])));
        }
        let max_pop = rec.popularity.iter().copied().fold(0.0, f32::max).max(1.0);
        let ranked = |scores: &[f32]| {
            let mut v: Vec<(u32, f32)> = scores.iter().enumerate().map(|(i, &s)| (i as u32, s)).collect();
            top_k(&mut v, POPULAR_CANDIDATES);
            v.into_iter().map(|(i, _)| i).collect::<Vec<u32>>()
        };
        let w = rec.weights;
        let customer_ids: Vec<String> = data.customers.iter().map(|c| c.as_str().to_string()).collect();
        Index {
            weights: [w.reorder, w.item_knn, w.ease, w.popularity],
            item_ids: data.catalog.ids.iter().map(|p| p.as_str().to_string()).collect(),
            customer_index: index_of(&customer_ids),
            customer_ids,
            purchases,
            reorder,
            knn: rec.bm25.neighbours.clone(),
            ease: rec.ease.sparsify(data.catalog.len() as u32, EASE_NEIGHBOURS),
            popularity: rec.popularity.iter().map(|p| p / max_pop).collect(),
            popular: ranked(&rec.popularity),
            trending: ranked(&rec.trending),
        }
    }

    pub fn scratch(&self) -> IndexScratch {
        let n = self.item_ids.len();
        IndexScratch { own: vec![0.0; n], knn: vec![0.0; n], ease: vec![0.0; n], seen: vec![false; n], touched: Vec::new(), ranked: Vec::new() }
    }

    pub fn customer(&self, id: &str) -> Option<u32> {
        self.customer_index.get(id).copied()
    }

    /// The blend's top `n` items for a customer (None or no purchases: the trending list).
    pub fn top(&self, customer: Option<u32>, n: usize, s: &mut IndexScratch) -> Vec<(u32, f32)> {
        let history = customer.map(|u| (self.purchases.row(u), u)).filter(|((items, _), _)| !items.is_empty());
        let Some(((items, counts), u)) = history else {
            return self.trending.iter().take(n).map(|&i| (i, 0.0)).collect();
        };
        let offset = self.purchases.indptr[u as usize];
        let reorder = &self.reorder[offset..offset + items.len()];
        let touch = |i: u32, s: &mut IndexScratch| {
            if !s.seen[i as usize] {
                s.seen[i as usize] = true;
                s.touched.push(i);
            }
        };
        let [wr, wk, we, wp] = self.weights;
        // A part with weight 0 cannot change the ranking: skip its neighbour lists.
        let parts = [(&self.knn, 0, wk), (&self.ease, 1, we)];
        for ((&j, &x), &own) in items.iter().zip(counts).zip(reorder) {
            touch(j, s);
            s.own[j as usize] = own;
            for (m, acc, _) in parts.iter().filter(|p| p.2 > 0.0) {
                let (neighbours, sims) = m.row(j);
                for (&i, &w) in neighbours.iter().zip(sims) {
                    touch(i, s);
                    if *acc == 0 { s.knn[i as usize] += x * w } else { s.ease[i as usize] += w }
                }
            }
        }
        // Beyond the n most popular, popularity alone cannot reach the list.
        for &i in self.popular.iter().take(n) {
            touch(i, s);
        }
        let max_of = |v: &[f32], touched: &[u32]| touched.iter().map(|&i| v[i as usize]).fold(0.0, f32::max);
        let max_reorder = reorder.iter().copied().fold(0.0, f32::max);
        let (max_knn, max_ease) = (max_of(&s.knn, &s.touched), max_of(&s.ease, &s.touched));
        let scale = |w: f32, max: f32| if max > 0.0 { w / max } else { 0.0 };
        let (sr, sk, se) = (scale(wr, max_reorder), scale(wk, max_knn), scale(we, max_ease));
        s.ranked.clear();
        for &i in &s.touched {
            let k = i as usize;
            let score = sr * s.own[k] + sk * s.knn[k] + se * s.ease[k] + wp * self.popularity[k];
            s.ranked.push((i, score));
            s.own[k] = 0.0;
            s.knn[k] = 0.0;
            s.ease[k] = 0.0;
            s.seen[k] = false;
        }
        s.touched.clear();
        top_k(&mut s.ranked, n);
        s.ranked.clone()
    }

    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let mut out = Vec::with_capacity(16 * (self.purchases.nnz() + self.knn.nnz() + self.ease.nnz()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        put_f32s(&mut out, &self.weights);
        put_strings(&mut out, &self.item_ids);
        put_strings(&mut out, &self.customer_ids);
        for m in [&self.purchases, &self.knn, &self.ease] {
            put_csr(&mut out, m);
        }
        put_f32s(&mut out, &self.reorder);
        put_f32s(&mut out, &self.popularity);
        put_u32s(&mut out, &self.popular);
        put_u32s(&mut out, &self.trending);
        std::fs::write(path, out).map_err(|source| IndexError::Io { path: path.display().to_string(), source })
    }

    pub fn load(path: &Path) -> Result<Index, IndexError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| IndexError::Io { path: shown.clone(), source })?;
        Index::decode(&bytes).map_err(|reason| IndexError::Format { path: shown, reason })
    }

    fn decode(bytes: &[u8]) -> Result<Index, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err("bad magic bytes".into());
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(format!("format version {version}, this xinli reads {VERSION}"));
        }
        let weights: [f32; 4] = r.f32s()?.try_into().map_err(|_| "weights: expected 4 values")?;
        let item_ids = r.strings()?;
        let customer_ids = r.strings()?;
        let purchases = r.csr()?;
        let knn = r.csr()?;
        let ease = r.csr()?;
        let reorder = r.f32s()?;
        let popularity = r.f32s()?;
        let popular = r.u32s()?;
        let trending = r.u32s()?;
        let n = item_ids.len();
        let consistent = purchases.rows() as usize == customer_ids.len()
            && [&purchases, &knn, &ease].iter().all(|m| m.cols as usize == n && m.indices.iter().all(|&i| (i as usize) < n))
            && knn.rows() as usize == n
            && ease.rows() as usize == n
            && reorder.len() == purchases.nnz()
            && popularity.len() == n
            && popular.iter().chain(&trending).all(|&i| (i as usize) < n);
        if !consistent || r.at != bytes.len() {
            return Err("inconsistent sizes".into());
        }
        Ok(Index { weights, customer_index: index_of(&customer_ids), item_ids, customer_ids, purchases, reorder, knn, ease, popularity, popular, trending })
    }
}

fn index_of(ids: &[String]) -> HashMap<String, u32> {
    let mut index = HashMap::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        index.insert(id.clone(), k as u32);
    }
    index
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32s(out: &mut Vec<u8>, v: &[u32]) {
    put_u64(out, v.len() as u64);
    v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
}

fn put_f32s(out: &mut Vec<u8>, v: &[f32]) {
    put_u64(out, v.len() as u64);
    v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
}

fn put_strings(out: &mut Vec<u8>, v: &[String]) {
    put_u64(out, v.len() as u64);
    for s in v {
        put_u64(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
}

fn put_csr(out: &mut Vec<u8>, m: &Csr) {
    out.extend_from_slice(&m.cols.to_le_bytes());
    put_u64(out, m.indptr.len() as u64);
    m.indptr.iter().for_each(|&p| put_u64(out, p as u64));
    put_u32s(out, &m.indices);
    put_f32s(out, &m.values);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("truncated file")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn len(&mut self, width: usize) -> Result<usize, String> {
        let n = self.u64()? as usize;
        if n.saturating_mul(width) > self.bytes.len() - self.at {
            return Err("truncated file".into());
        }
        Ok(n)
    }
    fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let n = self.len(4)?;
        Ok(self.take(n * 4)?.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
    fn f32s(&mut self) -> Result<Vec<f32>, String> {
        let n = self.len(4)?;
        Ok(self.take(n * 4)?.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
    fn strings(&mut self) -> Result<Vec<String>, String> {
        let n = self.len(8)?;
        (0..n)
            .map(|_| {
                let len = self.len(1)?;
                String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "an id is not UTF-8".to_string())
            })
            .collect()
    }
    fn csr(&mut self) -> Result<Csr, String> {
        let cols = self.u32()?;
        let n = self.len(8)?;
        let indptr: Vec<usize> = (0..n).map(|_| self.u64().map(|p| p as usize)).collect::<Result<_, _>>()?;
        let indices = self.u32s()?;
        let values = self.f32s()?;
        let ok = !indptr.is_empty()
            && indptr[0] == 0
            && indptr.windows(2).all(|w| w[0] <= w[1])
            && indptr.last() == Some(&indices.len())
            && values.len() == indices.len();
        if !ok {
            return Err("a sparse matrix is malformed".into());
        }
        Ok(Csr { cols, indptr, indices, values })
    }
}
