// Errors in the words of the contract (contract.h, generated from
// contract.json like lib/contract.ts): the addon and lib throw the same
// class, code and message for the same mistake, whichever of them sees it
// first. And the contract itself, exported for lib's check at load.

#include <string>

#include "binding.h"

namespace fringe {
namespace binding {
namespace {

// Fills the {name}s of a message template; a {name} without a parameter
// stays as it is (lib's format() does the same).
std::string Format(const char* text, ErrorParams params) {
  std::string out;
  for (const char* p = text; *p != '\0'; p++) {
    if (*p == '{') {
      const char* end = p + 1;
      while (*end != '\0' && *end != '}' && *end != '{') end++;
      if (*end == '}') {
        std::string name(p + 1, end);
        bool found = false;
        for (const auto& [key, value] : params) {
          if (name == key) {
            out += value;
            found = true;
            break;
          }
        }
        if (found) {
          p = end;
          continue;
        }
      }
    }
    out += *p;
  }
  return out;
}

void ThrowSpec(v8::Isolate* isolate, const ErrorSpec& spec, const std::string& message) {
  v8::Local<v8::String> text = String(isolate, message.c_str());
  v8::Local<v8::Value> error = spec.type == ErrorType::kTypeError    ? v8::Exception::TypeError(text)
                               : spec.type == ErrorType::kRangeError ? v8::Exception::RangeError(text)
                                                                     : v8::Exception::Error(text);
  // A data property, as lib's errors have: no setter on Error.prototype runs.
  error.As<v8::Object>()->CreateDataProperty(isolate->GetCurrentContext(), String(isolate, "code"), String(isolate, spec.code))
      .Check();
  isolate->ThrowException(error);
}

// How a received value reads in a message: lib's describe(), so that both
// sides say the same of it. Without lib (the private binding required on
// its own, or lib's hooks not yet set), only its type.
std::string Describe(AddonState* state, v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!state->describe.IsEmpty()) {
    v8::Local<v8::Value> described;
    // describe() never throws; a call that fails is a termination, and then
    // the message is never seen.
    if (state->describe.Get(isolate)->Call(context, v8::Undefined(isolate), 1, &value).ToLocal(&described) &&
        described->IsString()) {
      v8::String::Utf8Value utf8(isolate, described);
      if (*utf8 != nullptr) return *utf8;
    }
  }
  v8::String::Utf8Value type(isolate, value->TypeOf(isolate));
  return std::string("a value of type ") + (*type != nullptr ? *type : "?");
}

void ThrowArgument(AddonState* state, v8::Isolate* isolate, ErrorId id, const char* argument, Expected expected,
                   v8::Local<v8::Value> received, ErrorParams params) {
  const std::string what = Format(kExpected[static_cast<int>(expected)].text, params);
  const std::string got = Describe(state, isolate, received);
  const ErrorSpec& spec = kErrors[static_cast<int>(id)];
  ThrowSpec(isolate, spec, Format(spec.message, {{"argument", argument}, {"expected", what}, {"received", got}}));
}

}  // namespace

void ThrowContractError(v8::Isolate* isolate, ErrorId id, ErrorParams params) {
  const ErrorSpec& spec = kErrors[static_cast<int>(id)];
  ThrowSpec(isolate, spec, Format(spec.message, params));
}

void ThrowArgType(AddonState* state, v8::Isolate* isolate, const char* argument, Expected expected,
                  v8::Local<v8::Value> received, ErrorParams params) {
  ThrowArgument(state, isolate, ErrorId::kInvalidArgType, argument, expected, received, params);
}

void ThrowArgRange(AddonState* state, v8::Isolate* isolate, const char* argument, Expected expected,
                   v8::Local<v8::Value> received, ErrorParams params) {
  ThrowArgument(state, isolate, ErrorId::kArgOutOfRange, argument, expected, received, params);
}

// binding.contract: { digest, enums, limits, expected, errors }, in the order
// and shape of lib's CONTRACT (lib/contract.ts), built from the constants
// this addon compiles with.
void ExportContract(v8::Local<v8::Context> context, v8::Local<v8::Object> exports) {
  v8::Isolate* isolate = IsolateOf(context);
  auto set = [&](v8::Local<v8::Object> object, const char* key, v8::Local<v8::Value> value) {
    object->CreateDataProperty(context, String(isolate, key), value).Check();
  };
  v8::Local<v8::Object> contract = v8::Object::New(isolate);
  set(contract, "digest", String(isolate, kContractDigest));
  v8::Local<v8::Object> enums = v8::Object::New(isolate);
  for (const ContractEnum& e : kContractEnums) {
    v8::Local<v8::Object> members = v8::Object::New(isolate);
    for (int i = 0; i < e.count; i++) set(members, e.members[i].name, v8::Integer::New(isolate, e.members[i].value));
    set(enums, e.name, members);
  }
  set(contract, "enums", enums);
  v8::Local<v8::Object> limits = v8::Object::New(isolate);
  for (const ContractLimit& limit : kContractLimits) {
    set(limits, limit.name, v8::Number::New(isolate, static_cast<double>(limit.value)));
  }
  set(contract, "limits", limits);
  v8::Local<v8::Object> expected = v8::Object::New(isolate);
  for (const ExpectedSpec& phrase : kExpected) set(expected, phrase.id, String(isolate, phrase.text));
  set(contract, "expected", expected);
  v8::Local<v8::Object> errors = v8::Object::New(isolate);
  for (const ErrorSpec& spec : kErrors) {
    v8::Local<v8::Object> entry = v8::Object::New(isolate);
    set(entry, "type",
        String(isolate, spec.type == ErrorType::kTypeError    ? "TypeError"
                        : spec.type == ErrorType::kRangeError ? "RangeError"
                                                              : "Error"));
    set(entry, "code", String(isolate, spec.code));
    set(entry, "message", String(isolate, spec.message));
    set(errors, spec.id, entry);
  }
  set(contract, "errors", errors);
  set(exports, "contract", contract);
}

}  // namespace binding
}  // namespace fringe
