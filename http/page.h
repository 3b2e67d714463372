// The status page: one HTML document with its CSS and JavaScript inline
// (http/page.html, embedded at build time). It loads nothing from anywhere
// and reads the daemon's /api/* only.
#pragma once

#include <string_view>

namespace pairgate::http {

std::string_view status_page();

}  // namespace pairgate::http
