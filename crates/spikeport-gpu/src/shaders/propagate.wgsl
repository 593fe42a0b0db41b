// Event-driven propagation of the spikes with the current stamp through one projection.
//
// Thread (x, y) owns target neuron x of lane y. It walks the spikes of its lane's
// pre-synaptic population in ascending neuron order (set bits of the spike words, or
// the input list of the stamp) and adds each spiking row's weight to the ring slot
// where the spikes arrive, `e += max(w, 0)`, `i += max(-w, 0)`: the same additions in
// the same order as the CPU backends, so the sums are bit-identical and do not depend
// on scheduling. Only rows of neurons that spiked are read; a workgroup's 64 threads
// read 64 consecutive weights of a row. Thread 0 of each lane also counts the synaptic
// events (non-zero weights of the spiking rows) into a 64-bit counter (two u32 words).

struct ProjParams {
    // u[0]: n_pre, n_post, lanes, words_pre
    // u[1]: delay, slots, receptors (1 = exc, 2 = inh), source (0 = spike words, 1 = input list)
    // u[2]: total, list_stride, projection, n_projections
    // u[3]: list_off, _, _, _
    u: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> clock: array<u32>;
@group(0) @binding(1) var<uniform> P: ProjParams;
// (pre, post) row-major weights
@group(0) @binding(2) var<storage, read> weights: array<f32>;
// non-zero weights per row
@group(0) @binding(3) var<storage, read> nnz: array<u32>;
// spike words (lanes x words) or the input lists (offsets per lane and stamp, then neurons)
@group(0) @binding(4) var<storage, read> pre: array<u32>;
@group(0) @binding(5) var<storage, read_write> ring: array<f32>;
// lanes x projections x (lo, hi)
@group(0) @binding(6) var<storage, read_write> events: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let n_post = P.u[0].y;
    let lanes = P.u[0].z;
    let words = P.u[0].w;
    let delay = P.u[1].x;
    let slots = P.u[1].y;
    let exc = (P.u[1].z & 1u) != 0u;
    let inh = (P.u[1].z & 2u) != 0u;
    let total = P.u[2].x;
    let s = clock[0];
    // a spike that would arrive after the lane's last update is not propagated
    if s + delay >= total {
        return;
    }
    let lane = wg.y;
    let post = gid.x;
    let in_range = post < n_post;
    let plane = lanes * n_post;
    let e_at = ((s + delay) % slots) * 2u * plane + lane * n_post + post;
    let i_at = e_at + plane;
    var e = 0.0;
    var i = 0.0;
    if in_range {
        if exc {
            e = ring[e_at];
        }
        if inh {
            i = ring[i_at];
        }
    }
    var ev = 0u;
    if P.u[1].w == 0u {
        for (var w = 0u; w < words; w = w + 1u) {
            var b = pre[lane * words + w];
            while b != 0u {
                let j = w * 32u + firstTrailingBit(b);
                b = b & (b - 1u);
                if in_range {
                    let x = weights[j * n_post + post];
                    e = e + max(x, 0.0);
                    i = i + max(-x, 0.0);
                }
                if post == 0u {
                    ev = ev + nnz[j];
                }
            }
        }
    } else {
        let at = lane * P.u[2].y + s;
        let lo = pre[at];
        let hi = pre[at + 1u];
        for (var t = lo; t < hi; t = t + 1u) {
            let j = pre[P.u[3].x + t];
            if in_range {
                let x = weights[j * n_post + post];
                e = e + max(x, 0.0);
                i = i + max(-x, 0.0);
            }
            if post == 0u {
                ev = ev + nnz[j];
            }
        }
    }
    if in_range {
        if exc {
            ring[e_at] = e;
        }
        if inh {
            ring[i_at] = i;
        }
    }
    if post == 0u && ev > 0u {
        let at = (lane * P.u[2].w + P.u[2].z) * 2u;
        let lo_old = events[at];
        let lo_new = lo_old + ev;
        events[at] = lo_new;
        if lo_new < lo_old {
            events[at + 1u] = events[at + 1u] + 1u;
        }
    }
}
