//! Clustering of samples. `hierarchical` builds the merge tree (the dendrogram) from a
//! condensed distance matrix.

pub mod hierarchical;
