// What the admin rules' tests share: a real store (SQLite in memory, migrated) per test, and a
// request body or query to hand a rule.
#pragma once

#include "admin/fields.hpp"
#include "auth/authenticator.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace llmux::admin {

inline constexpr store::Millis kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// The master key, as the admin gate hands it to a rule.
inline const auth::Caller kMaster{.admin = true};

inline FieldReader body(std::string_view json) { return FieldReader::from_body(json); }

// SQLite behind a switch: once armed, the first statement containing `fail_on` fails (as a
// server that went away would) and every later one runs.
class FailingDatabase final : public store::Database {
 public:
  explicit FailingDatabase(std::unique_ptr<store::Database> inner) : inner_(std::move(inner)) {}
  void fail_once_on(std::string sql_part) { fail_on_ = std::move(sql_part); }
  std::vector<store::Row> query(std::string_view sql, const store::Params& params) override {
    if (!fail_on_.empty() && sql.find(fail_on_) != std::string_view::npos) {
      fail_on_.clear();
      throw store::DatabaseError("the statement failed", true);
    }
    return inner_->query(sql, params);
  }
  std::int64_t changed_rows() const override { return inner_->changed_rows(); }
  std::string_view engine() const override { return inner_->engine(); }
  void execute_script(std::string_view sql) override { inner_->execute_script(sql); }
  bool reconnect() override { return true; }

 private:
  std::unique_ptr<store::Database> inner_;
  std::string fail_on_;
};

class RulesTest : public ::testing::Test {
 protected:
  RulesTest() : store_(open()) {}

  static std::unique_ptr<store::Database> open() {
    auto database = store::open_sqlite(":memory:");
    store::migrate(*database);
    return std::make_unique<FailingDatabase>(std::move(database));
  }
  FailingDatabase& database() { return static_cast<FailingDatabase&>(store_.database()); }

  store::Store store_;
};

}  // namespace llmux::admin
