// Kernels: Einsum (opset 12+): equation parsing, diagonals, sums, and pairwise contractions as batched matmuls.
//
// prepare turns the equation into steps over strided views of the inputs: a "reduce-copy"
// (transpose, diagonal, broadcast and sum in one strided loop) and a batched matmul
// [batch, M, K] x [batch, K, N] (oneDNN for float32, a C++ loop for other types). Operands are
// folded left to right; a view already laid out as the matmul needs is used without copying.
#include <array>
#include <cctype>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

constexpr int kEllipsis = -1;
constexpr int kFirstEllipsisLabel = 52;  // labels 0..25 'A'..'Z', 26..51 'a'..'z', then ellipsis dims
constexpr size_t kMaxDims = 16;

struct Equation {
    std::vector<std::vector<int>> inputs;  // label ids, kEllipsis for "..."
    std::vector<int> output;
    bool explicit_output = false;
};

Result<std::vector<int>> parse_term(const std::string& t) {
    std::vector<int> labels;
    bool ellipsis = false;
    for (size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z') {
            labels.push_back(c - 'A');
        } else if (c >= 'a' && c <= 'z') {
            labels.push_back(26 + (c - 'a'));
        } else if (c == '.' && t.compare(i, 3, "...") == 0 && !ellipsis) {
            labels.push_back(kEllipsis);
            ellipsis = true;
            i += 2;
        } else {
            return invalid_model("equation term '" + t + "' has an invalid character '" + std::string(1, c) + "'");
        }
    }
    return labels;
}

Result<Equation> parse_equation(std::string eq) {
    eq.erase(std::remove_if(eq.begin(), eq.end(), [](unsigned char c) { return std::isspace(c); }), eq.end());
    Equation e;
    size_t arrow = eq.find("->");
    std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
    size_t start = 0;
    while (true) {
        size_t comma = lhs.find(',', start);
        EDGEINFER_ASSIGN_OR_RETURN(auto term, parse_term(lhs.substr(start, comma - start)));
        e.inputs.push_back(std::move(term));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (arrow != std::string::npos) {
        e.explicit_output = true;
        EDGEINFER_ASSIGN_OR_RETURN(e.output, parse_term(eq.substr(arrow + 2)));
        std::vector<int> seen(kFirstEllipsisLabel, 0);
        for (int l : e.output) {
            if (l == kEllipsis) continue;
            if (seen[l]++) return invalid_model("output label repeated in equation '" + eq + "'");
            bool found = false;
            for (const auto& in : e.inputs) found |= std::find(in.begin(), in.end(), l) != in.end();
            if (!found) return invalid_model("output label not found in the inputs of equation '" + eq + "'");
        }
    }
    return e;
}

// Where a step reads or writes.
struct BufRef {
    enum class Kind { kInput, kScratch, kOutput } kind = Kind::kScratch;
    size_t index = 0;  // input index, or byte offset into scratch
};

// dst (contiguous over dims) = sum over red_dims of src[sum coord * stride].
struct CopyStep {
    BufRef src, dst;
    std::vector<int64_t> dims, strides, red_dims, red_strides;
};

// dst[b, m, n] = sum_k a[b, m, k] * b[b, k, n]; a and b strided, dst contiguous.
struct MatmulStep {
    BufRef a, b, c;
    int64_t batch = 1, m = 1, n = 1, k = 1;
    std::array<int64_t, 3> a_strides{}, b_strides{};
    bool use_onednn = false;
    dnnl::matmul prim;
    dnnl::memory::desc a_md, b_md, c_md;
};

struct Step {
    bool is_copy = true;
    CopyStep copy;
    MatmulStep mm;
};

struct EinsumState : KernelState {
    std::vector<Step> steps;
    bool zero_fill = false;  // a contracted dim is empty: the output is all zeros
};

// An operand during planning: labels (unique) with dims and element strides into a buffer.
struct View {
    BufRef buf;
    std::vector<int> labels;
    std::vector<int64_t> dims, strides;

    int find(int l) const {
        for (size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == l) return static_cast<int>(i);
        return -1;
    }
};

bool contains(const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); }

// Flattens the labels `group` of `v` into one (dim, stride) when they are laid out contiguously.
bool flatten_group(const View& v, const std::vector<int>& group, int64_t& dim, int64_t& stride) {
    dim = 1;
    stride = 0;
    int64_t expect = -1;
    for (size_t j = group.size(); j-- > 0;) {
        int i = v.find(group[j]);
        int64_t d = v.dims[i], s = v.strides[i];
        if (d == 1) continue;
        if (s == 0) return false;
        if (expect >= 0 && s != expect) return false;
        if (expect < 0) stride = s;
        expect = s * d;
        dim *= d;
    }
    return true;
}

class Planner {
  public:
    Planner(DataType dtype, size_t elem) : dtype_(dtype), elem_(elem) {}

    size_t scratch_bytes() const { return scratch_; }

    BufRef alloc(int64_t numel) {
        BufRef r{BufRef::Kind::kScratch, scratch_};
        scratch_ += (static_cast<size_t>(numel) * elem_ + 63) / 64 * 64;
        return r;
    }

    // Reduce-copies `v` into a new contiguous buffer ordered as `order`, summing every other label.
    View copy(const View& v, const std::vector<int>& order, std::vector<Step>& steps, const BufRef* dst = nullptr) {
        Step st;
        CopyStep& c = st.copy;
        c.src = v.buf;
        View out;
        for (int l : order) {
            int i = v.find(l);
            c.dims.push_back(v.dims[i]);
            c.strides.push_back(v.strides[i]);
            out.labels.push_back(l);
            out.dims.push_back(v.dims[i]);
        }
        for (size_t i = 0; i < v.labels.size(); ++i)
            if (!contains(order, v.labels[i])) {
                c.red_dims.push_back(v.dims[i]);
                c.red_strides.push_back(v.strides[i]);
            }
        out.strides = strides_of(out.dims);
        out.buf = dst ? *dst : alloc(shape_numel(out.dims));
        c.dst = out.buf;
        steps.push_back(std::move(st));
        return out;
    }

    // Contracts a and b; the result keeps the labels in `needed`. Writes to `dst` if given.
    Status contract(View a, View b, const std::vector<int>& needed, const std::vector<int>* out_order,
                    std::vector<Step>& steps, View& result) {
        std::vector<int> batch, left, right, contr;
        for (int l : a.labels) {
            bool in_b = b.find(l) >= 0;
            bool keep = contains(needed, l);
            if (in_b && keep) batch.push_back(l);
            if (in_b && !keep) contr.push_back(l);
            if (!in_b && keep) left.push_back(l);
        }
        for (int l : b.labels)
            if (a.find(l) < 0 && contains(needed, l)) right.push_back(l);
        if (out_order) {  // last step: order the kept labels as the output wants them
            auto by_output = [&](std::vector<int>& g) {
                std::stable_sort(g.begin(), g.end(), [&](int x, int y) {
                    return std::find(out_order->begin(), out_order->end(), x) <
                           std::find(out_order->begin(), out_order->end(), y);
                });
            };
            by_output(batch);
            by_output(left);
            by_output(right);
            std::vector<int> swapped = batch;
            swapped.insert(swapped.end(), right.begin(), right.end());
            swapped.insert(swapped.end(), left.begin(), left.end());
            if (swapped == *out_order && !left.empty() && !right.empty()) {  // C^T = B^T A^T
                std::swap(a, b);
                std::swap(left, right);
            }
        }
        std::vector<int> c_labels = batch;
        c_labels.insert(c_labels.end(), left.begin(), left.end());
        c_labels.insert(c_labels.end(), right.begin(), right.end());
        bool to_output = out_order && c_labels == *out_order;

        // Try the operands in place first; when oneDNN has no fast kernel for those strides, copy them.
        Step st;
        st.is_copy = false;
        MatmulStep& mm = st.mm;
        size_t scratch_before = scratch_;
        std::vector<Step> operand_steps;
        for (bool force_copy : {false, true}) {
            scratch_ = scratch_before;
            operand_steps.clear();
            int64_t batch_b = 1, k_b = 1;
            if (!operand(a, batch, left, contr, force_copy, operand_steps, mm.a, mm.batch, mm.m, mm.k, mm.a_strides) ||
                !operand(b, batch, contr, right, force_copy, operand_steps, mm.b, batch_b, k_b, mm.n, mm.b_strides))
                return internal_error("einsum planning failed");
            if (dtype_ != DataType::kFloat32) break;
            build_onednn(mm);
            if (mm.use_onednn) break;
        }
        for (Step& o : operand_steps) steps.push_back(std::move(o));
        result = View{};
        result.labels = c_labels;
        for (int l : c_labels) {
            int i = a.find(l);
            result.dims.push_back(i >= 0 ? a.dims[i] : b.dims[b.find(l)]);
        }
        result.strides = strides_of(result.dims);
        result.buf = to_output ? BufRef{BufRef::Kind::kOutput, 0} : alloc(shape_numel(result.dims));
        mm.c = result.buf;
        steps.push_back(std::move(st));
        return Status::ok();
    }

  private:
    // Describes operand v as a 3-D [g0, g1, g2] strided matrix, copying it when its layout
    // does not flatten (or it needs a sum over labels that are not in any group).
    bool operand(const View& v, const std::vector<int>& g0, const std::vector<int>& g1, const std::vector<int>& g2,
                 bool force_copy, std::vector<Step>& steps, BufRef& buf, int64_t& d0, int64_t& d1, int64_t& d2,
                 std::array<int64_t, 3>& strides) {
        std::vector<int> order = g0;
        order.insert(order.end(), g1.begin(), g1.end());
        order.insert(order.end(), g2.begin(), g2.end());
        bool direct = !force_copy && order.size() == v.labels.size();
        int64_t s0 = 0, s1 = 0, s2 = 0;
        if (direct)
            direct = flatten_group(v, g0, d0, s0) && flatten_group(v, g1, d1, s1) && flatten_group(v, g2, d2, s2);
        // oneDNN's fast paths need one of the two matrix dims dense.
        if (direct) direct = (s2 == 1 || d2 == 1) || (s1 == 1 || d1 == 1);
        View src = v;
        if (!direct) {
            src = copy(v, order, steps);
            if (!flatten_group(src, g0, d0, s0) || !flatten_group(src, g1, d1, s1) || !flatten_group(src, g2, d2, s2))
                return false;
        }
        // Give size-1 dims strides consistent with a dense layout.
        if (d2 == 1) s2 = d1 == 1 || s1 != 1 ? 1 : d1;
        if (d1 == 1) s1 = s2 == 1 ? d2 : 1;
        if (d0 == 1) s0 = std::max(s1 * d1, s2 * d2);
        buf = src.buf;
        strides = {s0, s1, s2};
        return true;
    }

    static void build_onednn(MatmulStep& mm) {
        using dt = dnnl::memory::data_type;
        try {
            mm.a_md = dnnl::memory::desc({mm.batch, mm.m, mm.k}, dt::f32,
                                         {mm.a_strides[0], mm.a_strides[1], mm.a_strides[2]});
            mm.b_md = dnnl::memory::desc({mm.batch, mm.k, mm.n}, dt::f32,
                                         {mm.b_strides[0], mm.b_strides[1], mm.b_strides[2]});
            mm.c_md = dnnl::memory::desc({mm.batch, mm.m, mm.n}, dt::f32, dnnl::memory::format_tag::abc);
            dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(mm.a_md, mm.b_md, mm.c_md), onednn_engine());
            // The reference implementation is slower than copying the operands to a dense layout.
            if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) {
                mm.use_onednn = false;
                return;
            }
            mm.prim = dnnl::matmul(pd);
            mm.use_onednn = true;
        } catch (const dnnl::error&) {
            mm.use_onednn = false;  // the C++ loop handles any strides
        }
    }

    DataType dtype_;
    size_t elem_;
    size_t scratch_ = 0;
};

template <typename T>
void reduce_copy(const CopyStep& c, const T* src, T* dst) {
    size_t nd = c.dims.size(), nr = c.red_dims.size();
    int64_t total = shape_numel(c.dims);
    int64_t red_total = shape_numel(c.red_dims);
    parallel_for(
        total,
        [&](int64_t begin, int64_t end) {
            std::array<int64_t, kMaxDims> coord{};
            int64_t off = 0, rem = begin;
            for (size_t d = nd; d-- > 0;) {
                coord[d] = rem % c.dims[d];
                rem /= c.dims[d];
                off += coord[d] * c.strides[d];
            }
            for (int64_t i = begin; i < end; ++i) {
                T acc = T(0);
                if (nr == 0) {
                    acc = src[off];
                } else {
                    std::array<int64_t, kMaxDims> rc{};
                    int64_t roff = 0;
                    for (int64_t j = 0; j < red_total; ++j) {
                        acc += src[off + roff];
                        for (size_t d = nr; d-- > 0;) {
                            roff += c.red_strides[d];
                            if (++rc[d] < c.red_dims[d]) break;
                            roff -= rc[d] * c.red_strides[d];
                            rc[d] = 0;
                        }
                    }
                }
                dst[i] = acc;
                for (size_t d = nd; d-- > 0;) {
                    off += c.strides[d];
                    if (++coord[d] < c.dims[d]) break;
                    off -= coord[d] * c.strides[d];
                    coord[d] = 0;
                }
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, red_total)));
}

// Batched matmul for types oneDNN does not cover (float64, integers).
template <typename T>
void matmul_loop(const MatmulStep& mm, const T* a, const T* b, T* c) {
    const auto& sa = mm.a_strides;
    const auto& sb = mm.b_strides;
    parallel_for(
        mm.batch * mm.m,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                int64_t bi = r / mm.m, mi = r % mm.m;
                T* crow = c + r * mm.n;
                std::fill(crow, crow + mm.n, T(0));
                const T* arow = a + bi * sa[0] + mi * sa[1];
                const T* bmat = b + bi * sb[0];
                for (int64_t ki = 0; ki < mm.k; ++ki) {
                    T av = arow[ki * sa[2]];
                    const T* brow = bmat + ki * sb[1];
                    for (int64_t ni = 0; ni < mm.n; ++ni) crow[ni] += av * brow[ni * sb[2]];
                }
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, mm.n * mm.k)));
}

class Einsum final : public Kernel {
  public:
    explicit Einsum(Equation eq) : eq_(std::move(eq)) {}

    Status prepare(PrepareContext& ctx) const override {
        size_t n_in = ctx.num_inputs();
        if (n_in != eq_.inputs.size())
            return ctx.invalid("equation has " + std::to_string(eq_.inputs.size()) + " operands but the node has " +
                               std::to_string(n_in) + " inputs");
        DataType dtype = ctx.input(0).dtype;
        for (size_t i = 1; i < n_in; ++i)
            if (ctx.input(i).dtype != dtype) return ctx.invalid("inputs have different types");
        // Expand ellipses and find every label's size.
        int64_t ell_rank = 0;
        std::vector<std::vector<int>> terms(n_in);
        for (size_t i = 0; i < n_in; ++i) {
            const auto& t = eq_.inputs[i];
            int64_t letters = static_cast<int64_t>(t.size()) - (contains(t, kEllipsis) ? 1 : 0);
            int64_t extra = static_cast<int64_t>(ctx.input(i).dims.size()) - letters;
            if (extra < 0 || (extra > 0 && !contains(t, kEllipsis)))
                return ctx.invalid("input " + std::to_string(i) + " has rank " +
                                   std::to_string(ctx.input(i).dims.size()) + ", the equation gives it " +
                                   std::to_string(letters) + " labels");
            ell_rank = std::max(ell_rank, extra);
        }
        std::vector<int64_t> size(kFirstEllipsisLabel + static_cast<size_t>(ell_rank), -1);
        for (size_t i = 0; i < n_in; ++i) {
            const auto& dims = ctx.input(i).dims;
            int64_t extra = static_cast<int64_t>(dims.size()) - static_cast<int64_t>(eq_.inputs[i].size()) +
                            (contains(eq_.inputs[i], kEllipsis) ? 1 : 0);
            for (int l : eq_.inputs[i]) {
                if (l != kEllipsis) {
                    terms[i].push_back(l);
                    continue;
                }
                for (int64_t j = 0; j < extra; ++j)
                    terms[i].push_back(kFirstEllipsisLabel + static_cast<int>(ell_rank - extra + j));
            }
            for (size_t d = 0; d < dims.size(); ++d) {
                int l = terms[i][d];
                int64_t& s = size[l];
                if (s < 0 || s == dims[d] || (l >= kFirstEllipsisLabel && s == 1)) {
                    s = dims[d];
                } else if (!(l >= kFirstEllipsisLabel && dims[d] == 1)) {
                    return ctx.invalid("dimension " + std::to_string(d) + " of input " + std::to_string(i) + " is " +
                                       std::to_string(dims[d]) + ", the same label elsewhere has size " +
                                       std::to_string(s));
                }
            }
        }
        std::vector<int> output = output_labels(terms, ell_rank);
        std::vector<int64_t> out_dims;
        for (int l : output) out_dims.push_back(size[l]);
        if (output.size() > kMaxDims) return ctx.unsupported_here("output rank over 16");
        ctx.set_output(0, dtype, out_dims);

        auto state = std::make_unique<EinsumState>();
        for (size_t l = 0; l < size.size(); ++l) state->zero_fill |= size[l] == 0;
        if (state->zero_fill || shape_numel(out_dims) == 0) {
            state->zero_fill = true;
            ctx.set_state(std::move(state));
            return Status::ok();
        }
        size_t elem = dtype_size(dtype);
        Planner planner(dtype, elem);
        std::vector<View> views;
        for (size_t i = 0; i < n_in; ++i) {
            View v = input_view(terms[i], ctx.input(i).dims, size, i);
            if (v.labels.size() > kMaxDims) return ctx.unsupported_here("operand rank over 16");
            views.push_back(std::move(v));
        }
        View acc = views[0];
        for (size_t i = 1; i < n_in; ++i) {
            std::vector<int> needed = output;
            for (size_t j = i + 1; j < n_in; ++j)
                for (int l : views[j].labels)
                    if (!contains(needed, l)) needed.push_back(l);
            View next;
            EDGEINFER_RETURN_IF_ERROR(
                planner.contract(acc, views[i], needed, i + 1 == n_in ? &output : nullptr, state->steps, next));
            acc = std::move(next);
        }
        if (acc.buf.kind != BufRef::Kind::kOutput) {
            BufRef out{BufRef::Kind::kOutput, 0};
            planner.copy(acc, output, state->steps, &out);
        }
        ctx.request_scratch(planner.scratch_bytes());
        ctx.set_state(std::move(state));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& s = ctx.state_as<EinsumState>();
        Tensor& out = ctx.out(0);
        if (out.numel() == 0) return Status::ok();
        if (s.zero_fill) {
            std::memset(out.data(), 0, out.nbytes());
            return Status::ok();
        }
        auto ptr = [&](const BufRef& r) -> void* {
            switch (r.kind) {
                case BufRef::Kind::kInput:
                    return const_cast<void*>(ctx.in(r.index).data());
                case BufRef::Kind::kOutput:
                    return out.data();
                default:
                    return static_cast<char*>(ctx.scratch) + r.index;
            }
        };
        bool ok = dispatch_numeric(out.dtype(), [&](auto v) {
            using T = decltype(v);
            if constexpr (!std::is_same_v<T, bool>) {
                for (const Step& st : s.steps) {
                    if (st.is_copy) {
                        reduce_copy<T>(st.copy, static_cast<const T*>(ptr(st.copy.src)),
                                       static_cast<T*>(ptr(st.copy.dst)));
                    } else if (st.mm.use_onednn) {
                        const MatmulStep& mm = st.mm;
                        dnnl::engine& eng = onednn_engine();
                        dnnl::memory a(mm.a_md, eng, ptr(mm.a)), b(mm.b_md, eng, ptr(mm.b)), c(mm.c_md, eng, ptr(mm.c));
                        dnnl::stream& strm = onednn_stream();
                        mm.prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
                        strm.wait();
                    } else {
                        matmul_loop<T>(st.mm, static_cast<const T*>(ptr(st.mm.a)), static_cast<const T*>(ptr(st.mm.b)),
                                       static_cast<T*>(ptr(st.mm.c)));
                    }
                }
            }
        });
        if (!ok) return ctx.error(StatusCode::kUnsupported, "input type is not supported");
        return Status::ok();
    }

  private:
    std::vector<int> output_labels(const std::vector<std::vector<int>>& terms, int64_t ell_rank) const {
        std::vector<int> out;
        if (eq_.explicit_output) {
            for (int l : eq_.output) {
                if (l != kEllipsis) {
                    out.push_back(l);
                    continue;
                }
                for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kFirstEllipsisLabel + static_cast<int>(j));
            }
            return out;
        }
        for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kFirstEllipsisLabel + static_cast<int>(j));
        for (int l = 0; l < kFirstEllipsisLabel; ++l) {
            int count = 0;
            for (const auto& t : terms) count += static_cast<int>(std::count(t.begin(), t.end(), l));
            if (count == 1) out.push_back(l);
        }
        return out;
    }

    // A view of input i with repeated labels merged (diagonal) and size-1 dims broadcast.
    static View input_view(const std::vector<int>& term, const std::vector<int64_t>& dims,
                           const std::vector<int64_t>& size, size_t input) {
        View v;
        v.buf = BufRef{BufRef::Kind::kInput, input};
        std::vector<int64_t> strides = strides_of(dims);
        for (size_t d = 0; d < term.size(); ++d) {
            int l = term[d];
            int64_t st = dims[d] == 1 && size[l] != 1 ? 0 : strides[d];
            int i = v.find(l);
            if (i >= 0) {
                v.strides[i] += st;
                continue;
            }
            v.labels.push_back(l);
            v.dims.push_back(size[l]);
            v.strides.push_back(st);
        }
        return v;
    }

    Equation eq_;
};

}  // namespace

void register_einsum_kernels(KernelRegistry& registry) {
    KernelDef d;
    d.op_type = "Einsum";
    d.since_version = 12;
    d.end_version = 17;
    d.dtypes = {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64};
    d.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* a = ctx.node.find_attribute("equation");
        if (!a) return ctx.invalid("attribute 'equation' is missing");
        auto eq = parse_equation(a->s);
        if (!eq) return ctx.invalid(eq.status().message());
        if (eq->inputs.size() != ctx.node.inputs.size())
            return ctx.invalid("equation '" + a->s + "' has " + std::to_string(eq->inputs.size()) +
                               " operands but the node has " + std::to_string(ctx.node.inputs.size()) + " inputs");
        return std::unique_ptr<Kernel>(new Einsum(std::move(*eq)));
    };
    registry.add(std::move(d));
}

}  // namespace edgeinfer::kernels::cpu
