// What the store's unit tests share: a fresh SQLite file per test, records and events to put in
// it, and a database that can be switched off.
#pragma once

#include "store/database.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <string>

namespace llmux::store {

namespace fs = std::filesystem;

// A fresh SQLite file per test, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("llmux-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "llmux.db").string(); }

  fs::path dir_;
};

inline KeyRecord key_named(const std::string& token) {
  KeyRecord key;
  key.token = token;
  key.key_name = "sk-...abcd";
  key.created_at = key.updated_at = 1000;
  return key;
}

inline SpendEvent event_for(const std::string& id, const std::string& token, double spend) {
  SpendEvent event;
  event.request_id = "req-" + id;
  event.call_type = "acompletion";
  event.api_key = token;
  event.spend = spend;
  event.prompt_tokens = 3;
  event.completion_tokens = 4;
  event.start_time = 5000;
  event.end_time = 6000;
  event.model = event.model_group = event.model_id = event.provider = "m";
  event.status = "success";
  return event;
}

// SQLite behind a switch: while `down`, every statement fails the way a lost server does.
class FlakyDatabase final : public Database {
 public:
  FlakyDatabase(std::unique_ptr<Database> inner, const std::atomic<bool>& down)
      : inner_(std::move(inner)), down_(down) {}
  std::vector<Row> query(std::string_view sql, const Params& params) override {
    if (down_) throw DatabaseError("server closed the connection unexpectedly", true);
    return inner_->query(sql, params);
  }
  std::int64_t changed_rows() const override { return inner_->changed_rows(); }
  std::string_view engine() const override { return inner_->engine(); }
  void execute_script(std::string_view sql) override { inner_->execute_script(sql); }
  bool reconnect() override { return !down_; }

 private:
  std::unique_ptr<Database> inner_;
  const std::atomic<bool>& down_;
};

}  // namespace llmux::store
