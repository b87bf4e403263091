#include "cache/redis_store.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

namespace json = boost::json;

TEST(ParseClientList, OneObjectPerLineEachFieldAString) {
  const json::array clients = parse_client_list(
      "id=3 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 name= age=12 cmd=client|list\n"
      "id=4 addr=127.0.0.1:50002 name=worker db=0\r\n");
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(json::serialize(clients[0]),
            R"({"id":"3","addr":"127.0.0.1:50000","laddr":"127.0.0.1:6379","name":"",)"
            R"("age":"12","cmd":"client|list"})");
  EXPECT_EQ(clients[1].at("name"), "worker");
  EXPECT_TRUE(parse_client_list("").empty());
}

TEST(ParseInfo, NumbersObjectsAndTextAsRedisPyReadsThem) {
  const json::object info = parse_info(
      "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n"
      "mem_fragmentation_ratio:1.25\r\nexecutable:/usr/bin/redis-server\r\n\r\n"
      "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n"
      "cmdstat_get:calls=2,usec=5,usec_per_call=2.50\r\n");
  EXPECT_EQ(info.at("redis_version"), "7.0.15");
  EXPECT_EQ(info.at("uptime_in_seconds"), 42);
  EXPECT_EQ(info.at("mem_fragmentation_ratio"), 1.25);
  EXPECT_EQ(info.at("executable"), "/usr/bin/redis-server");
  EXPECT_EQ(json::serialize(info.at("db0")), R"({"keys":3,"expires":1,"avg_ttl":0})");
  EXPECT_EQ(info.at("cmdstat_get").at("usec_per_call"), 2.5);
  EXPECT_FALSE(info.contains("# Server"));
  EXPECT_EQ(info.size(), 6u);
}

}  // namespace
}  // namespace llmux::cache
