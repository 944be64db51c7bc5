// The module's lifecycle: Initialize (once per load, in every isolate that
// loads it), the per-isolate AddonState and its teardown, the exported
// constants, copies of fringe sharing one isolate, and statistics. The
// stacks and generators add their own functions (binding_stacks.cc,
// binding_generators.cc).

#include <dlfcn.h>
#include <node.h>
#include <uv.h>
#include <v8.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "binding.h"
#include "native_bench.h"
#include "runtime.h"
#include "test_hooks.h"
#include "v8/v8_compat.h"

namespace fringe {
namespace binding {

void ThrowUnsupportedRuntime(AddonState* state, v8::Isolate* isolate) {
  ThrowContractError(isolate, ErrorId::kUnsupportedRuntime, {{"reason", state->unsupported_reason}});
}

v8::Local<v8::Function> SetMethod(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
                                  v8::FunctionCallback callback, v8::Local<v8::Value> data) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::FunctionTemplate> t =
      v8::FunctionTemplate::New(isolate, callback, data, v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow,
                                v8::SideEffectType::kHasSideEffect);
  v8::Local<v8::Function> fn = t->GetFunction(context).ToLocalChecked();
  fn->SetName(String(isolate, name));
  target->Set(context, String(isolate, name), fn).Check();
  return fn;
}

v8::Local<v8::Object> Record(AddonState* state, v8::Isolate* isolate, std::initializer_list<const char*> fields,
                             v8::Local<v8::Value>* values) {
  constexpr std::size_t kMaximumFields = 12;
  v8::Local<v8::Name> keys[kMaximumFields];
  std::size_t count = 0;
  for (const char* field : fields) {
    if (count == kMaximumFields) break;
    v8::Local<v8::String> key;
    // By the literal's address: each call site passes the same pointers.
    for (const auto& [name, interned] : state->record_keys) {
      if (name == field) {
        key = interned.Get(isolate);
        break;
      }
    }
    if (key.IsEmpty()) {
      key = v8::String::NewFromUtf8(isolate, field, v8::NewStringType::kInternalized).ToLocalChecked();
      state->record_keys.emplace_back(field, v8::Global<v8::String>(isolate, key));
    }
    keys[count++] = key;
  }
  // No prototype: a record is data for lib, and reading a field never
  // reaches Object.prototype.
  return v8::Object::New(isolate, v8::Null(isolate), keys, values, count);
}

namespace {

// One AddonState per isolate, shared by every load of the module in it
// (Node runs a context-aware addon's initializer again when a cleared
// require cache loads it anew).
std::mutex states_mutex;
std::map<v8::Isolate*, AddonState*> states;

// --- Copies -------------------------------------------------------------------
//
// npm installs two copies of fringe when an app and one of its dependencies
// need different versions: two addon files, each loaded by the dynamic
// linker as a library of its own, with its own statics. Two Runtimes in one
// isolate break each other as soon as they nest (each archives and restores
// V8's thread state and checks cppgc's stack start by its own bookkeeping,
// and each keeps its own async-id checks), so the first copy loaded in an
// isolate owns the switching, and a later copy uses it: its lib hands out
// the owner's library (index.ts), so every generator of the isolate belongs
// to one Runtime, whichever copy the code that made it required.
//
// The copies meet through a private property (v8::Private::ForApi: the same
// key for every copy in the isolate, invisible to JavaScript) on the global
// object of the environment's main context, where Node initializes every
// addon. It holds a plain object:
//   interface  kLibraryInterface of the owner
//   addon      the owner's addon file
//   package    the owner's package directory (lib's claimPackage())
//   exports    the owner's library (shareLibrary())
// A copy whose kLibraryInterface differs from the owner's cannot use its
// library: it loads with supported === false and a reason naming both.

// What a later copy relies on when it hands out the owner's library: the
// registry's fields above, and the public API of lib/index.ts with its
// semantics. Raise it when either changes incompatibly. 2: report() and
// Generator#stackTrace() (a later copy must not hand out a library
// without them).
constexpr int kLibraryInterface = 2;

std::string AddonPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&AddonPath), &info) != 0 && info.dli_fname != nullptr) return info.dli_fname;
  return "(unknown)";
}

// The interface this copy claims. FRINGE_TEST_LIBRARY_INTERFACE=<addon
// file>=<n> makes the copy loaded from that file claim n (the tests' way to
// install two copies that disagree without building two versions).
int LibraryInterface() {
  const char* test = std::getenv("FRINGE_TEST_LIBRARY_INTERFACE");
  if (test == nullptr) return kLibraryInterface;
  std::string spec(test);
  std::size_t eq = spec.rfind('=');
  if (eq == std::string::npos || spec.substr(0, eq) != AddonPath()) return kLibraryInterface;
  return std::atoi(spec.c_str() + eq + 1);
}

v8::Local<v8::Private> RegistryKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, String(isolate, "fringe.copies.v1"));
}

v8::Local<v8::Object> Registry(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::Value> value;
  if (context->Global()->GetPrivate(context, RegistryKey(isolate)).ToLocal(&value) && value->IsObject()) {
    return value.As<v8::Object>();
  }
  return v8::Local<v8::Object>();
}

v8::Local<v8::Value> Field(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* name) {
  v8::Local<v8::Value> value;
  if (!object->Get(context, String(IsolateOf(context), name)).ToLocal(&value)) return v8::Undefined(IsolateOf(context));
  return value;
}

std::string Text(v8::Isolate* isolate, v8::Local<v8::Value> value, const char* otherwise) {
  if (!value->IsString()) return otherwise;
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 != nullptr ? std::string(*utf8) : otherwise;
}

void MakeRegistry(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::Object> registry = v8::Object::New(isolate);
  registry->Set(context, String(isolate, "interface"), v8::Integer::New(isolate, LibraryInterface())).Check();
  registry->Set(context, String(isolate, "addon"), String(isolate, AddonPath().c_str())).Check();
  context->Global()->SetPrivate(context, RegistryKey(isolate), registry).Check();
}

// claimPackage(dir): lib/binding.ts names this copy's package directory. The
// owner records it; a guest that disagrees gets a reason naming both
// packages (and supported stays false).
void ClaimPackage(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) return ThrowArgType(state, isolate, "dir", Expected::kString, info[0]);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> registry = Registry(context);
  if (registry.IsEmpty()) return;
  if (!state->guest) {
    if (Field(context, registry, "package")->IsUndefined()) registry->Set(context, String(isolate, "package"), info[0]).Check();
    return;
  }
  if (state->agrees) return;
  std::string reason = "another copy of fringe owns generators in this thread: " +
                       Text(isolate, Field(context, registry, "package"), "(a package still loading)") +
                       " (library interface " + std::to_string(Field(context, registry, "interface")->Int32Value(context).FromMaybe(0)) +
                       ") was loaded first, and this copy, " + Text(isolate, info[0], "?") + " (library interface " +
                       std::to_string(LibraryInterface()) +
                       "), cannot use it; install one version of fringe (npm dedupe, or overrides in package.json)";
  state->unsupported_reason = reason;
  info.GetReturnValue().Set(String(isolate, reason.c_str()));
}

// shareLibrary(exports): the library every copy of lib in this isolate
// hands out: the first copy's exports (`exports` itself the first time).
// That is also what a copy loaded again from a cleared require cache gets,
// and a later installed copy whose library interface agrees.
void ShareLibrary(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsObject()) return ThrowArgType(state, isolate, "exports", Expected::kObject, info[0]);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (state->guest) {
    v8::Local<v8::Object> registry = Registry(context);
    v8::Local<v8::Value> shared = registry.IsEmpty() ? v8::Local<v8::Value>() : Field(context, registry, "exports");
    info.GetReturnValue().Set(state->agrees && !shared.IsEmpty() && shared->IsObject() ? shared : info[0]);
    return;
  }
  if (state->library.IsEmpty()) {
    state->library.Reset(isolate, info[0].As<v8::Object>());
    v8::Local<v8::Object> registry = Registry(context);
    if (!registry.IsEmpty()) registry->Set(context, String(isolate, "exports"), info[0]).Check();
  }
  info.GetReturnValue().Set(state->library.Get(isolate));
}


// stats(): counters of this isolate's generators and stacks, for tests and
// diagnostics (all 0 without a Runtime).
void Stats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = state->runtime.get();
  auto number = [&](auto value) -> v8::Local<v8::Value> { return v8::Number::New(isolate, static_cast<double>(value)); };
  v8::Local<v8::Value> values[] = {
      number(runtime ? runtime->live_coroutines() : 0),
      number(runtime ? runtime->pooled() : 0),
      number(runtime ? runtime->pool_limit() : 0),
      number(runtime ? runtime->scavenge_filter().settled() : 0),             // archived states scavenges may skip
      number(runtime ? runtime->scavenge_filter().filtered_scavenges() : 0),  // scavenges that skipped some
      number(runtime ? runtime->scavenge_filter().skipped_states() : 0),      // states they skipped
      number(MappingBudget::Held()),  // kernel mappings held by stacks, process-wide
      number(BudgetedStack::page_release_calls()),  // system calls that gave stacks' pages back (freed, trimmed)
      number(BudgetedStack::page_release_slots()),  // the slots they covered
      number(runtime ? runtime->trimmed_stacks() : 0),  // idle stacks whose deep pages went back
  };
  v8::Local<v8::Object> stats = Record(state, isolate,
                                       {"liveGenerators", "pooledStacks", "poolLimit", "settledStates",
                                        "filteredScavenges", "skippedStates", "stackMappings", "pageReleaseCalls",
                                        "pageReleaseSlots", "trimmedStacks"},
                                       values);
  info.GetReturnValue().Set(stats);
}

// --- Module -----------------------------------------------------------------

void OnReapSignal(uv_async_t* handle) {
  auto* state = static_cast<AddonState*>(handle->data);
  if (!state->runtime || state->reaper.IsEmpty()) return;
  v8::Isolate* isolate = state->runtime->isolate();
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> reaper = state->reaper.Get(isolate);
  v8::Local<v8::Context> context = reaper->GetCreationContextChecked();
  v8::Context::Scope context_scope(context);
  node::MakeCallback(isolate, v8::Object::New(isolate), reaper, 0, nullptr, node::async_context{0, 0});
}

void Cleanup(void* data) {
  auto* state = static_cast<AddonState*>(data);
  std::lock_guard<std::mutex> lock(states_mutex);
  if (state->runtime) {
    states.erase(state->runtime->isolate());
    state->runtime->Teardown();
  } else {
    for (auto it = states.begin(); it != states.end(); ++it) {
      if (it->second == state) {
        states.erase(it);
        break;
      }
    }
  }
  // V8 handles go now, while the isolate lives; the uv handle closes later.
  state->runtime.reset();
  state->library.Reset();
  state->stack_template.Reset();
  state->record_keys.clear();
  state->generator_return.Reset();
  state->warn.Reset();
  state->reap.Reset();
  state->reaper.Reset();
  state->describe.Reset();
  state->crossed.Reset();
  if (state->reap_signal_open) {
    uv_close(reinterpret_cast<uv_handle_t*>(&state->reap_signal),
             [](uv_handle_t* handle) { delete static_cast<AddonState*>(handle->data); });
  } else {
    delete state;
  }
}

// Archived V8 threads and the wasm code GC do not mix: it aborts with
// "archived threads in combination with wasm not supported" when any
// archived thread exists (wasm-engine.cc). Without it, wasm code that is no
// longer used is freed only with its module. Called by the first load in an
// isolate, before its Runtime exists, and outside states_mutex (the tasks
// below may run JavaScript).
void StopWasmCodeGc(v8::Isolate* isolate) {
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  // The flag only stops new code GCs. One triggered before this load has
  // posted a task to this isolate's foreground queue, and that task calls
  // WasmEngine::ReportLiveCodeFromStackForGC, which aborts as above if it
  // runs while a generator is suspended -- even when the isolate has already
  // reported through the stack-guard interrupt (V8 no longer cancels the
  // task then). Running the queued foreground tasks now, while no archived
  // thread exists, makes such a task harmless (a late report is ignored).
  // The cost: V8 tasks already queued (GC steps, FinalizationRegistry
  // cleanups) run inside this require() rather than at the next loop turn.
  // The interrupt half is handled by the first stack check after the load,
  // before any generator can run.
  if (node::Environment* env = node::GetCurrentEnvironment(isolate->GetCurrentContext())) {
    if (node::MultiIsolatePlatform* platform = node::GetMultiIsolatePlatform(env)) platform->FlushForegroundTasks(isolate);
  }
}

// The isolate's AddonState; `created` tells whether this load made it. A
// guest (another copy owns the isolate) gets no Runtime.
AddonState* StateFor(v8::Isolate* isolate, bool* created, bool guest, bool agrees) {
  std::lock_guard<std::mutex> lock(states_mutex);
  auto it = states.find(isolate);
  *created = it == states.end();
  if (!*created) return it->second;
  auto* state = new AddonState();
  std::string error;
  if (guest) {
    state->guest = true;
    state->agrees = agrees;
    state->unsupported_reason = "another copy of fringe owns generators in this thread";
    state->status = new std::int32_t[kStatusSlotCount]();
    states[isolate] = state;
    return state;
  }
  state->runtime = Runtime::Create(isolate, &error);
  if (state->runtime) {
    state->runtime->set_owner(state);
  } else {
    state->unsupported_reason = error;
  }
  state->status = new std::int32_t[kStatusSlotCount]();
  // Switches made while a debugger is attached send lib to its slow resume
  // path, where it tags resumes for the inspector's async call stacks.
  if (state->runtime) {
    state->runtime->set_debugger_signal(&Status(state, StatusSlot::kSlowPath), SlowPathBit(SlowPathReason::kDebugger));
  }
  uv_loop_t* loop = node::GetCurrentEventLoop(isolate);
  if (state->runtime && loop != nullptr && uv_async_init(loop, &state->reap_signal, &OnReapSignal) == 0) {
    state->reap_signal.data = state;
    uv_unref(reinterpret_cast<uv_handle_t*>(&state->reap_signal));
    state->reap_signal_open = true;
  }
  states[isolate] = state;
  return state;
}

// Node unloads an addon (dlclose) when the worker thread that loaded it
// ends, but V8 still calls into it after that, while the worker's isolate is
// torn down: the status buffer's deleter, weak and GC callbacks. Keep the
// library mapped for the life of the process.
void PinLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr) {
      // A second reference that is never released; RTLD_NODELETE makes even
      // the loader's own dlclose leave the mapping in place.
      (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  });
}

}  // namespace

void Initialize(v8::Local<v8::Object> exports, v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  PinLibrary();
  bool first;
  {
    std::lock_guard<std::mutex> lock(states_mutex);
    first = states.find(isolate) == states.end();
  }
  // A first load of this addon file in the isolate: the isolate's owner,
  // unless another copy of fringe got there first.
  bool guest = false, agrees = false;
  if (first) {
    v8::Local<v8::Object> registry = Registry(context);
    if (registry.IsEmpty()) {
      StopWasmCodeGc(isolate);
      MakeRegistry(context);
    } else {
      guest = true;
      agrees = Field(context, registry, "interface")->StrictEquals(v8::Integer::New(isolate, LibraryInterface()));
    }
  }
  bool created;
  AddonState* state = StateFor(isolate, &created, guest, agrees);
  // Once per isolate: Node aborts on a second registration of the same hook.
  if (created) node::AddEnvironmentCleanupHook(isolate, &Cleanup, state);
  v8::Local<v8::External> data = v8::External::New(isolate, state);

  InitializeGenerators(context, exports, state, data);
  InitializeStacks(context, exports, state, data);
  SetMethod(context, exports, "shareLibrary", ShareLibrary, data);
  SetMethod(context, exports, "claimPackage", ClaimPackage, data);
  SetMethod(context, exports, "stats", Stats, data);
  InitializeNativeBench(context, exports);
  InitializeTestHooks(context, exports);
  ExportContract(context, exports);

  std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      state->status, kStatusSlotCount * sizeof(std::int32_t), [](void*, size_t, void*) {}, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, store);
  exports->Set(context, String(isolate, "status"), v8::Int32Array::New(buffer, 0, kStatusSlotCount)).Check();
  exports->Set(context, String(isolate, "supported"), v8::Boolean::New(isolate, state->runtime != nullptr)).Check();
  // Where V8's internals were found: "dynamic symbols" or ".symtab".
  exports->Set(context, String(isolate, "symbolSource"), String(isolate, V8Layout::Get().symbol_source())).Check();
  if (!state->runtime) {
    exports->Set(context, String(isolate, "unsupportedReason"), String(isolate, state->unsupported_reason.c_str()))
        .Check();
  }
  exports->Set(context, String(isolate, "debugStepping"),
               v8::Boolean::New(isolate, state->runtime != nullptr && state->runtime->debug_stepping()))
      .Check();
  // Where fibers' first handle blocks live: "stack" (V8Switch::InitStack),
  // or "v8" where V8's handle blocks could not be measured (and without a
  // runtime).
  exports->Set(context, String(isolate, "handleBlocks"),
               String(isolate, state->runtime != nullptr && state->runtime->handle_blocks_in_stacks() ? "stack" : "v8"))
      .Check();
  exports->Set(context, String(isolate, "minimumStackSize"),
               v8::Number::New(isolate, static_cast<double>(Runtime::kMinimumStackSize)))
      .Check();
  exports->Set(context, String(isolate, "defaultStackSize"), v8::Number::New(isolate, static_cast<double>(kDefaultStackSize)))
      .Check();
  exports->Set(context, String(isolate, "pageSize"), v8::Number::New(isolate, static_cast<double>(page_size()))).Check();
  // How stacks are guarded in this process (stack.hpp: probed once, or
  // forced to "mprotect" by FRINGE_STACK_GUARD=mprotect).
  exports->Set(context, String(isolate, "stackGuard"),
               String(isolate, guard_method() == GuardMethod::kGuardRegion ? "guard-region" : "mprotect"))
      .Check();
  // Whether freed stacks' pages go back many per system call (mapping_budget.h).
  exports->Set(context, String(isolate, "batchedPageRelease"), v8::Boolean::New(isolate, BudgetedStack::batched_page_release()))
      .Check();
}

}  // namespace binding
}  // namespace fringe

// Context-aware, so that worker threads can load it too (each isolate gets its
// own Runtime).
NODE_MODULE_INIT(/* exports, module, context */) { fringe::binding::Initialize(exports, context); }
