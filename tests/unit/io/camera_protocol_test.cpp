// The camera wire protocol's encoders and validating decoders: round trips, every malformed
// request and reply header named, payload checks, and a short deterministic mutation run.
#include "io/camera_protocol.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <random>

#include "io/sources.hpp"

namespace edgeinfer {
namespace {

TEST(CameraProtocol, RequestRoundTripAndDefaults) {
    io::FrameRequest r;
    r.encoding = io::Encoding::kJpeg;
    r.quality = 75;
    r.after = 41;
    r.wait_ms = 500;
    std::string bytes = io::encode_request(r);
    EXPECT_EQ(bytes, R"({"encoding":"jpeg","quality":75,"after":41,"wait_ms":500})");
    auto back = io::decode_request(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(back->encoding, io::Encoding::kJpeg);
    EXPECT_EQ(back->quality, 75);
    EXPECT_EQ(back->after, 41u);
    EXPECT_EQ(back->wait_ms, 500);

    auto empty = io::decode_request("");
    ASSERT_TRUE(empty.is_ok());
    EXPECT_EQ(empty->encoding, io::Encoding::kBgr);
    EXPECT_FALSE(empty->after.has_value());
    EXPECT_TRUE(io::decode_request("{}").is_ok());
    EXPECT_TRUE(io::decode_request(R"({"version":1,"encoding":"raw"})").is_ok());
}

TEST(CameraProtocol, MalformedRequestsAreNamed) {
    struct Case {
        std::string bytes;
        std::string words;
    };
    const std::vector<Case> cases = {
        {"hello", "not JSON"},
        {"[1,2]", "expected a JSON object"},
        {"\"jpeg\"", "expected a JSON object"},
        {R"({"encoding":5})", "\"encoding\" must be a string"},
        {R"({"quality":0})", "\"quality\" must be an integer in [1, 100]"},
        {R"({"quality":101})", "\"quality\""},
        {R"({"quality":"80"})", "\"quality\""},
        {R"({"quality":80.5})", "\"quality\""},
        {R"({"after":-1})", "\"after\" must be a non-negative integer"},
        {R"({"after":1e3})", "\"after\""},
        {R"({"wait_ms":20000})", "\"wait_ms\""},
        {R"({"encodign":"jpeg"})", "unknown field \"encodign\""},
        {R"({"version":2})", "protocol version 2"},
        {R"({"encoding":"jpeg")", "not JSON"},
        {std::string(5000, ' '), "exceeds the limit of 4096"},
    };
    for (const Case& c : cases) {
        auto r = io::decode_request(c.bytes);
        ASSERT_FALSE(r.is_ok()) << c.bytes;
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.bytes;
        EXPECT_NE(r.status().message().find(c.words), std::string::npos) << c.bytes << " -> " << r.status().message();
    }
    auto png = io::decode_request(R"({"encoding":"png"})");
    ASSERT_FALSE(png.is_ok());
    EXPECT_EQ(png.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(png.status().message().find("unknown encoding 'png'"), std::string::npos);
}

io::ReplyHeader frame_header() {
    io::ReplyHeader h;
    h.width = 4;
    h.height = 2;
    h.seq = 7;
    h.timestamp_us = 1700000000123456;
    h.size = 24;
    h.source = "pattern:4x2";
    return h;
}

TEST(CameraProtocol, ReplyHeaderRoundTrip) {
    std::string bytes = io::encode_reply_header(frame_header());
    EXPECT_EQ(bytes, R"({"version":1,"status":"ok","width":4,"height":2,"channels":3,"encoding":"bgr","seq":7,)"
                     R"("timestamp_us":1700000000123456,"size":24,"source":"pattern:4x2"})");
    auto back = io::decode_reply_header(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_TRUE(back->ok);
    EXPECT_EQ(back->seq, 7u);
    EXPECT_EQ(back->timestamp_us, 1700000000123456);
    EXPECT_EQ(back->source, "pattern:4x2");

    io::ReplyHeader e;
    e.ok = false;
    e.error = std::string(io::kErrorSourceLost);
    e.message = "camera v4l2:0 stopped delivering frames";
    e.seq = 99;
    auto err = io::decode_reply_header(io::encode_reply_header(e));
    ASSERT_TRUE(err.is_ok());
    EXPECT_FALSE(err->ok);
    EXPECT_EQ(err->error, "source_lost");
    EXPECT_EQ(err->message, e.message);
    EXPECT_EQ(err->seq, 99u);
}

TEST(CameraProtocol, BadReplyHeadersAreNamed) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"nope", "not a JSON object"},
        {R"({"status":"ok"})", "missing \"version\""},
        {R"({"version":2,"status":"ok"})", "protocol version 2"},
        {R"({"version":1,"status":"maybe"})", "\"status\" must be"},
        {R"({"version":1,"status":"error"})", "missing \"error\""},
        {R"({"version":1,"status":"ok","width":4})", "missing \"height\""},
        {R"({"version":1,"status":"ok","width":0,"height":2,"channels":3,"encoding":"bgr","seq":1,"timestamp_us":0,"size":0})",
         "\"width\""},
        {R"({"version":1,"status":"ok","width":20000,"height":2,"channels":3,"encoding":"bgr","seq":1,"timestamp_us":0,"size":0})",
         "\"width\""},
        {R"({"version":1,"status":"ok","width":4,"height":2,"channels":1,"encoding":"bgr","seq":1,"timestamp_us":0,"size":8})",
         "\"channels\""},
        {R"({"version":1,"status":"ok","width":4,"height":2,"channels":3,"encoding":"png","seq":1,"timestamp_us":0,"size":8})",
         "unknown encoding"},
        {R"({"version":1,"status":"ok","width":4,"height":2,"channels":3,"encoding":"bgr","seq":1,"timestamp_us":0,"size":23})",
         "does not match"},
        {R"({"version":1,"status":"ok","width":4,"height":2,"channels":3,"encoding":"jpeg","seq":1,"timestamp_us":0,"size":999999999999})",
         "exceeds"},
        {R"({"version":1,"status":"ok","width":4,"height":2,"channels":3,"encoding":"bgr","seq":-1,"timestamp_us":0,"size":24})",
         "\"seq\""},
    };
    for (const auto& [bytes, words] : cases) {
        auto r = io::decode_reply_header(bytes);
        ASSERT_FALSE(r.is_ok()) << bytes;
        EXPECT_EQ(r.status().code(), StatusCode::kIoError) << bytes;
        EXPECT_NE(r.status().message().find(words), std::string::npos) << bytes << " -> " << r.status().message();
    }
}

TEST(CameraProtocol, PayloadsAreCheckedAgainstTheHeader) {
    cv::Mat image;
    io::render_pattern(image, 40, 30, 3);
    auto raw = io::encode_payload(image, io::Encoding::kBgr, 0);
    ASSERT_TRUE(raw.is_ok());
    io::ReplyHeader h = frame_header();
    h.width = 40;
    h.height = 30;
    h.size = raw->size();
    auto back = io::decode_payload(h, raw->data(), raw->size());
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(cv::norm(back.value(), image, cv::NORM_INF), 0.0);
    EXPECT_EQ(io::decode_payload(h, raw->data(), raw->size() - 1).status().code(), StatusCode::kIoError);

    auto jpeg = io::encode_payload(image, io::Encoding::kJpeg, 95);
    ASSERT_TRUE(jpeg.is_ok());
    h.encoding = io::Encoding::kJpeg;
    h.size = jpeg->size();
    auto decoded = io::decode_payload(h, jpeg->data(), jpeg->size());
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->size(), image.size());
    h.width = 41;  // the JPEG's own size is checked before decoding
    auto mismatch = io::decode_payload(h, jpeg->data(), jpeg->size());
    ASSERT_FALSE(mismatch.is_ok());
    EXPECT_NE(mismatch.status().message().find("JPEG of 40x30"), std::string::npos) << mismatch.status().message();
    h.width = 40;
    std::vector<uint8_t> garbage(jpeg->size(), 0x55);
    EXPECT_EQ(io::decode_payload(h, garbage.data(), garbage.size()).status().code(), StatusCode::kIoError);
    std::vector<uint8_t> cut(jpeg->begin(), jpeg->begin() + jpeg->size() / 3);
    h.size = cut.size();
    auto truncated = io::decode_payload(h, cut.data(), cut.size());  // libjpeg pads a truncated scan: no crash
    if (truncated.is_ok()) {
        EXPECT_EQ(truncated->size(), image.size());
    }
}

// A bounded, deterministic mutation run over the decoders (the libFuzzer target in
// tests/fuzz/camera_protocol_fuzz.cpp runs the same checks open-ended).
TEST(CameraProtocol, MutatedMessagesNeverCrash) {
    std::mt19937 rng(12345);
    std::vector<std::string> seeds = {io::encode_request({io::Encoding::kJpeg, 80, 5, 100}),
                                      io::encode_reply_header(frame_header()), R"({"a":[1,{"b":null}]})"};
    for (int i = 0; i < 3000; ++i) {
        std::string s = seeds[i % seeds.size()];
        int edits = 1 + rng() % 4;
        for (int e = 0; e < edits && !s.empty(); ++e) {
            size_t at = rng() % s.size();
            switch (rng() % 3) {
                case 0:
                    s[at] = static_cast<char>(rng());
                    break;
                case 1:
                    s.erase(at, 1 + rng() % 3);
                    break;
                default:
                    s.insert(at, 1, "{}[]\",:0123456789-e."[rng() % 21]);
                    break;
            }
        }
        (void)io::decode_request(s);
        auto h = io::decode_reply_header(s);
        if (h.is_ok() && h->ok) (void)io::decode_payload(h.value(), s.data(), s.size());
    }
}

}  // namespace
}  // namespace edgeinfer
