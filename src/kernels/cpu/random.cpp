// Random generators: RandomUniform, RandomNormal, RandomUniformLike, RandomNormalLike and Bernoulli.
//
// Each kernel owns a Mersenne Twister, seeded from the `seed` attribute when given (so a session
// repeats its sequence) and from std::random_device otherwise; it advances across runs under a
// mutex. prepare marks the node nondeterministic so the runtime never folds it into a constant.
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;

enum class Distribution { kUniform, kNormal, kBernoulli };

class RandomKernel final : public Kernel {
  public:
    // `dtype` kUndefined: the output takes input 0's type. `shape` is used when there is no input.
    RandomKernel(Distribution dist, DataType dtype, std::vector<int64_t> shape, double a, double b,
                 const ir::Attribute* seed)
        : dist_(dist), dtype_(dtype), shape_(std::move(shape)), a_(a), b_(b) {
        if (seed)
            rng_.seed(static_cast<uint64_t>(static_cast<int64_t>(seed->f)));
        else
            rng_.seed((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}());
    }

    Status prepare(PrepareContext& ctx) const override {
        const bool like = ctx.num_inputs() > 0 && ctx.has_input(0);
        std::vector<int64_t> dims = like ? ctx.input(0).dims : shape_;
        DataType out = dtype_ == DataType::kUndefined && like ? ctx.input(0).dtype : dtype_;
        const unsigned allowed = dist_ == Distribution::kBernoulli ? kNumeric | kBool : kFloats;
        if (!dtype_in(out, allowed))
            return ctx.invalid("output type " + std::string(dtype_name(out)) + " is not supported");
        if (dist_ == Distribution::kBernoulli && !dtype_in(ctx.input(0).dtype, kFloats))
            return ctx.invalid("input type " + std::string(dtype_name(ctx.input(0).dtype)) + " is not a float type");
        for (int64_t d : dims)
            if (d < 0) return ctx.invalid("shape " + shape_to_string(dims) + " has a negative dimension");
        ctx.set_output(0, out, dims);
        ctx.set_nondeterministic();
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& y = ctx.out(0);
        const int64_t n = y.numel();
        std::lock_guard<std::mutex> lock(mu_);
        if (dist_ == Distribution::kBernoulli) {
            const Tensor& p = ctx.in(0);
            std::uniform_real_distribution<double> u(0.0, 1.0);
            dispatch_types<kFloats>(p.dtype(), [&](auto ptag) {
                using P = decltype(ptag);
                const P* prob = p.data_as<P>();
                dispatch_types<kNumeric | kBool>(y.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    T* out = y.data_as<T>();
                    for (int64_t i = 0; i < n; ++i) {
                        const bool one = u(rng_) < static_cast<double>(load(prob[i]));
                        if constexpr (std::is_same_v<T, bool>)
                            out[i] = one;
                        else
                            out[i] = store<T>(one ? 1.0f : 0.0f);
                    }
                });
            });
            return Status::ok();
        }
        dispatch_types<kFloats>(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* out = y.data_as<T>();
            if (dist_ == Distribution::kUniform) {
                std::uniform_real_distribution<double> d(a_, b_);
                for (int64_t i = 0; i < n; ++i) out[i] = store<T>(d(rng_));
            } else {
                std::normal_distribution<double> d(a_, b_);
                for (int64_t i = 0; i < n; ++i) out[i] = store<T>(d(rng_));
            }
        });
        return Status::ok();
    }

  private:
    Distribution dist_;
    DataType dtype_;
    std::vector<int64_t> shape_;
    double a_, b_;  // low/high or mean/scale
    mutable std::mutex mu_;
    mutable std::mt19937_64 rng_;
};

// `like`: shape and (without a dtype attribute) type from input 0; otherwise the `shape` attribute
// and dtype (default float).
KernelDef random_def(const char* op, int64_t since, Distribution dist, bool like) {
    KernelDef d;
    d.op_type = op;
    d.since_version = since;
    d.end_version = kLatest;
    d.factory = [dist, like](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        const ir::Attribute* dt = n.find_attribute("dtype");
        DataType dtype = dt ? static_cast<DataType>(dt->i) : (like ? DataType::kUndefined : DataType::kFloat32);
        std::vector<int64_t> shape;
        if (!like) {
            const ir::Attribute* s = n.find_attribute("shape");
            if (!s) return ctx.invalid("attribute shape is required");
            shape = s->ints;
        }
        double a = 0, b = 1;
        if (dist == Distribution::kUniform) {
            a = n.attr_float("low", 0.0f), b = n.attr_float("high", 1.0f);
            if (!(a < b)) return ctx.invalid("low must be below high");
        } else if (dist == Distribution::kNormal) {
            a = n.attr_float("mean", 0.0f), b = n.attr_float("scale", 1.0f);
            if (!(b > 0)) return ctx.invalid("scale must be positive");
        }
        return std::unique_ptr<Kernel>(new RandomKernel(dist, dtype, std::move(shape), a, b, n.find_attribute("seed")));
    };
    return d;
}

}  // namespace

void register_random_kernels(KernelRegistry& registry) {
    registry.add(random_def("RandomUniform", 1, Distribution::kUniform, false));
    registry.add(random_def("RandomNormal", 1, Distribution::kNormal, false));
    registry.add(random_def("RandomUniformLike", 1, Distribution::kUniform, true));
    registry.add(random_def("RandomNormalLike", 1, Distribution::kNormal, true));
    registry.add(random_def("Bernoulli", 15, Distribution::kBernoulli, true));
}

}  // namespace edgeinfer::kernels::cpu
