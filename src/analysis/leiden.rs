//! Leiden community detection (Traag, Waltman & van Eck 2019) on a weighted undirected graph,
//! maximising modularity with a resolution γ (leidenalg's `RBConfigurationVertexPartition`,
//! igraph's `community_leiden(objective_function="modularity")`, which scanpy's
//! `sc.tl.leiden(flavor="igraph")` calls), or the Constant Potts Model.
//!
//! It follows igraph's implementation step for step: a *fast local move* of nodes (a queue in
//! random order; a node goes to the neighbouring cluster — or an empty one — that raises the
//! quality most, and its neighbours outside that cluster are queued again), a *refinement*
//! inside each cluster (nodes start alone and join well-connected sub-clusters at random, with
//! probability ∝ exp(gain/β), β = 0.01), and *aggregation* of the refined sub-clusters into
//! nodes whose starting membership is their cluster; repeated until the refinement leaves
//! every node alone, and the whole run `iterations` times (scanpy: 2), each from the last
//! partition. Its random numbers are ours, so labels differ from igraph's from seed to seed as
//! igraph's own do; partitions are compared by the adjusted Rand index and modularity.
//!
//! Without the refinement ([`LeidenParams::refine`] off) it is Louvain (Blondel et al. 2008)
//! with the same local moves.
//!
//! Why not a crate: `single-clustering` and `leiden-rs` were the candidates; the algorithm is a
//! few hundred lines over our CSR graph, with our seeded generator and Cancel.

use super::rng::Rng;
use crate::data::Csr;

/// The objective.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Modularity with resolution γ (Reichardt–Bornholdt with the configuration null model).
    #[default]
    Modularity,
    /// The Constant Potts Model: internal weight − γ·n(n−1)/2 per cluster.
    Cpm,
}

/// Settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeidenParams {
    /// γ.
    pub resolution: f64,
    /// Runs, each from the previous partition (scanpy: 2).
    pub iterations: usize,
    /// The seed.
    pub seed: u64,
    /// The objective.
    pub objective: Objective,
    /// Randomness of the refinement (igraph: 0.01).
    pub beta: f64,
    /// Refine before aggregating (Leiden); without it the run is Louvain's: clusters are
    /// aggregated as the local moves leave them.
    pub refine: bool,
}

impl Default for LeidenParams {
    fn default() -> Self {
        Self { resolution: 1.0, iterations: 2, seed: 0, objective: Objective::Modularity, beta: 0.01, refine: true }
    }
}

/// A partition: one cluster per node (clusters numbered by size, largest 0) and its modularity.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// Cluster of each node.
    pub membership: Vec<u32>,
    /// Clusters.
    pub clusters: usize,
    /// Modularity (γ = 1, as igraph's `modularity`) of the partition.
    pub modularity: f64,
}

/// A weighted graph as adjacency lists (self loops allowed after aggregation).
struct Graph {
    adjacency: Vec<Vec<(usize, f64)>>,
    /// Node weights: strengths (modularity) or sizes (CPM).
    weights: Vec<f64>,
}

/// Leiden on the symmetric weighted `graph` (e.g. UMAP connectivities); `None` when
/// `cancelled` answers true.
pub fn leiden(graph: &Csr, params: LeidenParams, cancelled: &dyn Fn() -> bool) -> Option<Partition> {
    let n = graph.nrows();
    let adjacency: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|i| {
            let (cols, vals) = graph.row(i);
            cols.iter().zip(vals).map(|(&j, &w)| (j as usize, f64::from(w))).collect()
        })
        .collect();
    let strength: Vec<f64> = adjacency.iter().map(|a| a.iter().map(|&(_, w)| w).sum()).collect();
    let two_m: f64 = strength.iter().sum();
    let (weights, resolution) = match params.objective {
        Objective::Modularity => (strength.clone(), params.resolution / two_m.max(f64::MIN_POSITIVE)),
        Objective::Cpm => (vec![1.0; n], params.resolution),
    };
    let base = Graph { adjacency, weights };
    if cancelled() {
        return None;
    }
    let mut rng = Rng::new(params.seed);
    let mut membership: Vec<usize> = (0..n).collect();
    for _ in 0..params.iterations.max(1) {
        membership = one_run(&base, membership, resolution, params, &mut rng, cancelled)?;
    }
    let (membership, clusters) = by_size(&membership);
    let modularity = modularity(&base.adjacency, &strength, two_m, &membership);
    Some(Partition { membership: membership.iter().map(|&c| c as u32).collect(), clusters, modularity })
}

/// Modularity (γ = 1) of `membership` on the symmetric graph:
/// `(1/2m) Σ_ij (A_ij − k_i k_j / 2m) δ(c_i, c_j)`.
pub fn modularity(adjacency: &[Vec<(usize, f64)>], strength: &[f64], two_m: f64, membership: &[usize]) -> f64 {
    if two_m <= 0.0 {
        return 0.0;
    }
    let clusters = membership.iter().copied().max().map_or(0, |m| m + 1);
    let mut inside = vec![0.0; clusters];
    let mut total = vec![0.0; clusters];
    for (i, edges) in adjacency.iter().enumerate() {
        total[membership[i]] += strength[i];
        for &(j, w) in edges {
            if membership[j] == membership[i] {
                inside[membership[i]] += w;
            }
        }
    }
    inside.iter().zip(&total).map(|(&a, &k)| a / two_m - (k / two_m) * (k / two_m)).sum()
}

/// Modularity of `membership` on `graph` (symmetric CSR), as igraph's `Graph.modularity`.
pub fn graph_modularity(graph: &Csr, membership: &[u32]) -> f64 {
    let adjacency: Vec<Vec<(usize, f64)>> = (0..graph.nrows())
        .map(|i| {
            let (cols, vals) = graph.row(i);
            cols.iter().zip(vals).map(|(&j, &w)| (j as usize, f64::from(w))).collect()
        })
        .collect();
    let strength: Vec<f64> = adjacency.iter().map(|a| a.iter().map(|&(_, w)| w).sum()).collect();
    let two_m = strength.iter().sum();
    let membership: Vec<usize> = membership.iter().map(|&c| c as usize).collect();
    modularity(&adjacency, &strength, two_m, &membership)
}

/// Clusters renumbered by size (largest first; ties by first node), and their count.
fn by_size(membership: &[usize]) -> (Vec<usize>, usize) {
    let clusters = membership.iter().copied().max().map_or(0, |m| m + 1);
    let mut size = vec![0usize; clusters];
    let mut first = vec![usize::MAX; clusters];
    for (i, &c) in membership.iter().enumerate() {
        size[c] += 1;
        first[c] = first[c].min(i);
    }
    let mut order: Vec<usize> = (0..clusters).filter(|&c| size[c] > 0).collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(first[a].cmp(&first[b])));
    let mut new = vec![0usize; clusters];
    for (k, &c) in order.iter().enumerate() {
        new[c] = k;
    }
    (membership.iter().map(|&c| new[c]).collect(), order.len())
}

/// Clusters renumbered 0.. in order of first appearance, and their count.
fn compact(membership: &mut [usize]) -> usize {
    let mut map = std::collections::HashMap::new();
    for c in membership.iter_mut() {
        let next = map.len();
        *c = *map.entry(*c).or_insert(next);
    }
    map.len()
}

/// One Leiden run from `membership` on `base`; the membership of `base`'s nodes.
fn one_run(
    base: &Graph,
    membership: Vec<usize>,
    resolution: f64,
    params: LeidenParams,
    rng: &mut Rng,
    cancelled: &dyn Fn() -> bool,
) -> Option<Vec<usize>> {
    let n = base.adjacency.len();
    // `node_of[i]`: the aggregate node holding base node i.
    let mut node_of: Vec<usize> = (0..n).collect();
    let mut owned: Option<Graph> = None;
    let mut membership = membership;
    loop {
        if cancelled() {
            return None;
        }
        let graph = owned.as_ref().unwrap_or(base);
        fast_move(graph, &mut membership, resolution, rng, cancelled);
        if cancelled() {
            return None;
        }
        let clusters = compact(&mut membership);
        let nodes = graph.adjacency.len();
        if clusters >= nodes {
            break;
        }
        let mut refined = if params.refine {
            refine(graph, &membership, clusters, (resolution, params.beta), rng, cancelled)
        } else {
            membership.clone()
        };
        if cancelled() {
            return None;
        }
        let sub_clusters = compact(&mut refined);
        if sub_clusters >= nodes {
            break;
        }
        // Aggregate: one node per refined sub-cluster, starting in its cluster.
        let mut adjacency: Vec<std::collections::HashMap<usize, f64>> =
            vec![std::collections::HashMap::new(); sub_clusters];
        let mut weights = vec![0.0; sub_clusters];
        let mut start = vec![0usize; sub_clusters];
        for v in 0..nodes {
            if v % CANCEL_EVERY == 0 && cancelled() {
                return None;
            }
            let a = refined[v];
            weights[a] += graph.weights[v];
            start[a] = membership[v];
            for &(u, w) in &graph.adjacency[v] {
                *adjacency[a].entry(refined[u]).or_insert(0.0) += w;
            }
        }
        for node in &mut node_of {
            *node = refined[*node];
        }
        let adjacency = adjacency
            .into_iter()
            .map(|m| {
                let mut edges: Vec<(usize, f64)> = m.into_iter().collect();
                edges.sort_unstable_by_key(|e| e.0);
                edges
            })
            .collect();
        owned = Some(Graph { adjacency, weights });
        membership = start;
    }
    Some(node_of.iter().map(|&v| membership[v]).collect())
}

/// Nodes between two looks at `cancelled` in the move and refinement phases.
const CANCEL_EVERY: usize = 4096;

/// The fast local move phase (igraph's `fastmovenodes`); stops early (its result then unused)
/// once `cancelled`.
fn fast_move(graph: &Graph, membership: &mut [usize], resolution: f64, rng: &mut Rng, cancelled: &dyn Fn() -> bool) {
    let n = graph.adjacency.len();
    let mut cluster_weight = vec![0.0; n];
    let mut cluster_size = vec![0usize; n];
    for v in 0..n {
        cluster_weight[membership[v]] += graph.weights[v];
        cluster_size[membership[v]] += 1;
    }
    let mut empty: Vec<usize> = (0..n).filter(|&c| cluster_size[c] == 0).collect();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut queue: std::collections::VecDeque<usize> = order.into_iter().collect();
    let mut queued = vec![true; n];
    let mut edge_weight = vec![0.0; n];
    let mut seen = vec![false; n];
    let mut neighbours: Vec<usize> = Vec::new();
    let mut moves = 0usize;
    while let Some(v) = queue.pop_front() {
        moves += 1;
        if moves.is_multiple_of(CANCEL_EVERY) && cancelled() {
            return;
        }
        queued[v] = false;
        let current = membership[v];
        let w_v = graph.weights[v];
        cluster_weight[current] -= w_v;
        cluster_size[current] -= 1;
        if cluster_size[current] == 0 {
            empty.push(current);
        }
        neighbours.clear();
        neighbours.push(current);
        seen[current] = true;
        // An empty cluster is a candidate too.
        let spare = *empty.last().unwrap_or(&current);
        if !seen[spare] {
            neighbours.push(spare);
            seen[spare] = true;
        }
        for &(u, w) in &graph.adjacency[v] {
            if u == v {
                continue;
            }
            let c = membership[u];
            if !seen[c] {
                seen[c] = true;
                neighbours.push(c);
            }
            edge_weight[c] += w;
        }
        let mut best = current;
        let mut best_gain = edge_weight[current] - w_v * cluster_weight[current] * resolution;
        for &c in &neighbours {
            let gain = edge_weight[c] - w_v * cluster_weight[c] * resolution;
            if gain > best_gain {
                best_gain = gain;
                best = c;
            }
        }
        for &c in &neighbours {
            edge_weight[c] = 0.0;
            seen[c] = false;
        }
        cluster_weight[best] += w_v;
        cluster_size[best] += 1;
        if cluster_size[best] == 1
            && let Some(k) = empty.iter().rposition(|&c| c == best)
        {
            empty.swap_remove(k);
        }
        if best != current {
            membership[v] = best;
            for &(u, _) in &graph.adjacency[v] {
                if !queued[u] && membership[u] != best {
                    queued[u] = true;
                    queue.push_back(u);
                }
            }
        }
    }
}

/// The refinement (igraph's `mergenodes` in each cluster): the refined sub-cluster of each node
/// (`(resolution, beta)`); stops early (its result then unused) once `cancelled`.
fn refine(
    graph: &Graph,
    membership: &[usize],
    clusters: usize,
    (resolution, beta): (f64, f64),
    rng: &mut Rng,
    cancelled: &dyn Fn() -> bool,
) -> Vec<usize> {
    let n = graph.adjacency.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); clusters];
    for v in 0..n {
        members[membership[v]].push(v);
    }
    let mut refined: Vec<usize> = (0..n).collect();
    let mut weight: Vec<f64> = graph.weights.clone();
    // Weight of the edges from each sub-cluster to the rest of its cluster.
    let mut external: Vec<f64> = (0..n)
        .map(|v| {
            graph.adjacency[v].iter().filter(|&&(u, _)| u != v && membership[u] == membership[v]).map(|&(_, w)| w).sum()
        })
        .collect();
    let mut merged = vec![false; n];
    let mut edge_weight = vec![0.0; n];
    let mut seen = vec![false; n];
    let mut candidates: Vec<usize> = Vec::new();
    let mut visited = 0usize;
    for nodes in &mut members {
        let total: f64 = nodes.iter().map(|&v| graph.weights[v]).sum();
        rng.shuffle(nodes);
        for &v in nodes.iter() {
            visited += 1;
            if visited.is_multiple_of(CANCEL_EVERY) && cancelled() {
                return refined;
            }
            let own = refined[v];
            // Only nodes still alone and well connected to their cluster move.
            if merged[own] || external[own] < weight[own] * (total - weight[own]) * resolution {
                continue;
            }
            weight[own] = 0.0;
            external[own] = 0.0;
            candidates.clear();
            candidates.push(own);
            seen[own] = true;
            for &(u, w) in &graph.adjacency[v] {
                if u == v || membership[u] != membership[v] {
                    continue;
                }
                let c = refined[u];
                if !seen[c] {
                    seen[c] = true;
                    candidates.push(c);
                }
                edge_weight[c] += w;
            }
            let w_v = graph.weights[v];
            let gains: Vec<(usize, f64)> = candidates
                .iter()
                .filter(|&&c| c == own || external[c] >= weight[c] * (total - weight[c]) * resolution)
                .map(|&c| (c, edge_weight[c] - w_v * weight[c] * resolution))
                .filter(|&(_, gain)| gain >= 0.0)
                .collect();
            let top = gains.iter().map(|&(_, g)| g).fold(f64::NEG_INFINITY, f64::max);
            let chances: Vec<f64> = gains.iter().map(|&(_, g)| ((g - top) / beta).exp()).collect();
            let sum: f64 = chances.iter().sum();
            let mut pick = rng.uniform() * sum;
            let mut chosen = own;
            for (&(c, _), &p) in gains.iter().zip(&chances) {
                chosen = c;
                if pick < p {
                    break;
                }
                pick -= p;
            }
            weight[chosen] += w_v;
            for &(u, w) in &graph.adjacency[v] {
                if u == v || membership[u] != membership[v] {
                    continue;
                }
                if refined[u] == chosen {
                    external[chosen] -= w;
                } else {
                    external[chosen] += w;
                }
            }
            if chosen != own {
                merged[chosen] = true;
            }
            refined[v] = chosen;
            for &c in &candidates {
                edge_weight[c] = 0.0;
                seen[c] = false;
            }
        }
    }
    refined
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two cliques of `size` joined by one weak edge.
    fn two_cliques(size: usize) -> Csr {
        let mut entries = Vec::new();
        for block in 0..2 {
            for a in 0..size {
                for b in 0..size {
                    if a != b {
                        entries.push(((block * size + a) as u32, (block * size + b) as u32, 1.0f32));
                    }
                }
            }
        }
        entries.push((0, size as u32, 0.1));
        entries.push((size as u32, 0, 0.1));
        Csr::from_triplets(2 * size, 2 * size, &entries)
    }

    #[test]
    fn two_cliques_are_two_clusters() {
        let graph = two_cliques(6);
        for seed in 0..5 {
            let p = leiden(&graph, LeidenParams { seed, ..LeidenParams::default() }, &|| false).unwrap();
            assert_eq!(p.clusters, 2, "seed {seed}");
            assert!(p.membership[..6].iter().all(|&c| c == p.membership[0]));
            assert!(p.membership[6..].iter().all(|&c| c == p.membership[6]));
            assert_ne!(p.membership[0], p.membership[6]);
            // Modularity of two equal halves joined weakly: just under 0.5.
            assert!((p.modularity - graph_modularity(&graph, &p.membership)).abs() < 1e-12);
            assert!(p.modularity > 0.49 && p.modularity < 0.5, "{}", p.modularity);
        }
    }

    #[test]
    fn seeded_runs_repeat_and_cpm_at_high_resolution_splits_everything() {
        let graph = two_cliques(5);
        let a = leiden(&graph, LeidenParams::default(), &|| false).unwrap();
        let b = leiden(&graph, LeidenParams::default(), &|| false).unwrap();
        assert_eq!(a, b);
        let cpm = LeidenParams { objective: Objective::Cpm, resolution: 2.0, ..LeidenParams::default() };
        assert_eq!(leiden(&graph, cpm, &|| false).unwrap().clusters, 10);
        assert!(leiden(&graph, LeidenParams::default(), &|| true).is_none());
        let louvain = LeidenParams { refine: false, ..LeidenParams::default() };
        assert_eq!(leiden(&graph, louvain, &|| false).unwrap().clusters, 2);
    }
}
