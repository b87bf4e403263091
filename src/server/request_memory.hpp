// Memory for request bodies: a body's storage grows with the bytes that arrived, never with the
// length a client declared; all bodies being received at once (every connection of every worker)
// stay within one limit; and a large body's memory goes back to the system when its request ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llmux::server {

// The limit on the bytes all bodies being received may hold, and what they hold now. Shared by
// every worker's listener: an atomic counter, no lock.
class RequestMemory {
 public:
  explicit RequestMemory(std::uint64_t limit_bytes) : limit_(limit_bytes) {}
  RequestMemory(const RequestMemory&) = delete;
  RequestMemory& operator=(const RequestMemory&) = delete;

  // Takes `bytes` when the total stays within the limit; otherwise takes nothing: false.
  bool try_take(std::uint64_t bytes);
  void give_back(std::uint64_t bytes) { in_use_.fetch_sub(bytes, std::memory_order_relaxed); }
  std::uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  std::uint64_t limit() const { return limit_; }

 private:
  std::atomic<std::uint64_t> in_use_{0};
  const std::uint64_t limit_;
};

// The bytes of one request body. A small body is on the heap; a larger one has a memory mapping
// of its own, grown without a copy (mremap) and unmapped with the body: the allocator would keep
// freed memory of that size for reuse, and a burst of large uploads would leave the process that
// large.
class BodyBytes {
 public:
  // Storage past this size is mapped.
  static constexpr std::size_t kLargestOnHeap = 128 * 1024;

  BodyBytes() = default;
  ~BodyBytes();
  BodyBytes(const BodyBytes&) = delete;
  BodyBytes& operator=(const BodyBytes&) = delete;

  std::string_view view() const { return {data_, size_}; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  // Storage for `capacity` bytes (more than capacity()), the bytes kept. False when the system
  // has no memory for it: nothing changed.
  bool grow(std::size_t capacity);
  // The free storage after the bytes, capacity() - size() long; resize() then covers what was
  // written there.
  char* end() { return data_ + size_; }
  void resize(std::size_t size) { size_ = size; }

 private:
  void release();

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// A body being received into `bytes` (empty at first). Its storage grows to twice what arrived
// (at least kFirstBytes, at most the largest size the body may have), each growth taken from the
// RequestMemory first; all it took is given back when the BodyBuffer ends (the body is whole, or
// the request failed). The bytes stay with the body.
class BodyBuffer {
 public:
  // The smallest storage a body that grows gets: a few network reads' worth.
  static constexpr std::size_t kFirstBytes = 4 * 1024;

  BodyBuffer(BodyBytes& bytes, RequestMemory& memory) : bytes_(bytes), memory_(memory) {}
  ~BodyBuffer() { memory_.give_back(taken_); }
  BodyBuffer(const BodyBuffer&) = delete;
  BodyBuffer& operator=(const BodyBuffer&) = delete;

  std::size_t size() const { return bytes_.size(); }
  // Appends `bytes`; the body may reach `max_size` bytes (size() + bytes.size() must not pass
  // it). False when memory was refused (the limit, or the system's): nothing was appended.
  bool append(std::string_view bytes, std::size_t max_size);
  // Free storage at the end of the body for the next read (`room` bytes, at least one, never past
  // `max_size`, which must be larger than size()); then commit() the bytes read. Nullptr when
  // memory was refused.
  char* prepare(std::size_t& room, std::size_t max_size);
  void commit(std::size_t count) { bytes_.resize(bytes_.size() + count); }

 private:
  // Storage for at least `needed` bytes, at most `max_size`. False when memory was refused.
  bool reserve(std::size_t needed, std::size_t max_size);

  BodyBytes& bytes_;
  RequestMemory& memory_;
  std::size_t taken_ = 0;  // from memory_: the body's storage
};

}  // namespace llmux::server
