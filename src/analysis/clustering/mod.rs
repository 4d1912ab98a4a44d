//! Clustering of samples: `hierarchical` builds the merge tree (the dendrogram) from a
//! condensed distance matrix, `kmeans` and `dbscan` give flat clusters, `quality` scores
//! them (adjusted Rand index, silhouette).

pub mod dbscan;
pub mod hierarchical;
pub mod kmeans;
pub mod order;
pub mod quality;
mod scipy_linkage;
