// prog-helper: percpu-maps' way into the live kernel (src/object/kernel). It loads an eBPF object
// (with libbpf, or from relocated instructions and map definitions, for hand-assembled programs and
// objects libbpf 1.x refuses), loads programs alone to report the verifier's verdict (the runtime's
// --verify kernel), and for program conformance runs programs through BPF_PROG_TEST_RUN on a chosen
// CPU (or on several at once), performs user-space map steps, dumps maps without disturbing them
// and consumes ring buffers.
//
// Built on first use with the machine's cc against libbpf (libbpf-dev), into .native/. One command
// per line on stdin, one answer line on stdout:
//   ok [words]        err <errno> [hex of text]        fail <why the command was bad>
//
// Keys "-" are NULL pointers; hex is lower-case without spaces, "=" is zero bytes.
//   open <object.o>                     open (not load) an ELF object  -> ok <maps> <programs>
//   raw [<license hex>]                 start an object built from raw instructions (license: GPL)
//   rawmap <name> <type> <key_size> <value_size> <max_entries> <flags> [<initial hex> <freeze 0|1>]
//                                       global data: key 0 gets the initial value, then frozen if asked
//   rawprog <name> <prog_type> <insns hex>   instructions in the relocated form: ld_imm64 with
//                                       src_reg 1 (map) or 2 (map value) carries the map's index
//   init <map> <hex>                    a global-data map's initial value (before load)
//   select <prog,prog,...|->            load only these programs (before load)
//   load                                -> ok | err <errno> <hex of the failing program's log>
//   maps                                -> ok <name>:<type>:<key_size>:<value_size>:<max_entries>:<flags> ...
//   run <prog> <cpu> <repeat> <data|-> <ctx|->
//                                       -> ok <retval> <data_out|-> <ctx_after|->   or err <errno>
//   race <prog> <cpu,cpu,...> <repeat> <data|->   one pinned thread per CPU, released together
//                                       -> ok <retval>,<retval>,...   or err <errno>
//   update <map> <cpu> <key> <value> <flags>    lookup <map> <cpu> <key> <flags> [<value in>]
//   delete <map> <cpu> <key>            getnext <map> <cpu> <key>    lookupdelete <map> <cpu> <key> <flags>
//   freeze <map>
//   dump <map>                          array-like: ok <value hex of every index, concatenated>
//                                       hash-like: ok <key>:<value> ...   queue/stack: ok <value> ...
//                                       (pop order; popped and pushed back)   ringbuf: ok <record> ...
//                                       (pending records, read through mmap without consuming)
//   consume <map>                       a ring buffer consumer: ok <record> ...  (advances cons_pos)
//   verify <prog>                       load that program alone (ELF: a fresh open with only it
//                                       autoloaded and the init values given; raw: the same map
//                                       fds) with log_level 1
//                                       -> ok accepted <hex of the log's tail> | err <errno> <hex of the log's tail>
//   close

#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_MAPS 64
#define MAX_PROGS 64
#define LOG_SIZE (1 << 20)
#define LOG_TAIL 4096

struct map_ent {
	char name[128]; /* symbol name, or the section for global data (".bss") */
	int fd;
	__u32 type, key_size, value_size, max_entries, flags;
	/* the value given by init (ELF) or rawmap (raw), applied again by verify's fresh open */
	unsigned char *initial;
	size_t initial_len;
	int freeze; /* raw global data to freeze after its initial value (.rodata) */
	struct bpf_map *map; /* ELF objects */
	/* ring buffers: the consumer page (read-write) and the producer page + data (read-only) */
	volatile unsigned long *cons;
	volatile unsigned long *prod;
	unsigned char *data;
};

struct prog_ent {
	char name[128];
	int fd;
	int type;
	struct bpf_insn *insns; /* raw objects */
	size_t insn_cnt;
	struct bpf_program *prog; /* ELF objects */
};

static struct map_ent maps[MAX_MAPS];
static struct prog_ent progs[MAX_PROGS];
static int nmaps, nprogs;
static struct bpf_object *obj;
static char obj_path[4096];
static int raw_mode, loaded;
static char license[128] = "GPL";
static int possible_cpus;
static char *log_buf;
static long page_size;

static void reply_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fail ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

static void print_hex(const void *p, size_t n)
{
	const unsigned char *b = p;

	if (n == 0) {
		fputc('=', stdout);
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

/* err <errno> <hex of the log's last LOG_TAIL bytes> */
static void reply_err_log(int e, const char *log)
{
	size_t n = log ? strlen(log) : 0;

	printf("err %d ", e);
	if (n > LOG_TAIL) {
		log += n - LOG_TAIL;
		n = LOG_TAIL;
	}
	print_hex(log, n);
	fputc('\n', stdout);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex; "-" gives NULL (*len 0), "=" a valid pointer to zero bytes. *bad on bad input. */
static unsigned char *unhex(const char *s, size_t *len, int *bad)
{
	size_t n = strlen(s);
	unsigned char *b;

	*bad = 0;
	*len = 0;
	if (strcmp(s, "-") == 0)
		return NULL;
	if (strcmp(s, "=") == 0)
		return calloc(1, 8);
	if (n % 2) {
		*bad = 1;
		return NULL;
	}
	b = calloc(n / 2 + 8, 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			*bad = 1;
			return NULL;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return b;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

static int is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t value_buf_size(const struct map_ent *m)
{
	if (is_percpu(m->type))
		return (size_t)((m->value_size + 7) & ~7u) * (size_t)possible_cpus;
	return m->value_size;
}

static struct map_ent *find_map(const char *name)
{
	for (int i = 0; i < nmaps; i++)
		if (strcmp(maps[i].name, name) == 0)
			return &maps[i];
	return NULL;
}

static struct prog_ent *find_prog(const char *name)
{
	for (int i = 0; i < nprogs; i++)
		if (strcmp(progs[i].name, name) == 0)
			return &progs[i];
	return NULL;
}

static void unmap_ringbuf(struct map_ent *m)
{
	if (m->cons)
		munmap((void *)m->cons, (size_t)page_size);
	if (m->prod)
		munmap((void *)m->prod, (size_t)page_size + 2 * (size_t)m->max_entries);
	m->cons = m->prod = NULL;
	m->data = NULL;
}

static void close_all(void)
{
	for (int i = 0; i < nmaps; i++) {
		unmap_ringbuf(&maps[i]);
		if (raw_mode && maps[i].fd >= 0)
			close(maps[i].fd);
		free(maps[i].initial);
	}
	for (int i = 0; i < nprogs; i++) {
		if (raw_mode && progs[i].fd >= 0)
			close(progs[i].fd);
		free(progs[i].insns);
	}
	if (obj)
		bpf_object__close(obj);
	obj = NULL;
	memset(maps, 0, sizeof(maps));
	memset(progs, 0, sizeof(progs));
	nmaps = nprogs = 0;
	raw_mode = loaded = 0;
	obj_path[0] = 0;
	snprintf(license, sizeof(license), "GPL");
}

// ---- opening and loading ----------------------------------------------------------------------

static void cmd_open(char **arg, int n)
{
	struct bpf_program *p;
	struct bpf_map *m;

	if (n != 1)
		return reply_fail("open takes a path");
	close_all();
	obj = bpf_object__open_file(arg[0], NULL);
	if (!obj) {
		int e = errno;

		return reply_err_log(e, "libbpf could not open the object (see stderr)");
	}
	snprintf(obj_path, sizeof(obj_path), "%s", arg[0]);
	bpf_object__for_each_map(m, obj) {
		struct map_ent *e = &maps[nmaps];
		const char *name = bpf_map__name(m);

		if (nmaps == MAX_MAPS)
			return reply_fail("more than %d maps", MAX_MAPS);
		/* libbpf names global data "<prefix>.bss": scenarios name it by its section */
		if (bpf_map__is_internal(m) && strchr(name, '.'))
			name = strchr(name, '.');
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->map = m;
		e->fd = -1;
		nmaps++;
	}
	bpf_object__for_each_program(p, obj) {
		struct prog_ent *e = &progs[nprogs];

		if (nprogs == MAX_PROGS)
			return reply_fail("more than %d programs", MAX_PROGS);
		snprintf(e->name, sizeof(e->name), "%s", bpf_program__name(p));
		e->prog = p;
		e->fd = -1;
		nprogs++;
	}
	printf("ok %d %d\n", nmaps, nprogs);
}

static void cmd_raw(char **arg, int n)
{
	close_all();
	raw_mode = 1;
	if (n >= 1) {
		size_t len;
		int bad;
		unsigned char *l = unhex(arg[0], &len, &bad);

		if (bad || !l || len >= sizeof(license))
			return free(l), reply_fail("bad license hex");
		memcpy(license, l, len);
		license[len] = 0;
		free(l);
	}
	printf("ok\n");
}

static void cmd_rawmap(char **arg, int n)
{
	struct map_ent *e;

	if (!raw_mode || loaded)
		return reply_fail("rawmap needs a raw object that is not loaded yet");
	if (n != 6 && n != 8)
		return reply_fail("rawmap takes name, type, key_size, value_size, max_entries, flags [, initial value, freeze]");
	if (nmaps == MAX_MAPS)
		return reply_fail("more than %d maps", MAX_MAPS);
	e = &maps[nmaps];
	if (n == 8) {
		int bad;

		e->initial = unhex(arg[6], &e->initial_len, &bad);
		if (bad || !e->initial)
			return free(e->initial), e->initial = NULL, reply_fail("bad initial value hex");
		e->freeze = atoi(arg[7]);
	}
	nmaps++;
	snprintf(e->name, sizeof(e->name), "%s", arg[0]);
	e->type = (__u32)strtoul(arg[1], NULL, 10);
	e->key_size = (__u32)strtoul(arg[2], NULL, 10);
	e->value_size = (__u32)strtoul(arg[3], NULL, 10);
	e->max_entries = (__u32)strtoul(arg[4], NULL, 10);
	e->flags = (__u32)strtoul(arg[5], NULL, 10);
	e->fd = -1;
	printf("ok\n");
}

static void cmd_rawprog(char **arg, int n)
{
	struct prog_ent *e;
	size_t len;
	int bad;
	unsigned char *b;

	if (!raw_mode || loaded)
		return reply_fail("rawprog needs a raw object that is not loaded yet");
	if (n != 3)
		return reply_fail("rawprog takes name, prog_type, instructions");
	if (nprogs == MAX_PROGS)
		return reply_fail("more than %d programs", MAX_PROGS);
	b = unhex(arg[2], &len, &bad);
	if (bad || !b || len == 0 || len % 8)
		return free(b), reply_fail("instructions must be 8-byte hex records");
	e = &progs[nprogs++];
	snprintf(e->name, sizeof(e->name), "%s", arg[0]);
	e->type = atoi(arg[1]);
	e->insns = (struct bpf_insn *)b;
	e->insn_cnt = len / 8;
	e->fd = -1;
	printf("ok\n");
}

static void cmd_init(char **arg, int n)
{
	struct map_ent *m;
	size_t len;
	int bad, r;
	unsigned char *b;

	if (n != 2)
		return reply_fail("init takes map, hex");
	if (raw_mode || !obj || loaded)
		return reply_fail("init applies to an opened ELF object before load");
	m = find_map(arg[0]);
	if (!m)
		return reply_fail("no map '%s'", arg[0]);
	b = unhex(arg[1], &len, &bad);
	if (bad || !b)
		return free(b), reply_fail("bad hex");
	r = bpf_map__set_initial_value(m->map, b, len);
	if (r) {
		free(b);
		return reply_err_log(-r, "bpf_map__set_initial_value refused (only global data has an initial value, of the section's size)");
	}
	free(m->initial);
	m->initial = b;
	m->initial_len = len;
	printf("ok\n");
}

/* Load only the listed programs (the others are loaded alone by verify steps). */
static void cmd_select(char **arg, int n)
{
	char list[4096];

	if (n != 1)
		return reply_fail("select takes prog,prog,... or -");
	if (loaded || (!obj && !raw_mode))
		return reply_fail("select applies to an opened object before load");
	snprintf(list, sizeof(list), ",%s,", arg[0]);
	for (char *t = strtok(arg[0], ","); t; t = strtok(NULL, ","))
		if (strcmp(t, "-") != 0 && !find_prog(t))
			return reply_fail("no program '%s' in the object", t);
	for (int i = 0; i < nprogs; i++) {
		char key[sizeof(progs[i].name) + 2];
		int on;

		snprintf(key, sizeof(key), ",%.127s,", progs[i].name);
		on = strstr(list, key) != NULL;
		if (raw_mode)
			progs[i].fd = on ? -1 : -2; /* -2: not loaded by load */
		else if (bpf_program__set_autoload(progs[i].prog, on))
			return reply_fail("cannot change autoload of '%s' now", progs[i].name);
	}
	printf("ok\n");
}

/* Copy the instructions, replacing map indexes in ld_imm64 by the maps' fds. */
static struct bpf_insn *patched(const struct prog_ent *p, int *bad_index)
{
	struct bpf_insn *ins = calloc(p->insn_cnt, sizeof(*ins));

	*bad_index = -1;
	memcpy(ins, p->insns, p->insn_cnt * sizeof(*ins));
	for (size_t i = 0; i < p->insn_cnt; i++) {
		if (ins[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (ins[i].src_reg == BPF_PSEUDO_MAP_FD || ins[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
			if (ins[i].imm < 0 || ins[i].imm >= nmaps) {
				*bad_index = (int)i;
				free(ins);
				return NULL;
			}
			ins[i].imm = maps[ins[i].imm].fd;
		}
		i++; /* the second slot */
	}
	return ins;
}

/*
 * The kernel wants BTF func_info for a program whose callbacks are passed by ld_imm64
 * BPF_PSEUDO_FUNC (bpf_loop's): one FUNC per sub-program, static, of type int(void), at each
 * sub-program's first instruction. libbpf takes it from the object's .BTF.ext; hand-assembled
 * programs get this minimal one. Returns the BTF fd (or -1 when no sub-program needs it).
 */
static int raw_func_btf(const struct bpf_insn *ins, size_t n, __u32 *starts, __u32 *nstarts)
{
	unsigned char blob[65536];
	char strs[4096];
	size_t tn = 0, sn = 0;
	int callbacks = 0;

	*nstarts = 0;
	starts[(*nstarts)++] = 0;
	for (size_t i = 0; i < n; i++) {
		int target = -1;

		if (ins[i].code == (BPF_JMP | BPF_CALL) && ins[i].src_reg == BPF_PSEUDO_CALL)
			target = (int)i + ins[i].imm + 1;
		if (ins[i].code == (BPF_LD | BPF_IMM | BPF_DW) && ins[i].src_reg == BPF_PSEUDO_FUNC) {
			target = (int)i + ins[i].imm + 1;
			callbacks = 1;
		}
		if (target <= 0 || target >= (int)n || *nstarts >= 256)
			continue;
		int seen = 0;
		for (__u32 k = 0; k < *nstarts; k++)
			seen |= starts[k] == (__u32)target;
		if (!seen)
			starts[(*nstarts)++] = (__u32)target;
	}
	if (!callbacks)
		return -1;
	/* sort the starts: func_info must be in instruction order */
	for (__u32 a = 1; a < *nstarts; a++)
		for (__u32 b = a; b > 0 && starts[b - 1] > starts[b]; b--) {
			__u32 t = starts[b];
			starts[b] = starts[b - 1];
			starts[b - 1] = t;
		}
	strs[sn++] = 0;
	memcpy(strs + sn, "int", 4);
	__u32 s_int = (__u32)sn;
	sn += 4;
	struct btf_type t_int = { .name_off = s_int, .info = BTF_KIND_INT << 24, .size = 4 };
	__u32 int_enc = BTF_INT_SIGNED << 24 | 32;
	memcpy(blob + tn, &t_int, sizeof(t_int)), tn += sizeof(t_int);
	memcpy(blob + tn, &int_enc, 4), tn += 4;
	struct btf_type t_proto = { .name_off = 0, .info = BTF_KIND_FUNC_PROTO << 24, .type = 1 };
	memcpy(blob + tn, &t_proto, sizeof(t_proto)), tn += sizeof(t_proto);
	for (__u32 k = 0; k < *nstarts; k++) {
		struct btf_type f = { .name_off = (__u32)sn, .info = BTF_KIND_FUNC << 24 /* static */, .type = 2 };

		sn += (size_t)snprintf(strs + sn, sizeof(strs) - sn, "f%u", k) + 1;
		memcpy(blob + tn, &f, sizeof(f)), tn += sizeof(f);
	}
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
		.type_off = 0, .type_len = (__u32)tn, .str_off = (__u32)tn, .str_len = (__u32)sn,
	};
	unsigned char *all = malloc(sizeof(h) + tn + sn);
	memcpy(all, &h, sizeof(h));
	memcpy(all + sizeof(h), blob, tn);
	memcpy(all + sizeof(h) + tn, strs, sn);
	int fd = bpf_btf_load(all, sizeof(h) + tn + sn, NULL);
	free(all);
	return fd;
}

static int load_raw_prog(struct prog_ent *p, char *log, size_t log_size)
{
	int bad;
	struct bpf_insn *ins = patched(p, &bad);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = (__u32)log_size, .log_level = log ? 1 : 0);
	__u32 starts[256], nstarts;
	struct bpf_func_info fi[256];
	int fd, btf_fd;

	if (!ins) {
		snprintf(log, log_size, "instruction %d: ld_imm64 names a map index that does not exist", bad);
		errno = EINVAL;
		return -1;
	}
	/* the kernel accepts syscall programs only as sleepable ones (libbpf's SEC("syscall") does the same) */
	if (p->type == BPF_PROG_TYPE_SYSCALL)
		o.prog_flags = BPF_F_SLEEPABLE;
	btf_fd = raw_func_btf(ins, p->insn_cnt, starts, &nstarts);
	if (btf_fd >= 0) {
		for (__u32 k = 0; k < nstarts; k++) {
			fi[k].insn_off = starts[k];
			fi[k].type_id = 3 + k;
		}
		o.prog_btf_fd = (__u32)btf_fd;
		o.func_info = fi;
		o.func_info_cnt = nstarts;
		o.func_info_rec_size = sizeof(fi[0]);
	}
	if (log)
		log[0] = 0;
	fd = bpf_prog_load((enum bpf_prog_type)p->type, p->name, license, ins, p->insn_cnt, &o);
	int e = errno;
	if (btf_fd >= 0)
		close(btf_fd);
	free(ins);
	errno = e;
	return fd;
}

static int map_ringbuf(struct map_ent *m)
{
	void *c, *d;

	c = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (c == MAP_FAILED)
		return errno;
	/* the data pages are mapped twice in a row, so a record that wraps reads contiguously */
	d = mmap(NULL, (size_t)page_size + 2 * (size_t)m->max_entries, PROT_READ, MAP_SHARED, m->fd, page_size);
	if (d == MAP_FAILED) {
		int e = errno;

		munmap(c, (size_t)page_size);
		return e;
	}
	m->cons = c;
	m->prod = d;
	m->data = (unsigned char *)d + page_size;
	return 0;
}

static void cmd_load(void)
{
	if (loaded)
		return reply_fail("already loaded");
	if (raw_mode) {
		for (int i = 0; i < nmaps; i++) {
			struct map_ent *m = &maps[i];
			LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = m->flags);

			m->fd = bpf_map_create((enum bpf_map_type)m->type, m->name, m->key_size, m->value_size,
					       m->max_entries, &o);
			if (m->fd < 0) {
				char why[sizeof(m->name) + 64];

				snprintf(why, sizeof(why), "map '%.127s': BPF_MAP_CREATE refused", m->name);
				return reply_err_log(errno, why);
			}
			if (m->initial) {
				__u32 zero = 0;

				/* what libbpf does for global data: the section's bytes, then .rodata frozen */
				if (bpf_map_update_elem(m->fd, &zero, m->initial, BPF_ANY) || (m->freeze && bpf_map_freeze(m->fd))) {
					char why[sizeof(m->name) + 64];

					snprintf(why, sizeof(why), "map '%.127s': its initial value was refused", m->name);
					return reply_err_log(errno, why);
				}
			}
		}
		for (int i = 0; i < nprogs; i++) {
			struct prog_ent *p = &progs[i];

			if (p->fd == -2)
				continue; /* verify-only */
			p->fd = load_raw_prog(p, log_buf, LOG_SIZE);
			if (p->fd < 0)
				return reply_err_log(errno, log_buf);
		}
	} else {
		if (!obj)
			return reply_fail("nothing opened");
		log_buf[0] = 0;
		for (int i = 0; i < nprogs; i++) {
			/* the log of whichever program fails lands here */
			bpf_program__set_log_buf(progs[i].prog, log_buf, LOG_SIZE);
		}
		if (bpf_object__load(obj)) {
			int e = errno;

			return reply_err_log(e, log_buf[0] ? log_buf : "libbpf refused the object before the verifier ran (see stderr)");
		}
		for (int i = 0; i < nmaps; i++) {
			struct map_ent *m = &maps[i];

			m->fd = bpf_map__fd(m->map);
			m->type = bpf_map__type(m->map);
			m->key_size = bpf_map__key_size(m->map);
			m->value_size = bpf_map__value_size(m->map);
			m->max_entries = bpf_map__max_entries(m->map);
			m->flags = bpf_map__map_flags(m->map);
		}
		for (int i = 0; i < nprogs; i++)
			progs[i].fd = bpf_program__autoload(progs[i].prog) ? bpf_program__fd(progs[i].prog) : -1;
	}
	for (int i = 0; i < nmaps; i++) {
		if (maps[i].type == BPF_MAP_TYPE_RINGBUF) {
			int e = map_ringbuf(&maps[i]);

			if (e)
				return reply_err_log(e, "cannot mmap the ring buffer");
		}
	}
	loaded = 1;
	printf("ok\n");
}

static void cmd_maps(void)
{
	if (!loaded)
		return reply_fail("not loaded");
	fputs("ok", stdout);
	for (int i = 0; i < nmaps; i++)
		printf(" %s:%u:%u:%u:%u:%u", maps[i].name, maps[i].type, maps[i].key_size, maps[i].value_size,
		       maps[i].max_entries, maps[i].flags);
	fputc('\n', stdout);
}

// ---- running programs ---------------------------------------------------------------------------

static void cmd_run(char **arg, int n)
{
	struct prog_ent *p;
	unsigned char *data, *ctx, *out = NULL;
	size_t dlen, clen;
	int bad1, bad2, r, e, cpu;
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);

	if (n != 5)
		return reply_fail("run takes prog, cpu, repeat, data, ctx");
	if (!loaded)
		return reply_fail("not loaded");
	p = find_prog(arg[0]);
	if (!p || p->fd < 0)
		return reply_fail("no loaded program '%s'", arg[0]);
	cpu = atoi(arg[1]);
	data = unhex(arg[3], &dlen, &bad1);
	ctx = unhex(arg[4], &clen, &bad2);
	if (bad1 || bad2) {
		free(data);
		free(ctx);
		return reply_fail("bad hex");
	}
	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(p->fd, &info, &info_len);
	if (data)
		out = calloc(dlen + 4096, 1);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = (__u32)dlen, .data_out = out,
		    .data_size_out = data ? (__u32)dlen + 4096 : 0, .ctx_in = ctx, .ctx_size_in = (__u32)clen,
		    .repeat = (int)strtol(arg[2], NULL, 10));
	/* tc, xdp and syscall programs run on the calling CPU; raw_tp is told, and runs locally
	 * when that is the caller's CPU (so the current task is this process in every case) */
	if (info.type == BPF_PROG_TYPE_RAW_TRACEPOINT) {
		o.flags = BPF_F_TEST_RUN_ON_CPU;
		o.cpu = (__u32)cpu;
	}
	r = pin_cpu(cpu);
	if (r) {
		free(data);
		free(ctx);
		free(out);
		return reply_fail("cannot pin to CPU %d (errno %d)", cpu, r);
	}
	r = bpf_prog_test_run_opts(p->fd, &o);
	e = errno;
	if (r) {
		printf("err %d\n", e);
	} else {
		printf("ok %u ", o.retval);
		if (data)
			print_hex(out, o.data_size_out);
		else
			fputc('-', stdout);
		fputc(' ', stdout);
		/* a syscall program's writes to its context come back in ctx_in */
		if (ctx)
			print_hex(ctx, clen);
		else
			fputc('-', stdout);
		fputc('\n', stdout);
	}
	free(data);
	free(ctx);
	free(out);
}

struct racer {
	pthread_t thread;
	int cpu, prog_fd, err;
	unsigned int repeat;
	__u32 retval;
	unsigned char *data;
	size_t dlen;
	pthread_barrier_t *start;
};

static void *race_thread(void *arg)
{
	struct racer *w = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		w->err = EINVAL;
	pthread_barrier_wait(w->start);
	if (w->err)
		return NULL;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = w->data, .data_size_in = (__u32)w->dlen, .repeat = w->repeat);
	if (bpf_prog_test_run_opts(w->prog_fd, &o) != 0)
		w->err = errno;
	w->retval = o.retval;
	return NULL;
}

static void cmd_race(char **arg, int n)
{
	static struct racer w[256];
	pthread_barrier_t start;
	struct prog_ent *p;
	unsigned char *data;
	size_t dlen;
	int bad, k = 0;
	char *cpus;

	if (n != 4)
		return reply_fail("race takes prog, cpus, repeat, data");
	if (!loaded)
		return reply_fail("not loaded");
	p = find_prog(arg[0]);
	if (!p || p->fd < 0)
		return reply_fail("no loaded program '%s'", arg[0]);
	data = unhex(arg[3], &dlen, &bad);
	if (bad)
		return reply_fail("bad hex");
	cpus = arg[1];
	for (char *t = strtok(cpus, ","); t && k < 256; t = strtok(NULL, ","))
		w[k++].cpu = atoi(t);
	pthread_barrier_init(&start, NULL, (unsigned)k);
	for (int i = 0; i < k; i++) {
		w[i].prog_fd = p->fd;
		w[i].repeat = (unsigned)strtoul(arg[2], NULL, 10);
		w[i].err = 0;
		w[i].data = data;
		w[i].dlen = dlen;
		w[i].start = &start;
		pthread_create(&w[i].thread, NULL, race_thread, &w[i]);
	}
	for (int i = 0; i < k; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&start);
	free(data);
	for (int i = 0; i < k; i++) {
		if (w[i].err) {
			printf("err %d\n", w[i].err);
			return;
		}
	}
	fputs("ok ", stdout);
	for (int i = 0; i < k; i++)
		printf("%s%u", i ? "," : "", w[i].retval);
	fputc('\n', stdout);
}

// ---- user-space map steps -----------------------------------------------------------------------

static void cmd_elem(const char *op, char **arg, int n)
{
	struct map_ent *m;
	unsigned char *key = NULL, *val = NULL, *out = NULL;
	size_t klen, vlen, out_len = 0;
	int bad, r, e, cpu;
	__u64 flags = 0;

	if (n < 3)
		return reply_fail("%s takes map, cpu, key, ...", op);
	if (!loaded)
		return reply_fail("not loaded");
	m = find_map(arg[0]);
	if (!m)
		return reply_fail("no map '%s'", arg[0]);
	cpu = atoi(arg[1]);
	key = unhex(arg[2], &klen, &bad);
	if (bad)
		return reply_fail("bad key hex");
	r = pin_cpu(cpu);
	if (r) {
		free(key);
		return reply_fail("cannot pin to CPU %d", cpu);
	}
	if (strcmp(op, "update") == 0) {
		if (n != 5 || !(val = unhex(arg[3], &vlen, &bad)) || bad) {
			free(key);
			return reply_fail("update takes map, cpu, key, value, flags");
		}
		flags = strtoull(arg[4], NULL, 10);
		r = bpf_map_update_elem(m->fd, key, val, flags);
	} else if (strcmp(op, "delete") == 0) {
		r = bpf_map_delete_elem(m->fd, key);
	} else if (strcmp(op, "getnext") == 0) {
		out_len = m->key_size;
		out = calloc(out_len + 8, 1);
		r = bpf_map_get_next_key(m->fd, key, out);
	} else {
		if (n != 4 && n != 5) {
			free(key);
			return reply_fail("%s takes map, cpu, key, flags [, initial value]", op);
		}
		flags = strtoull(arg[3], NULL, 10);
		out_len = value_buf_size(m);
		out = calloc(out_len + 8, 1);
		if (n == 5) {
			/* what the buffer holds before the call: the value a bloom filter tests */
			size_t ilen;
			unsigned char *init = unhex(arg[4], &ilen, &bad);

			if (bad || ilen > out_len) {
				free(key);
				free(out);
				free(init);
				return reply_fail("bad initial value hex");
			}
			if (init)
				memcpy(out, init, ilen);
			free(init);
		}
		if (strcmp(op, "lookup") == 0)
			r = bpf_map_lookup_elem_flags(m->fd, key, out, flags);
		else
			r = bpf_map_lookup_and_delete_elem_flags(m->fd, key, out, flags);
	}
	e = errno;
	if (r) {
		printf("err %d\n", e);
	} else if (out) {
		fputs("ok ", stdout);
		print_hex(out, out_len);
		fputc('\n', stdout);
	} else {
		printf("ok\n");
	}
	free(key);
	free(val);
	free(out);
}

static void cmd_freeze(char **arg, int n)
{
	struct map_ent *m;

	if (n != 1 || !loaded)
		return reply_fail("freeze takes a map of a loaded object");
	m = find_map(arg[0]);
	if (!m)
		return reply_fail("no map '%s'", arg[0]);
	if (bpf_map_freeze(m->fd))
		printf("err %d\n", errno);
	else
		printf("ok\n");
}

// ---- dumps and ring buffer consumption -------------------------------------------------------------

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8

/* Walk the records between the consumer and the producer position: print the submitted ones;
 * with advance, move the consumer past each (as a consumer does). */
static void ringbuf_walk(struct map_ent *m, int advance)
{
	unsigned long cons = __atomic_load_n(m->cons, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(m->prod, __ATOMIC_ACQUIRE);
	unsigned long mask = m->max_entries - 1;

	fputs("ok", stdout);
	while (cons < prod) {
		__u32 hdr = __atomic_load_n((__u32 *)(m->data + (cons & mask)), __ATOMIC_ACQUIRE);
		__u32 len = hdr & ~(RB_BUSY | RB_DISCARD);

		if (hdr & RB_BUSY)
			break; /* reserved, not yet submitted: a consumer stops here */
		if (!(hdr & RB_DISCARD)) {
			fputc(' ', stdout);
			print_hex(m->data + ((cons + RB_HDR) & mask), len);
		}
		cons += (len + RB_HDR + 7) & ~7ul;
		if (advance)
			__atomic_store_n(m->cons, cons, __ATOMIC_RELEASE);
	}
	fputc('\n', stdout);
}

static void cmd_dump(char **arg, int n)
{
	struct map_ent *m;
	size_t vs;
	unsigned char *key, *next, *val;

	if (n != 1 || !loaded)
		return reply_fail("dump takes a map of a loaded object");
	m = find_map(arg[0]);
	if (!m)
		return reply_fail("no map '%s'", arg[0]);
	vs = value_buf_size(m);
	switch (m->type) {
	case BPF_MAP_TYPE_RINGBUF:
		return ringbuf_walk(m, 0);
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY: {
		val = calloc(vs + 8, 1);
		fputs("ok ", stdout);
		for (__u32 i = 0; i < m->max_entries; i++) {
			if (bpf_map_lookup_elem(m->fd, &i, val)) {
				/* a read-only-from-user-space array: nothing to show */
				memset(val, 0, vs);
			}
			print_hex(val, vs);
		}
		fputc('\n', stdout);
		free(val);
		return;
	}
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE: { /* a walk in get_next_key order; a lookup of an entry's own key finds it */
		int first = 1;

		key = calloc(m->key_size + 8, 1);
		next = calloc(m->key_size + 8, 1);
		val = calloc(vs + 8, 1);
		fputs("ok", stdout);
		while (bpf_map_get_next_key(m->fd, first ? NULL : key, next) == 0) {
			first = 0;
			memcpy(key, next, m->key_size);
			if (bpf_map_lookup_elem(m->fd, key, val))
				continue; /* gone meanwhile: nothing else runs, so this does not happen */
			fputc(' ', stdout);
			print_hex(key, m->key_size);
			fputc(':', stdout);
			print_hex(val, vs);
		}
		fputc('\n', stdout);
		free(key);
		free(next);
		free(val);
		return;
	}
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK: {
		/* no peek beyond the head: pop everything, then push it back in the same order */
		unsigned char *all = calloc((size_t)m->max_entries + 1, m->value_size + 8);
		__u32 k = 0;

		while (k < m->max_entries && bpf_map_lookup_and_delete_elem(m->fd, NULL, all + (size_t)k * m->value_size) == 0)
			k++;
		for (__u32 i = 0; i < k; i++) {
			__u32 j = m->type == BPF_MAP_TYPE_QUEUE ? i : k - 1 - i;

			if (bpf_map_update_elem(m->fd, NULL, all + (size_t)j * m->value_size, BPF_ANY)) {
				free(all);
				return reply_fail("could not push element %u back after dumping", j);
			}
		}
		fputs("ok", stdout);
		for (__u32 i = 0; i < k; i++) {
			fputc(' ', stdout);
			print_hex(all + (size_t)i * m->value_size, m->value_size);
		}
		fputc('\n', stdout);
		free(all);
		return;
	}
	default:
		return reply_fail("map '%s' (type %u) cannot be dumped", m->name, m->type);
	}
}

static void cmd_consume(char **arg, int n)
{
	struct map_ent *m;

	if (n != 1 || !loaded)
		return reply_fail("consume takes a ring buffer of a loaded object");
	m = find_map(arg[0]);
	if (!m || m->type != BPF_MAP_TYPE_RINGBUF)
		return reply_fail("no ring buffer '%s'", arg[0]);
	ringbuf_walk(m, 1);
}

// ---- the verifier's verdict ------------------------------------------------------------------------

/* ok accepted <hex of the log's tail> (the verifier's statistics, with log_level 1) */
static void reply_accepted(const char *log)
{
	size_t n = strlen(log);

	fputs("ok accepted ", stdout);
	if (n > LOG_TAIL) {
		log += n - LOG_TAIL;
		n = LOG_TAIL;
	}
	print_hex(log, n);
	fputc('\n', stdout);
}

static void cmd_verify(char **arg, int n)
{
	struct prog_ent *p;

	if (n != 1)
		return reply_fail("verify takes a program");
	if (!loaded)
		return reply_fail("not loaded");
	p = find_prog(arg[0]);
	if (!p)
		return reply_fail("no program '%s'", arg[0]);
	log_buf[0] = 0;
	if (raw_mode) {
		int fd = load_raw_prog(p, log_buf, LOG_SIZE);

		if (fd < 0)
			return reply_err_log(errno, log_buf);
		close(fd);
		reply_accepted(log_buf);
		return;
	}
	/* A fresh open with only this program, so another program's verdict does not interfere */
	struct bpf_object *o = bpf_object__open_file(obj_path, NULL);
	struct bpf_program *q;
	int found = 0;

	if (!o)
		return reply_err_log(errno, "libbpf could not open the object again");
	for (int i = 0; i < nmaps; i++) {
		struct bpf_map *om;

		if (!maps[i].initial)
			continue;
		/* the same section values as the loaded object (knobs may decide what the verifier sees) */
		bpf_object__for_each_map(om, o) {
			const char *nm = bpf_map__name(om);

			if (bpf_map__is_internal(om) && strchr(nm, '.'))
				nm = strchr(nm, '.');
			if (strcmp(nm, maps[i].name) == 0)
				bpf_map__set_initial_value(om, maps[i].initial, maps[i].initial_len);
		}
	}
	bpf_object__for_each_program(q, o) {
		int me = strcmp(bpf_program__name(q), arg[0]) == 0;

		found |= me;
		bpf_program__set_autoload(q, me);
		if (me) {
			bpf_program__set_log_buf(q, log_buf, LOG_SIZE);
			bpf_program__set_log_level(q, 1);
		}
	}
	if (!found) {
		bpf_object__close(o);
		return reply_fail("no program '%s'", arg[0]);
	}
	if (bpf_object__load(o)) {
		int e = errno;

		bpf_object__close(o);
		return reply_err_log(e, log_buf[0] ? log_buf : "libbpf refused the object before the verifier ran");
	}
	bpf_object__close(o);
	reply_accepted(log_buf);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(quiet);
	possible_cpus = libbpf_num_possible_cpus();
	page_size = sysconf(_SC_PAGESIZE);
	log_buf = calloc(LOG_SIZE, 1);
	while (getline(&line, &cap, stdin) >= 0) {
		char *arg[16];
		int n = 0;

		for (char *t = strtok(line, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n"))
			arg[n++] = t;
		if (n == 0)
			continue;
		const char *op = arg[0];
		char **rest = arg + 1;
		int m = n - 1;

		if (!strcmp(op, "open"))
			cmd_open(rest, m);
		else if (!strcmp(op, "raw"))
			cmd_raw(rest, m);
		else if (!strcmp(op, "rawmap"))
			cmd_rawmap(rest, m);
		else if (!strcmp(op, "rawprog"))
			cmd_rawprog(rest, m);
		else if (!strcmp(op, "init"))
			cmd_init(rest, m);
		else if (!strcmp(op, "select"))
			cmd_select(rest, m);
		else if (!strcmp(op, "load"))
			cmd_load();
		else if (!strcmp(op, "maps"))
			cmd_maps();
		else if (!strcmp(op, "run"))
			cmd_run(rest, m);
		else if (!strcmp(op, "race"))
			cmd_race(rest, m);
		else if (!strcmp(op, "update") || !strcmp(op, "lookup") || !strcmp(op, "delete") ||
			 !strcmp(op, "getnext") || !strcmp(op, "lookupdelete"))
			cmd_elem(op, rest, m);
		else if (!strcmp(op, "freeze"))
			cmd_freeze(rest, m);
		else if (!strcmp(op, "dump"))
			cmd_dump(rest, m);
		else if (!strcmp(op, "consume"))
			cmd_consume(rest, m);
		else if (!strcmp(op, "verify"))
			cmd_verify(rest, m);
		else if (!strcmp(op, "close")) {
			close_all();
			printf("ok\n");
		} else
			reply_fail("unknown command '%s'", op);
	}
	close_all();
	free(line);
	free(log_buf);
	return 0;
}
