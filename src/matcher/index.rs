//! The inverted index: for each feature, the texts that have it and how much it weighs in
//! each, so a question is scored against only the texts it shares a feature with.

use std::collections::HashMap;

use crate::matcher::features::{Feature, FeatureKind};

/// A text's class: an entry's index in the knowledge base, or the last class, which holds
/// the out-of-scope examples.
pub type ClassNumber = u32;

/// One text that has a feature, with the feature's weight in its unit-length vector.
#[derive(Debug, Clone, Copy)]
struct Posting {
    text: u32,
    weight: f32,
}

/// TF-IDF vectors of all texts, inverted. A feature's rarity is counted over classes, not
/// texts: a word every entry uses says nothing, however often one entry repeats it.
#[derive(Debug, Clone)]
pub struct Index {
    ids: HashMap<u64, u32>,
    idf: Vec<f32>,
    postings: Vec<Vec<Posting>>,
    text_class: Vec<ClassNumber>,
    classes: usize,
    /// The weight of a feature no text has: rarer than the rarest.
    unknown_idf: f32,
}

/// A question's features with their weights, ready to score.
pub struct Query {
    /// (feature id, weight) of known features.
    known: Vec<(u32, f32)>,
    norm: f32,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.norm == 0.0
    }
}

impl Index {
    /// Indexes `texts`, each a class and its features; `classes` is the number of classes.
    pub fn build(texts: &[(ClassNumber, &[Feature])], classes: usize) -> Index {
        let mut ids: HashMap<u64, u32> = HashMap::new();
        let mut feature_classes: Vec<Vec<ClassNumber>> = Vec::new();
        let counted: Vec<Vec<(u32, f32, FeatureKind)>> = texts
            .iter()
            .map(|(class, features)| {
                count(features, |key| {
                    let next = ids.len() as u32;
                    let id = *ids.entry(key).or_insert(next);
                    if id == next {
                        feature_classes.push(Vec::new());
                    }
                    let seen = &mut feature_classes[id as usize];
                    if seen.last() != Some(class) && !seen.contains(class) {
                        seen.push(*class);
                    }
                    Some(id)
                })
            })
            .collect();
        let n = classes as f32;
        let idf: Vec<f32> = feature_classes
            .iter()
            .map(|seen| ((n + 1.0) / (seen.len() as f32 + 0.5)).ln())
            .collect();
        let mut postings = vec![Vec::new(); idf.len()];
        for (text, features) in counted.iter().enumerate() {
            let weights: Vec<(u32, f32)> = features
                .iter()
                .map(|&(id, tf, _)| (id, tf * idf[id as usize]))
                .collect();
            let norm = weights.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm == 0.0 {
                continue;
            }
            for (id, weight) in weights {
                postings[id as usize].push(Posting {
                    text: text as u32,
                    weight: weight / norm,
                });
            }
        }
        Index {
            ids,
            idf,
            postings,
            text_class: texts.iter().map(|(class, _)| *class).collect(),
            classes,
            unknown_idf: ((n + 1.0) / 0.5).ln(),
        }
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The weighted vector of a question's features. Features no text has still count in
    /// its length, so a question that is mostly about something else scores low.
    pub fn query(&self, features: &[Feature]) -> Query {
        let mut unknown = 0.0f32;
        let counted = count(features, |key| self.ids.get(&key).copied());
        let mut known = Vec::with_capacity(counted.len());
        for (id, tf, kind) in counted {
            if id == u32::MAX {
                unknown += (tf * self.unknown_idf * kind.unknown_factor()).powi(2);
            } else {
                known.push((id, tf * self.idf[id as usize]));
            }
        }
        let norm = (known.iter().map(|(_, w)| w * w).sum::<f32>() + unknown).sqrt();
        Query { known, norm }
    }

    /// Each class's score for `query`: the mean cosine similarity of its `k` most similar
    /// texts (missing ones count as 0), leaving out text `exclude`.
    pub fn score(&self, query: &Query, k: usize, exclude: Option<usize>) -> Vec<f32> {
        let mut scores = vec![0.0f32; self.classes];
        if query.is_empty() {
            return scores;
        }
        // Dense arrays beat hash maps here: a common feature touches thousands of texts.
        let mut dots = vec![0.0f32; self.text_class.len()];
        let mut touched = Vec::new();
        for &(id, weight) in &query.known {
            for posting in &self.postings[id as usize] {
                let dot = &mut dots[posting.text as usize];
                if *dot == 0.0 {
                    touched.push(posting.text);
                }
                *dot += weight * posting.weight;
            }
        }
        let mut best = vec![0.0f32; self.classes * k];
        for text in touched {
            if exclude == Some(text as usize) {
                continue;
            }
            let class = self.text_class[text as usize] as usize;
            let top = &mut best[class * k..(class + 1) * k];
            let cosine = dots[text as usize] / query.norm;
            if let Some(min) = top.iter_mut().min_by(|a, b| a.total_cmp(b))
                && cosine > *min
            {
                *min = cosine;
            }
        }
        for (score, top) in scores.iter_mut().zip(best.chunks_exact(k)) {
            *score = top.iter().sum::<f32>() / k as f32;
        }
        scores
    }
}

/// Counts repeated features into (id, sublinear term frequency × kind weight, kind), in
/// first-seen order; features `id_of` maps to `None` are counted under `u32::MAX`.
fn count<F>(features: &[Feature], mut id_of: F) -> Vec<(u32, f32, FeatureKind)>
where
    F: FnMut(u64) -> Option<u32>,
{
    let mut position: HashMap<u64, usize> = HashMap::with_capacity(features.len());
    let mut seen: Vec<(u32, f32, FeatureKind)> = Vec::with_capacity(features.len());
    for feature in features {
        match position.get(&feature.key) {
            Some(&i) => seen[i].1 += 1.0,
            None => {
                position.insert(feature.key, seen.len());
                let id = id_of(feature.key).unwrap_or(u32::MAX);
                seen.push((id, 1.0, feature.kind));
            }
        }
    }
    seen.into_iter()
        .map(|(id, n, kind)| (id, (1.0 + n.ln()) * kind.weight(), kind))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(keys: &[u64]) -> Vec<Feature> {
        keys.iter()
            .map(|&key| Feature {
                key,
                kind: FeatureKind::Word,
            })
            .collect()
    }

    fn index() -> Index {
        let texts = [
            (0, features(&[1, 2, 9])),
            (0, features(&[1, 3, 9])),
            (1, features(&[4, 5, 9])),
            (2, features(&[6, 7, 9])),
        ];
        let texts: Vec<(ClassNumber, &[Feature])> = texts
            .iter()
            .map(|(class, f)| (*class, f.as_slice()))
            .collect();
        Index::build(&texts, 3)
    }

    #[test]
    fn the_class_sharing_the_rare_features_wins() {
        let index = index();
        let scores = index.score(&index.query(&features(&[4, 5])), 1, None);
        assert!(scores[1] > 0.9, "{scores:?}");
        assert_eq!(scores[0], 0.0);
    }

    #[test]
    fn a_feature_every_class_has_weighs_little() {
        let index = index();
        let common = index.score(&index.query(&features(&[9, 6])), 1, None);
        assert!(common[2] > 3.0 * common[0], "{common:?}");
    }

    #[test]
    fn unknown_features_lower_the_score() {
        let index = index();
        let known = index.score(&index.query(&features(&[4, 5])), 1, None)[1];
        let diluted = index.score(&index.query(&features(&[4, 5, 100, 101])), 1, None)[1];
        assert!(diluted < known * 0.8, "{diluted} vs {known}");
    }

    #[test]
    fn scores_average_the_closest_texts_and_can_leave_one_out() {
        let index = index();
        let query = index.query(&features(&[1, 2]));
        let one = index.score(&query, 1, None)[0];
        let two = index.score(&query, 2, None)[0];
        assert!(
            two < one,
            "the second-closest text is farther: {two} vs {one}"
        );
        let without_first = index.score(&query, 1, Some(0))[0];
        assert!(without_first < one);
    }

    #[test]
    fn a_question_with_no_features_scores_nothing() {
        let index = index();
        let query = index.query(&[]);
        assert!(query.is_empty());
        assert!(index.score(&query, 3, None).iter().all(|&s| s == 0.0));
    }
}
