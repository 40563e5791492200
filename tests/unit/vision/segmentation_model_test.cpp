// Segmentation head on a real exported model (torchvision lraspp_mobilenet_v3_large, seeded weights): the
// mask from edgeinfer's logits equals PyTorch's argmax, at the model's size and resized to a larger frame.
// Files come from tests/tools/make_head_models.py (CTest fixture head_models).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"
#include "vision/segmentation.hpp"

namespace edgeinfer::vision {
namespace {

const std::string kDir = EDGEINFER_HEAD_MODELS;

// Runs lraspp on the input PyTorch saw; returns its logits output.
NamedTensor run_lraspp() {
    SessionOptions options;
    options.num_threads = 2;
    auto session = Session::create(kDir + "/lraspp.onnx", options);
    EXPECT_TRUE(session.is_ok()) << session.status().to_string();
    if (!session.is_ok()) return {};
    auto x = ir::read_npy(kDir + "/lraspp.input.npy");
    EXPECT_TRUE(x.is_ok()) << x.status().to_string();
    if (!x.is_ok()) return {};
    auto out = session.value()->run({{"input", x.value()}});
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    if (!out.is_ok()) return {};
    EXPECT_EQ(out->front().name, "out");
    return out->front();
}

// Counts pixels where `mask` differs from PyTorch's; a difference is only excused where the two classes'
// logits are within 1e-3 at the model cell under the pixel (a near tie that float rounding may decide),
// and at most 3 pixels may differ at all.
void expect_same_mask(const SegmentationResult& got, const Tensor& want, const NamedTensor& logits,
                      const PreprocessInfo& info) {
    ASSERT_EQ(want.rank(), 2);
    ASSERT_EQ(got.mask.rows, want.dims()[0]);
    ASSERT_EQ(got.mask.cols, want.dims()[1]);
    const int64_t* w = want.data_as<int64_t>();
    int64_t differ = 0, excused = 0;
    for (int y = 0; y < got.mask.rows; ++y) {
        for (int x = 0; x < got.mask.cols; ++x) {
            const int32_t g = got.mask.at<int32_t>(y, x);
            const int64_t p = w[static_cast<int64_t>(y) * got.mask.cols + x];
            if (g == p) continue;
            ++differ;
            const auto& d = logits.tensor.dims();
            const int64_t oh = d[2], ow = d[3];
            const int64_t cy = std::min<int64_t>(oh - 1, static_cast<int64_t>((y + 0.5) * info.scale_y));
            const int64_t cx = std::min<int64_t>(ow - 1, static_cast<int64_t>((x + 0.5) * info.scale_x));
            const float* l = logits.tensor.data_as<float>();
            const float lg = l[(g * oh + cy) * ow + cx], lp = l[(p * oh + cy) * ow + cx];
            if (std::abs(lg - lp) < 1e-3f) ++excused;
        }
    }
    EXPECT_EQ(differ, excused) << differ << " pixels differ from PyTorch's argmax, " << excused << " of them near ties";
    EXPECT_LE(differ, 3);
}

TEST(SegmentationModel, MaskEqualsPyTorchArgmax) {
    const NamedTensor logits = run_lraspp();
    ASSERT_FALSE(logits.tensor.empty());
    ASSERT_EQ(logits.tensor.dims(), (std::vector<int64_t>{1, 6, 128, 160}));
    PreprocessInfo info;
    info.frame_width = info.input_width = 160;
    info.frame_height = info.input_height = 128;
    auto r = segment(logits, info);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    auto want = ir::read_npy(kDir + "/lraspp.mask.npy");
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    expect_same_mask(*r, *want, logits, info);
    // Seeded weights with calibrated BatchNorm give a mask with several classes, not one flat answer.
    int present = 0;
    for (double s : r->share) present += s > 0;
    EXPECT_GE(present, 2);
}

TEST(SegmentationModel, ResizedLogitsEqualPyTorchInterpolateArgmax) {
    const NamedTensor logits = run_lraspp();
    ASSERT_FALSE(logits.tensor.empty());
    // The 160x128 input stretched from a 200x150 frame: the logits go back to 200x150 as
    // F.interpolate(mode="bilinear", align_corners=False) takes them.
    PreprocessInfo info;
    info.frame_width = 200;
    info.frame_height = 150;
    info.input_width = 160;
    info.input_height = 128;
    info.scale_x = 160.0 / 200.0;
    info.scale_y = 128.0 / 150.0;
    auto r = segment(logits, info);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    auto want = ir::read_npy(kDir + "/lraspp.mask200x150.npy");
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    expect_same_mask(*r, *want, logits, info);
}

}  // namespace
}  // namespace edgeinfer::vision
