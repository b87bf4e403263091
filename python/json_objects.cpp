#include "json_objects.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

namespace llmux::python {

namespace py = pybind11;

namespace {

// Deeper values are refused rather than recursed into (a value that contains itself included).
constexpr int kMaxDepth = 1000;

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && c != '"' && c != '\\') {
      out.push_back(c);
      continue;
    }
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      default:
        out.append("u00");
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xF]);
    }
  }
  out.push_back('"');
}

void append_str(std::string& out, PyObject* text) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text, &size);
  if (!data) throw py::error_already_set();
  append_escaped(out, std::string_view(data, static_cast<std::size_t>(size)));
}

void append_key(std::string& out, PyObject* key) {
  if (!PyUnicode_Check(key)) {
    throw py::type_error("keys must be str, not " + std::string(Py_TYPE(key)->tp_name));
  }
  append_str(out, key);
  out.push_back(':');
}

void append_int(std::string& out, PyObject* number) {
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(number, &overflow);
  if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow == 0) {
    char digits[24];
    const auto written = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, written.ptr);
    return;
  }
  // int's own text (a subclass's repr could be a name, as IntEnum's is).
  py::str text = py::reinterpret_steal<py::str>(PyLong_Type.tp_repr(number));
  if (!text) throw py::error_already_set();
  out.append(text.cast<std::string_view>());
}

void append_float(std::string& out, PyObject* number) {
  const double value = PyFloat_AsDouble(number);
  if (value == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (!std::isfinite(value))
    throw py::value_error("Out of range float values are not JSON compliant");
  // float's repr: the shortest text that reads back as the same value, as json.dumps writes it.
  std::unique_ptr<char, decltype(&PyMem_Free)> text(
      PyOS_double_to_string(value, 'r', 0, Py_DTSF_ADD_DOT_0, nullptr), &PyMem_Free);
  if (!text) throw py::error_already_set();
  out.append(text.get());
}

void append_value(std::string& out, PyObject* value, int depth) {
  if (depth > kMaxDepth) throw py::value_error("the request is nested too deeply");
  if (PyUnicode_Check(value)) return append_str(out, value);
  if (PyDict_Check(value)) {
    out.push_back('{');
    Py_ssize_t position = 0;
    PyObject* key = nullptr;
    PyObject* item = nullptr;
    bool first = true;
    while (PyDict_Next(value, &position, &key, &item)) {
      if (!first) out.push_back(',');
      first = false;
      append_key(out, key);
      append_value(out, item, depth + 1);
    }
    out.push_back('}');
    return;
  }
  if (PyList_Check(value) || PyTuple_Check(value)) {
    const bool list = PyList_Check(value);
    const Py_ssize_t size = list ? PyList_GET_SIZE(value) : PyTuple_GET_SIZE(value);
    out.push_back('[');
    for (Py_ssize_t i = 0; i < size; ++i) {
      if (i > 0) out.push_back(',');
      append_value(out, list ? PyList_GET_ITEM(value, i) : PyTuple_GET_ITEM(value, i), depth + 1);
    }
    out.push_back(']');
    return;
  }
  if (value == Py_None) return out.append("null"), void();
  if (value == Py_True) return out.append("true"), void();
  if (value == Py_False) return out.append("false"), void();
  if (PyLong_Check(value)) return append_int(out, value);
  if (PyFloat_Check(value)) return append_float(out, value);
  throw py::type_error("Object of type " + std::string(Py_TYPE(value)->tp_name) +
                       " is not JSON serializable");
}

// boost::json::basic_parser's handler that builds the Python objects as the text is read.
class ObjectBuilder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  ObjectBuilder(PyTypeObject* object_class, PyTypeObject* top_class)
      : object_class_(object_class), top_class_(top_class) {}

  py::object take_result() { return std::move(result_); }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }

  bool on_object_begin(boost::system::error_code& ec) {
    PyTypeObject* type = stack_.empty() && top_class_ ? top_class_ : object_class_;
    auto made = py::reinterpret_steal<py::object>(type->tp_new(type, no_arguments_.ptr(), nullptr));
    return open(std::move(made), ec);
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) { return close(ec); }
  bool on_array_begin(boost::system::error_code& ec) {
    return open(py::reinterpret_steal<py::object>(PyList_New(0)), ec);
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) { return close(ec); }

  bool on_key_part(std::string_view part, std::size_t, boost::system::error_code&) {
    text_.append(part);
    return true;
  }
  bool on_key(std::string_view last, std::size_t, boost::system::error_code& ec) {
    stack_.back().key = decode(last);
    return stack_.back().key || failed(ec);
  }
  bool on_string_part(std::string_view part, std::size_t, boost::system::error_code&) {
    text_.append(part);
    return true;
  }
  bool on_string(std::string_view last, std::size_t, boost::system::error_code& ec) {
    return add(decode(last), ec);
  }

  bool on_number_part(std::string_view part, boost::system::error_code&) {
    number_.append(part);
    return true;
  }
  bool on_int64(std::int64_t value, std::string_view, boost::system::error_code& ec) {
    number_.clear();
    return add(py::reinterpret_steal<py::object>(PyLong_FromLongLong(value)), ec);
  }
  bool on_uint64(std::uint64_t value, std::string_view, boost::system::error_code& ec) {
    number_.clear();
    return add(py::reinterpret_steal<py::object>(PyLong_FromUnsignedLongLong(value)), ec);
  }
  // Read from the number's text as Python reads it (json.loads gives the same value, and an
  // integer too large for 64 bits stays an int).
  bool on_double(double, std::string_view last, boost::system::error_code& ec) {
    number_.append(last);
    py::object value;
    if (number_.find_first_of(".eE") == std::string::npos) {
      value = py::reinterpret_steal<py::object>(PyLong_FromString(number_.c_str(), nullptr, 10));
    } else {
      const double read = PyOS_string_to_double(number_.c_str(), nullptr, nullptr);
      if (!(read == -1.0 && PyErr_Occurred()))
        value = py::reinterpret_steal<py::object>(PyFloat_FromDouble(read));
    }
    number_.clear();
    return add(std::move(value), ec);
  }
  bool on_bool(bool value, boost::system::error_code& ec) {
    return add(py::reinterpret_borrow<py::object>(value ? Py_True : Py_False), ec);
  }
  bool on_null(boost::system::error_code& ec) {
    return add(py::reinterpret_borrow<py::object>(Py_None), ec);
  }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    py::object container;  // an object_class (or top_class) instance, or a list
    py::object key;        // the key whose value comes next, in an object
  };

  // A Python call failed: its exception stays set and the parse stops.
  static bool failed(boost::system::error_code& ec) {
    ec = boost::json::error::exception;
    return false;
  }

  py::object decode(std::string_view last) {
    PyObject* decoded = nullptr;
    if (text_.empty()) {
      decoded = PyUnicode_DecodeUTF8(last.data(), static_cast<Py_ssize_t>(last.size()), nullptr);
    } else {
      text_.append(last);
      decoded = PyUnicode_DecodeUTF8(text_.data(), static_cast<Py_ssize_t>(text_.size()), nullptr);
      text_.clear();
    }
    return py::reinterpret_steal<py::object>(decoded);
  }

  bool open(py::object container, boost::system::error_code& ec) {
    if (!container) return failed(ec);
    stack_.push_back(Frame{.container = std::move(container), .key = {}});
    return true;
  }

  bool close(boost::system::error_code& ec) {
    py::object done = std::move(stack_.back().container);
    stack_.pop_back();
    return add(std::move(done), ec);
  }

  bool add(py::object value, boost::system::error_code& ec) {
    if (!value) return failed(ec);
    if (stack_.empty()) {
      result_ = std::move(value);
      return true;
    }
    Frame& frame = stack_.back();
    const int added = frame.key
                          ? PyDict_SetItem(frame.container.ptr(), frame.key.ptr(), value.ptr())
                          : PyList_Append(frame.container.ptr(), value.ptr());
    frame.key = py::object();
    return added == 0 || failed(ec);
  }

  PyTypeObject* object_class_;
  PyTypeObject* top_class_;
  py::tuple no_arguments_;
  std::vector<Frame> stack_;
  std::string text_;    // a string's or key's parts so far, when it came in pieces
  std::string number_;  // a number's parts so far
  py::object result_;
};

PyTypeObject* dict_class(py::handle type) {
  if (!PyType_Check(type.ptr()) ||
      !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(type.ptr()), &PyDict_Type)) {
    throw py::type_error("the class of JSON objects must be a dict subclass");
  }
  return reinterpret_cast<PyTypeObject*>(type.ptr());
}

}  // namespace

void append_json(std::string& out, py::handle value) { append_value(out, value.ptr(), 0); }

std::string request_body(py::handle model, py::dict fields, py::object api_base, py::object api_key,
                         py::frozenset skipped) {
  std::string body = "{\"model\":";
  append_json(body, model);
  for (auto [key, value] : fields) {
    if (value.is_none() || skipped.contains(key)) continue;
    body.push_back(',');
    append_key(body, key.ptr());
    append_value(body, value.ptr(), 1);
  }
  if (py::bool_(api_base)) {
    body.append(",\"api_base\":");
    append_json(body, api_base);
  }
  if (py::bool_(api_key)) {
    body.append(",\"api_key\":");
    append_json(body, api_key);
  }
  body.push_back('}');
  return body;
}

py::object parse_json(std::string_view text, py::handle object_class, py::handle top_class) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::json::basic_parser<ObjectBuilder> parser(
      options, dict_class(object_class), top_class.is_none() ? nullptr : dict_class(top_class));
  boost::system::error_code ec;
  const std::size_t read = parser.write_some(false, text.data(), text.size(), ec);
  if (PyErr_Occurred()) throw py::error_already_set();
  if (ec) throw py::value_error("not JSON: " + ec.message());
  if (read != text.size()) throw py::value_error("not JSON: extra data after the value");
  return parser.handler().take_result();
}

}  // namespace llmux::python
