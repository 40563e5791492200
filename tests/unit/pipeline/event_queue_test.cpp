// DiskQueue: order, acknowledgement, recovery after a restart, journal rotation and removal,
// repair of a record torn by a crash, unwritable spool folders.
#include "pipeline/event_queue.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;

class DiskQueueTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_queue_" + std::to_string(::getpid()) + "_" +
                                               testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::unique_ptr<DiskQueue> open(DiskQueueOptions o = {}) {
        auto q = DiskQueue::open(dir_, o);
        EXPECT_TRUE(q.is_ok()) << q.status().to_string();
        return q.is_ok() ? std::move(q.value()) : nullptr;
    }
    size_t journals() const {
        size_t n = 0;
        for (const auto& e : fs::directory_iterator(dir_)) n += e.path().extension() == ".log";
        return n;
    }
    fs::path dir_;
};

TEST_F(DiskQueueTest, FifoWithAcknowledgement) {
    auto q = open();
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->front(10).has_value());
    for (const char* r : {"a", "b\twith tab", "c\nwith newline", ""}) ASSERT_TRUE(q->push(r).is_ok());
    EXPECT_EQ(q->pending(), 4u);
    EXPECT_EQ(q->front(0), "a");
    EXPECT_EQ(q->front(0), "a");  // not removed until acknowledged
    ASSERT_TRUE(q->ack().is_ok());
    EXPECT_EQ(q->front(0), "b\twith tab");
    ASSERT_TRUE(q->ack().is_ok());
    EXPECT_EQ(q->front(0), "c\nwith newline");
    ASSERT_TRUE(q->ack().is_ok());
    EXPECT_EQ(q->front(0), "");
    ASSERT_TRUE(q->ack().is_ok());
    EXPECT_EQ(q->pending(), 0u);
    EXPECT_FALSE(q->ack().is_ok());
}

TEST_F(DiskQueueTest, UnacknowledgedRecordsSurviveARestart) {
    {
        auto q = open();
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(q->push("event " + std::to_string(i)).is_ok());
        ASSERT_TRUE(q->front(0));
        ASSERT_TRUE(q->ack().is_ok());
        ASSERT_TRUE(q->front(0));
        ASSERT_TRUE(q->ack().is_ok());
    }  // the process "stops" here
    auto q = open();
    EXPECT_EQ(q->recovered(), 3u);
    EXPECT_EQ(q->front(0), "event 2");
    ASSERT_TRUE(q->push("event 5").is_ok());
    std::vector<std::string> got;
    while (auto r = q->front(0)) {
        got.push_back(*r);
        ASSERT_TRUE(q->ack().is_ok());
    }
    EXPECT_EQ(got, (std::vector<std::string>{"event 2", "event 3", "event 4", "event 5"}));
    q.reset();
    EXPECT_EQ(open()->pending(), 0u);
}

TEST_F(DiskQueueTest, JournalsRotateAndAcknowledgedOnesAreRemoved) {
    DiskQueueOptions o;
    o.records_per_segment = 3;
    o.fsync = false;
    auto q = open(o);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(q->push(std::to_string(i)).is_ok());
    EXPECT_EQ(journals(), 4u);
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(q->front(0), std::to_string(i));
        ASSERT_TRUE(q->ack().is_ok());
    }
    EXPECT_EQ(journals(), 2u);  // records 6..8 and 9
    q.reset();
    q = open(o);
    EXPECT_EQ(q->recovered(), 3u);
    EXPECT_EQ(q->front(0), "7");
    while (q->front(0)) ASSERT_TRUE(q->ack().is_ok());
    ASSERT_TRUE(q->push("10").is_ok());  // fills the last journal (9, 10): still one file
    EXPECT_EQ(journals(), 1u);
}

TEST_F(DiskQueueTest, RecordTornByACrashIsCutOff) {
    {
        auto q = open();
        ASSERT_TRUE(q->push("complete").is_ok());
    }
    fs::path journal;
    for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().extension() == ".log") journal = e.path();
    const auto good_size = fs::file_size(journal);
    std::ofstream(journal, std::ios::app) << "100\t{\"event_id\": \"half";
    auto q = open();
    EXPECT_EQ(q->recovered(), 1u);
    EXPECT_EQ(fs::file_size(journal), good_size);
    ASSERT_TRUE(q->push("next").is_ok());
    q.reset();
    q = open();
    EXPECT_EQ(q->pending(), 2u);
    EXPECT_EQ(q->front(0), "complete");
}

TEST_F(DiskQueueTest, FrontWaitsForAProducerAndCloseWakesIt) {
    auto q = open();
    std::thread producer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_TRUE(q->push("late").is_ok());
    });
    EXPECT_EQ(q->front(10000), "late");
    producer.join();
    std::thread closer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        q->close();
    });
    ASSERT_TRUE(q->ack().is_ok());
    EXPECT_FALSE(q->front(10000).has_value());
    closer.join();
}

TEST_F(DiskQueueTest, UnwritableSpoolIsAnError) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "file") << "x";
    auto q = DiskQueue::open(dir_ / "file" / "spool");
    ASSERT_FALSE(q.is_ok());
    EXPECT_EQ(q.status().code(), StatusCode::kIoError);
    EXPECT_NE(q.status().message().find("cannot create spool folder"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::pipeline
