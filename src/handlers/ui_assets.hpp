// The admin page's files (the ui/ folder), compiled into the binary by cmake/embed_ui.cmake.
#pragma once

#include <span>
#include <string_view>

namespace llmux::handlers {

struct UiAsset {
  std::string_view name;  // the file's name in ui/, its path under /ui/
  std::string_view content_type;
  std::string_view body;
};

extern const std::span<const UiAsset> kUiAssets;

}  // namespace llmux::handlers
