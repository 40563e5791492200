// pipeline::BoundedQueue: the queue between two pipeline threads. Blocking push for stages and file
// sources (never drops); drop-oldest push for live sources (counts what it dropped).
#pragma once

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
        not_full_.notify_one();
        return item;
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
    const size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    bool closed_ = false;
};

}  // namespace edgeinfer::pipeline
