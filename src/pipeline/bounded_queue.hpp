// pipeline::BoundedQueue: the queue between two pipeline threads. Blocking push for stages and file
// sources (never drops); drop-oldest push for live sources (counts what it dropped); a pop with a deadline
// for batching; optional depth and peak-depth counters kept up to date on every change.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace edgeinfer::pipeline {

template <typename T>
class BoundedQueue {
  public:
    explicit BoundedQueue(size_t capacity) : capacity_(capacity ? capacity : 1) {}

    // Waits while full; false (item discarded) once the queue is closed.
    bool push(T item) {
        std::unique_lock<std::mutex> lock(mu_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        changed();
        not_empty_.notify_one();
        return true;
    }

    // Never waits: when full, drops the oldest queued item for which `same(item)` holds (a frame of
    // the same live source), or `item` itself when there is none. Returns how many items were dropped.
    template <typename Pred>
    int push_drop_oldest(T item, Pred same) {
        std::lock_guard<std::mutex> lock(mu_);
        if (closed_) return 1;
        int dropped = 0;
        if (items_.size() >= capacity_) {
            auto it = items_.begin();
            while (it != items_.end() && !same(*it)) ++it;
            if (it == items_.end()) return 1;
            items_.erase(it);
            dropped = 1;
        }
        items_.push_back(std::move(item));
        changed();
        not_empty_.notify_one();
        return dropped;
    }

    // The oldest item; waits for one; nullopt once closed and empty.
    std::optional<T> pop() {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        changed();
        not_full_.notify_one();
        return item;
    }

    // The oldest item; waits for one until `deadline`; nullopt on timeout or once closed and empty.
    std::optional<T> pop_until(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        changed();
        not_full_.notify_one();
        return item;
    }

    // Counters updated under the queue's lock on every push and pop: `depth` the items queued now,
    // `peak` the most ever queued at once. Either may be null; set before the queue is shared.
    void observe(std::atomic<size_t>* depth, std::atomic<size_t>* peak) {
        std::lock_guard<std::mutex> lock(mu_);
        depth_ = depth;
        peak_ = peak;
        changed();
    }

    // No more pushes; pop() returns what is queued, then nullopt.
    void close() {
        std::lock_guard<std::mutex> lock(mu_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    size_t size() const {
        std::lock_guard<std::mutex> lock(mu_);
        return items_.size();
    }
    size_t capacity() const { return capacity_; }

  private:
    void changed() {
        const size_t n = items_.size();
        if (depth_) depth_->store(n);
        if (peak_ && n > peak_->load()) peak_->store(n);
    }

    const size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    bool closed_ = false;
    std::atomic<size_t>* depth_ = nullptr;
    std::atomic<size_t>* peak_ = nullptr;
};

}  // namespace edgeinfer::pipeline
