// OpenCV DNN (cv::dnn, default backend and target) timed like `edgeinfer bench`, for bench/run_suite.py.
//
//   opencv_dnn_bench MODEL.onnx (--input X.npy ... | --shape 1x3x224x224) [--threads N] [--warmup N]
//                    [--iterations N] [--seconds S] [--json]
//
// Input files (one input tensor per file, float32) are rotated between runs. Each timed run is
// setInput + forward of every unconnected output, as an application calls it. Runs continue until both
// --iterations and --seconds are met. --json prints the load time, first-run time and every latency.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ir/npy.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Args {
    std::string model;
    std::vector<std::string> inputs;
    std::string shape;
    int threads = 1, warmup = 3, iterations = 10;
    double seconds = 0;
    bool json = false;
};

bool parse(int argc, char** argv, Args* a) {
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (s == "--input" && (v = next())) {
            a->inputs.push_back(v);
        } else if (s == "--shape" && (v = next())) {
            a->shape = v;
        } else if (s == "--threads" && (v = next())) {
            a->threads = std::atoi(v);
        } else if (s == "--warmup" && (v = next())) {
            a->warmup = std::atoi(v);
        } else if (s == "--iterations" && (v = next())) {
            a->iterations = std::atoi(v);
        } else if (s == "--seconds" && (v = next())) {
            a->seconds = std::atof(v);
        } else if (s == "--json") {
            a->json = true;
        } else if (!s.empty() && s[0] != '-' && a->model.empty()) {
            a->model = s;
        } else {
            return false;
        }
    }
    return !a->model.empty() && (!a->inputs.empty() || !a->shape.empty()) && a->threads >= 1 && a->iterations >= 1;
}

// float32 .npy files through edgeinfer's reader (it validates the header), copied into cv::Mat blobs.
bool load_inputs(const Args& a, std::vector<cv::Mat>* blobs, std::string* err) {
    for (const std::string& path : a.inputs) {
        auto t = edgeinfer::ir::read_npy(path);
        if (!t.is_ok()) {
            *err = t.status().to_string();
            return false;
        }
        if (t.value().dtype() != edgeinfer::DataType::kFloat32) {
            *err = path + ": input must be float32";
            return false;
        }
        std::vector<int> dims(t.value().dims().begin(), t.value().dims().end());
        cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
        std::copy_n(t.value().data_as<float>(), t.value().numel(), m.ptr<float>());
        blobs->push_back(m);
    }
    if (a.inputs.empty()) {
        std::vector<int> dims;
        std::stringstream ss(a.shape);
        for (std::string part; std::getline(ss, part, 'x');) dims.push_back(std::atoi(part.c_str()));
        cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
        cv::theRNG().state = 123;
        cv::randn(m, 0.0, 1.0);
        blobs->push_back(m);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    if (!parse(argc, argv, &a)) {
        std::cerr << "usage: opencv_dnn_bench MODEL.onnx (--input X.npy ... | --shape 1x3x224x224) [--threads N] "
                     "[--warmup N] [--iterations N] [--seconds S] [--json]\n";
        return 2;
    }
    std::vector<cv::Mat> blobs;
    std::string err;
    if (!load_inputs(a, &blobs, &err)) {
        std::cerr << "opencv_dnn_bench: " << err << "\n";
        return 1;
    }
    try {
        cv::setNumThreads(a.threads);
        auto t0 = Clock::now();
        cv::dnn::Net net = cv::dnn::readNetFromONNX(a.model);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        double load_ms = ms_since(t0);
        std::vector<std::string> names = net.getUnconnectedOutLayersNames();
        std::vector<cv::Mat> outs;
        auto run = [&](size_t i) {
            net.setInput(blobs[i % blobs.size()]);
            net.forward(outs, names);
        };
        t0 = Clock::now();
        run(0);
        double first_ms = ms_since(t0);
        for (int i = 0; i < a.warmup; ++i) run(i + 1);
        std::vector<double> lat;
        auto start = Clock::now();
        for (size_t i = 0; static_cast<int>(i) < a.iterations || ms_since(start) < a.seconds * 1000; ++i) {
            auto t = Clock::now();
            run(i);
            lat.push_back(ms_since(t));
        }
        std::vector<double> sorted = lat;
        std::sort(sorted.begin(), sorted.end());
        double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                          : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
        if (a.json) {
            std::printf(
                "{\"runtime\": \"opencv-dnn %s\", \"threads\": %d, \"load_ms\": %.3f, \"first_run_ms\": %.3f, "
                "\"median_ms\": %.4f, \"latencies_ms\": [",
                CV_VERSION, cv::getNumThreads(), load_ms, first_ms, median);
            for (size_t i = 0; i < lat.size(); ++i) std::printf("%s%.4f", i ? ", " : "", lat[i]);
            std::printf("]}\n");
        } else {
            std::printf(
                "opencv-dnn %s: %zu runs, median %.3f ms, min %.3f ms, max %.3f ms (load %.1f ms, first %.1f ms)\n",
                CV_VERSION, lat.size(), median, sorted.front(), sorted.back(), load_ms, first_ms);
        }
    } catch (const cv::Exception& e) {
        std::string msg = e.what();
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        std::cerr << "opencv_dnn_bench: " << a.model << ": " << msg << "\n";
        return 1;
    }
    return 0;
}
