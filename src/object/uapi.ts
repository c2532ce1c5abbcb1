// The numbers the loader needs from the ELF spec, include/uapi/linux/bpf.h and include/uapi/linux/btf.h.
// Kept here (not imported from src/maps) so the loader stands on its own, as objects.md asks; a few
// map-type numbers repeat src/maps/uapi.ts on purpose and the integrator may dedupe them.

// ---- ELF (elf.h) ----
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ET_REL = 1;
export const EM_BPF = 247;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;

// R_BPF_* (Documentation/bpf/llvm_reloc.rst).
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

// ---- BPF instructions ----
export const BPF_INSN_SIZE = 8;
/** BPF_LD | BPF_IMM | BPF_DW: the two-slot 64-bit immediate load. */
export const BPF_LD_IMM64 = 0x18;
/** BPF_JMP | BPF_CALL. */
export const BPF_CALL = 0x85;

// src_reg of ld_imm64.
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
// src_reg of call.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

// ---- enum bpf_map_type ----
export const BPF_MAP_TYPE_UNSPEC = 0;
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_LRU_HASH = 9;
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
export const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
export const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
export const BPF_MAP_TYPE_QUEUE = 22;
export const BPF_MAP_TYPE_STACK = 23;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_MAP_TYPE_BLOOM_FILTER = 30;
export const BPF_MAP_TYPE_USER_RINGBUF = 31;

// map_flags libbpf sets on global data maps.
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;

/** BPF_OBJ_NAME_LEN: map and program names are at most 15 characters plus a NUL. */
export const BPF_OBJ_NAME_LEN = 16;

/** libbpf's LIBBPF_PIN_BY_NAME; the only pinning value besides 0 (none). */
export const LIBBPF_PIN_BY_NAME = 1;

/**
 * KMALLOC_MAX_SIZE on x86-64 (order-10 pages): the kernel refuses an ARRAY value larger than this,
 * so a global data section past it could never become a map. Also bounds what .bss asks us to allocate.
 */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;

/** The page size libbpf rounds ring buffer sizes to (x86-64). */
export const PAGE_SIZE = 4096;

// ---- BTF kinds (include/uapi/linux/btf.h) ----
export const BTF_MAGIC = 0xeb9f;
export const BTF_KIND_UNKN = 0;
export const BTF_KIND_INT = 1;
export const BTF_KIND_PTR = 2;
export const BTF_KIND_ARRAY = 3;
export const BTF_KIND_STRUCT = 4;
export const BTF_KIND_UNION = 5;
export const BTF_KIND_ENUM = 6;
export const BTF_KIND_FWD = 7;
export const BTF_KIND_TYPEDEF = 8;
export const BTF_KIND_VOLATILE = 9;
export const BTF_KIND_CONST = 10;
export const BTF_KIND_RESTRICT = 11;
export const BTF_KIND_FUNC = 12;
export const BTF_KIND_FUNC_PROTO = 13;
export const BTF_KIND_VAR = 14;
export const BTF_KIND_DATASEC = 15;
export const BTF_KIND_FLOAT = 16;
export const BTF_KIND_DECL_TAG = 17;
export const BTF_KIND_TYPE_TAG = 18;
export const BTF_KIND_ENUM64 = 19;

// INT encoding bits.
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

// VAR linkage.
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;
