// The WebAssembly JS API as Node 20 provides it. The project compiles against lib es2023 without
// "dom", where TypeScript has no WebAssembly declarations, so the part the translator, the map
// memory of loaded objects and the runtime use is declared here, once, for the whole tree.

declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | Table | number | bigint;
  type Imports = Record<string, Record<string, ImportValue>>;
  type ExportValue = Function | Global | Memory | Table;

  interface ModuleImportDescriptor {
    module: string;
    name: string;
    kind: 'function' | 'table' | 'memory' | 'global';
  }
  interface ModuleExportDescriptor {
    name: string;
    kind: 'function' | 'table' | 'memory' | 'global';
  }
  interface Module {}
  var Module: {
    prototype: Module;
    new (bytes: ArrayBufferView | ArrayBuffer): Module;
    imports(module: Module): ModuleImportDescriptor[];
    exports(module: Module): ModuleExportDescriptor[];
  };

  interface Instance {
    readonly exports: Record<string, ExportValue>;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, imports?: Imports): Instance;
  };

  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  interface Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  var Memory: {
    prototype: Memory;
    new (descriptor: MemoryDescriptor): Memory;
  };

  type ValueType = 'i32' | 'i64' | 'f32' | 'f64';
  interface GlobalDescriptor {
    value: ValueType;
    mutable?: boolean;
  }
  interface Global {
    value: number | bigint;
    valueOf(): number | bigint;
  }
  var Global: {
    prototype: Global;
    new (descriptor: GlobalDescriptor, value?: number | bigint): Global;
  };

  interface Table {
    readonly length: number;
  }
  var Table: {
    prototype: Table;
  };

  interface CompileError extends Error {}
  var CompileError: { prototype: CompileError; new (message?: string): CompileError };
  interface LinkError extends Error {}
  var LinkError: { prototype: LinkError; new (message?: string): LinkError };
  interface RuntimeError extends Error {}
  var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };

  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
