// Pipelines on bad luck (issue 24): a full disk and a kill. Whole-or-absent lines (LineFile) under a
// simulated ENOSPC and on a real 2 MB tmpfs (skipped where mounting one is not allowed), a spool that
// refuses new events rather than losing queued ones and leaves no ack.tmp, record folders and video
// sinks checked at create, clips lost below min_free_mb counted (summary, exit 5), and `edgeinfer
// pipeline` killed with SIGKILL mid-recording: no event points at an incomplete clip, the next start
// removes the temporary file and says so.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <thread>

#include "../cli/cli_test_util.hpp"
#include "edgeinfer/pipeline.hpp"
#include "pipeline/event_queue.hpp"
#include "pipeline/line_file.hpp"
#include "pipeline/recorder.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pipeline::DiskQueue;
using pipeline::DiskQueueOptions;
using pipeline::LineFile;
using pipeline::LineFileOptions;

class PipelineDiskTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_disk_" + std::to_string(::getpid()) + "_" +
                                               testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        if (mounted_) ::umount2(mounted_->c_str(), MNT_DETACH);
        fs::remove_all(dir_);
    }
    // A tmpfs of `bytes` at dir_/name, or nullopt where mounting is not allowed (not root, containers).
    std::optional<fs::path> tmpfs(const std::string& name, size_t bytes) {
        const fs::path p = dir_ / name;
        fs::create_directories(p);
        const std::string opts = "size=" + std::to_string(bytes);
        if (::mount("tmpfs", p.c_str(), "tmpfs", 0, opts.c_str()) != 0) return std::nullopt;
        mounted_ = p;
        return p;
    }
    static std::vector<std::string> lines_of(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::vector<std::string> out;
        size_t pos = 0;
        while (pos < all.size()) {
            const size_t nl = all.find('\n', pos);
            if (nl == std::string::npos) {
                out.push_back(all.substr(pos) + "<no newline>");
                break;
            }
            out.push_back(all.substr(pos, nl - pos));
            pos = nl + 1;
        }
        return out;
    }
    static bool has_partial_clip(const fs::path& dir) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.path().filename().string().rfind(".partial-", 0) == 0) return true;
        return false;
    }
    fs::path dir_;
    std::optional<fs::path> mounted_;
};

// A write that stores `budget` bytes in all, then fails with ENOSPC (after a short write).
struct FullDisk {
    std::shared_ptr<size_t> budget;
    explicit FullDisk(size_t bytes) : budget(std::make_shared<size_t>(bytes)) {}
    pipeline::WriteFn fn() const {
        return [b = budget](int fd, const void* data, size_t size) -> ssize_t {
            if (*b == 0) {
                errno = ENOSPC;
                return -1;
            }
            const size_t n = std::min(size, *b);
            const ssize_t w = ::write(fd, data, n);
            if (w > 0) *b -= size_t(w);
            return w;
        };
    }
};

TEST_F(PipelineDiskTest, LineFileCutsAFailedLineBackOff) {
    FullDisk disk(25);  // the first line (10 + 1 bytes) fits, the second is cut after 14 bytes
    LineFileOptions o;
    o.write = disk.fn();
    auto f = LineFile::open(dir_ / "m.jsonl", o);
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    ASSERT_TRUE(f.value()->append(R"({"a":1234})").is_ok());
    const Status s = f.value()->append(R"({"b":"a longer line that does not fit"})");
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find((dir_ / "m.jsonl").string()), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
    EXPECT_EQ(fs::file_size(dir_ / "m.jsonl"), 11u);
    // Space again: the next line starts at the boundary.
    *disk.budget = 1000;
    ASSERT_TRUE(f.value()->append(R"({"c":3})").is_ok());
    f.value().reset();
    EXPECT_EQ(lines_of(dir_ / "m.jsonl"), (std::vector<std::string>{R"({"a":1234})", R"({"c":3})"}));
}

TEST_F(PipelineDiskTest, FullSpoolRefusesNewEventsAndKeepsQueuedOnes) {
    const fs::path spool = dir_ / "spool";
    FullDisk disk(3 * 29);  // three records of 16 bytes + "16:<crc32>\t" + "\n" = 29 bytes each
    DiskQueueOptions o;
    o.write = disk.fn();
    {
        auto q = DiskQueue::open(spool, o);
        ASSERT_TRUE(q.is_ok()) << q.status().to_string();
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.value()->push("event-" + std::to_string(i) + "-xxxxxxxx").is_ok());
        const Status refused = q.value()->push("event-3-xxxxxxxx");
        ASSERT_FALSE(refused.is_ok());
        EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
        EXPECT_NE(refused.message().find("event refused"), std::string::npos) << refused.message();
        EXPECT_NE(refused.message().find("journal-"), std::string::npos) << refused.message();
        EXPECT_EQ(q.value()->pending(), 3u);
        // One delivered and acknowledged before the process goes.
        ASSERT_EQ(q.value()->front(100).value(), "event-0-xxxxxxxx");
        ASSERT_TRUE(q.value()->ack().is_ok());
    }
    // An acknowledgement torn by a crash or a full disk is cleaned up; nothing queued was lost.
    std::ofstream(spool / "journal-0000000001.ack.tmp") << "9";
    auto q = DiskQueue::open(spool);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_FALSE(fs::exists(spool / "journal-0000000001.ack.tmp"));
    EXPECT_EQ(q.value()->recovered(), 2u);
    EXPECT_EQ(q.value()->front(100).value(), "event-1-xxxxxxxx");
    ASSERT_TRUE(q.value()->ack().is_ok());
    EXPECT_EQ(q.value()->front(100).value(), "event-2-xxxxxxxx");
    for (const auto& e : fs::directory_iterator(spool)) EXPECT_NE(e.path().extension(), ".tmp") << e.path();
}

// The reserve: an event is refused while the file system's free space is below the event plus the
// reserve, before any byte is written, and accepted again once space returns; what was queued stays.
TEST_F(PipelineDiskTest, SpoolKeepsItsReserveFree) {
    auto free = std::make_shared<uint64_t>(uint64_t{10} << 20);
    DiskQueueOptions o;
    o.reserve_bytes = 4096;
    o.free_bytes = [free](const fs::path&) -> Result<uint64_t> { return *free; };
    auto q = DiskQueue::open(dir_ / "spool", o);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    ASSERT_TRUE(q.value()->push("event-0").is_ok());
    *free = 4096 + 10;  // the record line of "event-1" is 21 bytes
    const Status refused = q.value()->push("event-1");
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
    for (const std::string& w : {std::string("event refused"), std::string("4106 bytes free"),
                                 std::string("4096 bytes kept free"), (dir_ / "spool").string()})
        EXPECT_NE(refused.message().find(w), std::string::npos) << w << " not in " << refused.message();
    EXPECT_EQ(q.value()->pending(), 1u);
    ASSERT_EQ(q.value()->front(100).value(), "event-0");
    ASSERT_TRUE(q.value()->ack().is_ok());  // acknowledgements still go through
    *free = 1 << 20;
    ASSERT_TRUE(q.value()->push("event-2").is_ok());
    EXPECT_EQ(q.value()->front(100).value(), "event-2");
}

// A record whose bytes were damaged on disk is skipped (and counted) when the queue is opened; the
// records around it are delivered, and acknowledgement counts stay aligned with the journal.
TEST_F(PipelineDiskTest, DamagedRecordIsSkippedByItsChecksum) {
    const fs::path spool = dir_ / "spool";
    {
        auto q = DiskQueue::open(spool);
        ASSERT_TRUE(q.is_ok()) << q.status().to_string();
        for (const char* e : {"first-event", "second-event", "third-event"}) ASSERT_TRUE(q.value()->push(e).is_ok());
        ASSERT_EQ(q.value()->front(100).value(), "first-event");
        ASSERT_TRUE(q.value()->ack().is_ok());
    }
    const fs::path journal = spool / "journal-0000000001.log";
    std::string bytes;
    {
        std::ifstream in(journal, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const size_t at = bytes.find("second-event");
    ASSERT_NE(at, std::string::npos);
    bytes[at] = 'S';  // same length, different bytes
    std::ofstream(journal, std::ios::binary | std::ios::trunc) << bytes;
    auto q = DiskQueue::open(spool);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_EQ(q.value()->corrupt(), 1u);
    EXPECT_EQ(q.value()->recovered(), 1u);
    EXPECT_EQ(q.value()->front(100).value(), "third-event");
}

TEST_F(PipelineDiskTest, JournalsWithoutChecksumsStillLoad) {
    const fs::path spool = dir_ / "spool";
    fs::create_directories(spool);
    std::ofstream(spool / "journal-0000000001.log", std::ios::binary) << "5\thello\n5\tworld\n";
    auto q = DiskQueue::open(spool);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_EQ(q.value()->recovered(), 2u);
    EXPECT_EQ(q.value()->front(100).value(), "hello");
}

TEST_F(PipelineDiskTest, UnwritableRecordFolderAndVideoPathFailAtCreate) {
    std::ofstream(dir_ / "afile") << "not a folder";
    auto make = [&](const std::string& sinks, const std::string& rules) {
        const std::string doc = R"({"sources": [{"id": "cam", "uri": "pattern:32x32"}], "sinks": [)" + sinks +
                                R"(], "action_rules": [)" + rules + "]}";
        return Pipeline::from_json(doc, {}, dir_.string());
    };
    auto r = make(R"({"id": "events", "type": "file", "path": "events.jsonl"})",
                  R"({"rule_name": "rec", "and": [{"key": "frame_number", "operator": ">=", "value": 0}],
                      "action": {"type": "record", "directory": "afile/clips"}})");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find((dir_ / "afile/clips").string()), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("rule rec (/action_rules/0/action/directory)"), std::string::npos)
        << r.status().message();
    r = make(R"({"id": "out", "type": "video", "path": "afile/out.mp4"})", "");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("sink out: cannot write video " + (dir_ / "afile/out.mp4").string()),
              std::string::npos)
        << r.status().message();
    fs::create_directories(dir_ / "afolder.mp4");
    r = make(R"({"id": "out", "type": "video", "path": "afolder.mp4"})", "");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("it is a folder"), std::string::npos) << r.status().message();
    r = make(R"({"id": "meta", "type": "metadata", "path": "afile/meta.jsonl"})", "");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find((dir_ / "afile/meta.jsonl").string()), std::string::npos)
        << r.status().message();
    // Writable ones are fine, and nothing is left behind by the check.
    r = make(R"({"id": "out", "type": "video", "path": "v/out.mp4"})",
             R"({"rule_name": "rec", "and": [{"key": "frame_number", "operator": ">=", "value": 0}],
                 "action": {"type": "record", "directory": "clips"}})");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(fs::is_empty(dir_ / "clips"));
    EXPECT_TRUE(fs::is_empty(dir_ / "v"));
}

std::string record_config(const std::string& extra_action, const std::string& source_extra = "",
                          double duration_seconds = 0.2) {
    return R"({"sources": [{"id": "cam", "uri": "pattern:64x48")" + source_extra + R"(}],
        "sinks": [{"id": "events", "type": "file", "path": "events.jsonl"}],
        "spool_directory": "spool",
        "action_rules": [{"rule_name": "rec", "and": [{"key": "frame_number", "operator": ">=", "value": 2}],
                          "cooldown_seconds": 1000,
                          "action": {"type": "record", "pre_seconds": 0.1, "max_duration_in_seconds": 100,
                                     "directory": "clips", "sinks": ["events"], "duration_in_seconds": )" +
           std::to_string(duration_seconds) + extra_action + "}}]}";
}

TEST_F(PipelineDiskTest, ClipsBelowTheFreeSpaceThresholdAreCountedAsLost) {
    // 1 TiB free wanted: no clip starts; the event says why, the summary counts it.
    std::vector<PipelineEvent> events;
    PipelineOptions options;
    options.max_frames = 10;
    options.on_event = [&](const PipelineEvent& e) { events.push_back(e); };
    auto p = Pipeline::from_json(record_config(R"(, "min_free_mb": 1048576)"), options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ASSERT_TRUE(p.value()->drain_events(std::chrono::seconds(20)));
    EXPECT_EQ(s->clips_lost, 1u);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].clip.empty());
    EXPECT_NE(events[0].clip_error.find("recording needs at least 1048576 MiB"), std::string::npos)
        << events[0].clip_error;
    bool said = false;
    for (const auto& l : s->lines) said = said || l.find("1 clip(s) lost") != std::string::npos;
    EXPECT_TRUE(said);
    EXPECT_TRUE(fs::is_empty(dir_ / "clips"));

    // The CLI says so and exits 5 (data lost).
    std::ofstream(dir_ / "lost.json") << record_config(R"(, "min_free_mb": 1048576)");
    auto r = cli_test::run_cli("pipeline " + (dir_ / "lost.json").string() + " --limit 10");
    EXPECT_EQ(r.code, 5) << r.out;
    EXPECT_NE(r.out.find("recording: 1 clip(s) lost"), std::string::npos) << r.out;
    // A threshold of 0: the clip is recorded, the event comes with it (a complete, playable file).
    std::ofstream(dir_ / "ok.json") << record_config(R"(, "min_free_mb": 0)");
    r = cli_test::run_cli("pipeline " + (dir_ / "ok.json").string() + " --limit 10");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out.find("lost"), std::string::npos) << r.out;
}

TEST_F(PipelineDiskTest, RecordEventsComeWithTheFinishedClip) {
    std::vector<PipelineEvent> events;
    std::vector<uint64_t> frames_at_event;
    uint64_t frames = 0;
    PipelineOptions options;
    options.max_frames = 30;
    options.on_frame = [&](const FrameMetadata&) { ++frames; };
    options.on_event = [&](const PipelineEvent& e) {
        // The clip is complete when the event comes: under its own name, no temporary file left.
        events.push_back(e);
        frames_at_event.push_back(frames);
        EXPECT_TRUE(fs::exists(e.clip)) << e.clip;
        EXPECT_FALSE(has_partial_clip(dir_ / "clips"));
    };
    auto p = Pipeline::from_json(record_config(R"(, "min_free_mb": 0)"), options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ASSERT_TRUE(p.value()->drain_events(std::chrono::seconds(20)));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(s->clips_lost, 0u);
    EXPECT_EQ(events[0].frame_number, 2u);  // the trigger's frame
    EXPECT_GT(frames_at_event[0], 3u);      // published once the clip closed, 0.2 s (6 frames) later
    cv::VideoCapture cap(events[0].clip);
    ASSERT_TRUE(cap.isOpened()) << events[0].clip;
    EXPECT_GT(cap.get(cv::CAP_PROP_FRAME_COUNT), 3.0);
    const auto delivered = lines_of(dir_ / "events.jsonl");
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(json::parse(delivered[0])["clip"], events[0].clip);
}

TEST_F(PipelineDiskTest, KilledWhileRecordingLeavesNoEventOnAnIncompleteClip) {
    std::ofstream(dir_ / "cfg.json") << record_config(R"(, "min_free_mb": 0)", R"(, "rate": 30)", 60);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const std::string out = (dir_ / "run1.log").string();
        if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(out.c_str(), "a", stderr)) ::_exit(126);
        ::execl(EDGEINFER_BINARY, EDGEINFER_BINARY, "pipeline", (dir_ / "cfg.json").c_str(), (char*)nullptr);
        ::_exit(127);
    }
    // Wait until the clip is being written, a little more, then SIGKILL.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    bool exited = false;
    while (!has_partial_clip(dir_ / "clips") && std::chrono::steady_clock::now() < deadline && !exited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
    }
    const bool recording = has_partial_clip(dir_ / "clips");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    auto log = [&] {
        std::ifstream in(dir_ / "run1.log");
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    ASSERT_TRUE(recording) << "no clip started within 20 s: " << log();
    ASSERT_TRUE(WIFSIGNALED(status));
    // Only the temporary file: no clip under a final name, no event published (sink file, spool).
    size_t finals = 0;
    for (const auto& e : fs::directory_iterator(dir_ / "clips"))
        finals += e.path().filename().string().rfind(".partial-", 0) != 0;
    EXPECT_EQ(finals, 0u);
    EXPECT_TRUE(!fs::exists(dir_ / "events.jsonl") || lines_of(dir_ / "events.jsonl").empty());
    if (fs::exists(dir_ / "spool/events")) {
        for (const auto& e : fs::directory_iterator(dir_ / "spool/events")) {
            if (e.path().extension() == ".log") {
                EXPECT_EQ(fs::file_size(e.path()), 0u) << e.path();
            }
        }
    }

    // The next start removes the temporary clip and says so; its own clip is complete.
    auto r = cli_test::run_cli("pipeline " + (dir_ / "cfg.json").string() + " --limit 10");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("1 incomplete clip(s) of an earlier, killed run removed"), std::string::npos) << r.out;
    EXPECT_FALSE(has_partial_clip(dir_ / "clips"));
    const auto delivered = lines_of(dir_ / "events.jsonl");
    ASSERT_EQ(delivered.size(), 1u);
    const fs::path clip = json::parse(delivered[0])["clip"].get<std::string>();
    cv::VideoCapture cap(clip.string());
    EXPECT_TRUE(cap.isOpened()) << clip;
}

// A real full disk: a 2 MB tmpfs with about 96 KiB free, first for the spool, then for the metadata file.
TEST_F(PipelineDiskTest, RealFullDiskKeepsLinesWholeAndEventsQueued) {
    auto disk = tmpfs("small", 2 << 20);
    if (!disk) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    {
        std::ofstream fill(*disk / "filler", std::ios::binary);
        const std::string block(4096, 'x');
        for (int i = 0; i < (2 << 20) / 4096 - 24; ++i) fill << block;
    }
    auto config = [&](const fs::path& spool, const fs::path& meta) {
        return R"({"sources": [{"id": "cam", "uri": "pattern:64x48"}],
            "sinks": [{"id": "events", "type": "file", "path": ")" +
               (dir_ / "events.jsonl").string() + R"("},
                      {"id": "meta", "type": "metadata", "path": ")" +
               meta.string() + R"("}],
            "spool_directory": ")" +
               spool.string() + R"(",
            "action_rules": [{"rule_name": "every", "and": [{"key": "frame_number", "operator": ">=", "value": 0}],
                              "action": {"type": "publish", "sinks": ["events"]}}]})";
    };
    PipelineOptions options;
    options.max_frames = 3000;
    // 1. The spool fills: new events are refused (counted), the queued ones are all delivered.
    auto p = Pipeline::from_json(config(*disk / "spool", dir_ / "meta.jsonl"), options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_TRUE(p.value()->drain_events(std::chrono::seconds(30)));
    EXPECT_EQ(s->events, 3000u);
    EXPECT_GT(s->events_refused, 0u);
    std::set<std::string> ids;
    for (const auto& line : lines_of(dir_ / "events.jsonl")) {
        const json e = json::parse(line, nullptr, false);
        ASSERT_FALSE(e.is_discarded()) << line;
        EXPECT_TRUE(ids.insert(e["event_id"].get<std::string>()).second) << line;
    }
    EXPECT_EQ(ids.size(), s->events - s->events_refused);
    bool said = false;
    for (const auto& l : s->lines)
        said = said || l.find("refused, the spool could not store them") != std::string::npos;
    EXPECT_TRUE(said);
    p.value().reset();
    for (const auto& e : fs::directory_iterator(*disk / "spool/events"))
        EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
    fs::remove_all(*disk / "spool");

    // 2. The metadata file fills: an error naming it, and every line in it is whole.
    p = Pipeline::from_json(config(dir_ / "spool", *disk / "meta.jsonl"), options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    s = p.value()->run();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.status().message().find((*disk / "meta.jsonl").string()), std::string::npos) << s.status().message();
    const auto meta = lines_of(*disk / "meta.jsonl");
    ASSERT_GT(meta.size(), 10u);
    for (size_t i = 0; i < meta.size(); ++i) {
        const json m = json::parse(meta[i], nullptr, false);
        ASSERT_FALSE(m.is_discarded()) << "line " << i << ": " << meta[i];
        EXPECT_EQ(m["frame_number"], i);
    }
}

}  // namespace
}  // namespace edgeinfer
