//! Barnes–Hut repulsion: a quadtree whose cells far enough from a point (cell width <
//! θ · distance) act as one body at their centre of mass. O(N log N) per iteration; the
//! default below 10,000 points (as in openTSNE), where it is as fast as interpolation and
//! exact for θ = 0.

/// A Barnes–Hut quadtree over the embedding.
pub(super) struct QuadTree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Cell width.
    width: f64,
    /// Centre of mass.
    com: [f64; 2],
    /// Points inside.
    count: f64,
    /// Children (`u32::MAX` for none); all `MAX` in a leaf.
    children: [u32; 4],
}

impl QuadTree {
    pub(super) fn build(y: &[[f64; 2]]) -> Self {
        let (lo, hi) = super::bounds(y);
        let half = ((hi[0] - lo[0]).max(hi[1] - lo[1]) / 2.0).max(1e-12) * (1.0 + 1e-9);
        let centre = [f64::midpoint(lo[0], hi[0]), f64::midpoint(lo[1], hi[1])];
        let mut tree = Self { nodes: Vec::with_capacity(2 * y.len()) };
        let mut index: Vec<u32> = (0..y.len() as u32).collect();
        tree.insert(y, &mut index, centre, half, 0);
        tree
    }

    fn insert(&mut self, y: &[[f64; 2]], index: &mut [u32], centre: [f64; 2], half: f64, depth: usize) -> u32 {
        let id = self.nodes.len() as u32;
        let count = index.len() as f64;
        let com =
            index.iter().fold([0.0; 2], |c, &i| [c[0] + y[i as usize][0], c[1] + y[i as usize][1]]).map(|v| v / count);
        self.nodes.push(Node { width: 2.0 * half, com, count, children: [u32::MAX; 4] });
        if index.len() <= 1 || depth >= 48 {
            return id;
        }
        // Partition into quadrants: left/right of the centre, then bottom/top of each half.
        let split_x = partition(index, |i| y[i as usize][0] < centre[0]);
        let (left, right) = index.split_at_mut(split_x);
        let split_left = partition(left, |i| y[i as usize][1] < centre[1]);
        let split_right = partition(right, |i| y[i as usize][1] < centre[1]);
        let (lb, lt) = left.split_at_mut(split_left);
        let (rb, rt) = right.split_at_mut(split_right);
        let h = half / 2.0;
        let quadrants = [
            (lb, [centre[0] - h, centre[1] - h]),
            (lt, [centre[0] - h, centre[1] + h]),
            (rb, [centre[0] + h, centre[1] - h]),
            (rt, [centre[0] + h, centre[1] + h]),
        ];
        for (q, (part, c)) in quadrants.into_iter().enumerate() {
            if !part.is_empty() {
                let child = self.insert(y, part, c, h, depth + 1);
                self.nodes[id as usize].children[q] = child;
            }
        }
        id
    }

    /// Adds the repulsive force on point `i` to `out`; returns its share of Z.
    pub(super) fn repulsion(&self, y: &[[f64; 2]], i: usize, theta2: f64, out: &mut [f64; 2]) -> f64 {
        let yi = y[i];
        let mut z = 0.0;
        let mut stack = Vec::with_capacity(64);
        stack.push(0u32);
        while let Some(id) = stack.pop() {
            let node = &self.nodes[id as usize];
            let dx = yi[0] - node.com[0];
            let dy = yi[1] - node.com[1];
            let d2 = dx * dx + dy * dy;
            let leaf = node.children == [u32::MAX; 4];
            if leaf || node.width * node.width < theta2 * d2 {
                if d2 <= f64::MIN_POSITIVE {
                    // The point itself (and exact duplicates, which exert no force).
                    z += node.count - 1.0;
                    continue;
                }
                let q = 1.0 / (1.0 + d2);
                z += node.count * q;
                out[0] += node.count * q * q * dx;
                out[1] += node.count * q * q * dy;
            } else {
                stack.extend(node.children.iter().copied().filter(|&c| c != u32::MAX));
            }
        }
        z
    }
}

/// Moves the elements satisfying `pred` to the front; returns how many there are.
fn partition(items: &mut [u32], pred: impl Fn(u32) -> bool) -> usize {
    let mut next = 0;
    for k in 0..items.len() {
        if pred(items[k]) {
            items.swap(next, k);
            next += 1;
        }
    }
    next
}
