// Kernels: RNN, GRU and LSTM (opset 1-17): all directions, sequence_lens, initial states, peepholes,
// activations, clip, GRU linear_before_reset and the opset-14 layout attribute.
//
// Weights stay in ONNX layout (they are often graph inputs): per direction, one sgemm computes
// X * W^T for every time step, then each step does one sgemm H * R^T (two for GRU without
// linear_before_reset) followed by the gate math in C++.
#include <oneapi/dnnl/dnnl.h>

#include <cctype>
#include <cmath>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

enum class Cell { kRnn, kGru, kLstm };

enum class ActKind {
    kSigmoid,
    kTanh,
    kRelu,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
};

// The activation loops are compiled without trapping math so GCC if-converts the clamps and
// vectorizes them; the ternaries below stand in for std::min/max, which would not inline there.
#define EDGEINFER_RNN_VECTORIZE gnu::optimize("no-trapping-math")

// exp(x) for x clamped to [-88, 88] (Cephes polynomial, about 1 ulp).
[[gnu::always_inline, EDGEINFER_RNN_VECTORIZE]] inline float fast_exp(float x) {
    x = x < -88.3762626647949f ? -88.3762626647949f : x;
    x = x > 88.3762626647949f ? 88.3762626647949f : x;
    float fx = x * 1.44269504088896341f + 0.5f;
    // floor(fx) without a compare (which would keep the loop scalar): fx + 256 > 0 here.
    float n = static_cast<float>(static_cast<int32_t>(fx + 256.0f) - 256);
    x = x - n * 0.693359375f + n * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * x * x + x + 1.0f;
    int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));  // (std::bit_cast keeps this loop scalar in GCC 12)
    return y * scale;
}

// tanh as a rational polynomial (Eigen's float approximation, a few ulp); vectorizes.
[[gnu::always_inline, EDGEINFER_RNN_VECTORIZE]] inline float fast_tanh(float x) {
    x = x < -7.90531110763549805f ? -7.90531110763549805f : x;
    x = x > 7.90531110763549805f ? 7.90531110763549805f : x;
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return x * p / q;
}

struct Activation {
    ActKind kind = ActKind::kSigmoid;
    float alpha = 0.0f;
    float beta = 0.0f;

    // v[i] = f(v[i]) for i in [0, n).
    [[EDGEINFER_RNN_VECTORIZE]] void apply(float* v, int64_t n) const {
        const float a = alpha, b = beta;
        switch (kind) {
            case ActKind::kSigmoid:
                for (int64_t i = 0; i < n; ++i) v[i] = 1.0f / (1.0f + fast_exp(-v[i]));
                break;
            case ActKind::kTanh:
                for (int64_t i = 0; i < n; ++i) v[i] = fast_tanh(v[i]);
                break;
            case ActKind::kRelu:
                for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
                break;
            case ActKind::kAffine:
                for (int64_t i = 0; i < n; ++i) v[i] = a * v[i] + b;
                break;
            case ActKind::kLeakyRelu:
                for (int64_t i = 0; i < n; ++i) v[i] = v[i] >= 0.0f ? v[i] : a * v[i];
                break;
            case ActKind::kThresholdedRelu:
                for (int64_t i = 0; i < n; ++i) v[i] = v[i] > a ? v[i] : 0.0f;
                break;
            case ActKind::kScaledTanh:
                for (int64_t i = 0; i < n; ++i) v[i] = a * fast_tanh(b * v[i]);
                break;
            case ActKind::kHardSigmoid:
                for (int64_t i = 0; i < n; ++i) {
                    float t = a * v[i] + b;
                    t = t < 0.0f ? 0.0f : t;
                    v[i] = t > 1.0f ? 1.0f : t;
                }
                break;
            case ActKind::kElu:
                for (int64_t i = 0; i < n; ++i) v[i] = v[i] >= 0.0f ? v[i] : a * (std::exp(v[i]) - 1.0f);
                break;
            case ActKind::kSoftsign:
                for (int64_t i = 0; i < n; ++i) v[i] = v[i] / (1.0f + std::fabs(v[i]));
                break;
            case ActKind::kSoftplus:
                for (int64_t i = 0; i < n; ++i) v[i] = std::log1p(std::exp(v[i]));
                break;
        }
    }
};

// Parses one activation name; alpha/beta are taken from the lists in order by the functions that use them.
Result<Activation> parse_activation(std::string name, const std::vector<float>& alphas, size_t& ai,
                                    const std::vector<float>& betas, size_t& bi) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    struct Known {
        const char* name;
        ActKind kind;
        int params;  // 0 none, 1 alpha, 2 alpha and beta
        float alpha, beta;
    };
    static const Known kKnown[] = {
        {"sigmoid", ActKind::kSigmoid, 0, 0, 0},
        {"tanh", ActKind::kTanh, 0, 0, 0},
        {"relu", ActKind::kRelu, 0, 0, 0},
        {"affine", ActKind::kAffine, 2, 1.0f, 0.0f},
        {"leakyrelu", ActKind::kLeakyRelu, 1, 0.01f, 0},
        {"thresholdedrelu", ActKind::kThresholdedRelu, 1, 1.0f, 0},
        {"scaledtanh", ActKind::kScaledTanh, 2, 1.0f, 1.0f},
        {"hardsigmoid", ActKind::kHardSigmoid, 2, 0.2f, 0.5f},
        {"elu", ActKind::kElu, 1, 1.0f, 0},
        {"softsign", ActKind::kSoftsign, 0, 0, 0},
        {"softplus", ActKind::kSoftplus, 0, 0, 0},
    };
    for (const Known& k : kKnown) {
        if (name != k.name) continue;
        Activation a{k.kind, k.alpha, k.beta};
        if (k.params >= 1 && ai < alphas.size()) a.alpha = alphas[ai++];
        if (k.params >= 2 && bi < betas.size()) a.beta = betas[bi++];
        return a;
    }
    return invalid_model("activation '" + name + "' is not supported");
}

struct RnnAttrs {
    Cell cell = Cell::kLstm;
    int64_t hidden = 0;  // 0: taken from R
    int64_t dirs = 1;
    bool reverse = false;          // direction == "reverse"
    std::vector<Activation> acts;  // per_dir activations for each direction
    float clip = 0.0f;             // 0: no clip
    int64_t layout = 0;
    bool linear_before_reset = false;
    bool input_forget = false;
};

int gates_of(Cell c) { return c == Cell::kLstm ? 4 : (c == Cell::kGru ? 3 : 1); }
int acts_of(Cell c) { return c == Cell::kLstm ? 3 : (c == Cell::kGru ? 2 : 1); }

Result<RnnAttrs> read_attrs(const CreateContext& ctx, Cell cell) {
    const ir::Node& n = ctx.node;
    RnnAttrs a;
    a.cell = cell;
    a.hidden = n.attr_int("hidden_size", 0);
    if (a.hidden < 0) return ctx.invalid("hidden_size is negative");
    std::string dir = n.attr_string("direction", "forward");
    if (dir == "bidirectional") {
        a.dirs = 2;
    } else if (dir == "reverse") {
        a.reverse = true;
    } else if (dir != "forward") {
        return ctx.invalid("direction '" + dir + "' is not forward, reverse or bidirectional");
    }
    a.layout = ctx.opset >= 14 ? n.attr_int("layout", 0) : 0;
    if (a.layout != 0 && a.layout != 1) return ctx.invalid("layout must be 0 or 1");
    a.clip = n.attr_float("clip", 0.0f);
    if (a.clip < 0.0f) return ctx.invalid("clip must be positive");
    a.linear_before_reset = n.attr_int("linear_before_reset", 0) != 0;
    a.input_forget = n.attr_int("input_forget", 0) != 0;

    std::vector<std::string> names;
    if (const ir::Attribute* at = n.find_attribute("activations")) names = at->strings;
    size_t per_dir = static_cast<size_t>(acts_of(cell));
    if (names.empty()) {
        const char* defaults[] = {cell == Cell::kRnn ? "Tanh" : "Sigmoid", "Tanh", "Tanh"};
        for (int64_t d = 0; d < a.dirs; ++d)
            for (size_t i = 0; i < per_dir; ++i) names.push_back(defaults[i]);
    } else if (names.size() == per_dir && a.dirs == 2) {
        for (size_t i = 0; i < per_dir; ++i) names.push_back(names[i]);
    }
    if (names.size() != per_dir * static_cast<size_t>(a.dirs))
        return ctx.invalid("expected " + std::to_string(per_dir * static_cast<size_t>(a.dirs)) + " activations, got " +
                           std::to_string(names.size()));
    std::vector<float> alphas = n.attr_floats("activation_alpha"), betas = n.attr_floats("activation_beta");
    size_t ai = 0, bi = 0;
    for (const std::string& name : names) {
        auto act = parse_activation(name, alphas, ai, betas, bi);
        if (!act) return ctx.invalid(act.status().message());
        a.acts.push_back(*act);
    }
    return a;
}

// Input indices.
constexpr size_t kX = 0, kW = 1, kR = 2, kB = 3, kSeqLens = 4, kInitH = 5, kInitC = 6, kP = 7;

struct RnnState : KernelState {
    int64_t seq = 0, batch = 0, input = 0, hidden = 0;
    // Scratch layout, in floats.
    size_t xw_at = 0, hr_at = 0, h_at = 0, c_at = 0, rh_at = 0, rhp_at = 0, bias_at = 0;
};

void sgemm_nt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
              int64_t ldc) {
    dnnl_sgemm('N', 'T', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

bool output_wanted(const RunContext& ctx, size_t i) { return i < ctx.outputs.size() && ctx.outputs[i] != nullptr; }

class Recurrent final : public Kernel {
  public:
    explicit Recurrent(RnnAttrs attrs) : a_(std::move(attrs)) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& x = ctx.input(kX).dims;
        const auto& w = ctx.input(kW).dims;
        const auto& r = ctx.input(kR).dims;
        for (size_t i = 0; i < ctx.num_inputs(); ++i)
            if (ctx.has_input(i) && i != kSeqLens && ctx.input(i).dtype != DataType::kFloat32)
                return ctx.invalid("input " + std::to_string(i) + " must be float32");
        if (x.size() != 3) return ctx.invalid("X has rank " + std::to_string(x.size()) + ", expected 3");
        if (w.size() != 3 || r.size() != 3) return ctx.invalid("W and R must have rank 3");
        int64_t seq = a_.layout == 0 ? x[0] : x[1];
        int64_t batch = a_.layout == 0 ? x[1] : x[0];
        int64_t input = x[2];
        int64_t hidden = a_.hidden > 0 ? a_.hidden : r[2];
        int64_t g = gates_of(a_.cell);
        int64_t D = a_.dirs;
        auto expect = [&](size_t i, std::vector<int64_t> dims, const char* name) -> Status {
            if (ctx.has_input(i) && ctx.input(i).dims != dims)
                return ctx.invalid(std::string(name) + " has shape " + shape_to_string(ctx.input(i).dims) +
                                   ", expected " + shape_to_string(dims));
            return Status::ok();
        };
        EDGEINFER_RETURN_IF_ERROR(expect(kW, {D, g * hidden, input}, "W"));
        EDGEINFER_RETURN_IF_ERROR(expect(kR, {D, g * hidden, hidden}, "R"));
        EDGEINFER_RETURN_IF_ERROR(expect(kB, {D, 2 * g * hidden}, "B"));
        EDGEINFER_RETURN_IF_ERROR(expect(kSeqLens, {batch}, "sequence_lens"));
        std::vector<int64_t> state_dims =
            a_.layout == 0 ? std::vector<int64_t>{D, batch, hidden} : std::vector<int64_t>{batch, D, hidden};
        EDGEINFER_RETURN_IF_ERROR(expect(kInitH, state_dims, "initial_h"));
        if (a_.cell == Cell::kLstm) {
            EDGEINFER_RETURN_IF_ERROR(expect(kInitC, state_dims, "initial_c"));
            EDGEINFER_RETURN_IF_ERROR(expect(kP, {D, 3 * hidden}, "P"));
        }
        if (ctx.has_input(kSeqLens) && ctx.input(kSeqLens).dtype != DataType::kInt32 &&
            ctx.input(kSeqLens).dtype != DataType::kInt64)
            return ctx.invalid("sequence_lens must be int32");

        auto s = std::make_unique<RnnState>();
        s->seq = seq;
        s->batch = batch;
        s->input = input;
        s->hidden = hidden;
        size_t at = 0;
        auto take = [&](int64_t n) {
            size_t r0 = at;
            at += (static_cast<size_t>(n) + 15) / 16 * 16;
            return r0;
        };
        s->xw_at = take(seq * batch * g * hidden);
        s->hr_at = take(batch * g * hidden);
        s->h_at = take(batch * hidden);
        s->c_at = take(batch * hidden);
        s->rh_at = take(batch * hidden);
        s->rhp_at = take(batch * hidden);
        s->bias_at = take(g * hidden);
        ctx.request_scratch(at * sizeof(float));
        ctx.set_state(std::move(s));

        std::vector<int64_t> y =
            a_.layout == 0 ? std::vector<int64_t>{seq, D, batch, hidden} : std::vector<int64_t>{batch, seq, D, hidden};
        ctx.set_output(0, DataType::kFloat32, y);
        if (ctx.num_outputs() > 1) ctx.set_output(1, DataType::kFloat32, state_dims);
        if (ctx.num_outputs() > 2 && a_.cell == Cell::kLstm) ctx.set_output(2, DataType::kFloat32, state_dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& s = ctx.state_as<RnnState>();
        const int64_t seq = s.seq, batch = s.batch, H = s.hidden;
        float* y = output_wanted(ctx, 0) ? ctx.out(0).data_as<float>() : nullptr;
        float* y_h = output_wanted(ctx, 1) ? ctx.out(1).data_as<float>() : nullptr;
        float* y_c = a_.cell == Cell::kLstm && output_wanted(ctx, 2) ? ctx.out(2).data_as<float>() : nullptr;
        if (batch == 0 || H == 0) return Status::ok();
        // Sequence lengths: data-dependent, checked here.
        const Tensor* lens_t = ctx.has_in(kSeqLens) ? &ctx.in(kSeqLens) : nullptr;
        auto seq_len = [&](int64_t b) -> int64_t {
            if (!lens_t) return seq;
            return lens_t->dtype() == DataType::kInt32 ? lens_t->data_as<int32_t>()[b] : lens_t->data_as<int64_t>()[b];
        };
        for (int64_t b = 0; b < batch; ++b) {
            int64_t l = seq_len(b);
            if (l < 0 || l > seq)
                return ctx.error(StatusCode::kOutOfRange, "sequence_lens[" + std::to_string(b) +
                                                              "] = " + std::to_string(l) + " is outside [0, " +
                                                              std::to_string(seq) + "]");
        }
        if (y && lens_t) std::memset(y, 0, ctx.out(0).nbytes());
        for (int64_t d = 0; d < a_.dirs; ++d) run_direction(ctx, s, d, seq_len, y, y_h, y_c);
        return Status::ok();
    }

  private:
    template <typename SeqLen>
    void run_direction(const RunContext& ctx, const RnnState& s, int64_t d, const SeqLen& seq_len, float* y, float* y_h,
                       float* y_c) const {
        const int64_t seq = s.seq, batch = s.batch, I = s.input, H = s.hidden, D = a_.dirs;
        const int64_t G = gates_of(a_.cell), GH = G * H;
        const bool reverse = a_.reverse || d == 1;
        const bool lbr = a_.cell == Cell::kGru && a_.linear_before_reset;
        float* scratch = static_cast<float*>(ctx.scratch);
        float* xw = scratch + s.xw_at;
        float* hr = scratch + s.hr_at;
        float* h = scratch + s.h_at;
        float* c = scratch + s.c_at;
        float* rh = scratch + s.rh_at;    // r ⊙ h (GRU)
        float* rhp = scratch + s.rhp_at;  // (r ⊙ h) * R_h^T (GRU)
        float* bias = scratch + s.bias_at;
        const float* W = ctx.in(kW).data_as<float>() + d * GH * I;
        const float* R = ctx.in(kR).data_as<float>() + d * GH * H;
        const float* B = ctx.has_in(kB) ? ctx.in(kB).data_as<float>() + d * 2 * GH : nullptr;
        const float* P = a_.cell == Cell::kLstm && ctx.has_in(kP) ? ctx.in(kP).data_as<float>() + d * 3 * H : nullptr;
        const Activation* act = &a_.acts[static_cast<size_t>(d * acts_of(a_.cell))];

        // Bias folded into the input projection: Wb + Rb, except GRU's h gate Rb under linear_before_reset.
        for (int64_t j = 0; j < GH; ++j) {
            float v = 0.0f;
            if (B) v = B[j] + (lbr && j >= 2 * H ? 0.0f : B[GH + j]);
            bias[j] = v;
        }
        const float* rbh = lbr && B ? B + GH + 2 * H : nullptr;

        // Initial states (layout 0: [D, batch, H], layout 1: [batch, D, H]).
        auto state_index = [&](int64_t b) { return a_.layout == 0 ? (d * batch + b) * H : (b * D + d) * H; };
        for (int64_t b = 0; b < batch; ++b) {
            if (ctx.has_in(kInitH))
                std::memcpy(h + b * H, ctx.in(kInitH).data_as<float>() + state_index(b), H * sizeof(float));
            else
                std::fill(h + b * H, h + (b + 1) * H, 0.0f);
            if (a_.cell != Cell::kLstm) continue;
            if (ctx.has_in(kInitC))
                std::memcpy(c + b * H, ctx.in(kInitC).data_as<float>() + state_index(b), H * sizeof(float));
            else
                std::fill(c + b * H, c + (b + 1) * H, 0.0f);
        }

        // X * W^T for all steps, rows in X's memory order.
        if (seq > 0 && I > 0)
            sgemm_nt(seq * batch, GH, I, ctx.in(kX).data_as<float>(), I, W, I, xw, GH);
        else
            std::fill(xw, xw + seq * batch * GH, 0.0f);
        auto x_row = [&](int64_t t, int64_t b) { return xw + (a_.layout == 0 ? t * batch + b : b * seq + t) * GH; };
        auto y_row = [&](int64_t t, int64_t b) {
            return y + (a_.layout == 0 ? ((t * D + d) * batch + b) : ((b * seq + t) * D + d)) * H;
        };
        // Gate math per step is small: only split it across threads for large batches.
        const int64_t grain = std::max<int64_t>(1, 32768 / GH);
        // GRU without linear_before_reset needs r before the h gate's product: two phases.
        const bool gru_split = a_.cell == Cell::kGru && !lbr;

        for (int64_t step = 0; step < seq; ++step) {
            // Gate contributions of the previous hidden state; each batch row has GH slots.
            sgemm_nt(batch, gru_split ? 2 * H : GH, H, h, H, R, H, hr, GH);
            auto time_of = [&](int64_t b) -> int64_t {
                int64_t len = seq_len(b);
                if (step >= len) return -1;
                return reverse ? len - 1 - step : step;
            };
            if (gru_split) {
                parallel_for(
                    batch,
                    [&](int64_t b0, int64_t b1) {
                        for (int64_t b = b0; b < b1; ++b) {
                            int64_t t = time_of(b);
                            if (t < 0) continue;
                            float* g = hr + b * GH;
                            add_bias_clip(g, x_row(t, b), bias, 2 * H);
                            act[0].apply(g, 2 * H);
                            for (int64_t j = 0; j < H; ++j) rh[b * H + j] = g[H + j] * h[b * H + j];
                        }
                    },
                    grain);
                sgemm_nt(batch, H, H, rh, H, R + 2 * H * H, H, rhp, H);
            }
            parallel_for(
                batch,
                [&](int64_t b0, int64_t b1) {
                    for (int64_t b = b0; b < b1; ++b) {
                        int64_t t = time_of(b);
                        if (t < 0) continue;
                        cell_step(x_row(t, b), hr + b * GH, rhp + b * H, rbh, bias, P, act, h + b * H, c + b * H, H,
                                  lbr);
                        if (y) std::memcpy(y_row(t, b), h + b * H, H * sizeof(float));
                    }
                },
                grain);
        }
        for (int64_t b = 0; b < batch; ++b) {
            if (y_h) std::memcpy(y_h + state_index(b), h + b * H, H * sizeof(float));
            if (y_c) std::memcpy(y_c + state_index(b), c + b * H, H * sizeof(float));
        }
    }

    // g[j] = clip(g[j] + x[j] + bias[j]) for j in [0, n).
    void add_bias_clip(float* g, const float* x, const float* bias, int64_t n) const {
        for (int64_t j = 0; j < n; ++j) g[j] += x[j] + bias[j];
        clip_span(g, n);
    }

    [[EDGEINFER_RNN_VECTORIZE]] void clip_span(float* g, int64_t n) const {
        const float clip = a_.clip;
        if (clip <= 0.0f) return;
        for (int64_t j = 0; j < n; ++j) {
            float v = g[j] < -clip ? -clip : g[j];
            g[j] = v > clip ? clip : v;
        }
    }

    // One time step of one batch row. g holds the row's H * R^T gate products on entry (GRU
    // without linear_before_reset: z and r already activated) and is used as workspace; h and c
    // are updated in place.
    void cell_step(const float* x, float* g, const float* rh_prod, const float* rbh, const float* bias, const float* P,
                   const Activation* act, float* h, float* c, int64_t H, bool lbr) const {
        switch (a_.cell) {
            case Cell::kRnn:
                add_bias_clip(g, x, bias, H);
                act[0].apply(g, H);
                std::memcpy(h, g, H * sizeof(float));
                break;
            case Cell::kGru: {
                float* z = g;
                float* r = g + H;
                float* n = g + 2 * H;
                const float* xn = x + 2 * H;
                const float* bn = bias + 2 * H;
                if (lbr) {
                    add_bias_clip(g, x, bias, 2 * H);
                    act[0].apply(g, 2 * H);
                    for (int64_t j = 0; j < H; ++j) n[j] = xn[j] + bn[j] + r[j] * (n[j] + (rbh ? rbh[j] : 0.0f));
                } else {
                    for (int64_t j = 0; j < H; ++j) n[j] = xn[j] + bn[j] + rh_prod[j];
                }
                clip_span(n, H);
                act[1].apply(n, H);
                for (int64_t j = 0; j < H; ++j) h[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
                break;
            }
            case Cell::kLstm: {
                // Gate order i, o, f, c; peepholes i, o, f.
                float* gi = g;
                float* go = g + H;
                float* gf = g + 2 * H;
                float* gc = g + 3 * H;
                for (int64_t j = 0; j < 4 * H; ++j) g[j] += x[j] + bias[j];
                if (P) {
                    for (int64_t j = 0; j < H; ++j) gi[j] += P[j] * c[j];
                    for (int64_t j = 0; j < H; ++j) gf[j] += P[2 * H + j] * c[j];
                }
                clip_span(gi, H);
                clip_span(gf, 2 * H);  // f and c
                act[0].apply(gi, H);
                if (a_.input_forget) {
                    for (int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
                } else {
                    act[0].apply(gf, H);
                }
                act[1].apply(gc, H);
                for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * c[j] + gi[j] * gc[j];
                if (P)
                    for (int64_t j = 0; j < H; ++j) go[j] += P[H + j] * c[j];
                clip_span(go, H);
                act[0].apply(go, H);
                std::memcpy(gc, c, H * sizeof(float));
                act[2].apply(gc, H);
                for (int64_t j = 0; j < H; ++j) h[j] = go[j] * gc[j];
                break;
            }
        }
    }

    RnnAttrs a_;
};

KernelDef rnn_def(std::string op, Cell cell, int64_t since, int64_t end) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = float_types();
    d.factory = [cell](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(RnnAttrs attrs, read_attrs(ctx, cell));
        return std::unique_ptr<Kernel>(new Recurrent(std::move(attrs)));
    };
    return d;
}

}  // namespace

void register_rnn_kernels(KernelRegistry& registry) {
    registry.add(rnn_def("RNN", Cell::kRnn, 1, 13));
    registry.add(rnn_def("RNN", Cell::kRnn, 14, 17));
    registry.add(rnn_def("GRU", Cell::kGru, 1, 13));
    registry.add(rnn_def("GRU", Cell::kGru, 14, 17));
    registry.add(rnn_def("LSTM", Cell::kLstm, 1, 13));
    registry.add(rnn_def("LSTM", Cell::kLstm, 14, 17));
}

}  // namespace edgeinfer::kernels::cpu
