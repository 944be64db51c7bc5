// Symbol.dispose in the declarations, for every consumer. The classes here
// declare [Symbol.dispose]() (so `using` works where the language has it);
// TypeScript knows Symbol.dispose only from lib esnext.disposable or
// @types/node, and a consumer with neither (`tsc --strict --target es2022`)
// would fail inside fringe's own .d.ts files. This is the declaration both of
// those carry: identical declarations merge, so it adds nothing where they
// are present. At run time Node 20 and later define Symbol.dispose.

declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export {};
