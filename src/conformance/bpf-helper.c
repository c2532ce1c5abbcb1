// bpf-helper: drives bpf(2) directly for the conformance runner, where bpftool cannot: per-CPU
// values that differ per CPU, BPF_F_LOCK (with a hand-built BTF for a value holding a
// bpf_spin_lock), any flag word, lookup-and-delete with a key, and the map fd that BPF_MAP_CREATE
// returned (a pinned map reopens read-write, so BPF_F_RDONLY/BPF_F_WRONLY only show on that fd).
//
// Built at test time with the machine's cc against <linux/bpf.h>. It reads one command per line
// on stdin and answers one line on stdout:
//   ok            ok <hex>            err <errno>            fail <why the command was bad>
//
// Commands (key "-" is a NULL pointer, "=" a pointer to zero bytes; flags are decimal u64; hex is
// lower-case, no spaces):
//   create <type> <key_size> <value_size> <max_entries> <map_flags> <name|-> <lock_offset|-1> <map_extra>
//   pin <path>        open <path>        close        cpu <n|-1>        freeze        info
//   lookup <key> <flags> <out_len> [<initial_hex>]     update <key> <value_hex> <flags>      delete <key>
//   getnext <key> <key_size>             lookupdelete <key> <flags> <out_len>
//   proglookup <key> <value_size>        a program's bpf_map_lookup_elem (BPF_PROG_TEST_RUN on this
//                                        CPU): ok <this CPU's value> or err 2 when it got NULL; a
//                                        program the verifier refuses (a map type programs may not
//                                        look up): err <BPF_PROG_LOAD's errno>, as for proginner and perfout
//   lookupbatch <delete 0|1> <in_batch|-> <count> <elem_flags> <flags> <key_size> <value_size> <out_len>
//                 -> ok <errno|0> <count> <out_batch|-> <keys|=> <values|=>   (out_batch "-": not written)
//   updatebatch <keys> <values> <count> <elem_flags> <flags>   -> ok <errno|0> <count>
//   deletebatch <keys> <count> <elem_flags> <flags>            -> ok <errno|0> <count>
//
// Objects a scenario names (maps, programs, perf events), kept open by label until closeobjs:
//   obj <label> map <type> <key_size> <value_size> <max_entries> <map_flags> <name|-> <inner label|->
//   obj <label> prog <type> [count <map label>] [tail <map label> <index>]... ret <n>
//                 a raw tracepoint (or other type) program: bump the u64 at key 0 of a map, tail-call
//                 into prog array slots in order, return n when every tail call fell through
//   obj <label> perf <cpu> <pages> <wakeup_events> <watermark 0|1> <wakeup_watermark> <overwrite 0|1> <config>
//                 a PERF_COUNT_SW_BPF_OUTPUT (config 10) or other software event on a CPU, mmap()ed
//                 (read-only with overwrite 1) and enabled, as libbpf's perf buffer opens one
//   use <label|->   the element commands work on that object map (- : the scenario's map again)
//   id <label>      ok <the object's kernel id> (a map's or program's id, a perf event's PERF_EVENT_IOC_ID)
//   closeobjs       close every object
// A value token "@<label>[,@<label>...]" stands for those objects' fds as u32s ("@#badfd": an fd
// that is not open). create takes an optional 9th argument: the inner map template's label.
//   progrun <label> <cpu|-1>                      BPF_PROG_TEST_RUN: ok <retval>
//   proginner <key> <inner key> <value_size>      a program's lookup through a map of maps:
//                                                 ok <the inner map's value> | err 2 (outer NULL) | ok inner-miss
//   perfout <cpu> <flags> <hex|=> <size>          a raw tracepoint program's bpf_perf_event_output into
//                                                 this map on that CPU: ok <return value>
//   perfread <label> <max|-1>                     ok <data_head> <data_tail> <hex of the records read>; moves data_tail
//   perfraw <label>                               ok <data_head> <data_tail> <hex of every data page>
//   perfpoll <label>                              ok 1 when poll(2) says POLLIN (and consumes it), else ok 0
//   perfctl <label> enable|disable|pause|resume   the event's ioctls

#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The fd element commands work on (the scenario's map, or an object map after `use`), and the scenario's map. */
static int map_fd = -1;
static int main_fd = -1;

enum { OBJ_MAP = 1, OBJ_PROG = 2, OBJ_PERF = 3 };
struct object { char label[32]; int kind; int fd; unsigned char *base; size_t len; size_t data_size; };
static struct object objs[64];
static int nobjs;

static struct object *find_obj(const char *label) {
  for (int i = 0; i < nobjs; i++) if (strcmp(objs[i].label, label) == 0) return &objs[i];
  return NULL;
}

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void reply_err(int e) { printf("err %d\n", e); }
static void reply_fail(const char *why) { printf("fail %s\n", why); }

static void reply_hex(const unsigned char *p, size_t n) {
  fputs("ok ", stdout);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  fputc('\n', stdout);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode hex into a fresh buffer; *len gets the byte count. "-" gives NULL with *len = 0. */
static unsigned char *unhex(const char *s, size_t *len, int *bad) {
  *bad = 0;
  *len = 0;
  if (strcmp(s, "-") == 0) return NULL;
  if (strcmp(s, "=") == 0) return calloc(1, 1); /* a valid pointer to zero bytes */
  size_t n = strlen(s);
  if (n % 2) { *bad = 1; return NULL; }
  unsigned char *b = calloc(n / 2 + 1, 1);
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) { free(b); *bad = 1; return NULL; }
    b[i] = (unsigned char)(hi << 4 | lo);
  }
  *len = n / 2;
  return b;
}

// ---- a minimal BTF blob: the value as a struct holding a bpf_spin_lock ---------------------------

struct blob { unsigned char *d; size_t n, cap; };

static void put(struct blob *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 256;
    b->d = realloc(b->d, b->cap);
  }
  memcpy(b->d + b->n, p, n);
  b->n += n;
}
static void put32(struct blob *b, __u32 v) { put(b, &v, 4); }

static void put_type(struct blob *b, __u32 name_off, __u32 kind, __u32 vlen, __u32 size_or_type) {
  struct btf_type t = { .name_off = name_off, .info = (kind << 24) | vlen, .size = size_or_type };
  put(b, &t, sizeof(t));
}

static void put_array(struct blob *b, __u32 elem, __u32 index, __u32 nelems) {
  put_type(b, 0, BTF_KIND_ARRAY, 0, 0);
  struct btf_array a = { .type = elem, .index_type = index, .nelems = nelems };
  put(b, &a, sizeof(a));
}

static void put_member(struct blob *b, __u32 name_off, __u32 type, __u32 bit_offset) {
  struct btf_member m = { .name_off = name_off, .type = type, .offset = bit_offset };
  put(b, &m, sizeof(m));
}

/*
 * Types: 1 u32, 2 u8, 3 struct bpf_spin_lock { u32 val; }, then u8 arrays for the key and for
 * the bytes before and after the lock, then struct v { u8 pre[]; bpf_spin_lock lock; u8 post[]; }.
 * Returns the BTF fd, and the key and value type ids.
 */
static int load_lock_btf(__u32 key_size, __u32 value_size, __u32 lock_off, __u32 *key_id, __u32 *value_id) {
  static const char strs[] = "\0u32\0u8\0bpf_spin_lock\0val\0v\0pre\0lock\0post";
  enum { S_U32 = 1, S_U8 = 5, S_LOCK_T = 8, S_VAL = 22, S_V = 26, S_PRE = 28, S_LOCK = 32, S_POST = 37 };
  struct blob t = { 0 };
  __u32 next = 1;
  put_type(&t, S_U32, BTF_KIND_INT, 0, 4); put32(&t, 32); next++;          /* 1 */
  put_type(&t, S_U8, BTF_KIND_INT, 0, 1); put32(&t, 8); next++;            /* 2 */
  put_type(&t, S_LOCK_T, BTF_KIND_STRUCT, 1, 4); put_member(&t, S_VAL, 1, 0); next++; /* 3 */
  *key_id = 0;
  if (key_size == 4) *key_id = 1;
  else if (key_size > 0) { put_array(&t, 2, 1, key_size); *key_id = next++; }
  __u32 pre_id = 0, post_id = 0, post_len = value_size - lock_off - 4;
  if (lock_off > 0) { put_array(&t, 2, 1, lock_off); pre_id = next++; }
  if (post_len > 0) { put_array(&t, 2, 1, post_len); post_id = next++; }
  __u32 vlen = 1 + (pre_id != 0) + (post_id != 0);
  put_type(&t, S_V, BTF_KIND_STRUCT, vlen, value_size);
  if (pre_id) put_member(&t, S_PRE, pre_id, 0);
  put_member(&t, S_LOCK, 3, lock_off * 8);
  if (post_id) put_member(&t, S_POST, post_id, (lock_off + 4) * 8);
  *value_id = next++;

  struct btf_header h = {
    .magic = BTF_MAGIC, .version = BTF_VERSION, .flags = 0, .hdr_len = sizeof(struct btf_header),
    .type_off = 0, .type_len = (__u32)t.n, .str_off = (__u32)t.n, .str_len = sizeof(strs),
  };
  struct blob all = { 0 };
  put(&all, &h, sizeof(h));
  put(&all, t.d, t.n);
  put(&all, strs, sizeof(strs));
  free(t.d);

  static char log[65536];
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.btf = (__u64)(uintptr_t)all.d;
  a.btf_size = (__u32)all.n;
  a.btf_log_buf = (__u64)(uintptr_t)log;
  a.btf_log_size = sizeof(log);
  a.btf_log_level = 1;
  log[0] = 0;
  int fd = (int)sys_bpf(BPF_BTF_LOAD, &a);
  int e = errno;
  free(all.d);
  if (fd < 0) {
    fprintf(stderr, "bpf-helper: BPF_BTF_LOAD failed (%s):\n%s\n", strerror(e), log);
    errno = e;
  }
  return fd;
}

// ---- commands ------------------------------------------------------------------------------------

static void close_map(void) {
  if (main_fd >= 0) close(main_fd);
  main_fd = -1;
  map_fd = -1;
}

static void close_objs(void) {
  for (int i = 0; i < nobjs; i++) {
    if (objs[i].base) munmap(objs[i].base, objs[i].len);
    if (objs[i].fd >= 0) close(objs[i].fd);
  }
  nobjs = 0;
  map_fd = main_fd;
}

/* BPF_MAP_CREATE from create's arguments: the fd, or -errno; -1000 when the arguments are bad (*why says). */
static int create_map(char **arg, int n, const char **why) {
  if (n != 8 && n != 9) { *why = "create takes 8 or 9 arguments"; return -1000; }
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = (__u32)strtoul(arg[0], NULL, 10);
  a.key_size = (__u32)strtoul(arg[1], NULL, 10);
  a.value_size = (__u32)strtoul(arg[2], NULL, 10);
  a.max_entries = (__u32)strtoul(arg[3], NULL, 10);
  a.map_flags = (__u32)strtoul(arg[4], NULL, 10);
  // Copy at most 16 bytes: a longer name arrives without its NUL, as the kernel must then see it.
  if (strcmp(arg[5], "-") != 0) {
    size_t len = strlen(arg[5]);
    memcpy(a.map_name, arg[5], len < sizeof(a.map_name) ? len : sizeof(a.map_name));
  }
  long lock_off = strtol(arg[6], NULL, 10);
  a.map_extra = strtoull(arg[7], NULL, 10);
  if (n == 9 && strcmp(arg[8], "-") != 0) {
    struct object *o = find_obj(arg[8]);
    if (!o) { *why = "no such inner map object"; return -1000; }
    a.inner_map_fd = (__u32)o->fd;
  }
  int btf_fd = -1;
  if (lock_off >= 0) {
    if ((__u64)lock_off + 4 > a.value_size) { *why = "lock offset outside the value"; return -1000; }
    __u32 kid, vid;
    btf_fd = load_lock_btf(a.key_size, a.value_size, (__u32)lock_off, &kid, &vid);
    if (btf_fd < 0) { *why = "BPF_BTF_LOAD failed"; return -1000; }
    a.btf_fd = (__u32)btf_fd;
    a.btf_key_type_id = kid;
    a.btf_value_type_id = vid;
  }
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  int e = errno;
  if (btf_fd >= 0) close(btf_fd);
  return fd < 0 ? -e : fd;
}

static void cmd_create(char **arg, int n) {
  const char *why = NULL;
  close_map();
  int fd = create_map(arg, n, &why);
  if (fd == -1000) return reply_fail(why);
  if (fd < 0) return reply_err(-fd);
  map_fd = main_fd = fd;
  printf("ok\n");
}

static void cmd_path(int cmd, char **arg, int n) {
  if (n != 1) return reply_fail("pin/open take a path");
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.pathname = (__u64)(uintptr_t)arg[0];
  if (cmd == BPF_OBJ_PIN) {
    if (map_fd < 0) return reply_fail("no map to pin");
    a.bpf_fd = (__u32)map_fd;
    if (sys_bpf(BPF_OBJ_PIN, &a) < 0) return reply_err(errno);
    printf("ok\n");
    return;
  }
  close_map();
  int fd = (int)sys_bpf(BPF_OBJ_GET, &a);
  if (fd < 0) return reply_err(errno);
  map_fd = main_fd = fd;
  printf("ok\n");
}

/* A value: hex, or "@label,@label,..." for those objects' fds as u32s ("@#badfd": an fd not open). */
static unsigned char *parse_value(const char *s, size_t *len, int *bad) {
  if (s[0] != '@') return unhex(s, len, bad);
  *bad = 0;
  size_t n = 1;
  for (const char *c = s; *c; c++) if (*c == ',') n++;
  unsigned char *b = calloc(n * 4 + 1, 1);
  char buf[256];
  strncpy(buf, s, sizeof(buf) - 1);
  buf[sizeof(buf) - 1] = 0;
  size_t i = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    __u32 fd;
    if (strcmp(tok, "@#badfd") == 0) fd = 0x7fffffff;
    else {
      struct object *o = tok[0] == '@' ? find_obj(tok + 1) : NULL;
      if (!o) { *bad = 1; free(b); return NULL; }
      fd = (__u32)o->fd;
    }
    memcpy(b + 4 * i++, &fd, 4);
  }
  *len = 4 * i;
  return b;
}

/* The element commands: lookup, update, delete, getnext, lookupdelete. */
static void cmd_elem(const char *op, char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  if (n < 1) return reply_fail("missing key");
  size_t klen, vlen = 0, out_len = 0;
  int bad;
  unsigned char *key = unhex(arg[0], &klen, &bad);
  unsigned char *val = NULL, *out = NULL;
  if (bad) return reply_fail("bad key hex");
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (__u32)map_fd;
  a.key = (__u64)(uintptr_t)key;
  int cmd;
  if (strcmp(op, "update") == 0) {
    if (n != 3) { free(key); return reply_fail("update takes key, value, flags"); }
    val = parse_value(arg[1], &vlen, &bad);
    if (bad || !val) { free(key); free(val); return reply_fail("bad value hex or object label"); }
    a.value = (__u64)(uintptr_t)val;
    a.flags = strtoull(arg[2], NULL, 10);
    cmd = BPF_MAP_UPDATE_ELEM;
  } else if (strcmp(op, "delete") == 0) {
    if (n != 1) { free(key); return reply_fail("delete takes a key"); }
    cmd = BPF_MAP_DELETE_ELEM;
  } else if (strcmp(op, "getnext") == 0) {
    if (n != 2) { free(key); return reply_fail("getnext takes key, key_size"); }
    out_len = strtoul(arg[1], NULL, 10);
    out = calloc(out_len + 1, 1);
    a.next_key = (__u64)(uintptr_t)out;
    cmd = BPF_MAP_GET_NEXT_KEY;
  } else {
    if (n != 3 && n != 4) { free(key); return reply_fail("lookup takes key, flags, out_len [, initial hex]"); }
    a.flags = strtoull(arg[1], NULL, 10);
    out_len = strtoul(arg[2], NULL, 10);
    out = calloc(out_len + 1, 1);
    if (n == 4) {
      /* What the buffer holds before the call: a bloom filter reads it as the value to test. */
      size_t ilen;
      unsigned char *init = unhex(arg[3], &ilen, &bad);
      if (bad || ilen > out_len) { free(key); free(out); free(init); return reply_fail("bad initial value hex"); }
      if (init) memcpy(out, init, ilen);
      free(init);
    }
    a.value = (__u64)(uintptr_t)out;
    cmd = strcmp(op, "lookup") == 0 ? BPF_MAP_LOOKUP_ELEM : BPF_MAP_LOOKUP_AND_DELETE_ELEM;
  }
  long r = sys_bpf(cmd, &a);
  int e = errno;
  if (r < 0) reply_err(e);
  else if (out) reply_hex(out, out_len);
  else printf("ok\n");
  free(key);
  free(val);
  free(out);
}

// ---- a program's lookup: the ref bit of LRU maps, the current CPU's slot of per-CPU maps ----------

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  return i;
}

static int ld_imm64(struct bpf_insn *p, __u8 dst, __u8 src, __u64 v) {
  p[0] = insn(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (__s32)(__u32)v);
  p[1] = insn(0, 0, 0, 0, (__s32)(__u32)(v >> 32));
  return 2;
}

/*
 * r9 = &out[0]; key on the stack; r0 = bpf_map_lookup_elem(map, key); NULL: return 1; else copy
 * value_size bytes of *r0 into out[0] and return 42. The verifier checks the program as the kernel
 * checks any other, and BPF_PROG_TEST_RUN runs it on this (pinned) CPU.
 */
/** BPF_PROG_TEST_RUN once over a zeroed 64-byte packet; closes prog_fd. 0 or the errno. */
static int test_run_once(int prog_fd, __u32 *retval) {
  unsigned char pkt[64] = { 0 };
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.test.prog_fd = (__u32)prog_fd;
  a.test.data_in = (__u64)(uintptr_t)pkt;
  a.test.data_size_in = sizeof(pkt);
  a.test.repeat = 1;
  long r = sys_bpf(BPF_PROG_TEST_RUN, &a);
  int e = errno;
  *retval = a.test.retval;
  close(prog_fd);
  return r < 0 ? e : 0;
}

/** The value a lookup program copied into its one-element output array (it returns 42 when it did); closes out_fd. */
static void reply_out(int out_fd, __u32 vs, __u32 retval) {
  unsigned char *val = calloc(vs, 1);
  __u32 zero = 0;
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (__u32)out_fd;
  a.key = (__u64)(uintptr_t)&zero;
  a.value = (__u64)(uintptr_t)val;
  long r = sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
  close(out_fd);
  if (r < 0 || retval != 42) { free(val); return reply_fail("the program did not run as written"); }
  reply_hex(val, vs);
  free(val);
}

static void cmd_proglookup(char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  if (n != 2) return reply_fail("proglookup takes key, value_size");
  size_t klen;
  int bad;
  unsigned char *key = unhex(arg[0], &klen, &bad);
  __u32 vs = (__u32)strtoul(arg[1], NULL, 10);
  if (bad || !key || klen == 0 || klen > 256 || vs == 0 || vs > 4096) { free(key); return reply_fail("bad key or value size"); }
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = vs;
  a.max_entries = 1;
  int out_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (out_fd < 0) { free(key); return reply_fail("cannot create the output array"); }
  size_t ks8 = (klen + 7) & ~(size_t)7;
  struct bpf_insn *p = calloc(16 + ks8 / 8 * 3 + 2 * (size_t)vs, sizeof(*p));
  int i = 0;
  i += ld_imm64(p + i, BPF_REG_9, BPF_PSEUDO_MAP_VALUE, (__u32)out_fd);
  i += ld_imm64(p + i, BPF_REG_1, BPF_PSEUDO_MAP_FD, (__u32)map_fd);
  for (size_t off = 0; off < ks8; off += 8) {
    __u64 chunk = 0;
    for (size_t b = 0; b < 8 && off + b < klen; b++) chunk |= (__u64)key[off + b] << (8 * b);
    i += ld_imm64(p + i, BPF_REG_3, 0, chunk);
    p[i++] = insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_3, (__s16)(off - ks8), 0);
  }
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -(__s32)ks8);
  p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  p[i++] = insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, (__s16)(2 * vs + 2), 0);
  for (__u32 b = 0; b < vs; b++) {
    p[i++] = insn(BPF_LDX | BPF_MEM | BPF_B, BPF_REG_1, BPF_REG_0, (__s16)b, 0);
    p[i++] = insn(BPF_STX | BPF_MEM | BPF_B, BPF_REG_9, BPF_REG_1, (__s16)b, 0);
  }
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 42);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

  static char log[65536];
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  a.insns = (__u64)(uintptr_t)p;
  a.insn_cnt = (__u32)i;
  a.license = (__u64)(uintptr_t)"GPL";
  a.log_buf = (__u64)(uintptr_t)log;
  a.log_size = sizeof(log);
  a.log_level = 1;
  log[0] = 0;
  int prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  int le = errno;
  free(p);
  free(key);
  if (prog_fd < 0) {
    // The verifier refusing the program (a map type programs may not look up) is the kernel's answer.
    close(out_fd);
    return reply_err(le);
  }
  __u32 retval;
  int e = test_run_once(prog_fd, &retval);
  if (e) { close(out_fd); return reply_err(e); }
  if (retval == 1) { close(out_fd); return reply_err(ENOENT); }
  reply_out(out_fd, vs, retval);
}

// ---- batch commands ------------------------------------------------------------------------------

static void print_hex(const unsigned char *p, size_t n) {
  if (n == 0) { fputc('=', stdout); return; }
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

/* BPF_MAP_LOOKUP_BATCH / BPF_MAP_LOOKUP_AND_DELETE_BATCH; out_batch starts as 0xa5 bytes, so an
 * out_batch the kernel did not write reads back unchanged ("-"). */
static void cmd_lookupbatch(char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  if (n != 8) return reply_fail("lookupbatch takes delete, in_batch, count, elem_flags, flags, key_size, value_size, out_len");
  int del = atoi(arg[0]);
  size_t inlen;
  int bad;
  unsigned char *in = unhex(arg[1], &inlen, &bad);
  if (bad) return reply_fail("bad in_batch hex");
  __u32 count = (__u32)strtoul(arg[2], NULL, 10);
  __u64 elem_flags = strtoull(arg[3], NULL, 10), flags = strtoull(arg[4], NULL, 10);
  size_t ks = strtoul(arg[5], NULL, 10), vs = strtoul(arg[6], NULL, 10), out_len = strtoul(arg[7], NULL, 10);
  unsigned char *keys = calloc((size_t)count * ks + 1, 1), *vals = calloc((size_t)count * vs + 1, 1);
  unsigned char *out = malloc(out_len + 8);
  memset(out, 0xa5, out_len + 8);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.batch.map_fd = (__u32)map_fd;
  a.batch.in_batch = (__u64)(uintptr_t)in;
  a.batch.out_batch = (__u64)(uintptr_t)out;
  a.batch.keys = (__u64)(uintptr_t)keys;
  a.batch.values = (__u64)(uintptr_t)vals;
  a.batch.count = count;
  a.batch.elem_flags = elem_flags;
  a.batch.flags = flags;
  long r = sys_bpf(del ? BPF_MAP_LOOKUP_AND_DELETE_BATCH : BPF_MAP_LOOKUP_BATCH, &a);
  int e = r < 0 ? errno : 0;
  __u32 got = a.batch.count < count ? a.batch.count : count;
  int written = 0;
  for (size_t i = 0; i < out_len; i++) if (out[i] != 0xa5) written = 1;
  printf("ok %d %u ", e, a.batch.count);
  if (written) print_hex(out, out_len); else fputc('-', stdout);
  fputc(' ', stdout);
  print_hex(keys, (size_t)got * ks);
  fputc(' ', stdout);
  print_hex(vals, (size_t)got * vs);
  fputc('\n', stdout);
  free(in);
  free(keys);
  free(vals);
  free(out);
}

/* BPF_MAP_UPDATE_BATCH (keys and values given) and BPF_MAP_DELETE_BATCH (keys only). */
static void cmd_writebatch(int cmd, char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  int update = cmd == BPF_MAP_UPDATE_BATCH;
  if (n != (update ? 5 : 4)) return reply_fail(update ? "updatebatch takes keys, values, count, elem_flags, flags" : "deletebatch takes keys, count, elem_flags, flags");
  size_t klen, vlen = 0;
  int bad, bad2 = 0;
  unsigned char *keys = unhex(arg[0], &klen, &bad);
  unsigned char *vals = update ? parse_value(arg[1], &vlen, &bad2) : NULL;
  if (bad || bad2) { free(keys); free(vals); return reply_fail("bad hex"); }
  char **rest = arg + (update ? 2 : 1);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.batch.map_fd = (__u32)map_fd;
  a.batch.keys = (__u64)(uintptr_t)keys;
  a.batch.values = (__u64)(uintptr_t)vals;
  a.batch.count = (__u32)strtoul(rest[0], NULL, 10);
  a.batch.elem_flags = strtoull(rest[1], NULL, 10);
  a.batch.flags = strtoull(rest[2], NULL, 10);
  long r = sys_bpf(cmd, &a);
  printf("ok %d %u\n", r < 0 ? errno : 0, a.batch.count);
  free(keys);
  free(vals);
}

static void cmd_cpu(char **arg, int n) {
  if (n != 1) return reply_fail("cpu takes a CPU number");
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpu = atoi(arg[0]);
  // -1: every CPU again (the kernel keeps only the possible ones).
  if (cpu < 0) for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &set);
  else CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) < 0) return reply_err(errno);
  printf("ok\n");
}

/* BPF_OBJ_GET_INFO_BY_FD, plus the frozen flag that only fdinfo shows:
 * ok <type> <key_size> <value_size> <max_entries> <map_flags> <map_extra> <frozen> <name|-> */
static void cmd_info(void) {
  if (map_fd < 0) return reply_fail("no map is open");
  struct bpf_map_info info;
  memset(&info, 0, sizeof(info));
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.info.bpf_fd = (__u32)map_fd;
  a.info.info_len = sizeof(info);
  a.info.info = (__u64)(uintptr_t)&info;
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) return reply_err(errno);
  int frozen = 0;
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", map_fd);
  FILE *f = fopen(path, "r");
  if (f) {
    while (fgets(line, sizeof(line), f)) if (sscanf(line, "frozen: %d", &frozen) == 1) break;
    fclose(f);
  }
  char name[BPF_OBJ_NAME_LEN + 1] = { 0 };
  memcpy(name, info.name, BPF_OBJ_NAME_LEN);
  printf("ok %u %u %u %u %u %llu %d %s\n", info.type, info.key_size, info.value_size, info.max_entries,
         info.map_flags, (unsigned long long)info.map_extra, frozen, name[0] ? name : "-");
}

static void cmd_freeze(void) {
  if (map_fd < 0) return reply_fail("no map is open");
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (__u32)map_fd;
  if (sys_bpf(BPF_MAP_FREEZE, &a) < 0) return reply_err(errno);
  printf("ok\n");
}

// ---- objects: maps, programs, perf events ----------------------------------------------------------

static struct object *new_obj(const char *label, int kind, int fd) {
  if (nobjs == (int)(sizeof(objs) / sizeof(objs[0])) || strlen(label) >= sizeof(objs[0].label)) return NULL;
  struct object *o = &objs[nobjs++];
  memset(o, 0, sizeof(*o));
  strcpy(o->label, label);
  o->kind = kind;
  o->fd = fd;
  return o;
}

static int prog_load(__u32 type, struct bpf_insn *p, int n) {
  static char log[65536];
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = type;
  a.insns = (__u64)(uintptr_t)p;
  a.insn_cnt = (__u32)n;
  a.license = (__u64)(uintptr_t)"GPL";
  a.log_buf = (__u64)(uintptr_t)log;
  a.log_size = sizeof(log);
  a.log_level = 1;
  log[0] = 0;
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  int e = errno;
  if (fd < 0) fprintf(stderr, "bpf-helper: BPF_PROG_LOAD failed (%s):\n%s\n", strerror(e), log);
  errno = e;
  return fd;
}

/* obj <label> prog <type> [count <map>] [tail <map> <index>]... ret <n> */
static int load_recipe(char **arg, int n, const char **why) {
  struct bpf_insn p[512];
  int i = 0;
  __u32 type = (__u32)strtoul(arg[0], NULL, 10);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
  long ret = 0;
  for (int k = 1; k < n; k++) {
    if (strcmp(arg[k], "count") == 0 && k + 1 < n) {
      struct object *m = find_obj(arg[++k]);
      if (!m || m->kind != OBJ_MAP) { *why = "count names no map object"; return -1000; }
      p[i++] = insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
      i += ld_imm64(p + i, BPF_REG_1, BPF_PSEUDO_MAP_FD, (__u32)m->fd);
      p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
      p[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
      p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
      p[i++] = insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0);
      p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
      p[i++] = insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
    } else if (strcmp(arg[k], "tail") == 0 && k + 2 < n) {
      struct object *m = find_obj(arg[++k]);
      long index = strtol(arg[++k], NULL, 10);
      int fd = m ? m->fd : (strcmp(arg[k - 1], "-") == 0 ? main_fd : -1);
      if (fd < 0) { *why = "tail names no map"; return -1000; }
      p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
      i += ld_imm64(p + i, BPF_REG_2, BPF_PSEUDO_MAP_FD, (__u32)fd);
      p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (__s32)index);
      p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
    } else if (strcmp(arg[k], "ret") == 0 && k + 1 < n) {
      ret = strtol(arg[++k], NULL, 10);
    } else {
      *why = "bad program recipe";
      return -1000;
    }
    if (i > 480) { *why = "program recipe too long"; return -1000; }
  }
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, (__s32)ret);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  int fd = prog_load(type, p, i);
  return fd < 0 ? -errno : fd;
}

/* obj <label> perf <cpu> <pages> <wakeup_events> <watermark> <wakeup_watermark> <overwrite> <config> */
static int open_perf(char **arg, int n, struct object *o, const char **why) {
  if (n != 7) { *why = "perf takes 7 arguments"; return -1000; }
  struct perf_event_attr at;
  memset(&at, 0, sizeof(at));
  at.size = sizeof(at);
  at.type = PERF_TYPE_SOFTWARE;
  at.config = strtoull(arg[6], NULL, 10);
  at.sample_type = PERF_SAMPLE_RAW;
  at.watermark = atoi(arg[3]) != 0;
  if (at.watermark) at.wakeup_watermark = (__u32)strtoul(arg[4], NULL, 10);
  else at.wakeup_events = (__u32)strtoul(arg[2], NULL, 10);
  int cpu = atoi(arg[0]);
  size_t pages = strtoul(arg[1], NULL, 10);
  int overwrite = atoi(arg[5]);
  int fd = (int)syscall(__NR_perf_event_open, &at, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = (1 + pages) * 4096;
  void *base = mmap(NULL, len, overwrite ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) { int e = errno; close(fd); return -e; }
  if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) { int e = errno; munmap(base, len); close(fd); return -e; }
  o->base = base;
  o->len = len;
  o->data_size = pages * 4096;
  return fd;
}

static void cmd_obj(char **arg, int n) {
  if (n < 3) return reply_fail("obj takes a label, a kind and its arguments");
  if (find_obj(arg[0])) return reply_fail("an object with this label exists");
  const char *why = NULL;
  int fd;
  struct object tmp;
  memset(&tmp, 0, sizeof(tmp));
  int kind;
  if (strcmp(arg[1], "map") == 0) { kind = OBJ_MAP; fd = create_map(arg + 2, n - 2, &why); }
  else if (strcmp(arg[1], "prog") == 0) { kind = OBJ_PROG; fd = load_recipe(arg + 2, n - 2, &why); }
  else if (strcmp(arg[1], "perf") == 0) { kind = OBJ_PERF; fd = open_perf(arg + 2, n - 2, &tmp, &why); }
  else return reply_fail("unknown object kind");
  if (fd == -1000) return reply_fail(why);
  if (fd < 0) return reply_err(-fd);
  struct object *o = new_obj(arg[0], kind, fd);
  if (!o) { close(fd); return reply_fail("too many objects, or a label too long"); }
  o->base = tmp.base;
  o->len = tmp.len;
  o->data_size = tmp.data_size;
  printf("ok\n");
}

static void cmd_use(char **arg, int n) {
  if (n != 1) return reply_fail("use takes a label or -");
  if (strcmp(arg[0], "-") == 0) { map_fd = main_fd; printf("ok\n"); return; }
  struct object *o = find_obj(arg[0]);
  if (!o || o->kind != OBJ_MAP) return reply_fail("no map object with this label");
  map_fd = o->fd;
  printf("ok\n");
}

static void cmd_id(char **arg, int n) {
  if (n != 1) return reply_fail("id takes a label");
  struct object *o = find_obj(arg[0]);
  if (!o) return reply_fail("no object with this label");
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  if (o->kind == OBJ_PERF) {
    __u64 id;
    if (ioctl(o->fd, PERF_EVENT_IOC_ID, &id) < 0) return reply_err(errno);
    printf("ok %llu\n", (unsigned long long)id);
    return;
  }
  struct bpf_map_info mi;
  struct bpf_prog_info pi;
  memset(&mi, 0, sizeof(mi));
  memset(&pi, 0, sizeof(pi));
  a.info.bpf_fd = (__u32)o->fd;
  a.info.info_len = o->kind == OBJ_MAP ? sizeof(mi) : sizeof(pi);
  a.info.info = (__u64)(uintptr_t)(o->kind == OBJ_MAP ? (void *)&mi : (void *)&pi);
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) return reply_err(errno);
  printf("ok %u\n", o->kind == OBJ_MAP ? mi.id : pi.id);
}

/* BPF_PROG_TEST_RUN of a raw tracepoint program (on a CPU when cpu >= 0): the retval, or -1000 - errno. */
static long test_run_raw_tp(int prog_fd, int cpu) {
  union bpf_attr a;
  __u64 args[2] = { 0, 0 };
  memset(&a, 0, sizeof(a));
  a.test.prog_fd = (__u32)prog_fd;
  a.test.ctx_in = (__u64)(uintptr_t)args;
  a.test.ctx_size_in = sizeof(args);
  if (cpu >= 0) {
    a.test.flags = BPF_F_TEST_RUN_ON_CPU;
    a.test.cpu = (__u32)cpu;
  }
  if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) return -1000 - errno;
  return (int)a.test.retval;
}

static void cmd_progrun(char **arg, int n) {
  if (n != 2) return reply_fail("progrun takes a label and a CPU");
  struct object *o = find_obj(arg[0]);
  if (!o || o->kind != OBJ_PROG) return reply_fail("no program object with this label");
  long r = test_run_raw_tp(o->fd, atoi(arg[1]));
  if (r <= -1000) return reply_err((int)(-1000 - r));
  printf("ok %ld\n", r);
}

/* perfout <cpu> <flags> <hex|=> <size>: bpf_perf_event_output(ctx, this map, flags, data on the stack, size). */
static void cmd_perfout(char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  if (n != 4) return reply_fail("perfout takes cpu, flags, data, size");
  size_t dlen;
  int bad;
  unsigned char *data = unhex(arg[2], &dlen, &bad);
  if (bad || dlen > 256) { free(data); return reply_fail("bad data (at most 256 bytes)"); }
  __u64 flags = strtoull(arg[1], NULL, 0);
  __u32 size = (__u32)strtoul(arg[3], NULL, 10);
  size_t room = (dlen + 7) & ~(size_t)7;
  if (room == 0) room = 8;
  struct bpf_insn p[160];
  int i = 0;
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
  for (size_t off = 0; off < room; off += 8) {
    __u64 chunk = 0;
    for (size_t b = 0; b < 8 && off + b < dlen; b++) chunk |= (__u64)data[off + b] << (8 * b);
    i += ld_imm64(p + i, BPF_REG_3, 0, chunk);
    p[i++] = insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_3, (__s16)(off - room), 0);
  }
  free(data);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
  i += ld_imm64(p + i, BPF_REG_2, BPF_PSEUDO_MAP_FD, (__u32)map_fd);
  i += ld_imm64(p + i, BPF_REG_3, 0, flags);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_10, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, -(__s32)room);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, (__s32)size);
  p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  int fd = prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, p, i);
  if (fd < 0) return reply_err(errno);
  long r = test_run_raw_tp(fd, atoi(arg[0]));
  close(fd);
  if (r <= -1000) return reply_err((int)(-1000 - r));
  printf("ok %ld\n", r);
}

static struct object *perf_obj(const char *label) {
  struct object *o = find_obj(label);
  return o && o->kind == OBJ_PERF ? o : NULL;
}

/* perfread <label> <max>: the records from data_tail on (at most max; -1 every one), then data_tail moved past them. */
static void cmd_perfread(char **arg, int n) {
  if (n != 2) return reply_fail("perfread takes a label and a count");
  struct object *o = perf_obj(arg[0]);
  if (!o) return reply_fail("no perf event with this label");
  struct perf_event_mmap_page *mp = (void *)o->base;
  unsigned char *data = o->base + 4096;
  __u64 head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
  __u64 tail = mp->data_tail, pos = tail;
  long max = strtol(arg[1], NULL, 10);
  for (long k = 0; pos != head && (max < 0 || k < max); k++) {
    struct perf_event_header h;
    for (size_t b = 0; b < sizeof(h); b++) ((unsigned char *)&h)[b] = data[(pos + b) & (o->data_size - 1)];
    if (h.size == 0) return reply_fail("a record of size 0");
    pos += h.size;
  }
  printf("ok %llu %llu ", (unsigned long long)head, (unsigned long long)tail);
  if (pos == tail) fputc('=', stdout);
  for (__u64 q = tail; q != pos; q++) printf("%02x", data[q & (o->data_size - 1)]);
  fputc('\n', stdout);
  __atomic_store_n(&mp->data_tail, pos, __ATOMIC_RELEASE);
}

static void cmd_perfraw(char **arg, int n) {
  if (n != 1) return reply_fail("perfraw takes a label");
  struct object *o = perf_obj(arg[0]);
  if (!o) return reply_fail("no perf event with this label");
  struct perf_event_mmap_page *mp = (void *)o->base;
  printf("ok %llu %llu ", (unsigned long long)__atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), (unsigned long long)mp->data_tail);
  print_hex(o->base + 4096, o->data_size);
  fputc('\n', stdout);
}

static void cmd_perfpoll(char **arg, int n) {
  if (n != 1) return reply_fail("perfpoll takes a label");
  struct object *o = perf_obj(arg[0]);
  if (!o) return reply_fail("no perf event with this label");
  struct pollfd pf = { .fd = o->fd, .events = POLLIN };
  int r = poll(&pf, 1, 0);
  if (r < 0) return reply_err(errno);
  printf("ok %d\n", r > 0 && (pf.revents & POLLIN) ? 1 : 0);
}

static void cmd_perfctl(char **arg, int n) {
  if (n != 2) return reply_fail("perfctl takes a label and an action");
  struct object *o = perf_obj(arg[0]);
  if (!o) return reply_fail("no perf event with this label");
  int r;
  if (strcmp(arg[1], "enable") == 0) r = ioctl(o->fd, PERF_EVENT_IOC_ENABLE, 0);
  else if (strcmp(arg[1], "disable") == 0) r = ioctl(o->fd, PERF_EVENT_IOC_DISABLE, 0);
  else if (strcmp(arg[1], "pause") == 0) r = ioctl(o->fd, PERF_EVENT_IOC_PAUSE_OUTPUT, 1);
  else if (strcmp(arg[1], "resume") == 0) r = ioctl(o->fd, PERF_EVENT_IOC_PAUSE_OUTPUT, 0);
  else return reply_fail("perfctl takes enable, disable, pause or resume");
  if (r < 0) return reply_err(errno);
  printf("ok\n");
}

/*
 * proginner <key> <inner key> <value_size>: r0 = lookup(this map, key); NULL: return 1; r0 =
 * lookup(r0, inner key); NULL: return 2; copy the value out, return 42.
 */
static void cmd_proginner(char **arg, int n) {
  if (map_fd < 0) return reply_fail("no map is open");
  if (n != 3) return reply_fail("proginner takes key, inner key, value_size");
  size_t klen, iklen;
  int bad, bad2;
  unsigned char *key = unhex(arg[0], &klen, &bad), *ikey = unhex(arg[1], &iklen, &bad2);
  __u32 vs = (__u32)strtoul(arg[2], NULL, 10);
  if (bad || bad2 || !key || !ikey || klen > 64 || iklen > 64 || vs == 0 || vs > 256) { free(key); free(ikey); return reply_fail("bad keys or value size"); }
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = vs;
  a.max_entries = 1;
  int out_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (out_fd < 0) { free(key); free(ikey); return reply_fail("cannot create the output array"); }
  size_t ks8 = (klen + 7) & ~(size_t)7, iks8 = (iklen + 7) & ~(size_t)7;
  // Room for both keys' stores, the two lookups and two instructions a value byte.
  struct bpf_insn *p = calloc(32 + (ks8 + iks8) / 8 * 3 + 2 * (size_t)vs, sizeof(*p));
  int i = 0;
  i += ld_imm64(p + i, BPF_REG_9, BPF_PSEUDO_MAP_VALUE, (__u32)out_fd);
  unsigned char *ks[2] = { key, ikey };
  size_t lens[2] = { klen, iklen }, room[2] = { ks8, ks8 + iks8 };
  for (int s2 = 0; s2 < 2; s2++) {
    size_t r8 = (lens[s2] + 7) & ~(size_t)7;
    for (size_t off = 0; off < r8; off += 8) {
      __u64 chunk = 0;
      for (size_t b = 0; b < 8 && off + b < lens[s2]; b++) chunk |= (__u64)ks[s2][off + b] << (8 * b);
      i += ld_imm64(p + i, BPF_REG_3, 0, chunk);
      p[i++] = insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_3, (__s16)(off - room[s2]), 0);
    }
  }
  i += ld_imm64(p + i, BPF_REG_1, BPF_PSEUDO_MAP_FD, (__u32)map_fd);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -(__s32)room[0]);
  p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  p[i++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
  p[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -(__s32)room[1]);
  p[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  p[i++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0);
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 2);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (__u32 b = 0; b < vs; b++) {
    p[i++] = insn(BPF_LDX | BPF_MEM | BPF_B, BPF_REG_1, BPF_REG_0, (__s16)b, 0);
    p[i++] = insn(BPF_STX | BPF_MEM | BPF_B, BPF_REG_9, BPF_REG_1, (__s16)b, 0);
  }
  p[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 42);
  p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  free(key);
  free(ikey);
  int prog_fd = prog_load(BPF_PROG_TYPE_SCHED_CLS, p, i);
  free(p);
  if (prog_fd < 0) { int le = errno; close(out_fd); return reply_err(le); }
  __u32 retval;
  int e = test_run_once(prog_fd, &retval);
  if (e) { close(out_fd); return reply_err(e); }
  if (retval == 1) { close(out_fd); return reply_err(ENOENT); }
  if (retval == 2) { close(out_fd); printf("ok inner-miss\n"); return; }
  reply_out(out_fd, vs, retval);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (getline(&line, &cap, stdin) >= 0) {
    char *arg[512];
    int n = 0;
    for (char *tok = strtok(line, " \t\n"); tok && n < 512; tok = strtok(NULL, " \t\n")) arg[n++] = tok;
    if (n == 0) continue;
    if (n == 512) { reply_fail("too many arguments"); continue; }
    const char *op = arg[0];
    char **rest = arg + 1;
    int m = n - 1;
    if (strcmp(op, "create") == 0) cmd_create(rest, m);
    else if (strcmp(op, "pin") == 0) cmd_path(BPF_OBJ_PIN, rest, m);
    else if (strcmp(op, "open") == 0) cmd_path(BPF_OBJ_GET, rest, m);
    else if (strcmp(op, "close") == 0) { close_map(); printf("ok\n"); }
    else if (strcmp(op, "cpu") == 0) cmd_cpu(rest, m);
    else if (strcmp(op, "freeze") == 0) cmd_freeze();
    else if (strcmp(op, "info") == 0) cmd_info();
    else if (strcmp(op, "proglookup") == 0) cmd_proglookup(rest, m);
    else if (strcmp(op, "obj") == 0) cmd_obj(rest, m);
    else if (strcmp(op, "use") == 0) cmd_use(rest, m);
    else if (strcmp(op, "id") == 0) cmd_id(rest, m);
    else if (strcmp(op, "closeobjs") == 0) { close_objs(); printf("ok\n"); }
    else if (strcmp(op, "progrun") == 0) cmd_progrun(rest, m);
    else if (strcmp(op, "proginner") == 0) cmd_proginner(rest, m);
    else if (strcmp(op, "perfout") == 0) cmd_perfout(rest, m);
    else if (strcmp(op, "perfread") == 0) cmd_perfread(rest, m);
    else if (strcmp(op, "perfraw") == 0) cmd_perfraw(rest, m);
    else if (strcmp(op, "perfpoll") == 0) cmd_perfpoll(rest, m);
    else if (strcmp(op, "perfctl") == 0) cmd_perfctl(rest, m);
    else if (strcmp(op, "lookupbatch") == 0) cmd_lookupbatch(rest, m);
    else if (strcmp(op, "updatebatch") == 0) cmd_writebatch(BPF_MAP_UPDATE_BATCH, rest, m);
    else if (strcmp(op, "deletebatch") == 0) cmd_writebatch(BPF_MAP_DELETE_BATCH, rest, m);
    else if (!strcmp(op, "lookup") || !strcmp(op, "update") || !strcmp(op, "delete") ||
             !strcmp(op, "getnext") || !strcmp(op, "lookupdelete")) cmd_elem(op, rest, m);
    else reply_fail("unknown command");
  }
  close_objs();
  close_map();
  free(line);
  return 0;
}
