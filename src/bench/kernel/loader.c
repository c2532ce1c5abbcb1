// The benchmark's kernel reference: load the objects (counters.bpf.o, map-ops.bpf.o,
// map-ops-of-maps.bpf.o) with libbpf,
// then on request run one program through BPF_PROG_TEST_RUN on several CPUs at once (one thread
// pinned per CPU, all released together), `repeat` times per CPU, and report the wall time; or
// time user-space calls through bpf(2) on maps of its own.
//
// Long-lived: one command per line on stdin, one answer line on stdout.
//   run <program> <map|-> <cpu,cpu,...> <repeat>
//     -> ok <wall_ns> <count|-> <ns_per_run>/<retval> (one per CPU, in the order given)
//     A counter map (array, per-CPU array) is zeroed before the run and count is its value after
//     (summed over CPUs when per-CPU); a ring buffer is consumed while the programs run (a
//     ring_buffer__poll loop on a thread of its own, as a libbpf tool does) and count is the
//     records consumed; a perf event array gets a BPF output event and ring per CPU for the run
//     (libbpf's perf_buffer__new_raw; 1 MiB of rings in all, a wakeup per half ring), drained by
//     a perf_buffer__poll loop on a thread of its own, and count is the samples consumed; '-'
//     counts nothing. retval is what the program returned on its CPU's last run.
//   fill <map> <n>
//     -> ok            keys 0..n-1 with zero values (hash types), values 0..n-1 pushed (bloom),
//                      or routes 0..n-1 (LPM trie: 10.<i >> 8>.<i & 255>.0/24, zero values)
//   place <map> <key> <name>
//     -> ok            slot `key` of a prog array gets program `name`, or key `key` of an array
//                      or hash of maps gets map `name` (bpf_map_update_elem with its fd)
//   sys <op> <type> <entries> <calls> <cpu>
//     -> ok <wall_ns> <events>
//     `calls` user-space calls through bpf(2) from this process pinned to `cpu`, on a map of
//     `type` (array, hash, percpu_array, percpu_hash; 4-byte keys, 8-byte values) holding keys
//     0..entries-1: lookup, update (existing key), delete (then update back), get_next_key,
//     lookup-sum (a per-CPU lookup summed over the possible CPUs), lookup-batch (every entry in
//     one BPF_MAP_LOOKUP_BATCH per call), dump (get_next_key + lookup of every entry per call).
//     events: calls, or entries for lookup-batch and dump.
//   Errors: err <errno> <what failed>
// Startup prints "ready <possible_cpus>" once the objects are loaded, or "err <errno> <why>".

#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 1024

struct worker {
	pthread_t thread;
	int cpu;
	int prog_fd;
	unsigned int repeat;
	pthread_barrier_t *start;
	uint64_t t0, t1;
	unsigned int duration; /* the kernel's mean ns per run */
	unsigned int retval;   /* what the program returned on the last run */
	int err;
};

#define MAX_OBJECTS 8

static struct bpf_object *objs[MAX_OBJECTS];
static int n_objs;
static int possible_cpus;

static struct bpf_program *find_program(const char *name)
{
	for (int i = 0; i < n_objs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(objs[i], name);

		if (p)
			return p;
	}
	return NULL;
}

static struct bpf_map *find_map(const char *name)
{
	for (int i = 0; i < n_objs; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(objs[i], name);

		if (m)
			return m;
	}
	return NULL;
}

/* The consumer of a ring buffer or of a perf event array's rings, polling while the programs run. */
struct consumer {
	pthread_t thread;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	volatile int done;
	unsigned long long records;
	int err;
};

static int count_record(void *ctx, void *data, size_t size)
{
	(*(unsigned long long *)ctx)++;
	return 0;
}

/* A perf ring's record: samples are counted; a PERF_RECORD_LOST says the ring was full (not counted). */
static enum bpf_perf_event_ret count_sample(void *ctx, int cpu, struct perf_event_header *event)
{
	if (event->type == PERF_RECORD_SAMPLE)
		(*(unsigned long long *)ctx)++;
	return LIBBPF_PERF_EVENT_CONT;
}

static void *consume(void *arg)
{
	struct consumer *c = arg;

	while (!c->done) {
		int r = c->rb ? ring_buffer__poll(c->rb, 20) : perf_buffer__poll(c->pb, 20);

		if (r < 0 && r != -EINTR) {
			c->err = -r;
			break;
		}
	}
	if (c->rb)
		ring_buffer__consume(c->rb);
	else
		perf_buffer__consume(c->pb);
	return NULL;
}

/*
 * Pages per CPU of the perf rings for a run on `cpus` CPUs: 1 MiB of rings in all, as the ring
 * buffer's one ring and as the handler's rings (perfPages in programs/map-ops.ts), a power of two
 * as perf needs.
 */
static size_t perf_pages(int cpus)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t want = (size_t)(1 << 20) / (size_t)(page > 0 ? page : 4096) / (size_t)(cpus > 0 ? cpus : 1);
	size_t pages = 1;

	while (pages * 2 <= want)
		pages *= 2;
	return pages;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char pkt[64] = { 0 }; /* tc and XDP need at least an Ethernet header of input */
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		w->err = EINVAL;
	pthread_barrier_wait(w->start);
	if (w->err)
		return NULL;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = w->repeat);
	w->t0 = now_ns();
	if (bpf_prog_test_run_opts(w->prog_fd, &opts) != 0)
		w->err = errno;
	w->t1 = now_ns();
	w->duration = opts.duration;
	w->retval = opts.retval;
	return NULL;
}

static int zero_map(int map_fd, int percpu)
{
	size_t n = percpu ? (size_t)possible_cpus : 1;
	void *zero = calloc(n, 64);
	__u32 key = 0;
	int r = bpf_map_update_elem(map_fd, &key, zero, BPF_ANY) ? errno : 0;

	free(zero);
	return r;
}

static int read_count(int map_fd, int percpu, int value_size, unsigned long long *count)
{
	size_t stride = (value_size + 7) & ~7;
	size_t n = percpu ? (size_t)possible_cpus : 1;
	unsigned char *buf = calloc(n, stride);
	__u32 key = 0;

	if (bpf_map_lookup_elem(map_fd, &key, buf) != 0) {
		free(buf);
		return errno;
	}
	*count = 0;
	for (size_t c = 0; c < n; c++) {
		if (percpu && value_size == 8) {
			uint64_t v;
			memcpy(&v, buf + c * stride, 8);
			*count += v;
		} else {
			uint32_t v;
			memcpy(&v, buf + c * stride, 4);
			*count += v;
		}
	}
	free(buf);
	return 0;
}

static void run(char *prog_name, char *map_name, char *cpu_list, unsigned int repeat)
{
	struct bpf_program *prog = find_program(prog_name);
	struct bpf_map *map = strcmp(map_name, "-") == 0 ? NULL : find_map(map_name);
	static struct worker workers[MAX_THREADS];
	struct consumer consumer = { 0 };
	pthread_barrier_t start;
	unsigned long long count = 0;
	int n = 0, r, percpu = 0, value_size = 0, map_fd = -1, counter = 0, ringbuf = 0, perf = 0;

	if (!prog || (!map && strcmp(map_name, "-") != 0)) {
		printf("err %d no program '%s' or map '%s' in the objects\n", ENOENT, prog_name, map_name);
		return;
	}
	if (map) {
		map_fd = bpf_map__fd(map);
		percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY;
		counter = percpu || bpf_map__type(map) == BPF_MAP_TYPE_ARRAY;
		ringbuf = bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF;
		perf = bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
		value_size = bpf_map__value_size(map);
	}
	for (char *tok = strtok(cpu_list, ","); tok && n < MAX_THREADS; tok = strtok(NULL, ","))
		workers[n++].cpu = atoi(tok);
	if (n == 0) {
		printf("err %d no CPUs given\n", EINVAL);
		return;
	}
	if (counter) {
		r = zero_map(map_fd, percpu);
		if (r) {
			printf("err %d cannot zero map '%s'\n", r, map_name);
			return;
		}
	}
	if (ringbuf) {
		consumer.rb = ring_buffer__new(map_fd, count_record, &consumer.records, NULL);
		if (!consumer.rb) {
			printf("err %d cannot open ring buffer '%s'\n", errno, map_name);
			return;
		}
		ring_buffer__consume(consumer.rb); /* what an earlier run left */
		consumer.records = 0;
		pthread_create(&consumer.thread, NULL, consume, &consumer);
	}
	if (perf) {
		/*
		 * One BPF output event per online CPU, its ring mmap()ed and its fd placed at the CPU's
		 * index of the map (libbpf's perf_buffer__new_raw: perf_event_open, mmap, the map update,
		 * epoll); freed after the run, which empties the slots again, so each run starts with empty
		 * rings. The reader is woken each time half a ring more was written (attr.watermark), not
		 * for every sample as perf_buffer__new's default: a per-sample wakeup costs the kernel an
		 * interrupt per output (6-9 us a sample on a VM), which would time the wakeup, not the
		 * output. The handler's rings (sides/ours.ts) wake the same way.
		 */
		size_t pages = perf_pages(n);
		long page = sysconf(_SC_PAGESIZE);
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1,
			.watermark = 1,
			.wakeup_watermark = (__u32)(pages * (size_t)(page > 0 ? page : 4096) / 2),
		};
		LIBBPF_OPTS(perf_buffer_raw_opts, raw);

		consumer.pb = perf_buffer__new_raw(map_fd, pages, &attr, count_sample, &consumer.records, &raw);
		if (!consumer.pb) {
			int e = errno;

			printf("err %d cannot open perf events and rings for '%s' (perf_event_open needs root or CAP_PERFMON)\n", e, map_name);
			return;
		}
		pthread_create(&consumer.thread, NULL, consume, &consumer);
	}
	pthread_barrier_init(&start, NULL, n);
	for (int i = 0; i < n; i++) {
		workers[i].prog_fd = bpf_program__fd(prog);
		workers[i].repeat = repeat;
		workers[i].start = &start;
		workers[i].err = 0;
		pthread_create(&workers[i].thread, NULL, work, &workers[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(workers[i].thread, NULL);
	pthread_barrier_destroy(&start);
	if (ringbuf || perf) {
		consumer.done = 1;
		pthread_join(consumer.thread, NULL);
		if (ringbuf)
			ring_buffer__free(consumer.rb);
		else
			perf_buffer__free(consumer.pb);
		count = consumer.records;
	}
	for (int i = 0; i < n; i++) {
		if (workers[i].err) {
			printf("err %d BPF_PROG_TEST_RUN on CPU %d\n", workers[i].err, workers[i].cpu);
			return;
		}
	}
	if (consumer.err) {
		printf("err %d %s on '%s'\n", consumer.err, ringbuf ? "ring_buffer__poll" : "perf_buffer__poll", map_name);
		return;
	}
	if (counter) {
		r = read_count(map_fd, percpu, value_size, &count);
		if (r) {
			printf("err %d cannot read map '%s'\n", r, map_name);
			return;
		}
	}
	uint64_t t0 = workers[0].t0, t1 = workers[0].t1;
	for (int i = 1; i < n; i++) {
		if (workers[i].t0 < t0)
			t0 = workers[i].t0;
		if (workers[i].t1 > t1)
			t1 = workers[i].t1;
	}
	if (counter || ringbuf || perf)
		printf("ok %llu %llu", (unsigned long long)(t1 - t0), count);
	else
		printf("ok %llu -", (unsigned long long)(t1 - t0));
	for (int i = 0; i < n; i++)
		printf(" %u/%d", workers[i].duration, (int)workers[i].retval);
	printf("\n");
}

/* An LPM trie's key as map-ops.bpf.c's struct lpm_key: route i is 10.<i >> 8>.<i & 255>.0/24. */
struct route {
	__u32 prefixlen;
	__u8 data[4];
};

/*
 * Keys 0..n-1 with zero values (hash types), values 0..n-1 pushed (bloom filter), or routes 0..n-1
 * with zero values (LPM trie).
 */
static void fill(const char *map_name, unsigned int n)
{
	struct bpf_map *map = find_map(map_name);
	unsigned char *zero;
	int fd, bloom, lpm;

	if (!map) {
		printf("err %d no map '%s' in the objects\n", ENOENT, map_name);
		return;
	}
	fd = bpf_map__fd(map);
	bloom = bpf_map__type(map) == BPF_MAP_TYPE_BLOOM_FILTER;
	lpm = bpf_map__type(map) == BPF_MAP_TYPE_LPM_TRIE;
	zero = calloc((size_t)possible_cpus, 64);
	for (__u32 k = 0; k < n; k++) {
		struct route route = { 24, { 10, (k >> 8) & 0xff, k & 0xff, 0 } };
		int r = bloom ? bpf_map_update_elem(fd, NULL, &k, BPF_ANY)
			: lpm ? bpf_map_update_elem(fd, &route, zero, BPF_ANY)
			      : bpf_map_update_elem(fd, &k, zero, BPF_ANY);

		if (r != 0) {
			printf("err %d filling '%s' at %u\n", errno, map_name, k);
			free(zero);
			return;
		}
	}
	free(zero);
	printf("ok\n");
}

/*
 * Slot `key` of a prog array gets the program `name`, or key `key` of an array or hash of maps the
 * map `name`: the placements libbpf's static initialisers may or may not make, made explicitly.
 */
static void place(const char *map_name, __u32 key, const char *name)
{
	struct bpf_map *map = find_map(map_name);
	struct bpf_program *prog;
	struct bpf_map *inner;
	int fd;

	if (!map) {
		printf("err %d no map '%s' in the objects\n", ENOENT, map_name);
		return;
	}
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		prog = find_program(name);
		if (!prog) {
			printf("err %d no program '%s' in the objects to place in '%s'\n", ENOENT, name, map_name);
			return;
		}
		fd = bpf_program__fd(prog);
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		inner = find_map(name);
		if (!inner) {
			printf("err %d no map '%s' in the objects to place in '%s'\n", ENOENT, name, map_name);
			return;
		}
		fd = bpf_map__fd(inner);
		break;
	default:
		printf("err %d '%s' is neither a prog array nor a map of maps: nothing to place in it\n", EINVAL, map_name);
		return;
	}
	if (bpf_map_update_elem(bpf_map__fd(map), &key, &fd, BPF_ANY) != 0) {
		printf("err %d placing '%s' at key %u of '%s'\n", errno, name, key, map_name);
		return;
	}
	printf("ok\n");
}

/* The user-space calls' maps, made on first use and kept (filling 100,000 entries takes a while). */
struct sys_map {
	char type[64];
	unsigned int entries;
	int fd;
};

static struct sys_map sys_maps[16];
static volatile unsigned long long sink; /* the per-CPU sums, kept so they are computed */
static int n_sys_maps;

static int sys_map(const char *type, unsigned int entries)
{
	enum bpf_map_type t;
	unsigned char value[8 * 1024] = { 0 };
	int fd;

	for (int i = 0; i < n_sys_maps; i++)
		if (strcmp(sys_maps[i].type, type) == 0 && sys_maps[i].entries == entries)
			return sys_maps[i].fd;
	if (strcmp(type, "array") == 0)
		t = BPF_MAP_TYPE_ARRAY;
	else if (strcmp(type, "hash") == 0)
		t = BPF_MAP_TYPE_HASH;
	else if (strcmp(type, "percpu_array") == 0)
		t = BPF_MAP_TYPE_PERCPU_ARRAY;
	else if (strcmp(type, "percpu_hash") == 0)
		t = BPF_MAP_TYPE_PERCPU_HASH;
	else
		return -EINVAL;
	if (n_sys_maps == 16 || possible_cpus > 1024)
		return -ENOSPC;
	fd = bpf_map_create(t, "bench_sys", 4, 8, entries, NULL);
	if (fd < 0)
		return -errno;
	if (t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH) {
		for (__u32 k = 0; k < entries; k++) {
			value[0] = k & 0xff;
			if (bpf_map_update_elem(fd, &k, value, BPF_ANY) != 0) {
				int e = errno;

				close(fd);
				return -e;
			}
		}
	}
	snprintf(sys_maps[n_sys_maps].type, sizeof(sys_maps[0].type), "%s", type);
	sys_maps[n_sys_maps].entries = entries;
	sys_maps[n_sys_maps].fd = fd;
	n_sys_maps++;
	return fd;
}

static void sys(const char *op, const char *type, unsigned int entries, unsigned int calls, int cpu)
{
	static unsigned char value[8 * 1024];
	static __u32 *keys;
	static unsigned char *values;
	static unsigned int batch_room;
	unsigned long long events = 0, sum = 0;
	cpu_set_t set, old;
	__u32 mask = entries - 1, key, next;
	uint64_t t0, t1;
	int fd = sys_map(type, entries), err = 0;

	if (fd < 0) {
		printf("err %d cannot create a %s map of %u entries\n", -fd, type, entries);
		return;
	}
	int single = strcmp(op, "lookup") == 0 || strcmp(op, "update") == 0 || strcmp(op, "delete") == 0 || strcmp(op, "get_next_key") == 0;

	if (single && (entries & mask)) {
		printf("err %d entries must be a power of two for %s\n", EINVAL, op);
		return;
	}
	if (strcmp(op, "lookup-batch") == 0 && batch_room < entries) {
		free(keys);
		free(values);
		keys = calloc(entries, 4);
		values = calloc(entries, 8);
		batch_room = entries;
	}
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		printf("err %d cannot pin to CPU %d\n", errno, cpu);
		return;
	}
	t0 = now_ns();
	if (strcmp(op, "lookup") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			key = i & mask;
			if (bpf_map_lookup_elem(fd, &key, value) != 0)
				err = errno;
		}
		events = calls;
	} else if (strcmp(op, "update") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			key = i & mask;
			if (bpf_map_update_elem(fd, &key, value, BPF_ANY) != 0)
				err = errno;
		}
		events = calls;
	} else if (strcmp(op, "delete") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			key = i & mask;
			if (bpf_map_delete_elem(fd, &key) != 0 || bpf_map_update_elem(fd, &key, value, BPF_ANY) != 0)
				err = errno;
		}
		events = calls;
	} else if (strcmp(op, "get_next_key") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			key = i & mask;
			if (bpf_map_get_next_key(fd, &key, &next) != 0 && errno != ENOENT)
				err = errno;
		}
		events = calls;
	} else if (strcmp(op, "lookup-sum") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			key = 0;
			if (bpf_map_lookup_elem(fd, &key, value) != 0)
				err = errno;
			for (int c = 0; c < possible_cpus; c++) {
				uint64_t v;

				memcpy(&v, value + 8 * c, 8);
				sum += v;
			}
		}
		events = calls;
	} else if (strcmp(op, "lookup-batch") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			__u32 out_batch, count = entries, got = 0;
			void *in = NULL;

			for (;;) {
				LIBBPF_OPTS(bpf_map_batch_opts, opts);
				int r;

				count = entries - got;
				r = bpf_map_lookup_batch(fd, in, &out_batch, keys + got, values + 8 * (size_t)got, &count, &opts);
				got += count;
				if (r != 0 && errno == ENOENT)
					break;
				if (r != 0) {
					err = errno;
					break;
				}
				in = &out_batch;
			}
			if (!err && got != entries)
				err = EIO;
			events += got;
		}
	} else if (strcmp(op, "dump") == 0) {
		for (unsigned int i = 0; i < calls && !err; i++) {
			__u32 k[2];
			void *prev = NULL;
			unsigned int n = 0;

			while (bpf_map_get_next_key(fd, prev, &k[n & 1]) == 0) {
				if (bpf_map_lookup_elem(fd, &k[n & 1], value) != 0) {
					err = errno;
					break;
				}
				prev = &k[n & 1];
				n++;
			}
			if (!err && errno != ENOENT)
				err = errno;
			if (!err && n != entries)
				err = EIO;
			events += n;
		}
	} else {
		err = EINVAL;
	}
	t1 = now_ns();
	sched_setaffinity(0, sizeof(old), &old);
	if (err) {
		printf("err %d %s on a %s map\n", err, op, type);
		return;
	}
	sink = sum;
	printf("ok %llu %llu\n", (unsigned long long)(t1 - t0), events);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv)
{
	char line[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(quiet);
	if (argc < 2 || argc - 1 > MAX_OBJECTS) {
		printf("err %d usage: loader <object.bpf.o>...\n", EINVAL);
		return 2;
	}
	possible_cpus = libbpf_num_possible_cpus();
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj = bpf_object__open_file(argv[i], NULL);

		if (!obj) {
			printf("err %d cannot open %s\n", errno, argv[i]);
			return 1;
		}
		if (bpf_object__load(obj) != 0) {
			printf("err %d the kernel refused to load %s (see stderr)\n", errno, argv[i]);
			return 1;
		}
		objs[n_objs++] = obj;
	}
	printf("ready %d\n", possible_cpus);
	while (fgets(line, sizeof(line), stdin)) {
		char prog[256], map[256], cpus[2048], op[64], type[64];
		unsigned int repeat, n, entries, calls, key;
		int cpu;

		if (sscanf(line, "run %255s %255s %2047s %u", prog, map, cpus, &repeat) == 4)
			run(prog, map, cpus, repeat);
		else if (sscanf(line, "fill %255s %u", map, &n) == 2)
			fill(map, n);
		else if (sscanf(line, "place %255s %u %255s", map, &key, prog) == 3)
			place(map, key, prog);
		else if (sscanf(line, "sys %63s %63s %u %u %d", op, type, &entries, &calls, &cpu) == 5)
			sys(op, type, entries, calls, cpu);
		else
			printf("err %d bad command\n", EINVAL);
	}
	for (int i = 0; i < n_objs; i++)
		bpf_object__close(objs[i]);
	return 0;
}
