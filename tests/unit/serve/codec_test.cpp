// serve/codec: v2 JSON and binary tensor data decoding, every malformed shape of request, and the encoder.
#include "serve/codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace edgeinfer::serve {
namespace {

using nlohmann::json;

std::string message_of(std::string_view body, std::optional<size_t> header_length = std::nullopt) {
    auto r = parse_infer_request(body, header_length);
    EXPECT_FALSE(r.is_ok()) << body;
    if (r.is_ok()) return "";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
}

TEST(ServeCodec, DatatypeNamesRoundTrip) {
    for (DataType t : {DataType::kFloat32, DataType::kInt64, DataType::kString, DataType::kBool, DataType::kFloat16})
        EXPECT_EQ(parse_v2_datatype(v2_datatype_name(t)), t);
    EXPECT_EQ(parse_v2_datatype("FP32"), DataType::kFloat32);
    EXPECT_EQ(parse_v2_datatype("float32"), DataType::kUndefined);
}

TEST(ServeCodec, ParsesJsonTensorsFlatAndNested) {
    auto r = parse_infer_request(R"({"id":"a","inputs":[
        {"name":"x","datatype":"FP32","shape":[2,2],"data":[[1,2.5],[3,4]]},
        {"name":"i","datatype":"INT8","shape":[3],"data":[-128,0,127]},
        {"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]},
        {"name":"s","datatype":"BYTES","shape":[1],"data":["hello"]}],
        "outputs":[{"name":"y","parameters":{"binary_data":true}}]})",
                                 std::nullopt);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->inputs.size(), 4u);
    EXPECT_EQ(r->id, "a");
    const Tensor& x = r->inputs[0].tensor;
    EXPECT_EQ(x.dims(), (std::vector<int64_t>{2, 2}));
    EXPECT_FLOAT_EQ(x.data_as<float>()[1], 2.5f);
    EXPECT_EQ(r->inputs[1].tensor.data_as<int8_t>()[0], -128);
    EXPECT_EQ(r->inputs[2].tensor.data_as<uint8_t>()[1], 0);
    EXPECT_EQ(r->inputs[3].tensor.string_data()[0], "hello");
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_TRUE(r->outputs[0].binary);
}

TEST(ServeCodec, ParsesBinaryData) {
    float values[3] = {1.f, -2.f, 3.5f};
    std::string header = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":12}},
        {"name":"s","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]})";
    std::string body = header + std::string(reinterpret_cast<const char*>(values), 12);
    body += std::string("\x02\x00\x00\x00hi\x01\x00\x00\x00!", 11);
    auto r = parse_infer_request(body, header.size());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_FLOAT_EQ(r->inputs[0].tensor.data_as<float>()[2], 3.5f);
    EXPECT_EQ(r->inputs[1].tensor.string_data(), (std::vector<std::string>{"hi", "!"}));
}

TEST(ServeCodec, RejectsMalformedRequestsNamingTheFault) {
    EXPECT_NE(message_of("{").find("malformed JSON"), std::string::npos);
    EXPECT_NE(message_of("[]").find("not a JSON object"), std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[]})").find("no 'inputs'"), std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP33","shape":[1],"data":[1]}]})").find("FP33"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1]}]})").find("needs 2"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1],"data":[1]}]})").find("non-negative"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"UINT8","shape":[1],"data":[256]}]})").find("element 0"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":["a"]}]})").find("'x'"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP16","shape":[1],"data":[1]}]})").find("binary"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]},
                                       {"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})")
                  .find("twice"),
              std::string::npos);
    // Shapes whose element count overflows, or is huge with little data: refused before any allocation.
    EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[4294967296,4294967296],"data":[1]}]})")
                  .find("overflows"),
              std::string::npos);
    EXPECT_NE(
        message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1000000000000],"data":[1]}]})").find("needs"),
        std::string::npos);
    EXPECT_NE(message_of(std::string(1000, '[') + std::string(1000, ']')).find("deeper"), std::string::npos);
}

TEST(ServeCodec, RejectsBinaryLengthsThatLie) {
    std::string header =
        R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]})";
    std::string data(8, '\0');
    EXPECT_NE(message_of(header + data, header.size() + 9).find("exceeds"), std::string::npos);
    EXPECT_NE(message_of(header + data.substr(0, 4), header.size()).find("overruns"), std::string::npos);
    EXPECT_NE(message_of(header + data + "z", header.size()).find("belong to no input"), std::string::npos);
    std::string wrong =
        R"({"inputs":[{"name":"x","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":8}}]})";
    EXPECT_NE(message_of(wrong + data, wrong.size()).find("do not match shape"), std::string::npos);
    std::string strings =
        R"({"inputs":[{"name":"s","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]})";
    EXPECT_NE(message_of(strings + std::string("\xff\x00\x00\x00"
                                               "ab",
                                               6),
                         strings.size())
                  .find("overruns"),
              std::string::npos);
}

TEST(ServeCodec, EncodesJsonAndBinaryOutputs) {
    InferRequest request;
    request.id = "7";
    request.outputs = {{"y", true}, {"z", false}};
    std::vector<NamedTensor> outputs = {
        {"y", Tensor::from_vector<float>(DataType::kFloat32, {2}, {1.5f, -2.f})},
        {"z", Tensor::from_vector<int64_t>(DataType::kInt64, {1, 2}, {3, 4})},
    };
    auto r = encode_infer_response("m", "1", request, outputs);
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE(r->header_length.has_value());
    json j = json::parse(r->body.substr(0, *r->header_length));
    EXPECT_EQ(j["model_name"], "m");
    EXPECT_EQ(j["id"], "7");
    EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], 8);
    EXPECT_EQ(j["outputs"][1]["data"], json({3, 4}));
    EXPECT_EQ(j["outputs"][1]["datatype"], "INT64");
    float y[2];
    std::memcpy(y, r->body.data() + *r->header_length, 8);
    EXPECT_FLOAT_EQ(y[1], -2.f);

    request.outputs = {{"nope", false}};
    EXPECT_EQ(encode_infer_response("m", "1", request, outputs).status().code(), StatusCode::kNotFound);
    request.outputs.clear();
    auto all = encode_infer_response("m", "1", request, outputs);
    ASSERT_TRUE(all.is_ok());
    EXPECT_FALSE(all->header_length.has_value());
    EXPECT_EQ(json::parse(all->body)["outputs"].size(), 2u);
}

TEST(ServeCodec, ErrorJsonEscapes) { EXPECT_EQ(json::parse(error_json("bad \"x\"\n"))["error"], "bad \"x\"\n"); }

}  // namespace
}  // namespace edgeinfer::serve
