#include "server/request_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

namespace llmux::server {

bool RequestMemory::try_take(std::uint64_t bytes) {
  std::uint64_t in_use = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ - std::min(in_use, limit_)) return false;
  } while (!in_use_.compare_exchange_weak(in_use, in_use + bytes, std::memory_order_relaxed));
  return true;
}

BodyBytes::~BodyBytes() { release(); }

void BodyBytes::release() {
  if (capacity_ > kLargestOnHeap) {
    ::munmap(data_, capacity_);
  } else {
    delete[] data_;
  }
}

bool BodyBytes::grow(std::size_t capacity) {
  assert(capacity > capacity_);
  char* grown = nullptr;
  if (capacity <= kLargestOnHeap) {
    grown = new (std::nothrow) char[capacity];
  } else if (capacity_ > kLargestOnHeap) {
    void* moved = ::mremap(data_, capacity_, capacity, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) return false;
    data_ = static_cast<char*>(moved);
    capacity_ = capacity;
    return true;
  } else {
    void* mapped =
        ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    grown = mapped == MAP_FAILED ? nullptr : static_cast<char*>(mapped);
  }
  if (!grown) return false;
  if (size_ > 0) std::memcpy(grown, data_, size_);
  release();
  data_ = grown;
  capacity_ = capacity;
  return true;
}

bool BodyBuffer::reserve(std::size_t needed, std::size_t max_size) {
  assert(needed <= max_size);
  if (needed <= bytes_.capacity()) return true;
  // More than taken_, which is the storage's capacity.
  const std::size_t capacity =
      std::min(max_size, std::max({needed, 2 * bytes_.size(), kFirstBytes}));
  if (!memory_.try_take(capacity - taken_)) return false;
  if (!bytes_.grow(capacity)) {
    memory_.give_back(capacity - taken_);
    return false;
  }
  taken_ = capacity;
  return true;
}

bool BodyBuffer::append(std::string_view bytes, std::size_t max_size) {
  if (bytes.empty()) return true;
  if (!reserve(bytes_.size() + bytes.size(), max_size)) return false;
  std::memcpy(bytes_.end(), bytes.data(), bytes.size());
  bytes_.resize(bytes_.size() + bytes.size());
  return true;
}

char* BodyBuffer::prepare(std::size_t& room, std::size_t max_size) {
  assert(max_size > bytes_.size());
  room = 0;
  // A read gets at least a network packet's worth of space, or what is left of the body.
  constexpr std::size_t kSmallestRead = 1024;
  if (!reserve(bytes_.size() + std::min(max_size - bytes_.size(), kSmallestRead), max_size))
    return nullptr;
  room = bytes_.capacity() - bytes_.size();
  return bytes_.end();
}

}  // namespace llmux::server
