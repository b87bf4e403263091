// JSON Schema → Gemini's Schema, for tool parameters and the response schema of Gemini 1.x.
#include "providers/gemini_internal.hpp"
#include "providers/json_fields.hpp"

#include <algorithm>
#include <iterator>

namespace llmux::providers {

namespace json = boost::json;

namespace gemini {
namespace {

constexpr std::string_view kSchemaKeys[] = {
    "type",          "format",   "description",      "nullable",  "enum",     "items",
    "properties",    "required", "propertyOrdering", "anyOf",     "minItems", "maxItems",
    "minimum",       "maximum",  "minLength",        "maxLength", "pattern",  "minProperties",
    "maxProperties", "title",    "default",          "example",
};
constexpr int kMaxSchemaDepth = 32;  // bounds $ref cycles and hostile nesting

json::object gemini_schema(const json::object& schema, const json::object* definitions, int depth);

json::value gemini_subschema(const json::value& value, const json::object* definitions, int depth) {
  const auto* object = value.if_object();
  if (!object || object->empty())
    return json::object{{"type", "object"}};  // `items: {}` and the like
  return gemini_schema(*object, definitions, depth + 1);
}

// LiteLLM's _build_vertex_schema, in one pass: $ref inlined from $defs, `null` in anyOf or in a
// type array turned into `nullable`, type arrays into anyOf, `format` kept only where Gemini
// knows it, `type: object` added where properties are, every other unknown key dropped.
json::object gemini_schema(const json::object& schema, const json::object* definitions, int depth) {
  if (depth > kMaxSchemaDepth) return json::object{{"type", "object"}};
  if (const auto ref = string_or_empty(schema.if_contains("$ref")); !ref.empty()) {
    const auto name = ref.substr(ref.rfind('/') + 1);
    const auto* target = definitions ? object_or_null(definitions->if_contains(name)) : nullptr;
    if (target) return gemini_schema(*target, definitions, depth + 1);
    return json::object{{"type", "object"}};
  }
  json::object out;
  for (const auto& [key, value] : schema) {
    if (key == "properties" && value.is_object()) {
      json::object properties;
      for (const auto& [name, property] : value.get_object())
        properties[name] = gemini_subschema(property, definitions, depth);
      out["properties"] = std::move(properties);
    } else if (key == "items" && value.is_object()) {
      out["items"] = gemini_subschema(value, definitions, depth);
    } else if ((key == "anyOf" || key == "oneOf") && value.is_array()) {
      json::array branches;
      for (const auto& branch : value.get_array()) {
        const auto* object = branch.if_object();
        if (object && string_or_empty(object->if_contains("type")) == "null" &&
            object->size() == 1) {
          out["nullable"] = true;
          continue;
        }
        branches.push_back(gemini_subschema(branch, definitions, depth));
      }
      if (!branches.empty()) out["anyOf"] = std::move(branches);
    } else if (key == "type" && value.is_array()) {
      json::array types;
      for (const auto& type : value.get_array()) {
        if (type.is_string() && type.get_string() == "null")
          out["nullable"] = true;
        else
          types.push_back(type);
      }
      if (types.size() == 1) {
        out["type"] = types.front();
      } else if (types.size() > 1) {
        json::array branches;
        for (const auto& type : types) branches.push_back(json::object{{"type", type}});
        out["anyOf"] = std::move(branches);
      }
    } else if (key == "format") {
      const auto format = string_or_empty(&value);
      if (format == "enum" || format == "date-time") out["format"] = value;
    } else if (std::ranges::find(kSchemaKeys, std::string_view(key)) != std::end(kSchemaKeys)) {
      out[key] = value;
    }
  }
  if (out.contains("anyOf")) {  // Gemini refuses anyOf next to a type
    out.erase("type");
    out.erase("properties");
    out.erase("items");
  } else if (out.contains("properties") && !out.contains("type")) {
    out["type"] = "object";
  }
  return out;
}

}  // namespace

json::object gemini_schema(const json::object& schema) {
  const auto* definitions = object_or_null(schema.if_contains("$defs"));
  if (!definitions) definitions = object_or_null(schema.if_contains("definitions"));
  return gemini_schema(schema, definitions, 0);
}

}  // namespace gemini
}  // namespace llmux::providers
