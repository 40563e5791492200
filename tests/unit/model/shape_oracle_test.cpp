// Shape inference (ONNX's for the schemas libonnx 1.12 has, edgeinfer's shape table for opsets 18-21) against the
// output shapes ONNX Runtime 1.30 computed for the oracle cases (tests/oracle/make_cases.py): for each case, every
// output dim inference claims to know must be ORT's, and its rank ORT's rank. The cases are read from
// EDGEINFER_ORACLE_CASES (BUILD/oracle_cases, written by the make_oracle_cases fixture); the test is skipped when
// they were not written (no Node.js or ORT). SHAPE_ORACLE_VERBOSE=1 lists the outputs inference left of unknown rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"
#include "model/shape_table.hpp"

namespace edgeinfer::testing {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> dims_of_pb(const fs::path& file) {
    std::ifstream f(file, std::ios::binary);
    onnx::TensorProto t;
    EXPECT_TRUE(f && t.ParseFromIstream(&f)) << file;
    return {t.dims().begin(), t.dims().end()};
}

TEST(ShapeOracle, InferredDimsAreOnnxRuntimes) {
    const std::string cases_dir = EDGEINFER_ORACLE_CASES;
    if (!fs::exists(fs::path(cases_dir) / "suites.txt"))
        GTEST_SKIP() << "no oracle cases (tests/oracle/make_cases.py needs Node.js and bench/setup-ort)";
    std::vector<fs::path> models;
    for (const auto& e : fs::recursive_directory_iterator(cases_dir))
        if (e.path().filename() == "model.onnx") models.push_back(e.path());
    std::sort(models.begin(), models.end());
    ASSERT_FALSE(models.empty());
    int outputs = 0, known_dims = 0, table_cases = 0;
    for (const fs::path& path : models) {
        const std::string name = path.parent_path().filename().string();
        model::LoadOptions lo;
        lo.infer_shapes = false;
        auto m = model::load_model(path.string(), lo);
        ASSERT_TRUE(m.is_ok()) << m.status().to_string();
        onnx::ModelProto proto;
        model::model_to_proto(*m, &proto);
        model::ShapeInferenceReport report;
        Status s = model::infer_shapes_with_table(proto, *m, &report);
        ASSERT_TRUE(s.is_ok()) << name << ": " << s.to_string();
        table_cases += !report.table_nodes.empty();
        for (int k = 0; k < proto.graph().output_size(); ++k) {
            const fs::path pb = path.parent_path() / "test_data_set_0" / ("output_" + std::to_string(k) + ".pb");
            if (!fs::exists(pb)) continue;
            const ir::ValueInfo v = model::tensor_info_of_type(proto.graph().output(k).type());
            if (!v.shape.has_rank) {  // inference left it unknown: nothing claimed
                if (std::getenv("SHAPE_ORACLE_VERBOSE")) std::printf("no rank: %s output %d\n", name.c_str(), k);
                continue;
            }
            const std::vector<int64_t> ort = dims_of_pb(pb);
            ++outputs;
            ASSERT_EQ(v.shape.dims.size(), ort.size())
                << name << " output " << k << ": inferred " << v.shape.to_string() << ", ORT " << ort.size() << " dims";
            for (size_t d = 0; d < ort.size(); ++d) {
                if (!v.shape.dims[d].is_known()) continue;
                ++known_dims;
                EXPECT_EQ(v.shape.dims[d].value, ort[d])
                    << name << " output " << k << " dim " << d << ": inferred " << v.shape.to_string();
            }
        }
    }
    std::printf("%zu cases (%d with shape-table nodes), %d outputs with an inferred rank, %d known dims checked\n",
                models.size(), table_cases, outputs, known_dims);
}

}  // namespace
}  // namespace edgeinfer::testing
