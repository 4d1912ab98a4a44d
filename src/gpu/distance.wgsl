// Pairwise distances between the rows of two f32 matrices, one 64 × 64 output tile per
// workgroup: 16 × 16 threads, each accumulating a 4 × 4 block. Both inputs are staged in
// workgroup memory 16 values (dimensions) at a time. kernel 0 sums squared differences,
// kernel 1 absolute differences; the host finishes each metric (square root, ½ for cosine).

struct Params {
    rows_a: u32,
    rows_b: u32,
    dims: u32,
    kernel: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const TILE: u32 = 64u;
const CHUNK: u32 = 16u;

// [CHUNK][TILE]: dimension-major, so a thread's four rows are adjacent.
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    let thread = local.y * 16u + local.x;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < params.dims; k0 += CHUNK) {
        // 256 threads stage 64 rows × 16 dimensions of each side, four values each.
        for (var e = 0u; e < 4u; e++) {
            let index = thread * 4u + e;
            let r = index / CHUNK;
            let k = index % CHUNK;
            let dim = k0 + k;
            var va = 0.0;
            var vb = 0.0;
            if (dim < params.dims) {
                if (row0 + r < params.rows_a) {
                    va = a[(row0 + r) * params.dims + dim];
                }
                if (col0 + r < params.rows_b) {
                    vb = b[(col0 + r) * params.dims + dim];
                }
            }
            tile_a[k * TILE + r] = va;
            tile_b[k * TILE + r] = vb;
        }
        workgroupBarrier();
        for (var k = 0u; k < CHUNK; k++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = tile_a[k * TILE + local.y * 4u + i];
                bv[i] = tile_b[k * TILE + local.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    let d = av[i] - bv[j];
                    if (params.kernel == 0u) {
                        acc[i * 4u + j] += d * d;
                    } else {
                        acc[i * 4u + j] += abs(d);
                    }
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + local.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + local.x * 4u + j;
            if (r < params.rows_a && c < params.rows_b) {
                result[r * params.rows_b + c] = acc[i * 4u + j];
            }
        }
    }
}
