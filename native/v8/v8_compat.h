// The few places where V8's public API differs between the Node versions
// fringe supports (20 to 26), behind one spelling.

#ifndef FRINGE_V8_V8_COMPAT_H
#define FRINGE_V8_V8_COMPAT_H

#include <v8.h>

namespace fringe {

// V8 14 tags the pointers kept in internal fields with a type, checked when
// they are read back (V8's sandbox), and drops the untagged calls.
inline void* GetInternalPointer(v8::Local<v8::Object> object, int index) {
#if V8_MAJOR_VERSION >= 14
  return object->GetAlignedPointerFromInternalField(index, v8::kEmbedderDataTypeTagDefault);
#else
  return object->GetAlignedPointerFromInternalField(index);
#endif
}

inline void SetInternalPointer(v8::Local<v8::Object> object, int index, void* value) {
#if V8_MAJOR_VERSION >= 14
  object->SetAlignedPointerInInternalField(index, value, v8::kEmbedderDataTypeTagDefault);
#else
  object->SetAlignedPointerInInternalField(index, value);
#endif
}

// V8 14 removed Context::GetIsolate(); a context is only ever used on the
// isolate's own thread, where Isolate::GetCurrent() is that isolate.
inline v8::Isolate* IsolateOf(v8::Local<v8::Context> context) {
#if V8_MAJOR_VERSION >= 14
  (void)context;
  return v8::Isolate::GetCurrent();
#else
  return context->GetIsolate();
#endif
}

// The isolate's continuation-preserved embedder data: where Node 24+ keeps
// the current AsyncContextFrame (AsyncLocalStorage's stores). An isolate
// field from V8 12 (a context one in V8 11); V8 14 takes any v8::Data.
inline v8::Local<v8::Data> GetContinuationData(v8::Isolate* isolate) {
#if V8_MAJOR_VERSION >= 14
  return isolate->GetContinuationPreservedEmbedderDataV2();
#elif V8_MAJOR_VERSION >= 12
  return isolate->GetContinuationPreservedEmbedderData();
#else
  return isolate->GetCurrentContext()->GetContinuationPreservedEmbedderData();
#endif
}

inline void SetContinuationData(v8::Isolate* isolate, v8::Local<v8::Data> data) {
#if V8_MAJOR_VERSION >= 14
  isolate->SetContinuationPreservedEmbedderDataV2(data);
#elif V8_MAJOR_VERSION >= 12
  isolate->SetContinuationPreservedEmbedderData(data.As<v8::Value>());
#else
  isolate->GetCurrentContext()->SetContinuationPreservedEmbedderData(data.As<v8::Value>());
#endif
}

}  // namespace fringe

#endif  // FRINGE_V8_V8_COMPAT_H
