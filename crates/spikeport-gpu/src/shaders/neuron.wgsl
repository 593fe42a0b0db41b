// One update of one population for every image (lane) of a batch chunk.
//
// Thread (x, y) steps neuron x of lane y: it adds the input arriving now from the delay
// ring (and clears that slot), applies the model's exact step, and on a spike counts it
// (readout window, total, checkpoints) and records it. A workgroup covers 64 consecutive
// neurons of one lane and writes their spike bits as two whole words, so the spike
// words need neither clearing nor atomics. Layout: image-major, neuron-minor (element
// lane * n + neuron), so the threads of a workgroup touch consecutive addresses.
//
// The constants EXP_* are prepended by the host (the f32 bits of spikeport-lif's
// exp_fast constants, so both evaluate the same polynomial).

struct PopParams {
    // u[0]: model, n, lanes, slots
    // u[1]: words, refrac_steps, steps, per_lane
    // u[2]: total, n_cp, counts_off, totals_off
    // u[3]: cp_off, raster_off, trace_off, rec_first
    // u[4]: rec_count, flags (1 = raster, 2 = trace), _, _
    u: array<vec4<u32>, 5>,
    // readout window in stamps relative to an image's start: lo, hi
    w: vec4<i32>,
    // model constants (see model.rs)
    c: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<storage, read> clock: array<u32>;
@group(0) @binding(1) var<uniform> P: PopParams;
// (v mV, syn_e, syn_i, refractory updates left as bits)
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;
// slots x (exc plane, inh plane) x lanes x n
@group(0) @binding(3) var<storage, read_write> ring: array<f32>;
// lanes x words: spike bits of the stamp just emitted
@group(0) @binding(4) var<storage, read_write> bits: array<u32>;
// counts, totals, checkpoints of all populations
@group(0) @binding(5) var<storage, read_write> tallies: array<u32>;
// spike rasters and membrane traces of recorded images
@group(0) @binding(6) var<storage, read_write> rec: array<u32>;
// last stamp (inclusive, relative to the image start) of every checkpoint
@group(0) @binding(7) var<storage, read> cp_limits: array<i32>;

var<workgroup> fired_words: array<atomic<u32>, 2>;

fn cst(i: u32) -> f32 {
    return P.c[i / 4u][i % 4u];
}

// spikeport-lif's Real::exp_fast for f32: x = k ln 2 + r, the degree-7 Taylor polynomial
// of e^r, scaled by 2^k through the exponent bits. The CPU rounds k with the
// add-and-subtract-1.5·2^23 trick; round() gives the same value (both round half to
// even) without relying on the driver keeping (t + c) - c unsimplified.
fn exp_fast(x_in: f32) -> f32 {
    let ln2_hi = bitcast<f32>(0x3f317200u);
    let ln2_lo = bitcast<f32>(EXP_LN2_LO);
    var x = select(x_in, -87.0, x_in < -87.0);
    x = select(x, 88.0, x > 88.0);
    let k = round(x * bitcast<f32>(EXP_LOG2_E));
    let r = (x - k * ln2_hi) - k * ln2_lo;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (bitcast<f32>(EXP_C6) + r * (bitcast<f32>(EXP_C24)
        + r * (bitcast<f32>(EXP_C120) + r * (bitcast<f32>(EXP_C720) + r / 5040.0))))));
    let scale = bitcast<f32>(u32(i32(k) + 127) << 23u);
    return p * scale;
}

fn finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// The step of one neuron: s = (v, syn_e, syn_i, refrac). Returns whether it spiked.
struct Stepped {
    s: vec4<f32>,
    fired: bool,
}

fn step_cond_euler(s_in: vec4<f32>) -> Stepped {
    var v = s_in.x;
    var ge0 = s_in.y;
    var gi0 = s_in.z;
    var refrac = bitcast<u32>(s_in.w);
    let free = refrac == 0u;
    let ge = ge0 * cst(8u);
    let gi = gi0 * cst(9u);
    let g_tot = cst(5u) + ge + gi;
    let v_inf = (cst(6u) + ge * cst(3u) + gi * cst(4u)) / g_tot;
    let f = exp_fast(g_tot * cst(7u));
    let v_free = v_inf - f * (v_inf - v);
    if free {
        v = v_free;
    } else {
        refrac = refrac - 1u;
        v = cst(0u);
    }
    ge0 = ge0 * cst(10u);
    gi0 = gi0 * cst(11u);
    var fired = false;
    if free && v >= cst(1u) {
        v = cst(0u);
        refrac = P.u[1].y;
        fired = true;
    }
    return Stepped(vec4<f32>(v, ge0, gi0, bitcast<f32>(refrac)), fired);
}

fn step_cond_exact(s_in: vec4<f32>) -> Stepped {
    var v = s_in.x;
    var ge = s_in.y;
    var gi = s_in.z;
    var refrac = bitcast<u32>(s_in.w);
    let free = refrac == 0u;
    if free {
        let i_syn = ge * (cst(3u) - v) + gi * (cst(4u) - v);
        let alpha = cst(0u) + cst(6u) * (i_syn + cst(5u));
        v = alpha - cst(7u) * (alpha - v);
    } else {
        refrac = refrac - 1u;
        v = cst(1u);
    }
    ge = ge * cst(8u);
    gi = gi * cst(9u);
    var fired = false;
    if free && v >= cst(2u) {
        v = cst(1u);
        refrac = P.u[1].y;
        fired = true;
    }
    return Stepped(vec4<f32>(v, ge, gi, bitcast<f32>(refrac)), fired);
}

fn step_curr_exp(s_in: vec4<f32>) -> Stepped {
    var v = s_in.x;
    var ie = s_in.y;
    var ii = s_in.z;
    var refrac = bitcast<u32>(s_in.w);
    let free = refrac == 0u;
    if free {
        var u = v - cst(0u);
        u = cst(4u) * u + cst(7u) * ie - cst(8u) * ii + cst(9u) * cst(3u);
        v = cst(0u) + u;
    } else {
        refrac = refrac - 1u;
        v = cst(1u);
    }
    ie = ie * cst(5u);
    ii = ii * cst(6u);
    var fired = false;
    if free && v >= cst(2u) {
        v = cst(1u);
        refrac = P.u[1].y;
        fired = true;
    }
    return Stepped(vec4<f32>(v, ie, ii, bitcast<f32>(refrac)), fired);
}

fn step_delta_sub(s_in: vec4<f32>) -> Stepped {
    var v = s_in.x;
    var refrac = bitcast<u32>(s_in.w);
    let input = s_in.y - s_in.z;
    if refrac > 0u {
        refrac = refrac - 1u;
        return Stepped(vec4<f32>(v, 0.0, 0.0, bitcast<f32>(refrac)), false);
    }
    v = cst(0u) + (v + input - cst(0u)) * cst(3u) + cst(4u);
    var fired = false;
    if v >= cst(1u) {
        v = v - cst(2u);
        refrac = P.u[1].y;
        fired = true;
    }
    return Stepped(vec4<f32>(v, 0.0, 0.0, bitcast<f32>(refrac)), fired);
}

// Number of checkpoints whose last stamp is < rel (the checkpoint rel counts in).
fn checkpoint_of(rel: i32, n_cp: u32) -> u32 {
    var lo = 0u;
    var hi = n_cp;
    while lo < hi {
        let mid = (lo + hi) / 2u;
        if cp_limits[mid] < rel {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo;
}

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wg: vec3<u32>,
) {
    let model = P.u[0].x;
    let n = P.u[0].y;
    let lanes = P.u[0].z;
    let slots = P.u[0].w;
    let words = P.u[1].x;
    let steps = P.u[1].z;
    let per_lane = P.u[1].w;
    let total = P.u[2].x;
    let n_cp = P.u[2].y;
    let flags = P.u[4].y;
    let rec_first = P.u[3].w;
    let rec_count = P.u[4].x;

    if li < 2u {
        atomicStore(&fired_words[li], 0u);
    }
    workgroupBarrier();

    let lane = wg.y;
    let j = gid.x;
    let k = clock[0];
    var fired = false;
    if j < n {
        let idx = lane * n + j;
        var s = state[idx];
        // input arriving at t_k, then clear the slot
        let plane = lanes * n;
        let e_at = (k % slots) * 2u * plane + idx;
        let i_at = e_at + plane;
        s.y = s.y + ring[e_at];
        s.z = s.z + ring[i_at];
        ring[e_at] = 0.0;
        ring[i_at] = 0.0;
        var r: Stepped;
        switch model {
            case 0u: { r = step_cond_euler(s); }
            case 1u: { r = step_cond_exact(s); }
            case 2u: { r = step_curr_exp(s); }
            default: { r = step_delta_sub(s); }
        }
        state[idx] = r.s;
        fired = r.fired;
        let stamp = k + 1u;
        if fired {
            // total spikes of (lane, neuron); the top bit is the non-finite flag
            tallies[P.u[2].w + idx] = tallies[P.u[2].w + idx] + 1u;
            // readout window of the image whose window contains the stamp
            let x = i32(stamp) - P.w.x;
            if x >= 0 {
                let i = u32(x) / steps;
                let rel = i32(stamp) - i32(i * steps);
                if i < per_lane && rel < P.w.y {
                    let img = lane * per_lane + i;
                    let c_at = P.u[2].z + img * n + j;
                    tallies[c_at] = tallies[c_at] + 1u;
                    if n_cp > 0u {
                        let c = checkpoint_of(rel, n_cp);
                        if c < n_cp {
                            let cp_at = P.u[3].x + (c * (lanes * per_lane) + img) * n + j;
                            tallies[cp_at] = tallies[cp_at] + 1u;
                        }
                    }
                }
            }
        }
        // membrane potential after update k
        if (flags & 2u) != 0u {
            let img = lane * per_lane + k / steps;
            if img >= rec_first && img < rec_first + rec_count {
                let t_at = P.u[3].z + ((img - rec_first) * n + j) * steps + k % steps;
                rec[t_at] = bitcast<u32>(r.s.x);
            }
        }
        // a non-finite state at the end of the run
        if stamp == total && !(finite(r.s.x) && finite(r.s.y) && finite(r.s.z)) {
            tallies[P.u[2].w + idx] = tallies[P.u[2].w + idx] | 0x80000000u;
        }
    }
    if fired {
        atomicOr(&fired_words[(j % 64u) / 32u], 1u << (j % 32u));
    }
    workgroupBarrier();
    let w = wg.x * 2u + li;
    if li < 2u && w < words {
        let word = atomicLoad(&fired_words[li]);
        bits[lane * words + w] = word;
        if (flags & 1u) != 0u && word != 0u {
            // raster of the image whose period contains the stamp
            let stamp = k + 1u;
            let i = min(stamp / steps, per_lane - 1u);
            let rel = stamp - i * steps;
            let img = lane * per_lane + i;
            if img >= rec_first && img < rec_first + rec_count {
                let at = P.u[3].y + ((img - rec_first) * (steps + 1u) + rel) * words + w;
                rec[at] = word;
            }
        }
    }
}
